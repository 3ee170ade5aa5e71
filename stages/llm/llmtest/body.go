package llmtest

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/ccw-dev/ccw/stages"
)

// Body builds the evaluated body of a block or stage the way the engine
// does: given attributes converted to their declared types, absent ones set
// to their default or null. It panics on a bad attribute: tests only.
func Body(schema stages.Schema, attrs map[string]cty.Value) cty.Value {
	vals := make(map[string]cty.Value, len(schema))
	for _, a := range schema {
		v, ok := attrs[a.Name]
		switch {
		case ok && !v.IsNull():
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				panic(fmt.Sprintf("llmtest.Body: attribute %s: %v", a.Name, err))
			}
			vals[a.Name] = cv
		case a.Default != cty.NilVal:
			vals[a.Name] = a.Default
		default:
			vals[a.Name] = cty.NullVal(a.Type)
		}
	}
	for k := range attrs {
		if _, ok := schema.Lookup(k); !ok {
			panic(fmt.Sprintf("llmtest.Body: unknown attribute %s", k))
		}
	}
	return cty.ObjectVal(vals)
}
