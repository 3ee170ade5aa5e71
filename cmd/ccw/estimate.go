package main

import (
	"regexp"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// libName is one quoted name of a BigCodeBench libs literal ("['re', 'numpy']").
var libName = regexp.MustCompile(`['"]([A-Za-z_][A-Za-z0-9_.]*)['"]`)

// libsEstimate guesses a task's execution time before any run has timed
// it: the measured import cost of the libraries it declares (its libs
// field), so that the tasks with the heaviest imports start first.
func libsEstimate(task cty.Value) time.Duration {
	if task.IsNull() || !task.IsKnown() || !task.Type().IsObjectType() || !task.Type().HasAttribute("libs") {
		return 0
	}
	libs := task.GetAttr("libs")
	if libs.IsNull() || !libs.IsKnown() || libs.Type() != cty.String {
		return 0
	}
	var ms int
	seen := map[string]bool{}
	for _, m := range libName.FindAllStringSubmatch(libs.AsString(), -1) {
		top, _, _ := strings.Cut(m[1], ".")
		if !seen[top] {
			seen[top] = true
			ms += sandbox.ImportCost[top]
		}
	}
	return time.Duration(ms) * time.Millisecond
}
