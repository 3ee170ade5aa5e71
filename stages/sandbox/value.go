package sandbox

import (
	"time"

	"github.com/zclconf/go-cty/cty"
)

// TestType is the cty type of one TestResult.
var TestType = cty.Object(map[string]cty.Type{
	"name":    cty.String,
	"status":  cty.String,
	"message": cty.String,
})

// ResultType is the cty type of a Result as stages and expressions see it
// (the output of the execute stage).
var ResultType = cty.Object(map[string]cty.Type{
	"status":       cty.String,
	"passed":       cty.Bool,
	"tests":        cty.List(TestType),
	"tests_run":    cty.Number,
	"tests_failed": cty.Number,
	"limit":        cty.String,
	"reason":       cty.String,
	"output":       cty.String,
	"duration_ms":  cty.Number,
	"limits":       LimitsType,
})

// LimitsType is the cty type of Limits.Value.
var LimitsType = DefaultLimits().Value().Type()

// Value converts r to a ResultType value.
func (r Result) Value() cty.Value {
	tests := make([]cty.Value, 0, len(r.Tests))
	failed := 0
	for _, t := range r.Tests {
		if t.Status == "fail" || t.Status == "error" || t.Status == "timeout" {
			failed++
		}
		tests = append(tests, cty.ObjectVal(map[string]cty.Value{
			"name":    cty.StringVal(t.Name),
			"status":  cty.StringVal(t.Status),
			"message": cty.StringVal(t.Message),
		}))
	}
	list := cty.ListValEmpty(TestType)
	if len(tests) > 0 {
		list = cty.ListVal(tests)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"status":       cty.StringVal(string(r.Status)),
		"passed":       cty.BoolVal(r.Status == Pass),
		"tests":        list,
		"tests_run":    cty.NumberIntVal(int64(len(r.Tests))),
		"tests_failed": cty.NumberIntVal(int64(failed)),
		"limit":        cty.StringVal(r.Limit),
		"reason":       cty.StringVal(r.Reason),
		"output":       cty.StringVal(r.Output),
		"duration_ms":  cty.NumberIntVal(r.Duration.Milliseconds()),
		"limits":       r.Limits.Value(),
	})
}

// ResultFromValue converts a ResultType value back to a Result. A value
// from before the reason attribute existed decodes with an empty Reason.
func ResultFromValue(v cty.Value) Result {
	var r Result
	r.Status = Status(v.GetAttr("status").AsString())
	r.Limit = v.GetAttr("limit").AsString()
	if v.Type().HasAttribute("reason") {
		r.Reason = v.GetAttr("reason").AsString()
	}
	r.Output = v.GetAttr("output").AsString()
	ms, _ := v.GetAttr("duration_ms").AsBigFloat().Int64()
	r.Duration = time.Duration(ms) * time.Millisecond
	if lv := v.GetAttr("limits"); !lv.IsNull() {
		r.Limits = LimitsFromValue(lv)
	}
	for it := v.GetAttr("tests").ElementIterator(); it.Next(); {
		_, t := it.Element()
		r.Tests = append(r.Tests, TestResult{
			Name:    t.GetAttr("name").AsString(),
			Status:  t.GetAttr("status").AsString(),
			Message: t.GetAttr("message").AsString(),
		})
	}
	return r
}
