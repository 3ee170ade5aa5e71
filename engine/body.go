package engine

import (
	"fmt"

	"github.com/ccw-dev/ccw/stages"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// boundAttr is a schema attribute with the expression that sets it.
type boundAttr struct {
	stages.Attr
	Expr hcl.Expression // nil when the attribute is absent
}

// bindBody matches body against schema: unknown attributes (with
// did-you-mean) and missing required ones are reported.
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
		}
	}
	return out, diags
}

// evalBody evaluates bound attributes into an object value. Absent
// attributes take their default (or null).
func evalBody(attrs []boundAttr, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
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
		v, moreDiags := a.Expr.Value(ctx)
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
				EvalContext: ctx,
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

// unmarkSecrets removes the secret marks before a value is handed to the
// code that needs the secret (a BlockKind or a Runner).
func unmarkSecrets(v cty.Value) cty.Value {
	out, _ := v.UnmarkDeep()
	return out
}
