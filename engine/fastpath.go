package engine

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A fastRef is an attribute expression that is a plain reference to the
// task or to one upstream stage (task.test, execute.run, extract.x.code)
// or a constant. Most stage bodies are made of these; evaluating them
// directly skips building an HCL evaluation context per instance, which
// matters when a cached walk visits hundreds of thousands of vertices.
type fastRef struct {
	constant cty.Value     // set for literals
	task     bool          // rooted at task
	dep      int           // else: index into ExperimentPlan.Stages
	rel      hcl.Traversal // what follows task / kind.name
}

// planFast finds the fast form of expr, or nil.
func planFast(expr hcl.Expression, ep *ExperimentPlan) *fastRef {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return &fastRef{constant: e.Val}
	case *hclsyntax.ScopeTraversalExpr:
		t := e.Traversal
		if t.RootName() == "task" {
			return &fastRef{task: true, rel: hcl.Traversal(t[1:])}
		}
		if len(t) < 2 {
			return nil
		}
		step, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			return nil
		}
		for _, sp := range ep.Stages {
			if sp.Runner.Kind() == t.RootName() && sp.Decl.Name == step.Name {
				return &fastRef{dep: sp.Index, rel: hcl.Traversal(t[2:])}
			}
		}
	}
	return nil
}

// eval resolves the reference against the task and the upstream results.
func (f *fastRef) eval(task cty.Value, dep func(int) cty.Value) (cty.Value, hcl.Diagnostics) {
	if f.constant != cty.NilVal {
		return f.constant, nil
	}
	base := task
	if !f.task {
		base = dep(f.dep)
	}
	if len(f.rel) == 0 {
		return base, nil
	}
	return f.rel.TraverseRel(base)
}
