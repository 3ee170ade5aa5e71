package engine

import (
	"fmt"

	"github.com/ccw-dev/ccw/engine/dag"
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
	types := map[string]cty.Type{}
	for _, name := range set.Blocks.List() {
		b, _ := set.Blocks.Get(name)
		types[name] = b.Type()
	}
	return pipelines.Vocabulary{StageKinds: set.Runners.List(), ResourceBlocks: set.Blocks.List(), Functions: set.Functions, ResourceTypes: types}
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
		if e.Body == nil {
			continue
		}
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

func compileExperiment(p *Plan, e *pipelines.Experiment, userBase *hcl.EvalContext, resVars map[string]cty.Value) (*ExperimentPlan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	ep := &ExperimentPlan{Name: e.Name, Decl: e, Tasks: p.Tasks[e.Tasks], Graph: e.StageGraph(), TurnGraph: e.TurnGraph()}
	withResources := userBase.NewChild()
	withResources.Variables = resVars
	ep.Output = filepath.Join("results", e.Name)
	if e.Output != nil {
		v, moreDiags := e.Output.Value(userBase)
		diags = append(diags, moreDiags...)
		if !moreDiags.HasErrors() {
			if s, err := convert.Convert(v, cty.String); err != nil || s.IsNull() {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid output", Detail: "output must be a directory path (a string).", Subject: e.Output.Range().Ptr()})
			} else if s.IsKnown() { // unknown when a variable it reads was reported
				ep.Output = s.AsString()
			}
		}
	}
	if e.Exclude != nil {
		ids, moreDiags := stringList(e.Exclude, userBase, "exclude", `a list of task ids, like ["BigCodeBench/59"]`)
		diags = append(diags, moreDiags...)
		ep.Exclude = ids
	}

	// The scope the body's expressions evaluate in: the experiment's own
	// file, or its protocol's file with the experiment's arguments as
	// the protocol's variables.
	ep.base = withResources
	if proto := e.Protocol; proto != nil {
		ep.Protocol = proto.Source
		args, ranges := map[string]cty.Value{}, map[string]hcl.Range{}
		for name, a := range e.Args {
			v, moreDiags := a.Expr.Value(withResources)
			diags = append(diags, moreDiags...)
			if !moreDiags.HasErrors() {
				args[name], ranges[name] = v, a.Expr.Range()
			}
		}
		scope, moreDiags := pipelines.EvaluateArgs(proto.File, args, ranges, p.Set.Functions)
		diags = append(diags, moreDiags...)
		ep.base = scope.EvalContext()
	}

	diags = append(diags, compileCombinations(ep, e, userBase)...)
	diags = append(diags, compileTurns(ep, e, userBase)...)
	diags = append(diags, compileMetrics(ep, e)...)

	var ok bool
	var moreDiags hcl.Diagnostics
	if ep.Stages, ok, moreDiags = compileStages(p, ep, e.Body.Stages, ep.Graph, false); !ok {
		return nil, append(diags, moreDiags...)
	}
	diags = append(diags, moreDiags...)
	if e.Body.Turn != nil {
		if ep.TurnStages, ok, moreDiags = compileStages(p, ep, e.Body.Turn.Stages, ep.TurnGraph, true); !ok {
			return nil, append(diags, moreDiags...)
		}
		diags = append(diags, moreDiags...)
	}
	linkPrev(ep)
	markShared(ep)
	if e.Body.Until != nil {
		ep.until = &untilPlan{expr: e.Body.Until}
		for _, addr := range e.Body.UntilDeps {
			ep.until.first = append(ep.until.first, stageIndex(ep.Stages, addr))
			if ep.TurnStages != nil {
				ep.until.later = append(ep.until.later, stageIndex(ep.TurnStages, addr))
			}
		}
	}
	hasTurns := e.Body.Turn != nil
	for _, sp := range ep.AllStages() {
		sp.Label = sp.Addr
		if hasTurns {
			sp.Label += map[bool]string{false: "@0", true: "@t"}[sp.InTurn]
		}
		for i := range sp.attrs {
			if sp.attrs[i].Expr != nil {
				sp.attrs[i].fast = planFast(sp.attrs[i].Expr, ep, sp)
			}
		}
		if sp.when != nil {
			sp.when.fast = planFast(sp.when.Expr, ep, sp)
		}
		sp.resource, sp.blocking = stageResource(sp)
	}
	diags = append(diags, typeCheck(p, ep, hasTurns)...)
	return ep, diags
}

// compileStages compiles one list of stages (turn 0's or the turn
// template's) in dependency order. ok is false when the list cannot be
// compiled at all (a cycle or unknown kind the loader reported).
func compileStages(p *Plan, ep *ExperimentPlan, decls []*pipelines.Stage, g *dag.Graph, inTurn bool) ([]*StagePlan, bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	order, err := g.TopoOrder()
	if err != nil {
		return nil, false, diags // the loader reported the cycle
	}
	var out []*StagePlan
	index := map[string]int{}
	for _, addr := range order {
		s := findDecl(decls, addr)
		runner, ok := p.Set.Runners.Get(s.Kind)
		if !ok {
			return nil, false, diags // the loader reported the unknown kind
		}
		sp := &StagePlan{Index: len(out), Addr: addr, InTurn: inTurn, Runner: runner, Decl: s}
		if eph, ok := runner.(stages.Ephemeral); ok && eph.Ephemeral() {
			sp.Ephemeral = true
		}
		for _, d := range s.Deps {
			sp.Deps = append(sp.Deps, index[d])
			out[index[d]].users++
		}
		index[addr] = sp.Index
		attrs, moreDiags := bindBody(s.Body, runner.Config())
		diags = append(diags, moreDiags...)
		sp.attrs = attrs
		if s.When != nil {
			sp.when = &boundAttr{Attr: stages.Attr{Name: "when", Type: cty.Bool, Required: true}, Expr: s.When}
		}
		out = append(out, sp)
	}
	return out, true, diags
}

func findDecl(list []*pipelines.Stage, addr string) *pipelines.Stage {
	for _, s := range list {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

func stageIndex(list []*StagePlan, addr string) int {
	for _, sp := range list {
		if sp.Addr == addr {
			return sp.Index
		}
	}
	return -1
}

// linkPrev resolves the prev references of the turn stages.
func linkPrev(ep *ExperimentPlan) {
	for _, sp := range ep.TurnStages {
		for _, addr := range sp.Decl.PrevDeps {
			pd := prevDep{Addr: addr, first: stageIndex(ep.Stages, addr), later: stageIndex(ep.TurnStages, addr)}
			sp.PrevDeps = append(sp.PrevDeps, pd)
			ep.Stages[pd.first].prevUsers++
			ep.TurnStages[pd.later].prevUsers++
		}
	}
}

// markShared decides which stages run once per combination: those that
// read combination.*, directly or through a stage they read (prev
// included). The others run once per task and turn, shared by every
// combination.
func markShared(ep *ExperimentPlan) {
	for _, sp := range ep.Stages { // dependency order: deps are decided first
		sp.PerCombination = sp.Decl.ReadsCombination
		for _, d := range sp.Deps {
			sp.PerCombination = sp.PerCombination || ep.Stages[d].PerCombination
		}
	}
	for changed := true; changed; { // prev can read a later stage of the template
		changed = false
		for _, sp := range ep.TurnStages {
			per := sp.Decl.ReadsCombination
			for _, d := range sp.Deps {
				per = per || ep.TurnStages[d].PerCombination
			}
			for _, pd := range sp.PrevDeps {
				per = per || ep.Stages[pd.first].PerCombination || ep.TurnStages[pd.later].PerCombination
			}
			if per != sp.PerCombination {
				sp.PerCombination, changed = per, true
			}
		}
	}
}

// stageResource finds the resource a stage uses (a sandbox, a model) when
// its attribute is a constant reference: the stage then runs in that
// resource's walker lane. usesResource says whether it has a resource
// attribute at all (one that is not constant leaves the lane unknown).
func stageResource(sp *StagePlan) (r stages.Resource, usesResource bool) {
	for _, a := range sp.attrs {
		if !a.Type.IsCapsuleType() || a.Expr == nil {
			continue
		}
		usesResource = true
		if a.fast == nil || a.fast.constant == cty.NilVal {
			continue
		}
		if r := stages.ResourceOf(a.fast.constant); r != nil {
			return r, true
		}
	}
	return nil, usesResource
}

// compileCombinations evaluates the combination blocks and selects those
// the experiment runs.
func compileCombinations(ep *ExperimentPlan, e *pipelines.Experiment, userBase *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var all []*CombinationPlan
	for _, c := range e.Body.Combinations {
		ctx := userBase // a combination the experiment's file declares
		if e.Protocol != nil && c.File == e.Protocol.File {
			ctx = ep.base
		}
		attrs := map[string]cty.Value{"name": cty.StringVal(c.Name)}
		for _, name := range slices.Sorted(maps.Keys(c.Attrs)) {
			v, moreDiags := c.Attrs[name].Expr.Value(ctx)
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() {
				v = cty.DynamicVal
			}
			attrs[name] = v
		}
		label := c.Name
		if l, ok := attrs["label"]; ok {
			if s, err := convert.Convert(l, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
				label = s.AsString()
			} else {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid combination label",
					Detail: "label must be a string: the column name reports print.", Subject: c.Attrs["label"].Expr.Range().Ptr()})
			}
		} else {
			attrs["label"] = cty.StringVal(label)
		}
		all = append(all, &CombinationPlan{Name: c.Name, Label: label, Value: cty.ObjectVal(attrs), Decl: c})
	}
	if len(all) == 0 {
		ep.Combinations = []*CombinationPlan{{Name: "", Label: "", Value: cty.EmptyObjectVal}}
		if e.Select != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No combinations to select",
				Detail: "combinations selects among the combination blocks, and this experiment has none.", Subject: e.Select.Range().Ptr()})
		}
		return diags
	}
	selectAll := e.Select == nil
	if !selectAll {
		if v, d := e.Select.Value(userBase); !d.HasErrors() && v.IsNull() {
			selectAll = true // combinations = null: all of them
		}
	}
	if selectAll {
		ep.Combinations = all
	} else {
		names, moreDiags := stringList(e.Select, userBase, "combinations", `a list of combination names or labels, like ["cf_ef_full", "w/ CF SEF"]`)
		diags = append(diags, moreDiags...)
		var known []string
		for _, c := range all {
			known = append(known, c.Name)
		}
		seen := map[string]bool{}
		for _, n := range names {
			var found *CombinationPlan
			for _, c := range all {
				if c.Name == n || c.Label == n {
					found = c
				}
			}
			if found == nil {
				detail := fmt.Sprintf("There is no combination %q.", n)
				if s := pipelines.Suggest(n, known); s != "" {
					detail += fmt.Sprintf(" Did you mean %q?", s)
				}
				detail += " Combinations: " + strings.Join(known, ", ") + " (or their labels)."
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown combination", Detail: detail, Subject: e.Select.Range().Ptr()})
				continue
			}
			if !seen[found.Name] {
				seen[found.Name] = true
				ep.Combinations = append(ep.Combinations, found)
			}
		}
		if len(ep.Combinations) == 0 && !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No combinations selected",
				Detail: "combinations is empty: name at least one combination to run.", Subject: e.Select.Range().Ptr()})
		}
		if len(ep.Combinations) == 0 {
			ep.Combinations = all[:1]
		}
	}
	for i, c := range ep.Combinations {
		c.Index = i
	}
	return diags
}

