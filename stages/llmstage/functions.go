package llmstage

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Functions returns the HCL functions this package offers pipeline files
// (for stages.Set.Functions):
//
//	prompt_template(kind)            our default template for a prompt kind
//	trim_feedback(text, front, rear) execution feedback shortened as the original does
func Functions() map[string]function.Function {
	return map[string]function.Function{
		"prompt_template": promptTemplateFunc,
		"trim_feedback":   trimFeedbackFunc,
	}
}

var promptTemplateFunc = function.New(&function.Spec{
	Description: "Returns ccw's default prompt template for a prompt kind (" + fmt.Sprint(PromptKinds()) + ").",
	Params:      []function.Parameter{{Name: "kind", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		s, err := PromptTemplate(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
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
