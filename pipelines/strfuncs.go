package pipelines

import (
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// stringPredicate makes a function of two strings returning a bool.
func stringPredicate(desc string, f func(s, x string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "string", Type: cty.String}, {Name: "x", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

var (
	startsWithFunc  = stringPredicate("Whether string starts with the prefix.", strings.HasPrefix)
	endsWithFunc    = stringPredicate("Whether string ends with the suffix.", strings.HasSuffix)
	strContainsFunc = stringPredicate("Whether string contains the substring.", strings.Contains)
)

// sumFunc adds a list of numbers; null elements count as zero, so that
// the token counts of stages that did not run add up.
var sumFunc = function.New(&function.Spec{
	Description: "The sum of a list of numbers (null elements count as 0).",
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Number), AllowNull: false}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if !args[0].IsWhollyKnown() {
			return cty.UnknownVal(cty.Number), nil
		}
		total := new(big.Float)
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if !v.IsNull() {
				total.Add(total, v.AsBigFloat())
			}
		}
		return cty.NumberVal(total), nil
	},
})
