package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// Address names one stage instance: which experiment, feedback
// combination, stage, task and turn. It is carried by events, errors, rows
// and explain records, and sorts rows.
type Address struct {
	Experiment string
	// Combination is the combination's name; empty when the instance is
	// shared by every combination (it reads none of them) or the
	// experiment declares none.
	Combination string
	Stage       string // kind.name
	TaskID      string
	Turn        int
}

// String renders the address in HCL-like segments, for example
// `experiment.ccw combination.cf_sef refine.code["BigCodeBench/3"] turn 2`.
func (a Address) String() string {
	var b strings.Builder
	b.WriteString("experiment.")
	b.WriteString(a.Experiment)
	if a.Combination != "" {
		b.WriteString(" combination.")
		b.WriteString(a.Combination)
	}
	if a.Stage != "" {
		b.WriteString(" ")
		b.WriteString(a.Stage)
	}
	if a.TaskID != "" {
		b.WriteString("[")
		b.WriteString(strconv.Quote(a.TaskID))
		b.WriteString("]")
		fmt.Fprintf(&b, " turn %d", a.Turn)
	}
	return b.String()
}
