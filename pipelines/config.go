package pipelines

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Config is one loaded pipeline file.
type Config struct {
	// Path is the file the configuration came from; Dir its directory, the
	// base of relative paths in file() and templatefile().
	Path, Dir string
	// Files maps file names to parsed files, for rendering diagnostics.
	Files map[string]*hcl.File
	// SyntaxErrors is set when the file could not be parsed cleanly; the
	// rest of the configuration is then partial and not worth compiling.
	SyntaxErrors bool
	// BrokenRefs holds the start positions ("file:byte") of references the
	// loader already reported, so later phases do not report them again.
	BrokenRefs map[string]bool

	Variables   map[string]*Variable
	Locals      map[string]*Local
	Tasks       map[string]*Tasks
	Resources   map[string]map[string]*Resource // block type -> name -> block
	Experiments []*Experiment
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Type        cty.Type
	Default     cty.Value // cty.NilVal when the variable is required
	Description string
	DeclRange   hcl.Range
}

// RefBroken reports whether expr contains a reference the loader reported.
func (c *Config) RefBroken(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if c.BrokenRefs[posKey(t.SourceRange())] {
			return true
		}
	}
	return false
}

func posKey(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Byte) }

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// Local is one attribute of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Tasks is a tasks block: a task source. Its body is decoded by the engine.
type Tasks struct {
	Name      string
	Body      hcl.Body
	DeclRange hcl.Range
}

// Resource is a resource block such as sandbox "py" or model "coder".
type Resource struct {
	Type, Name string
	Body       hcl.Body
	DeclRange  hcl.Range
}

// Addr returns the reference form, for example "sandbox.py".
func (r *Resource) Addr() string { return r.Type + "." + r.Name }

// Experiment is an experiment block: what to run over which tasks.
type Experiment struct {
	Name string
	// Tasks is the reference to the tasks block (tasks.NAME).
	Tasks     string
	TasksExpr hcl.Expression
	// Output is the expression of the output directory (may be nil).
	Output hcl.Expression
	// Exclude is the expression of the ids left out of scoring (may be nil).
	Exclude     hcl.Expression
	Description string
	// Protocol is the protocol the experiment runs; nil when the
	// experiment declares its own stages.
	Protocol *Protocol
	// Args are the experiment's other attributes when it runs a protocol:
	// the values of the protocol's variables, by name.
	Args map[string]*hcl.Attribute
	// Select is the expression of the combinations to run (names or
	// labels); nil means every combination, in declaration order.
	Select hcl.Expression
	// Turns is the expression of the turn budget; nil means the body's.
	Turns hcl.Expression
	// Body is what the experiment runs: its own stages, or its protocol's
	// with the experiment's own combination blocks added.
	Body      *Body
	DeclRange hcl.Range
}

// Stage returns the stage of turn 0 (or of the only turn) with the given
// address (kind.name), or nil.
func (e *Experiment) Stage(addr string) *Stage { return findStage(e.Body.Stages, addr) }

// TurnStage returns the stage of the turn template with the given address,
// or nil.
func (e *Experiment) TurnStage(addr string) *Stage {
	if e.Body.Turn == nil {
		return nil
	}
	return findStage(e.Body.Turn.Stages, addr)
}

func findStage(list []*Stage, addr string) *Stage {
	for _, s := range list {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// Body is the stage structure of an experiment or a protocol.
type Body struct {
	// File is the configuration whose variables, locals and path the
	// body's expressions read: the protocol file for a protocol's body.
	File *Config
	// Combinations are the feedback combinations, in declaration order.
	Combinations []*Combination
	// Stages run at turn 0 (the only turn without a turn block).
	Stages []*Stage
	// Turn is the template of turns 1..budget; nil without a turn block.
	Turn *Turn
	// Until, when true of a turn's results, ends the task's turns in that
	// combination (nil: every turn of the budget runs).
	Until hcl.Expression
	// UntilDeps are the stages Until reads (in every turn).
	UntilDeps []string
	// Turns is the default turn budget (may be nil).
	Turns hcl.Expression
	// Metrics, when set, says how the rows of the score stages become
	// metrics: an object whose values are strings (or numbers or bools),
	// read by the stage set's metrics function, e.g. { protocol = "static",
	// reference = "score.reference" }. Nil means the default (live).
	Metrics hcl.Expression
	// CombinationRefs are the combination attributes the stages read,
	// with where they read them (the first place), for checking
	// combinations added by experiments.
	CombinationRefs map[string]hcl.Range
	DeclRange       hcl.Range
}

// Turn is the turn block: the stages every turn after turn 0 runs.
type Turn struct {
	Stages    []*Stage
	DeclRange hcl.Range
}

// Combination is a combination block: a named set of attributes (which
// feedback is on) that stages read as combination.NAME.
type Combination struct {
	Name string
	// Attrs are the block's attributes; label, when present, is the name
	// reports print.
	Attrs map[string]*hcl.Attribute
	// File is the configuration whose scope evaluates the attributes.
	File      *Config
	DeclRange hcl.Range
}

// Protocol is a protocol block of a protocol file: a reusable body that
// experiments run with their own tasks, models and sandbox.
type Protocol struct {
	Name string
	// Source is the built-in name or the path the protocol came from.
	Source string
	// Builtin is set for protocols embedded in ccw.
	Builtin     bool
	Description string
	// File is the protocol file; its variables are the protocol's
	// parameters, set by the attributes of the experiments that run it.
	File      *Config
	Body      *Body
	DeclRange hcl.Range
}

// Stage is a stage block inside an experiment, a protocol or a turn block.
type Stage struct {
	Kind, Name string
	// Body is the stage's own attributes (without the engine's when).
	Body hcl.Body
	// When, if set, is a condition: false makes the instance "not
	// applicable" (no result, no failure).
	When hcl.Expression
	// InTurn is set for the stages of a turn block.
	InTurn bool
	// Deps are the addresses (kind.name) of the stages of the same turn
	// this one references; PrevDeps those it reads from the previous turn
	// (prev.kind.name).
	Deps, PrevDeps []string
	// ReadsCombination is set when an expression of the stage reads
	// combination.* itself.
	ReadsCombination bool
	DeclRange        hcl.Range
	TypeRange        hcl.Range
}

// Addr returns kind.name.
func (s *Stage) Addr() string { return s.Kind + "." + s.Name }
