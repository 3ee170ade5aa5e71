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
	Stages      []*Stage
	DeclRange   hcl.Range
}

// Stage returns the stage with the given address (kind.name), or nil.
func (e *Experiment) Stage(addr string) *Stage {
	for _, s := range e.Stages {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// Stage is a stage block inside an experiment.
type Stage struct {
	Kind, Name string
	Body       hcl.Body
	// Deps are the addresses (kind.name) of the stages this one references.
	Deps      []string
	DeclRange hcl.Range
	TypeRange hcl.Range
}

// Addr returns kind.name.
func (s *Stage) Addr() string { return s.Kind + "." + s.Name }