// compileTurns decides the turn budget.
func compileTurns(ep *ExperimentPlan, e *pipelines.Experiment, userBase *hcl.EvalContext) hcl.Diagnostics {
	expr, ctx := e.Turns, userBase
	if expr == nil {
		expr, ctx = e.Body.Turns, ep.base
	}
	if e.Body.Turn == nil {
		if e.Turns != nil {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Turns without a turn block",
				Detail: "turns sets how many turns follow turn 0, but this experiment has no turn block.", Subject: e.Turns.Range().Ptr()}}
		}
		return nil
	}
	if expr == nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Missing turns",
			Detail: "An experiment with a turn block needs a turn budget: turns = 10 runs turns 1 to 10 after turn 0.", Subject: e.Body.Turn.DeclRange.Ptr()}}
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	n, err := convert.Convert(v, cty.Number)
	if err == nil && n.IsKnown() && !n.IsNull() {
		if i, acc := n.AsBigFloat().Int64(); acc == 0 && i >= 0 && i <= 1000 {
			ep.Turns = int(i)
			return diags
		}
	}
	return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid turns",
		Detail: "turns must be a whole number from 0 to 1000.", Subject: expr.Range().Ptr()})
}

// compileMetrics evaluates the body's metrics attribute: an object (or
// map) whose values are strings, numbers or bools, kept as text.
func compileMetrics(ep *ExperimentPlan, e *pipelines.Experiment) hcl.Diagnostics {
	expr := e.Body.Metrics
	if expr == nil {
		return nil
	}
	v, diags := expr.Value(ep.base)
	if diags.HasErrors() {
		return diags
	}
	bad := func(why string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid metrics",
			Detail:  "metrics must be an object of strings, numbers or bools, like { protocol = \"static\" }: " + why,
			Subject: expr.Range().Ptr()})
	}
	if v.IsNull() {
		return diags
	}
	if !v.IsWhollyKnown() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return bad("got " + v.Type().FriendlyName())
	}
	ep.Metrics = map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		if val.IsNull() {
			continue
		}
		s, err := convert.Convert(val, cty.String)
		if err != nil {
			return bad(fmt.Sprintf("%s is %s", k.AsString(), val.Type().FriendlyName()))
		}
		ep.Metrics[k.AsString()] = s.AsString()
	}
	return diags
}

