package llmstage

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrimFeedback(t *testing.T) {
	lines := make([]string, 12)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %02d", i)
	}
	twelve := strings.Join(lines, "\n")
	tests := []struct {
		name        string
		text        string
		front, rear int
		want        string
	}{
		{"ten or more lines keep 5 a side", twelve, 2000, 4000,
			"line 00\nline 01\nline 02\nline 03\nline 04\n...\nline 07\nline 08\nline 09\nline 10\nline 11"},
		{"front cut", twelve, 10, 4000, "line 00\nli\n...\nline 07\nline 08\nline 09\nline 10\nline 11"},
		{"rear keeps the end", twelve, 0, 9, "\n...\n0\nline 11"},
		{"one line is both ends", "boom", 2, 2, "bo\n...\nom"},
		{"few lines use half", "a\nb\nc\nd", 100, 100, "a\nb\n...\nc\nd"},
		{"code points not bytes", "äöü", 2, 1, "äö\n...\nü"},
		{"rear 0 keeps the whole tail, as Python's s[-0:]", "abc", 0, 0, "\n...\nabc"},
		// Real execution feedback ends in "\n\n": splitlines makes one
		// empty last line of it, where splitting on "\n" made two and
		// shifted the tail by a line.
		{"real feedback", "TEST_CASE_1\nTraceback\nE1\n\nTEST_CASE_2\nTraceback\nE2\n\nTEST_CASE_3\nTraceback\nE3\n\n", 2000, 4000,
			"TEST_CASE_1\nTraceback\nE1\n\nTEST_CASE_2\n...\n\nTEST_CASE_3\nTraceback\nE3\n"},
		{"every Python line break", "a\r\nb\rc\x0bd\x0ce\u2028f", 100, 100, "a\nb\nc\n...\nd\ne\nf"},
	}
	for _, tt := range tests {
		if got := TrimFeedback(tt.text, tt.front, tt.rear); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTrimSchedule(t *testing.T) {
	var got []string
	for s, ok := firstTrim, true; ok; s, ok = s.next() {
		got = append(got, fmt.Sprintf("%d/%d", s.front, s.rear))
	}
	want := "2000/4000 2000/3000 2000/2000 2000/1000 1000/1000 1000/0 0/0"
	if strings.Join(got, " ") != want {
		t.Errorf("schedule %v, want %s", got, want)
	}
}
