package llmstage

import "github.com/ccw-dev/ccw/stages/execfeedback"

// TrimFeedback shortens execution feedback as the original does
// (protocol.md §2.2 step 5): lines as Python's str.splitlines() sees them,
// w lines from each end (5 when there are at least 10 lines, 1 when there
// is one, else half of them), at most the first front code points of the
// head and the last rear code points of the tail (a rear of 0 keeps the
// whole tail, as Python's s[-0:] does), joined with "\n...\n". It is
// execfeedback.Trim, kept here for the refine stage and trim_feedback.
func TrimFeedback(text string, front, rear int) string {
	return execfeedback.Trim(text, front, rear)
}

// trimStep is one setting of the shortening schedule.
type trimStep struct{ front, rear int }

// firstTrim is the first setting tried after a context-length error.
var firstTrim = trimStep{execfeedback.Front, execfeedback.Rear}

// next lowers the larger of front and rear by 1000 (rear on ties); it
// reports false when that would go below zero, where the original gives
// up (protocol.md §2.2 step 8).
func (s trimStep) next() (trimStep, bool) {
	if s.rear >= s.front {
		s.rear -= 1000
	} else {
		s.front -= 1000
	}
	return s, s.front >= 0 && s.rear >= 0
}
