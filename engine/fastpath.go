package engine

import (
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// A fastRef is an attribute expression that is a plain reference to the
// task, the combination, the turn, a stage of the same turn or of the
// previous one (task.test, execute.run, prev.extract.x.code), or a value
// that is the same for every instance (a literal, var.sandbox). Most stage
// bodies are made of these; evaluating them directly skips building an
// HCL evaluation context per instance, which matters when a cached walk
// visits hundreds of thousands of vertices.
type fastRef struct {
	constant cty.Value // set for values that do not vary by instance
	root     fastRoot
	dep      int           // rootDep: index into the stage's list; rootPrev: index into its PrevDeps
	rel      hcl.Traversal // what follows the root (and kind.name)
}

type fastRoot uint8

const (
	rootConstant fastRoot = iota
	rootTask
	rootCombination
	rootTurn
	rootDep
	rootPrev
)

// planFast finds the fast form of expr in the body of sp (a stage of turn 0
// or of the turn template), or nil.
func planFast(expr hcl.Expression, ep *ExperimentPlan, sp *StagePlan) *fastRef {
	inTurn := sp.InTurn
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return &fastRef{constant: e.Val}
	case *hclsyntax.ScopeTraversalExpr:
		t := e.Traversal
		switch t.RootName() {
		case "task":
			return &fastRef{root: rootTask, rel: hcl.Traversal(t[1:])}
		case "combination":
			return &fastRef{root: rootCombination, rel: hcl.Traversal(t[1:])}
		case "turn":
			return &fastRef{root: rootTurn, rel: hcl.Traversal(t[1:])}
		case "var", "local", "path":
			v, diags := t.TraverseAbs(ep.base)
			if diags.HasErrors() || !v.IsWhollyKnown() {
				return nil
			}
			return &fastRef{constant: v}
		case "prev":
			if !inTurn || len(t) < 3 {
				return nil
			}
			kind, ok1 := t[1].(hcl.TraverseAttr)
			name, ok2 := t[2].(hcl.TraverseAttr)
			if !ok1 || !ok2 {
				return nil
			}
			for i, pd := range sp.PrevDeps {
				if pd.Addr == kind.Name+"."+name.Name {
					return &fastRef{root: rootPrev, dep: i, rel: hcl.Traversal(t[3:])}
				}
			}
			return nil
		}
		// A resource block (model.coder, sandbox.py) referenced directly
		// is a constant: it also tells the stage's resource (lane,
		// preflight).
		if v, diags := t.TraverseAbs(ep.base); !diags.HasErrors() && v.IsWhollyKnown() && stages.ResourceOf(v) != nil {
			return &fastRef{constant: v}
		}
		if len(t) < 2 {
			return nil
		}
		step, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			return nil
		}
		list := ep.Stages
		if inTurn {
			list = ep.TurnStages
		}
		for _, dp := range list {
			if dp.Runner.Kind() == t.RootName() && dp.Decl.Name == step.Name {
				return &fastRef{root: rootDep, dep: dp.Index, rel: hcl.Traversal(t[2:])}
			}
		}
	}
	return nil
}

// instanceVals are the values an instance's expressions read.
type instanceVals struct {
	task, combination, turn cty.Value
	dep                     func(i int) cty.Value // by index into the stage's list
	prev                    func(i int) cty.Value // by index into the stage's PrevDeps
}

// eval resolves the reference for one instance.
func (f *fastRef) eval(v *instanceVals) (cty.Value, hcl.Diagnostics) {
	var base cty.Value
	switch f.root {
	case rootConstant:
		return f.constant, nil
	case rootTask:
		base = v.task
	case rootCombination:
		base = v.combination
	case rootTurn:
		base = v.turn
	case rootDep:
		base = v.dep(f.dep)
	case rootPrev:
		base = v.prev(f.dep)
	}
	if len(f.rel) == 0 {
		return base, nil
	}
	return f.rel.TraverseRel(base)
}
