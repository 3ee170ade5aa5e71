package pipelines

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// Scope holds the evaluated variables and locals of a configuration and
// the functions pipeline expressions may call.
type Scope struct {
	// Dir is the directory of the pipeline file (path.dir in expressions).
	Dir       string
	Vars      map[string]cty.Value
	Locals    map[string]cty.Value
	Functions map[string]function.Function
}

// EvalContext returns an evaluation context with var, local and the
// functions; callers add their own variables (task, stage results) to a
// child context.
func (s *Scope) EvalContext() *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   objectOrEmpty(s.Vars),
			"local": objectOrEmpty(s.Locals),
			"path":  cty.ObjectVal(map[string]cty.Value{"dir": cty.StringVal(s.Dir), "cwd": cty.StringVal(cwd())}),
		},
		Functions: s.Functions,
	}
}

func cwd() string {
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	return d
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// Evaluate assigns every variable its value (an override from --var, else
// its default), then evaluates locals. overrides maps names to the raw text
// given on the command line.
func (p *Parser) Evaluate(cfg *Config, overrides map[string]string) (*Scope, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &Scope{Dir: cfg.Dir, Vars: map[string]cty.Value{}, Locals: map[string]cty.Value{}, Functions: Functions(cfg.Dir, p.vocab.Functions)}

	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := cfg.Variables[name]; !ok {
			detail := fmt.Sprintf("--var %s=...: the pipeline declares no variable %q.", name, name)
			if sug := Suggest(name, slices.Sorted(maps.Keys(cfg.Variables))); sug != "" {
				detail += fmt.Sprintf(" Did you mean %q?", sug)
			}
			if len(cfg.Variables) > 0 {
				detail += " Declared: " + strings.Join(slices.Sorted(maps.Keys(cfg.Variables)), ", ") + "."
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable", Detail: detail})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		v := cfg.Variables[name]
		raw, given := overrides[name]
		switch {
		case given:
			val, err := parseOverride(raw, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("--var %s=%s: %s (variable %q is declared with type %s).", name, raw, err, name, typeString(v.Type)),
					Subject:  v.DeclRange.Ptr(),
				})
				val = cty.UnknownVal(v.Type)
			}
			s.Vars[name] = val
		case v.Required():
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("Variable %q has no default: give it one with --var %s=VALUE.", name, name),
				Subject:  v.DeclRange.Ptr(),
			})
			s.Vars[name] = cty.UnknownVal(v.Type)
		default:
			s.Vars[name] = v.Default
		}
	}
	diags = append(diags, evalLocals(cfg, s)...)
	return s, diags
}

// parseOverride turns --var text into a value of type ty: strings are taken
// literally, everything else is parsed as an HCL expression. A bare word
// that is not a literal (limit=abc) is taken as text, so that the error
// says which type was wanted instead of talking about variables.
func parseOverride(raw string, ty cty.Type) (cty.Value, error) {
	if ty == cty.String || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	want := "want " + typeString(ty)
	if ty.IsPrimitiveType() {
		want = "want a " + ty.FriendlyName()
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "--var", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s, got %q, which is not a valid value (%s)", want, raw, diags[0].Summary)
	}
	var val cty.Value
	if len(expr.Variables()) > 0 {
		val = cty.StringVal(raw)
	} else {
		v, diags := expr.Value(nil)
		if diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("%s, got %q (%s)", want, raw, diags[0].Detail)
		}
		val = v
	}
	out, err := convert.Convert(val, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s, got %q", want, raw)
	}
	return out, nil
}

// evalLocals evaluates locals in dependency order; a cycle is an error.
func evalLocals(cfg *Config, s *Scope) hcl.Diagnostics {
	var diags hcl.Diagnostics
	pending := map[string]*Local{}
	for k, v := range cfg.Locals {
		pending[k] = v
	}
	for len(pending) > 0 {
		progress := false
		for _, name := range slices.Sorted(maps.Keys(pending)) {
			l := pending[name]
			ready := true
			for _, t := range l.Expr.Variables() {
				if t.RootName() == "local" && len(t) > 1 {
					if step, ok := t[1].(hcl.TraverseAttr); ok {
						if _, waiting := pending[step.Name]; waiting && step.Name != name {
							ready = false
						}
					}
				}
			}
			if !ready {
				continue
			}
			val, moreDiags := l.Expr.Value(s.EvalContext())
			diags = append(diags, moreDiags...)
			if moreDiags.HasErrors() {
				val = cty.DynamicVal
			}
			s.Locals[name] = val
			delete(pending, name)
			progress = true
		}
		if !progress {
			names := slices.Sorted(maps.Keys(pending))
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cycle between local values",
				Detail:   "These local values depend on each other: " + strings.Join(names, ", ") + ".",
				Subject:  pending[names[0]].DeclRange.Ptr(),
			})
			for _, n := range names {
				s.Locals[n] = cty.DynamicVal
			}
			break
		}
	}
	return diags
}

// Overrides parses --var arguments of the form NAME=VALUE.
func Overrides(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		name, val, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", a)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--var %s given twice", name)
		}
		out[name] = val
	}
	return out, nil
}

// VariableNames lists declared variables, for help texts.
func (c *Config) VariableNames() []string {
	return slices.Sorted(maps.Keys(c.Variables))
}

// EvaluateArgs assigns the variables of a protocol file from the values of
// an experiment's arguments (ranges say where each was written), then
// evaluates its locals. extra are the stage packages' functions.
func EvaluateArgs(cfg *Config, args map[string]cty.Value, ranges map[string]hcl.Range, extra map[string]function.Function) (*Scope, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &Scope{Dir: cfg.Dir, Vars: map[string]cty.Value{}, Locals: map[string]cty.Value{}, Functions: Functions(cfg.Dir, extra)}
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		v := cfg.Variables[name]
		val, given := args[name]
		if !given {
			s.Vars[name] = v.Default
			if v.Required() {
				s.Vars[name] = cty.UnknownVal(v.Type) // reported by the loader
			}
			continue
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			rng := ranges[name]
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for protocol parameter",
				Detail:   fmt.Sprintf("%s: %s (the protocol declares it at %s with type %s).", name, err, v.DeclRange, typeString(v.Type)),
				Subject:  &rng,
			})
			conv = cty.UnknownVal(v.Type)
		}
		s.Vars[name] = conv
	}
	diags = append(diags, evalLocals(cfg, s)...)
	return s, diags
}

// typeString names a type as a pipeline file writes it.
func typeString(ty cty.Type) string {
	if ty.IsCapsuleType() {
		return ty.FriendlyName()
	}
	return typeexpr.TypeString(ty)
}
