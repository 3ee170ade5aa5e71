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
	what       string // "a variable default", "a stage body", ...
	stages     *Experiment
	task       bool
	resources  bool
	deps       map[string]bool
	depsOrder  []string
	cfg        *Config
	vocabKinds []string
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
		for _, expr := range []hcl.Expression{e.Output, e.Exclude} {
			if expr != nil {
				for _, t := range expr.Variables() {
					diags = append(diags, plain("an experiment attribute").check(t)...)
				}
			}
		}
		for _, s := range e.Stages {
			sc := &scope{what: "a stage body", cfg: cfg, stages: e, task: true, resources: true, deps: map[string]bool{}, vocabKinds: p.vocab.StageKinds}
			for _, t := range bodyTraversals(s.Body) {
				diags = append(diags, sc.check(t)...)
			}
			s.Deps = sc.depsOrder
		}
		for _, cycle := range e.StageGraph().Cycles() {
			first := e.Stage(cycle[0])
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Dependency cycle between stages",
				Detail:   fmt.Sprintf("In experiment %q, %s: a stage cannot depend on its own result.", e.Name, strings.Join(append(cycle, cycle[0]), " needs ")),
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
	if sc.resources {
		r = append(r, slices.Sorted(maps.Keys(sc.cfg.Resources))...)
	}
	if sc.stages != nil {
		r = append(r, sc.vocabKinds...)
	}
	return r
}

func (sc *scope) check(t hcl.Traversal) hcl.Diagnostics {
	root := t.RootName()
	rng := t.SourceRange()
	errf := func(summary, detail string) hcl.Diagnostics {
		sc.cfg.BrokenRefs[posKey(rng)] = true
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: &rng}}
	}
	second := func() (string, bool) {
		if len(t) < 2 {
			return "", false
		}
		switch step := t[1].(type) {
		case hcl.TraverseAttr:
			return step.Name, true
		case hcl.TraverseIndex:
			if step.Key.Type().FriendlyName() == "string" {
				return step.Key.AsString(), true
			}
		}
		return "", false
	}
	named := func(kind string, names []string) hcl.Diagnostics {
		name, ok := second()
		if !ok {
			return errf("Invalid reference", fmt.Sprintf("A reference to a %s must name it, like %s.NAME.", kind, root))
		}
		if slices.Contains(names, name) {
			return nil
		}
		detail := fmt.Sprintf("There is no %s named %q.", kind, name)
		if s := Suggest(name, names); s != "" {
			detail += fmt.Sprintf(" Did you mean %s.%s?", root, s)
		}
		return errf("Reference to undeclared "+kind, detail)
	}
	switch {
	case root == "var":
		return named("variable", slices.Sorted(maps.Keys(sc.cfg.Variables)))
	case root == "local":
		return named("local value", slices.Sorted(maps.Keys(sc.cfg.Locals)))
	case root == "path":
		return named("path value", []string{"cwd", "dir"})
	case root == "task" && sc.task:
		if len(t) < 2 {
			return errf("Invalid reference", "Use a field of the current task, like task.canonical_solution.")
		}
		return nil // fields are checked against the task source's type by the engine
	case sc.resources && sc.cfg.Resources[root] != nil:
		return named(root+" block", slices.Sorted(maps.Keys(sc.cfg.Resources[root])))
	case sc.stages != nil && slices.Contains(sc.vocabKinds, root):
		var names []string
		for _, s := range sc.stages.Stages {
			if s.Kind == root {
				names = append(names, s.Name)
			}
		}
		diags := named(root+" stage", names)
		if !diags.HasErrors() {
			name, _ := second()
			addr := root + "." + name
			if !sc.deps[addr] {
				sc.deps[addr] = true
				sc.depsOrder = append(sc.depsOrder, addr)
			}
		}
		return diags
	}
	roots := sc.roots()
	detail := fmt.Sprintf("%q is not something %s can refer to.", root, sc.what)
	if s := Suggest(root, roots); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	detail += " Available here: " + strings.Join(roots, ", ") + "."
	return errf("Unknown reference", detail)
}
