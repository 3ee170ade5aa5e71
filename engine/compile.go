package engine

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Vocabulary returns what the loader must know about set.
func Vocabulary(set *stages.Set) pipelines.Vocabulary {
	return pipelines.Vocabulary{StageKinds: set.Runners.List(), ResourceBlocks: set.Blocks.List(), Functions: set.Functions}
}

// Compile decodes and type-checks cfg against set. It reports every
// problem it finds; the plan is usable only when no error is reported.
func Compile(cfg *pipelines.Config, scope *pipelines.Scope, set *stages.Set) (*Plan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := &Plan{Config: cfg, Scope: scope, Set: set, Resources: map[string]*ResourcePlan{}, Tasks: map[string]*TasksPlan{}}
	base := scope.EvalContext()

	resVars := map[string]cty.Value{}
	p.resourceVars = resVars
	for _, typ := range slices.Sorted(maps.Keys(cfg.Resources)) {
		kind, ok := set.Blocks.Get(typ)
		if !ok {
			continue
		}
		objs := map[string]cty.Value{}
		for _, name := range slices.Sorted(maps.Keys(cfg.Resources[typ])) {
			rp, moreDiags := openResource(kind, cfg.Resources[typ][name], base)
			diags = append(diags, moreDiags...)
			if rp != nil {
				p.Resources[rp.Addr] = rp
				objs[name] = rp.Value
			} else {
				objs[name] = cty.UnknownVal(kind.Type())
			}
		}
		resVars[typ] = objectOrEmpty(objs)
	}

	for _, name := range slices.Sorted(maps.Keys(cfg.Tasks)) {
		tp, moreDiags := compileTasks(set.Tasks, cfg.Tasks[name], base)
		diags = append(diags, moreDiags...)
		if tp != nil {
			p.Tasks[name] = tp
		}
	}

	for _, e := range cfg.Experiments {
		ep, moreDiags := compileExperiment(p, e, base, resVars)
		diags = append(diags, moreDiags...)
		if ep != nil {
			p.Experiments = append(p.Experiments, ep)
		}
	}
	return p, diags
}

// decodeBlock binds a body to schema and evaluates it.
func decodeBlock(body hcl.Body, schema stages.Schema, base *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	attrs, diags := bindBody(body, schema)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	val, moreDiags := evalBody(attrs, base)
	return val, append(diags, moreDiags...)
}

func openResource(kind stages.BlockKind, r *pipelines.Resource, base *hcl.EvalContext) (rp *ResourcePlan, diags hcl.Diagnostics) {
	val, diags := decodeBlock(r.Body, kind.Schema(), base)
	if diags.HasErrors() {
		return nil, diags
	}
	res, err := kind.Open(r.Name, unmarkSecrets(val))
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s block", r.Type),
			Detail:   err.Error(),
			Subject:  r.DeclRange.Ptr(),
		})
	}
	defer func() {
		if x := recover(); x != nil { // a BlockKind whose Open does not match its Type
			rp = nil
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Internal error",
				Detail: fmt.Sprintf("%s: block kind %q returned a %T that does not match its capsule type (a bug in ccw): %v", r.Addr(), r.Type, res, x), Subject: r.DeclRange.Ptr()})
		}
	}()
	return &ResourcePlan{Addr: r.Addr(), Kind: kind, Resource: res, Value: cty.CapsuleVal(kind.Type(), res), Decl: r}, diags
}

func compileTasks(src stages.TaskSource, t *pipelines.Tasks, base *hcl.EvalContext) (*TasksPlan, hcl.Diagnostics) {
	if src == nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No task sources", Detail: "This build of ccw has no task source registered.", Subject: t.DeclRange.Ptr()}}
	}
	val, diags := decodeBlock(t.Body, src.Schema(), base)
	if diags.HasErrors() {
		return nil, diags
	}
	ty, err := src.Type(val)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid tasks block",
			Detail: fmt.Sprintf("tasks.%s: %s", t.Name, err), Subject: t.DeclRange.Ptr()})
	}
	return &TasksPlan{Name: t.Name, Config: val, Type: ty, Decl: t}, diags
}

