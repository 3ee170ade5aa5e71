package llmstage

import (
	"strings"

	"github.com/ccw-dev/ccw/stages/extract"
)

// Feedback turns a simulator's answer into the verbal feedback shown to
// the refiner (protocol.md §2.2 step 7): the text after the output field,
// cut before the first "---" and the first "\n\n\n". For an expert with
// the leak guard on it is also cut at the first "```", so that no code
// block (the ground truth, or a fix) reaches the refiner; guarded says
// whether that cut removed anything.
func Feedback(answer, field string, expert, leakGuard bool) (feedback string, guarded bool) {
	s, _ := extract.Field(answer, field)
	s, _, _ = strings.Cut(s, "---")
	s, _, _ = strings.Cut(s, "\n\n\n")
	if expert && leakGuard {
		var found bool
		s, _, found = strings.Cut(s, "```")
		guarded = found
	}
	return strings.TrimSpace(s), guarded
}
