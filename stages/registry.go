package stages

import (
	"fmt"
	"sort"

	"github.com/ccw-dev/ccw/schemas"

	"github.com/zclconf/go-cty/cty/function"
)

// Registry maps names to values (runners, block kinds). It is built
// explicitly by a constructor such as builtin.Registry, never by init().
type Registry[T any] struct {
	items map[string]T
}

// NewRegistry returns an empty registry.
func NewRegistry[T any]() *Registry[T] {
	return &Registry[T]{items: map[string]T{}}
}

// Add registers v under name. Registering a name twice is a programming
// error and panics.
func (r *Registry[T]) Add(name string, v T) {
	if _, dup := r.items[name]; dup {
		panic(fmt.Sprintf("stages: %q registered twice", name))
	}
	r.items[name] = v
}

// Has reports whether name is registered.
func (r *Registry[T]) Has(name string) bool {
	_, ok := r.items[name]
	return ok
}

// Get returns the value registered under name.
func (r *Registry[T]) Get(name string) (T, bool) {
	v, ok := r.items[name]
	return v, ok
}

// List returns the registered names, sorted.
func (r *Registry[T]) List() []string {
	out := make([]string, 0, len(r.items))
	for k := range r.items {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Set is the set of everything a pipeline may use: stage runners and
// resource block kinds.
type Set struct {
	Runners *Registry[Runner]
	Blocks  *Registry[BlockKind]
	// Functions are extra HCL functions stage packages offer to pipeline
	// files (for example the default prompt templates).
	Functions map[string]function.Function
	// Tasks loads the task sets of tasks blocks.
	Tasks TaskSource
	// Metrics computes metrics.parquet from the turn rows of a run with
	// combinations; nil when the set computes none.
	Metrics MetricsFunc
}

// MetricsFunc computes a run's metrics from its turn rows and records how
// it computed them in the run's experiment (run.json).
type MetricsFunc func(rows []schemas.Turn, run MetricsRun, rec *schemas.RunExperiment) ([]schemas.Metric, error)

// MetricsRun is what metrics need to know about a run besides its rows.
type MetricsRun struct {
	Experiment   string
	Combinations []schemas.RunCombination
	Turns        int
	// Stage is the score stage whose rows are scored.
	Stage string
	// Tasks are the selected task ids, in order.
	Tasks []string
	// Options are the protocol's metrics attribute (nil when it has
	// none): which metrics, and what they need, e.g. protocol = "static"
	// and reference = the score stage whose rows are the reference's.
	Options map[string]string
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{Runners: NewRegistry[Runner](), Blocks: NewRegistry[BlockKind](), Functions: map[string]function.Function{}}
}

// AddRunner registers r under its Kind.
func (s *Set) AddRunner(r Runner) { s.Runners.Add(r.Kind(), r) }

// AddBlock registers b under its Block name.
func (s *Set) AddBlock(b BlockKind) { s.Blocks.Add(b.Block(), b) }
