package llmstage

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// template is a parsed prompt template. Its source uses HCL template
// syntax (${name}, %{ if } ... %{ endif }); the stage renders it, so that a
// context-length error can render it again with shorter feedback. Written
// inline in a pipeline file, the interpolations must be escaped ($${name})
// so that the file's own evaluation leaves them alone; file() and
// prompt_template() return source that needs no escaping.
type template struct {
	expr hclsyntax.Expression
	vars []string // root names it refers to
}

func parseTemplate(src, name string) (*template, error) {
	expr, diags := hclsyntax.ParseTemplate([]byte(src), name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", name, diags.Error())
	}
	t := &template{expr: expr}
	for _, tr := range expr.Variables() {
		t.vars = append(t.vars, tr.RootName())
	}
	return t, nil
}

// check reports variables the template needs that vars lacks.
func (t *template) check(name string, vars map[string]cty.Value) error {
	for _, v := range t.vars {
		if _, ok := vars[v]; !ok {
			have := make([]string, 0, len(vars))
			for k := range vars {
				have = append(have, k)
			}
			sort.Strings(have)
			return fmt.Errorf("%s refers to ${%s}, but vars has no %q (it has: %s)", name, v, v, strings.Join(have, ", "))
		}
	}
	return nil
}

// render evaluates the template; null variables render as empty text
// (marked, so that dspy_query can tell them from empty values).
func (t *template) render(name string, vars map[string]cty.Value) (string, error) {
	ctx := &hcl.EvalContext{Variables: make(map[string]cty.Value, len(vars)), Functions: templateFunctions}
	for k, v := range vars {
		if v.IsNull() {
			v = cty.StringVal("").Mark(nullMark{})
		}
		ctx.Variables[k] = v
	}
	v, diags := t.expr.Value(ctx)
	if diags.HasErrors() {
		return "", fmt.Errorf("%s: %s", name, diags.Error())
	}
	v, _ = v.UnmarkDeep()
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return "", fmt.Errorf("%s does not render to text", name)
	}
	return s.AsString(), nil
}
