package extract

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// Runner is the `extract` stage kind:
//
//	stage "extract" "code" {
//	  text     = generate.initial.text
//	  field    = "Code:"   # optional: take the text after this output field first
//	  fidelity = false     # true: the original parser, double-blank-line cut included
//	}
//
// Its result is {code, has_code, method}. When field is given and found but
// holds no fence, its text is taken as the code (method "field_text").
type Runner struct{}

// New returns the extract stage kind.
func New() stages.Runner { return Runner{} }

var _ stages.Runner = Runner{}

// OutputType is the result type of an extract stage.
var OutputType = cty.Object(map[string]cty.Type{
	"code":     cty.String,
	"has_code": cty.Bool,
	"method":   cty.String,
})

// Kind implements stages.Runner.
func (Runner) Kind() string { return "extract" }

// CacheType implements stages.Runner.
func (Runner) CacheType() string { return "ccw.extract.v1" }

// Output implements stages.Runner.
func (Runner) Output() cty.Type { return OutputType }

// Config implements stages.Runner.
func (Runner) Config() stages.Schema {
	return stages.Schema{
		{Name: "text", Type: cty.String, Required: true, Doc: "the model's answer"},
		{Name: "field", Type: cty.String, Default: cty.StringVal(""),
			Doc: `output field to take first, e.g. "Code:" for the default refine prompts; the whole text when absent`},
		{Name: "prefix", Type: cty.String, Default: cty.StringVal(""),
			Doc: "text to put before the answer, e.g. the opening fence a completions prompt ended with"},
		{Name: "fidelity", Type: cty.Bool, Default: cty.False,
			Doc: "reproduce the original parser, including its cut at the first double blank line"},
	}
}

// Run implements stages.Runner.
func (Runner) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	get := func(name string) cty.Value {
		if !in.Config.Type().IsObjectType() || !in.Config.Type().HasAttribute(name) {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		return in.Config.GetAttr(name)
	}
	text, field, prefix, fid := get("text"), get("field"), get("prefix"), get("fidelity")
	if text.IsNull() || !text.IsKnown() || text.Type() != cty.String {
		return cty.NilVal, fmt.Errorf("%s: text must be a known string", in.Addr)
	}
	s, found := text.AsString(), false
	if !field.IsNull() && field.Type() == cty.String {
		s, found = Field(s, field.AsString())
	}
	if !prefix.IsNull() && prefix.Type() == cty.String {
		s = prefix.AsString() + s
	}
	r := Code(s, !fid.IsNull() && fid.Type() == cty.Bool && fid.True())
	if r.Method == None && found {
		// The model filled the output field without a fence: that text is
		// its code (the original parser takes it too).
		r = result(s, FieldText)
	}
	return r.Value(), nil
}

// Value converts r to OutputType.
func (r Result) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"code":     cty.StringVal(r.Code),
		"has_code": cty.BoolVal(r.HasCode),
		"method":   cty.StringVal(string(r.Method)),
	})
}