func compileExperiment(p *Plan, e *pipelines.Experiment, base *hcl.EvalContext, resVars map[string]cty.Value) (*ExperimentPlan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	ep := &ExperimentPlan{Name: e.Name, Decl: e, Tasks: p.Tasks[e.Tasks], Graph: e.StageGraph()}
	ep.Output = filepath.Join("results", e.Name)
	if e.Output != nil {
		v, moreDiags := e.Output.Value(base)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			if s, err := convert.Convert(v, cty.String); err != nil || s.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid output", Detail: "output must be a directory path (a string).", Subject: e.Output.Range().Ptr()})
			} else {
				ep.Output = s.AsString()
			}
		}
	}
	if e.Exclude != nil {
		v, moreDiags := e.Exclude.Value(base)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			ids, err := convert.Convert(v, cty.List(cty.String))
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid exclude",
					Detail: "exclude must be a list of task ids, like [\"BigCodeBench/59\"]: " + err.Error(), Subject: e.Exclude.Range().Ptr()})
			} else if !ids.IsNull() {
				for it := ids.ElementIterator(); it.Next(); {
					_, id := it.Element()
					if !id.IsNull() {
						ep.Exclude = append(ep.Exclude, id.AsString())
					}
				}
			}
		}
	}

	order, err := ep.Graph.TopoOrder()
	if err != nil {
		return nil, diags // the loader reported the cycle
	}
	index := map[string]int{}
	for _, addr := range order {
		s := e.Stage(addr)
		runner, ok := p.Set.Runners.Get(s.Kind)
		if !ok {
			return nil, diags // the loader reported the unknown kind
		}
		sp := &StagePlan{Index: len(ep.Stages), Addr: addr, Runner: runner, Decl: s}
		if eph, ok := runner.(stages.Ephemeral); ok && eph.Ephemeral() {
			sp.Ephemeral = true
		}
		for _, d := range s.Deps {
			sp.Deps = append(sp.Deps, index[d])
			ep.Stages[index[d]].users++
		}
		index[addr] = sp.Index
		attrs, moreDiags := bindBody(s.Body, runner.Config())
		diags = append(diags, moreDiags...)
		sp.attrs = attrs
		ep.Stages = append(ep.Stages, sp)
		for i := range sp.attrs {
			if sp.attrs[i].Expr != nil {
				sp.attrs[i].fast = planFast(sp.attrs[i].Expr, ep)
			}
		}
	}

	// Type-check every stage body against unknown values of the right types.
	taskType := cty.DynamicPseudoType
	if ep.Tasks != nil {
		taskType = ep.Tasks.Type
	}
	ctx := base.NewChild()
	ctx.Variables = map[string]cty.Value{"task": cty.UnknownVal(taskType)}
	for k, v := range resVars {
		ctx.Variables[k] = v
	}
	for k, v := range stageVars(ep, func(sp *StagePlan) cty.Value { return cty.UnknownVal(sp.Runner.Output()) }, nil) {
		ctx.Variables[k] = v
	}
	for _, sp := range ep.Stages {
		var checkable []boundAttr
		for _, a := range sp.attrs {
			if a.Expr != nil && p.Config.RefBroken(a.Expr) {
				continue // the loader reported this reference
			}
			if a.Expr != nil {
				if fieldDiags := checkTaskFields(a.Expr, taskType); fieldDiags.HasErrors() {
					diags = append(diags, fieldDiags...)
					continue
				}
			}
			checkable = append(checkable, a)
		}
		_, moreDiags := evalBody(checkable, ctx)
		diags = append(diags, moreDiags...)
	}
	return ep, diags
}

// checkTaskFields reports task.<field> references to fields the task
// source does not have, with a suggestion.
func checkTaskFields(expr hcl.Expression, taskType cty.Type) hcl.Diagnostics {
	if !taskType.IsObjectType() {
		return nil
	}
	var diags hcl.Diagnostics
	fields := slices.Sorted(maps.Keys(taskType.AttributeTypes()))
	for _, t := range expr.Variables() {
		if t.RootName() != "task" || len(t) < 2 {
			continue
		}
		step, ok := t[1].(hcl.TraverseAttr)
		if !ok || taskType.HasAttribute(step.Name) {
			continue
		}
		detail := fmt.Sprintf("Tasks of this source have no field %q.", step.Name)
		if s := pipelines.Suggest(step.Name, fields); s != "" {
			detail += fmt.Sprintf(" Did you mean task.%s?", s)
		}
		detail += " Fields: " + strings.Join(fields, ", ") + "."
		rng := t.SourceRange()
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown task field", Detail: detail, Subject: &rng})
	}
	return diags
}

// stageVars builds the kind.name objects of stages; only, when not nil,
// limits them to the given stage indices.
func stageVars(ep *ExperimentPlan, val func(sp *StagePlan) cty.Value, only []int) map[string]cty.Value {
	byKind := map[string]map[string]cty.Value{}
	add := func(sp *StagePlan) {
		k := sp.Runner.Kind()
		if byKind[k] == nil {
			byKind[k] = map[string]cty.Value{}
		}
		byKind[k][sp.Decl.Name] = val(sp)
	}
	if only == nil {
		for _, sp := range ep.Stages {
			add(sp)
		}
	} else {
		for _, i := range only {
			add(ep.Stages[i])
		}
	}
	out := make(map[string]cty.Value, len(byKind))
	for k, m := range byKind {
		out[k] = cty.ObjectVal(m)
	}
	return out
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
