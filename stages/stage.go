package stages

import (
	"context"
	"time"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/zclconf/go-cty/cty"
)

// Attr declares one attribute of a stage or resource block body.
type Attr struct {
	Name     string
	Type     cty.Type
	Required bool
	// Default is used when the attribute is absent. cty.NilVal means null.
	Default cty.Value
	Doc     string
	// Secret attributes are never part of a cache key, a log line or an
	// error message. The engine only hands them to the BlockKind.
	Secret bool
}

// Schema is the ordered list of attributes a body accepts. Order is the
// order of documentation, not of evaluation.
type Schema []Attr

// Lookup returns the attribute called name.
func (s Schema) Lookup(name string) (Attr, bool) {
	for _, a := range s {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Names returns the attribute names, for did-you-mean suggestions.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = a.Name
	}
	return out
}

// ObjectType is the cty object type a fully evaluated body of s has.
func (s Schema) ObjectType() cty.Type {
	attrs := make(map[string]cty.Type, len(s))
	for _, a := range s {
		attrs[a.Name] = a.Type
	}
	return cty.Object(attrs)
}

// Runner executes one kind of stage. A Runner is stateless with respect to
// any single instance: the engine may call Run concurrently.
type Runner interface {
	// Kind is the first label of a stage block: stage "execute" "name".
	Kind() string
	// CacheType is the versioned type string that leads every cache key of
	// this kind, for example "ccw.execute.v1". Bump it whenever the
	// behaviour of Run changes for the same configuration.
	CacheType() string
	// Config lists the attributes a body of this kind accepts.
	Config() Schema
	// Output is the type of the value Run returns. Downstream expressions
	// are type-checked against it before anything runs.
	Output() cty.Type
	// Run computes the result of one instance. A returned value is an
	// outcome and is cached (a failing test, a timeout of generated code, no
	// code in a model's answer). A returned error is an infrastructure
	// failure: it is reported, its dependents are skipped, nothing is cached,
	// and the next run tries again.
	Run(ctx context.Context, in Input) (cty.Value, error)
}

// Input is what one call of Runner.Run gets.
type Input struct {
	// Config is the evaluated body: an object of Runner.Config().ObjectType().
	Config cty.Value
	// Addr names the instance in messages, for example
	// `experiment.calibrate.execute.reference["BigCodeBench/12"]`.
	Addr string
	// Notes receives progress notes (a retry in flight, a slow call); may be nil.
	Notes func(note string)
	// Store gives stages that make several expensive sub-calls (LLM
	// requests) a place to keep each one under its own key; may be nil.
	Store SubStore
	// Offline forbids network access; sub-results must come from Store.
	Offline bool
}

// Note sends a progress note if anybody listens.
func (in Input) Note(note string) {
	if in.Notes != nil {
		in.Notes(note)
	}
}

// SubStore is a content-addressed store for results below the vertex level.
// Keys are computed by the stage (from canonical requests, never secrets).
type SubStore interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, data []byte) error
}

// BlockKind decodes one kind of top-level resource block such as
// sandbox "py" {...} or model "coder" {...}. Expressions that reference the
// block (sandbox.py) see a capsule value of Type wrapping the Resource.
type BlockKind interface {
	// Block is the block type name, for example "sandbox".
	Block() string
	// Schema lists the attributes the block accepts.
	Schema() Schema
	// Type is the capsule type of references to blocks of this kind.
	Type() cty.Type
	// Open validates the evaluated body and returns the resource. It must be
	// cheap: expensive set-up (warm workers, connections) happens on first
	// use, so that validate and plan stay fast.
	Open(name string, cfg cty.Value) (Resource, error)
}

// Resource is an opened resource block.
type Resource interface {
	// Identity is the part of the configuration that can change results:
	// it is what enters the cache key of every stage that uses the
	// resource. Display names, concurrency and secrets stay out.
	Identity() cty.Value
	// Close releases whatever the resource started.
	Close() error
}

// Ephemeral is implemented by runners whose results are cheaper to
// recompute than to store (bookkeeping stages such as score). The engine
// runs them on every walk and never writes their results to the cache.
type Ephemeral interface {
	Ephemeral() bool
}

// Timed is implemented by stages whose results record how long their
// work took (the execute stage: the sandbox's wall time). The engine keeps
// these times per task (engine/timing) and starts the tasks expected to
// take longest first.
type Timed interface {
	Took(result cty.Value) (time.Duration, bool)
}

// TurnRower is implemented by stages whose results are rows of
// turns.parquet (the score stage). The engine fills in the columns it owns
// (experiment, combination, task, stage, provenance), and the turn when
// the row's Turn is negative.
type TurnRower interface {
	TurnRow(result cty.Value) schemas.Turn
	// ProvenanceAttr names the config attribute whose upstream stage
	// supplies the row's provenance columns (exec_key, cached).
	ProvenanceAttr() string
}

// Preflighter is implemented by resources that can tell before a run
// whether they will work at all (an interpreter that exists, an endpoint
// that accepts connections, a key that is set). The engine asks every
// resource an experiment uses once, before anything is scheduled, so that
// such a fault is reported once at its block instead of once per task.
type Preflighter interface {
	// Preflight checks the resource; offline says the run may use no
	// network (answers come from the cache).
	Preflight(ctx context.Context, offline bool) error
}
