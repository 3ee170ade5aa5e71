package engine

import (
	"github.com/ccw-dev/ccw/engine/dag"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Plan is a compiled configuration: everything decoded, type-checked and
// ordered, ready to run.
type Plan struct {
	Config      *pipelines.Config
	Scope       *pipelines.Scope
	Set         *stages.Set
	Resources   map[string]*ResourcePlan // by address, e.g. "sandbox.py"
	Tasks       map[string]*TasksPlan
	Experiments []*ExperimentPlan
	// resourceVars are the sandbox.NAME, model.NAME, ... objects that
	// stage expressions see.
	resourceVars map[string]cty.Value
}

// ResourcePlan is an opened resource block.
type ResourcePlan struct {
	Addr     string
	Kind     stages.BlockKind
	Resource stages.Resource
	Value    cty.Value // the capsule expressions see
	Decl     *pipelines.Resource
}

// TasksPlan is a decoded tasks block.
type TasksPlan struct {
	Name   string
	Config cty.Value
	Type   cty.Type
	Decl   *pipelines.Tasks
}

// ExperimentPlan is a compiled experiment.
type ExperimentPlan struct {
	Name    string
	Decl    *pipelines.Experiment
	Tasks   *TasksPlan
	Output  string
	Exclude []string
	// Protocol is the protocol's source ("convcodeworld" or a path), or
	// empty when the experiment declares its own stages.
	Protocol string
	// Combinations are the combinations the experiment runs, in order. An
	// experiment that declares none has one unnamed combination.
	Combinations []*CombinationPlan
	// Turns is the turn budget: the turn stages run at turns 1..Turns.
	Turns int
	// Metrics is the body's metrics attribute, evaluated: how the score
	// rows become metrics (nil: the default).
	Metrics map[string]string
	// Stages of turn 0 (the only turn without a turn block), in
	// dependency order; TurnStages of every later turn.
	Stages     []*StagePlan
	TurnStages []*StagePlan
	Graph      *dag.Graph
	TurnGraph  *dag.Graph
	// until is the stop rule; nil means every turn of the budget runs.
	until *untilPlan
	// base is the evaluation context of the body's expressions: var,
	// local and path of the file that declares them, the resources, and
	// the functions.
	base *hcl.EvalContext
}

// HasTurns reports whether the experiment has turns after turn 0.
func (ep *ExperimentPlan) HasTurns() bool { return len(ep.TurnStages) > 0 && ep.Turns > 0 }

// Named reports whether the experiment declares combinations.
func (ep *ExperimentPlan) Named() bool {
	return len(ep.Combinations) > 1 || ep.Combinations[0].Name != ""
}

// AllStages returns turn 0's stages followed by the turn template's.
func (ep *ExperimentPlan) AllStages() []*StagePlan {
	return append(append([]*StagePlan(nil), ep.Stages...), ep.TurnStages...)
}

// CombinationPlan is one combination an experiment runs.
type CombinationPlan struct {
	Index int
	Name  string
	// Label is what reports print (the label attribute, else the name).
	Label string
	// Value is what expressions see as combination: name, label and the
	// block's attributes.
	Value cty.Value
	Decl  *pipelines.Combination
}

// StagePlan is one compiled stage of an experiment.
type StagePlan struct {
	// Index is the stage's position in its list (Stages or TurnStages).
	Index int
	Addr  string
	// Label names the stage in counts and progress: the address, marked
	// @0 or @t when the experiment has turns.
	Label  string
	InTurn bool
	Runner stages.Runner
	Decl   *pipelines.Stage
	// Deps are indices into the same list; PrevDeps the stages prev reads.
	Deps     []int
	PrevDeps []prevDep
	// PerCombination is set when the stage reads combination.*, directly
	// or through what it reads; otherwise one instance serves every
	// combination.
	PerCombination bool
	Ephemeral      bool
	attrs          []boundAttr
	when           *boundAttr
	// users counts the stages of the same turn that read this one.
	users int
	// prevUsers counts the stages of the next turn that read it with prev.
	prevUsers int
	// lane is the walker lane of the resource the stage uses.
	lane dag.Lane
	// resource is the resource the stage's lane is for, or nil.
	resource stages.Resource
	// blocking is set for stages that use a resource (and may wait on
	// it); the others only compute.
	blocking bool
}

// prevDep is one prev.KIND.NAME a turn stage reads: the stage at turn 0
// (for turn 1) and in the turn template (for later turns).
type prevDep struct {
	Addr         string
	first, later int
}

// untilPlan is the compiled stop rule.
type untilPlan struct {
	expr hcl.Expression
	// deps are indices of the stages it reads, at turn 0 and in the
	// turn template.
	first, later []int
}

// Experiment returns the experiment called name, or the only one when name
// is empty.
func (p *Plan) Experiment(name string) (*ExperimentPlan, hcl.Diagnostics) {
	if name == "" {
		if len(p.Experiments) == 1 {
			return p.Experiments[0], nil
		}
		if len(p.Experiments) == 0 {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No experiment", Detail: "The pipeline file declares no experiment block, so there is nothing to run."}}
		}
		names := ""
		for i, e := range p.Experiments {
			if i > 0 {
				names += ", "
			}
			names += e.Name
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Several experiments", Detail: "The file declares several experiments (" + names + "); choose one with --experiment NAME."}}
	}
	for _, e := range p.Experiments {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No such experiment", Detail: "There is no experiment named " + name + "."}}
}

// Close releases every opened resource.
func (p *Plan) Close() error {
	var first error
	for _, r := range p.Resources {
		if r.Resource != nil {
			if err := r.Resource.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Resource is the resource the stage uses (a model, a sandbox), or nil.
func (sp *StagePlan) Resource() stages.Resource { return sp.resource }
