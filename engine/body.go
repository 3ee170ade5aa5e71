package engine

import (
	"fmt"

	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// boundAttr is a schema attribute with the expression that sets it.
type boundAttr struct {
	stages.Attr
	Expr hcl.Expression // nil when the attribute is absent
	fast *fastRef       // set when Expr is a plain reference or constant
}

// bindBody matches body against schema: unknown attributes (with
// did-you-mean) and missing required ones are reported, and so are secret
// attributes whose value is not read from the environment.
func bindBody(body hcl.Body, schema stages.Schema) ([]boundAttr, hcl.Diagnostics) {
	hs := &hcl.BodySchema{}
	for _, a := range schema {
		hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	content, diags := body.Content(hs)
	out := make([]boundAttr, len(schema))
	for i, a := range schema {
		out[i].Attr = a
		if attr, ok := content.Attributes[a.Name]; ok {
			out[i].Expr = attr.Expr
			if a.Secret && !readsEnv(attr.Expr) && !isNull(attr.Expr) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Secret not read from the environment",
					Detail: fmt.Sprintf("%s is a secret: pipeline files are committed and shared, so it must come from the environment, "+
						"like %s = env(\"OPENAI_API_KEY\"), not from the file or a variable.", a.Name, a.Name),
					Subject: attr.Expr.Range().Ptr(),
					Extra:   SecretSource{Range: attr.Expr.Range()},
				})
			}
		}
	}
	return out, diags
}

// SecretSource marks a diagnostic whose subject holds a secret written in
// the file: whoever renders the source snippet must mask that range.
type SecretSource struct{ Range hcl.Range }

// readsEnv reports whether expr calls env() somewhere.
func readsEnv(expr hcl.Expression) bool {
	found := false
	if e, ok := expr.(hclsyntax.Expression); ok {
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && call.Name == "env" {
				found = true
			}
			return nil
		})
	}
	return found
}

// isNull reports whether expr is the literal null.
func isNull(expr hcl.Expression) bool {
	lit, ok := expr.(*hclsyntax.LiteralValueExpr)
	return ok && lit.Val.IsNull()
}

// evalBody evaluates bound attributes into an object value. Absent
// attributes take their default (or null).
func evalBody(attrs []boundAttr, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	return evalAttrs(attrs, func() *hcl.EvalContext { return ctx }, nil)
}

// evalAttrs is evalBody with a lazily built context: fast, when not nil,
// evaluates attributes that have a fast form without any context.
func evalAttrs(attrs []boundAttr, ctx func() *hcl.EvalContext, fast func(*fastRef) (cty.Value, hcl.Diagnostics)) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var evalCtx *hcl.EvalContext
	vals := make(map[string]cty.Value, len(attrs))
	for _, a := range attrs {
		if a.Expr == nil {
			if a.Default != cty.NilVal {
				vals[a.Name] = a.Default
			} else {
				vals[a.Name] = cty.NullVal(a.Type)
			}
			continue
		}
		var v cty.Value
		var moreDiags hcl.Diagnostics
		if fast != nil && a.fast != nil {
			v, moreDiags = fast(a.fast)
		} else {
			if evalCtx == nil {
				evalCtx = ctx()
			}
			v, moreDiags = a.Expr.Value(evalCtx)
		}
		diags = append(diags, moreDiags...)
		if moreDiags.HasErrors() {
			vals[a.Name] = cty.UnknownVal(a.Type)
			continue
		}
		conv, err := convert.Convert(v, a.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Incorrect attribute value type",
				Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.%s", a.Name, err, typeHint(a.Type)),
				Subject:     a.Expr.Range().Ptr(),
				Expression:  a.Expr,
				EvalContext: evalCtx,
			})
			vals[a.Name] = cty.UnknownVal(a.Type)
			continue
		}
		if a.Required && conv.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing value",
				Detail:   fmt.Sprintf("Attribute %q is required and must not be null.", a.Name),
				Subject:  a.Expr.Range().Ptr(),
			})
			conv = cty.UnknownVal(a.Type)
		}
		if a.Secret && !conv.IsNull() && conv.IsKnown() {
			conv = conv.Mark(secretMark)
		}
		vals[a.Name] = conv
	}
	return cty.ObjectVal(vals), diags
}

// secretMark marks values of secret attributes; cachekey refuses marked
// values, so a secret can never reach a key by accident.
const secretMark = "sensitive"

// typeHint says how to write a value of ty, where the conversion error
// alone would not.
func typeHint(ty cty.Type) string {
	switch {
	case ty.IsCapsuleType():
		return " Use a reference to a " + ty.FriendlyName() + " block, like " + ty.FriendlyName() + ".NAME."
	case ty.IsObjectType():
		return " Use a reference to a stage of the right kind, like execute.NAME."
	}
	return ""
}

// keyValue returns cfg without secret attributes, for hashing.
func keyValue(cfg cty.Value, attrs []boundAttr) cty.Value {
	hasSecret := false
	for _, a := range attrs {
		if a.Secret {
			hasSecret = true
		}
	}
	if !hasSecret {
		return cfg
	}
	m := cfg.AsValueMap()
	for _, a := range attrs {
		if a.Secret {
			delete(m, a.Name)
		}
	}
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// unmarked returns cfg without secret marks, skipping the deep walk for
// stages that have no secret attributes.
func (sp *StagePlan) unmarked(cfg cty.Value) cty.Value {
	for _, a := range sp.attrs {
		if a.Secret {
			return unmarkSecrets(cfg)
		}
	}
	return cfg
}

// unmarkSecrets removes the secret marks before a value is handed to the
// code that needs the secret (a BlockKind or a Runner).
func unmarkSecrets(v cty.Value) cty.Value {
	out, _ := v.UnmarkDeep()
	return out
}
