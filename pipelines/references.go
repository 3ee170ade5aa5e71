package pipelines

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Suggest returns the option closest to given (a did-you-mean for
// diagnostics), or "" when none is close.
func Suggest(given string, options []string) string {
	best, bestDist := "", 3
	for _, o := range options {
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// bodyTraversals returns the traversals of every expression in body,
// including nested blocks.
func bodyTraversals(body hcl.Body) []hcl.Traversal {
	var out []hcl.Traversal
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		if attrs, diags := body.JustAttributes(); !diags.HasErrors() {
			for _, a := range attrs {
				out = append(out, a.Expr.Variables()...)
			}
		}
		return out
	}
	names := make([]string, 0, len(sb.Attributes))
	for n := range sb.Attributes {
		names = append(names, n)
	}
	sort.Strings(names) // stable diagnostics order
	for _, n := range names {
		out = append(out, sb.Attributes[n].Expr.Variables()...)
	}
	for _, b := range sb.Blocks {
		out = append(out, bodyTraversals(b.Body)...)
	}
	return out
}

// scope says which reference roots an expression may use.
type scope struct {
	what      string // "a variable default", "a stage body", ...
	cfg       *Config
	task      bool
	resources bool
	// For stage bodies: the stages of the same turn (kinds come from the
	// vocabulary), the previous turn's (prev.*, nil at turn 0), and the
	// combinations.
	stages     []*Stage
	prevStages [][]*Stage // stages prev can read: turn 0's and the turn template's
	inTurn     bool
	body       *Body
	vocabKinds []string
	// What the checked traversals referenced.
	deps, prevDeps []string
	readsCombo     bool
}

func (p *Parser) checkReferences(cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	plain := func(what string) *scope { return &scope{what: what, cfg: cfg} }

	for _, name := range slices.Sorted(maps.Keys(cfg.Locals)) {
		for _, t := range cfg.Locals[name].Expr.Variables() {
			diags = append(diags, plain("a local value").check(t)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Tasks)) {
		for _, t := range bodyTraversals(cfg.Tasks[name].Body) {
			diags = append(diags, plain("a tasks block").check(t)...)
		}
	}
	for _, typ := range slices.Sorted(maps.Keys(cfg.Resources)) {
		for _, name := range slices.Sorted(maps.Keys(cfg.Resources[typ])) {
			for _, t := range bodyTraversals(cfg.Resources[typ][name].Body) {
				diags = append(diags, plain("a "+typ+" block").check(t)...)
			}
		}
	}
	for _, e := range cfg.Experiments {
		if e.Tasks != "" {
			if _, ok := cfg.Tasks[e.Tasks]; !ok {
				detail := fmt.Sprintf("There is no tasks block named %q.", e.Tasks)
				if s := Suggest(e.Tasks, slices.Sorted(maps.Keys(cfg.Tasks))); s != "" {
					detail += fmt.Sprintf(" Did you mean tasks.%s?", s)
				}
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared tasks block", Detail: detail, Subject: e.TasksExpr.Range().Ptr()})
			}
		}
		for _, expr := range []hcl.Expression{e.Output, e.Exclude, e.Select, e.Turns} {
			if expr != nil {
				for _, t := range expr.Variables() {
					diags = append(diags, plain("an experiment attribute").check(t)...)
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(e.Args)) {
			sc := &scope{what: "a protocol argument", cfg: cfg, resources: true}
			for _, t := range e.Args[name].Expr.Variables() {
				diags = append(diags, sc.check(t)...)
			}
		}
		if e.Protocol == nil && e.Body != nil {
			diags = append(diags, p.checkBody(e.Body, cfg, "experiment", e.Name, true)...)
		}
		for _, c := range e.Body.Combinations {
			if c.File != cfg {
				continue // checked with its protocol
			}
			for _, name := range slices.Sorted(maps.Keys(c.Attrs)) {
				for _, t := range c.Attrs[name].Expr.Variables() {
					diags = append(diags, plain("a combination attribute").check(t)...)
				}
			}
		}
	}
	return diags
}

// checkBody checks every reference of a body's stages, records their
// dependencies, and reports cycles. resources says whether the file's
// resource blocks are in scope (not in protocol files).
func (p *Parser) checkBody(b *Body, cfg *Config, owner, name string, resources bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range b.Combinations {
		if c.File != cfg {
			continue
		}
		for _, an := range slices.Sorted(maps.Keys(c.Attrs)) {
			for _, t := range c.Attrs[an].Expr.Variables() {
				diags = append(diags, (&scope{what: "a combination attribute", cfg: cfg}).check(t)...)
			}
		}
	}
	if b.Metrics != nil {
		for _, t := range b.Metrics.Variables() {
			diags = append(diags, (&scope{what: "the metrics attribute", cfg: cfg}).check(t)...)
		}
	}
	var turnStages []*Stage
	if b.Turn != nil {
		turnStages = b.Turn.Stages
	}
	stageScope := func(inTurn bool) *scope {
		sc := &scope{what: "a stage body", cfg: cfg, task: true, resources: resources, body: b, inTurn: inTurn, vocabKinds: p.vocab.StageKinds}
		if inTurn {
			sc.stages, sc.prevStages = turnStages, [][]*Stage{b.Stages, turnStages}
		} else {
			sc.stages = b.Stages
		}
		return sc
	}
	checkStage := func(s *Stage) {
		sc := stageScope(s.InTurn)
		ts := bodyTraversals(s.Body)
		if s.When != nil {
			ts = append(ts, s.When.Variables()...)
		}
		for _, t := range ts {
			diags = append(diags, sc.check(t)...)
		}
		s.Deps, s.PrevDeps, s.ReadsCombination = sc.deps, sc.prevDeps, sc.readsCombo
	}
	for _, s := range b.Stages {
		checkStage(s)
	}
	for _, s := range turnStages {
		checkStage(s)
	}
	if b.Until != nil {
		// The stop rule is read after every turn, turn 0 included: what it
		// names must exist in both.
		for _, inTurn := range []bool{false, true} {
			if inTurn && b.Turn == nil {
				continue
			}
			sc := stageScope(inTurn)
			sc.what = "the stop rule (until)"
			for _, t := range b.Until.Variables() {
				if t.RootName() == "prev" {
					rng := t.SourceRange()
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "prev in the stop rule",
						Detail: "until is read on the results of the turn that just ended; it cannot read the turn before.", Subject: &rng})
					continue
				}
				more := sc.check(t)
				if inTurn && b.Turn != nil && len(more) > 0 {
					for _, d := range more {
						d.Detail += " The stop rule is read after turn 0 and after every later turn, so what it names must be a stage of both."
					}
				}
				diags = append(diags, more...)
			}
			b.UntilDeps = sc.deps
		}
	}
	for _, list := range [][]*Stage{b.Stages, turnStages} {
		for _, cycle := range stageGraph(list).Cycles() {
			first := findStage(list, cycle[0])
			detail := fmt.Sprintf("In %s %q, %s: a stage cannot depend on its own result.", owner, name, strings.Join(append(cycle, cycle[0]), " needs "))
			if first.InTurn {
				detail += " Within a turn every reference is to the same turn; to read the previous turn's result, write prev." + cycle[len(cycle)-1] + "."
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Dependency cycle between stages",
				Detail:   detail,
				Subject:  first.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

func (sc *scope) roots() []string {
	r := []string{"var", "local", "path"}
	if sc.task {
		r = append(r, "task")
	}
	if sc.body != nil {
		r = append(r, "combination", "turn")
		if sc.inTurn {
			r = append(r, "prev")
		}
	}
	if sc.resources {
		r = append(r, slices.Sorted(maps.Keys(sc.cfg.Resources))...)
	}
	if sc.body != nil {
		r = append(r, sc.vocabKinds...)
	}
	return r
}

// turnAttrs are what turn.* offers.
var turnAttrs = []string{"index", "max"}

func (sc *scope) check(t hcl.Traversal) hcl.Diagnostics {
	root := t.RootName()
	rng := t.SourceRange()
	errf := func(summary, detail string) hcl.Diagnostics {
		sc.cfg.BrokenRefs[posKey(rng)] = true
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &rng}}
	}
	step := func(i int) (string, bool) {
		if len(t) <= i {
			return "", false
		}
		switch s := t[i].(type) {
		case hcl.TraverseAttr:
			return s.Name, true
		case hcl.TraverseIndex:
			if s.Key.Type().FriendlyName() == "string" {
				return s.Key.AsString(), true
			}
		}
		return "", false
	}
	named := func(kind, prefix string, i int, names []string) hcl.Diagnostics {
		name, ok := step(i)
		if !ok {
			return errf("Invalid reference", fmt.Sprintf("A reference to a %s must name it, like %s.NAME.", kind, prefix))
		}
		if slices.Contains(names, name) {
			return nil
		}
		detail := fmt.Sprintf("There is no %s named %q.", kind, name)
		if s := Suggest(name, names); s != "" {
			detail += fmt.Sprintf(" Did you mean %s.%s?", prefix, s)
		}
		return errf("Reference to undeclared "+kind, detail)
	}
	stageNames := func(list []*Stage, kind string) []string {
		var names []string
		for _, s := range list {
			if s.Kind == kind {
				names = append(names, s.Name)
			}
		}
		return names
	}
	switch {
	case root == "var":
		return named("variable", "var", 1, slices.Sorted(maps.Keys(sc.cfg.Variables)))
	case root == "local":
		return named("local value", "local", 1, slices.Sorted(maps.Keys(sc.cfg.Locals)))
	case root == "path":
		return named("path value", "path", 1, []string{"cwd", "dir"})
	case root == "task" && sc.task:
		if len(t) < 2 {
			return errf("Invalid reference", "Use a field of the current task, like task.canonical_solution.")
		}
		return nil // fields are checked against the task source's type by the engine
	case root == "combination" && sc.body != nil:
		return sc.checkCombination(t, step, errf)
	case root == "turn" && sc.body != nil:
		name, ok := step(1)
		if !ok || !slices.Contains(turnAttrs, name) {
			detail := "turn offers turn.index (0 for the initial turn, then 1, 2, ...) and turn.max (the turn budget)."
			if s := Suggest(name, turnAttrs); ok && s != "" {
				detail = fmt.Sprintf("There is no turn.%s. Did you mean turn.%s? ", name, s) + detail
			}
			return errf("Unknown turn attribute", detail)
		}
		return nil
	case root == "prev" && sc.body != nil:
		if !sc.inTurn {
			return errf("prev at turn 0", "prev reads the previous turn's results, and turn 0 has none: only the stages of a turn block may use prev.")
		}
		kind, ok := step(1)
		if !ok || !slices.Contains(sc.vocabKinds, kind) {
			detail := "Write prev.KIND.NAME to read a stage's result of the previous turn."
			if s := Suggest(kind, sc.vocabKinds); ok && s != "" {
				detail = fmt.Sprintf("There is no stage kind %q. Did you mean prev.%s? ", kind, s) + detail
			}
			return errf("Invalid prev reference", detail)
		}
		diags := named(kind+" stage of the turn block", "prev."+kind, 2, stageNames(sc.prevStages[1], kind))
		if diags.HasErrors() {
			return diags
		}
		name, _ := step(2)
		addr := kind + "." + name
		if findStage(sc.prevStages[0], addr) == nil {
			return errf("prev reads a stage turn 0 lacks",
				fmt.Sprintf("At turn 1, prev.%s reads turn 0's %s, but the stages outside the turn block (turn 0) declare no %s. Declare it at turn 0 too (a let stage can give a value the same name in both).", addr, addr, addr))
		}
		if !slices.Contains(sc.prevDeps, addr) {
			sc.prevDeps = append(sc.prevDeps, addr)
		}
		return nil
	case sc.resources && sc.cfg.Resources[root] != nil:
		return named(root+" block", root, 1, slices.Sorted(maps.Keys(sc.cfg.Resources[root])))
	case sc.body != nil && slices.Contains(sc.vocabKinds, root):
		what := root + " stage"
		if sc.inTurn {
			what += " of the turn block"
		}
		diags := named(what, root, 1, stageNames(sc.stages, root))
		if diags.HasErrors() {
			if sc.inTurn {
				diags[0].Detail += " Inside a turn block, stage references name stages of the same turn; prev.KIND.NAME reads the previous turn."
			}
			return diags
		}
		name, _ := step(1)
		if addr := root + "." + name; !slices.Contains(sc.deps, addr) {
			sc.deps = append(sc.deps, addr)
		}
		return nil
	}
	roots := sc.roots()
	detail := fmt.Sprintf("%q is not something %s can refer to.", root, sc.what)
	if s := Suggest(root, roots); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	detail += " Available here: " + strings.Join(roots, ", ") + "."
	return errf("Unknown reference", detail)
}

// checkCombination checks combination.ATTR: the attribute must be the
// name, or declared by every combination (label defaults to the name).
func (sc *scope) checkCombination(t hcl.Traversal, step func(int) (string, bool), errf func(string, string) hcl.Diagnostics) hcl.Diagnostics {
	combos := sc.body.Combinations
	if len(combos) == 0 {
		return errf("No combinations", "combination.* reads the current feedback combination, but no combination block is declared here.")
	}
	attr, ok := step(1)
	if !ok {
		return errf("Invalid reference", "Read an attribute of the current combination, like combination.execution.")
	}
	sc.readsCombo = true
	if attr == "name" || attr == "label" {
		return nil
	}
	known := map[string]bool{"name": true, "label": true}
	var lacking []string
	for _, c := range combos {
		for k := range c.Attrs {
			known[k] = true
		}
		if _, ok := c.Attrs[attr]; !ok {
			lacking = append(lacking, c.Name)
		}
	}
	if len(lacking) == len(combos) {
		names := slices.Sorted(maps.Keys(known))
		detail := fmt.Sprintf("No combination declares %q.", attr)
		if s := Suggest(attr, names); s != "" {
			detail += fmt.Sprintf(" Did you mean combination.%s?", s)
		}
		detail += " Combination attributes: " + strings.Join(names, ", ") + "."
		return errf("Unknown combination attribute", detail)
	}
	if len(lacking) > 0 {
		return errf("Combination attribute not declared everywhere",
			fmt.Sprintf("combination.%s is read for every combination, but %s do(es) not declare it.", attr, strings.Join(lacking, ", ")))
	}
	if sc.body.CombinationRefs != nil {
		if _, seen := sc.body.CombinationRefs[attr]; !seen {
			sc.body.CombinationRefs[attr] = t.SourceRange()
		}
	}
	return nil
}