// stringList evaluates expr as a list of strings.
func stringList(expr hcl.Expression, ctx *hcl.EvalContext, name, want string) ([]string, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	list, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !list.IsWhollyKnown() {
		msg := "it is not known"
		if err != nil {
			msg = err.Error()
		}
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name,
			Detail: name + " must be " + want + ": " + msg, Subject: expr.Range().Ptr()})
	}
	var out []string
	if !list.IsNull() {
		for it := list.ElementIterator(); it.Next(); {
			_, s := it.Element()
			if !s.IsNull() {
				out = append(out, s.AsString())
			}
		}
	}
	return out, diags
}

// typeCheck evaluates every stage body against unknown values of the right
// types, so that type errors show before anything runs.
func typeCheck(p *Plan, ep *ExperimentPlan, hasTurns bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	taskType := cty.DynamicPseudoType
	if ep.Tasks != nil {
		taskType = ep.Tasks.Type
	}
	unknownOut := func(sp *StagePlan) cty.Value { return cty.UnknownVal(sp.Runner.Output()) }
	ctxFor := func(inTurn bool) *hcl.EvalContext {
		ctx := ep.base.NewChild()
		ctx.Variables = map[string]cty.Value{
			"task":        cty.UnknownVal(taskType),
			"combination": cty.UnknownVal(combinationType(ep)),
			"turn":        cty.UnknownVal(turnType),
		}
		list := ep.Stages
		if inTurn {
			list = ep.TurnStages
			ctx.Variables["prev"] = cty.ObjectVal(stageVars(ep.TurnStages, unknownOut, nil))
		}
		for k, v := range stageVars(list, unknownOut, nil) {
			ctx.Variables[k] = v
		}
		return ctx
	}
	check := func(sp *StagePlan, attrs []boundAttr) {
		var checkable []boundAttr
		for _, a := range attrs {
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
		_, moreDiags := evalBody(checkable, ctxFor(sp.InTurn))
		diags = append(diags, moreDiags...)
	}
	for _, sp := range ep.AllStages() {
		if sp.when != nil {
			check(sp, []boundAttr{*sp.when})
			if w, d := evalBody([]boundAttr{*sp.when}, ctxFor(sp.InTurn)); !d.HasErrors() && w.GetAttr("when").IsKnown() && !w.GetAttr("when").IsNull() && w.GetAttr("when").False() {
				continue // never applicable (when = var.x != null with x null): the body does not matter
			}
		}
		check(sp, sp.attrs)
	}
	if ep.until != nil && !p.Config.RefBroken(ep.until.expr) {
		for _, inTurn := range []bool{false, true} {
			if inTurn && !hasTurns {
				continue
			}
			v, moreDiags := ep.until.expr.Value(ctxFor(inTurn))
			diags = append(diags, moreDiags...)
			if !moreDiags.HasErrors() {
				if _, err := convert.Convert(v, cty.Bool); err != nil {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid stop rule",
						Detail: "until must be true or false (true ends the task's turns): " + err.Error(), Subject: ep.until.expr.Range().Ptr()})
				}
			}
			if moreDiags.HasErrors() {
				break
			}
		}
	}
	return diags
}

