package llmstage

import "strings"

// TrimFeedback shortens execution feedback as the original does
// (protocol.md §2.2 step 5): take w lines from each end (5 when there are
// at least 10 lines, 1 when there is one, else half of them), keep at most
// the first front characters of the head and the last rear characters of
// the tail, and join them with "\n...\n". Characters are Unicode code
// points, as Python counts them.
func TrimFeedback(text string, front, rear int) string {
	lines := strings.Split(text, "\n")
	w := len(lines) / 2
	switch {
	case len(lines) >= 10:
		w = 5
	case len(lines) == 1:
		w = 1
	}
	head := []rune(strings.Join(lines[:w], "\n"))
	tail := []rune(strings.Join(lines[len(lines)-w:], "\n"))
	head = head[:min(len(head), max(front, 0))]
	tail = tail[len(tail)-min(len(tail), max(rear, 0)):]
	return string(head) + "\n...\n" + string(tail)
}

// trimStep is one setting of the shortening schedule.
type trimStep struct{ front, rear int }

// firstTrim is the first setting tried after a context-length error.
var firstTrim = trimStep{2000, 4000}

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
