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
		{"zero keeps nothing", "abc", 0, 0, "\n...\n"},
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
