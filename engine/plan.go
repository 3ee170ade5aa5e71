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
	// Stages in dependency order.
	Stages []*StagePlan
	Graph  *dag.Graph
}

// StagePlan is one compiled stage of an experiment.
type StagePlan struct {
	Index     int
	Addr      string
	Runner    stages.Runner
	Decl      *pipelines.Stage
	Deps      []int // indices into ExperimentPlan.Stages
	Ephemeral bool
	attrs     []boundAttr
	// users counts the stages that reference this one.
	users int
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