// turnType is the type of turn in expressions.
var turnType = cty.Object(map[string]cty.Type{"index": cty.Number, "max": cty.Number})

func turnValue(t, max int) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(t)), "max": cty.NumberIntVal(int64(max))})
}

// combinationType is an object type with every attribute of the
// combinations; attributes whose types differ are dynamic.
func combinationType(ep *ExperimentPlan) cty.Type {
	types := map[string]cty.Type{}
	for _, c := range ep.Combinations {
		for k, t := range c.Value.Type().AttributeTypes() {
			if old, ok := types[k]; ok && !old.Equals(t) {
				types[k] = cty.DynamicPseudoType
			} else {
				types[k] = t
			}
		}
	}
	return cty.Object(types)
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

// stageVars builds the kind.name objects of the stages of list at the
// given indices (all of them when only is nil).
func stageVars(list []*StagePlan, val func(sp *StagePlan) cty.Value, only []int) map[string]cty.Value {
	byKind := map[string]map[string]cty.Value{}
	add := func(sp *StagePlan) {
		k := sp.Runner.Kind()
		if byKind[k] == nil {
			byKind[k] = map[string]cty.Value{}
		}
		byKind[k][sp.Decl.Name] = val(sp)
	}
	if only == nil {
		for _, sp := range list {
			add(sp)
		}
	}
	for _, i := range only {
		add(list[i])
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
