package llmstage

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Functions returns the HCL functions this package offers pipeline files
// (for stages.Set.Functions):
//
//	prompt_template(kind[, style])   our template for a prompt kind; style "ccw" (default) or "dspy"
//	trim_feedback(text, front, rear) execution feedback shortened as the original does
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"prompt_template": promptTemplateFunc,
		"trim_feedback":   trimFeedbackFunc,
	}
}

var promptTemplateFunc = function.New(&function.Spec{
	Description: "Returns ccw's prompt template for a prompt kind (" + fmt.Sprint(PromptKinds()) +
		") in a style: \"ccw\" (default) or \"dspy\" (dspy 2.4.12's layout, for fidelity \"original\").",
	Params:   []function.Parameter{{Name: "kind", Type: cty.String}},
	VarParam: &function.Parameter{Name: "style", Type: cty.String},
	Type:     function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		style := StyleCCW
		switch len(args) {
		case 1:
		case 2:
			style = args[1].AsString()
		default:
			return cty.NilVal, function.NewArgErrorf(2, "prompt_template takes a kind and at most one style")
		}
		s, err := PromptTemplateStyle(args[0].AsString(), style)
		if err != nil {
			i := 0
			if strings.HasPrefix(err.Error(), "no prompt style") {
				i = 1
			}
			return cty.NilVal, function.NewArgError(i, err)
		}
		return cty.StringVal(s), nil
	},
})

var trimFeedbackFunc = function.New(&function.Spec{
	Description: "Shortens execution feedback to its first and last lines, keeping at most front and rear characters.",
	Params: []function.Parameter{
		{Name: "text", Type: cty.String},
		{Name: "front", Type: cty.Number},
		{Name: "rear", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var n [2]int
		for i, a := range args[1:] {
			bf := a.AsBigFloat()
			v, acc := bf.Int64()
			if acc != 0 || v < 0 || !bf.IsInt() {
				return cty.NilVal, function.NewArgErrorf(i+1, "want a whole number of characters, at least 0")
			}
			n[i] = int(v)
		}
		return cty.StringVal(TrimFeedback(args[0].AsString(), n[0], n[1])), nil
	},
})
