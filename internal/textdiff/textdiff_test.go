package textdiff

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func render(d []Line) string {
	var b strings.Builder
	for _, l := range d {
		if l.Kind == 0 {
			b.WriteString("...\n")
			continue
		}
		b.WriteByte(byte(l.Kind))
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func TestLines(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"", "", ""},
		{"x\n", "x\n", " x\n"},
		{"a\nb\nc\n", "a\nc\n", " a\n-b\n c\n"},
		{"a\nc\n", "a\nb\nc\n", " a\n+b\n c\n"},
		{"def f():\n    return None\n", "def f():\n    return 1\n", " def f():\n-    return None\n+    return 1\n"},
		{"", "new\n", "+new\n"},
		{"old\n", "", "-old\n"},
	}
	for _, tc := range cases {
		if got := render(Lines(tc.a, tc.b)); got != tc.want {
			t.Errorf("Lines(%q, %q) =\n%s\nwant\n%s", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestLinesRebuild: on random texts, the kept and removed lines give a,
// the kept and added ones give b, and the kept lines are as many as the
// longest common subsequence (checked by a plain recursion).
func TestLinesRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"a", "b", "c", "d"}
	gen := func() []string {
		out := make([]string, rng.IntN(9))
		for i := range out {
			out[i] = words[rng.IntN(len(words))]
		}
		return out
	}
	var lcs func(a, b []string) int
	lcs = func(a, b []string) int {
		if len(a) == 0 || len(b) == 0 {
			return 0
		}
		if a[0] == b[0] {
			return 1 + lcs(a[1:], b[1:])
		}
		return max(lcs(a[1:], b), lcs(a, b[1:]))
	}
	for range 500 {
		a, b := gen(), gen()
		d := Lines(strings.Join(a, "\n"), strings.Join(b, "\n"))
		var ra, rb []string
		same := 0
		for _, l := range d {
			if l.Kind != Added {
				ra = append(ra, l.Text)
			}
			if l.Kind != Removed {
				rb = append(rb, l.Text)
			}
			if l.Kind == Same {
				same++
			}
		}
		if strings.Join(ra, "\n") != strings.Join(a, "\n") || strings.Join(rb, "\n") != strings.Join(b, "\n") {
			t.Fatalf("%q → %q: rebuilt %q, %q", a, b, ra, rb)
		}
		if want := lcs(a, b); same != want {
			t.Fatalf("%q → %q: %d kept lines, LCS %d", a, b, same, want)
		}
	}
}

func TestHunks(t *testing.T) {
	d := Lines("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nX\n5\n6\n7\n")
	if got, want := render(Hunks(d, 1)), "...\n 3\n-4\n+X\n 5\n...\n"; got != want {
		t.Errorf("hunks:\n%s\nwant\n%s", got, want)
	}
}
