// Package textdiff computes line diffs of small texts (programs, pipeline
// files) for people to read: the reports' code-to-previous-turn view and
// ccw diff's configuration view.
package textdiff

import "strings"

// Kind says what a line of a diff is.
type Kind byte

// Kinds of diff lines.
const (
	Same    Kind = ' '
	Removed Kind = '-'
	Added   Kind = '+'
)

// Line is one line of a diff.
type Line struct {
	Kind Kind
	Text string
}

// maxCells bounds the LCS table; longer texts are diffed after their
// common head and tail are cut, and if still too long, as a replacement.
const maxCells = 4 << 20

// Lines diffs a and b line by line (a longest common subsequence, the
// common head and tail first), every line of both texts in order.
func Lines(a, b string) []Line {
	la, lb := split(a), split(b)
	var out []Line
	head := 0
	for head < len(la) && head < len(lb) && la[head] == lb[head] {
		out = append(out, Line{Same, la[head]})
		head++
	}
	tail := 0
	for tail < len(la)-head && tail < len(lb)-head && la[len(la)-1-tail] == lb[len(lb)-1-tail] {
		tail++
	}
	ma, mb := la[head:len(la)-tail], lb[head:len(lb)-tail]
	out = append(out, middle(ma, mb)...)
	for _, l := range la[len(la)-tail:] {
		out = append(out, Line{Same, l})
	}
	return out
}

func middle(a, b []string) []Line {
	var out []Line
	if len(a)*len(b) > maxCells {
		for _, l := range a {
			out = append(out, Line{Removed, l})
		}
		for _, l := range b {
			out = append(out, Line{Added, l})
		}
		return out
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, Line{Same, a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			out = append(out, Line{Removed, a[i]})
			i++
		default:
			out = append(out, Line{Added, b[j]})
			j++
		}
	}
	return out
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Changed reports whether a diff has any removed or added line.
func Changed(d []Line) bool {
	for _, l := range d {
		if l.Kind != Same {
			return true
		}
	}
	return false
}

// Hunks keeps the changed lines of d and up to context unchanged lines
// around each; a nil Line (Kind 0) stands for skipped lines.
func Hunks(d []Line, context int) []Line {
	keep := make([]bool, len(d))
	for i, l := range d {
		if l.Kind == Same {
			continue
		}
		for k := max(0, i-context); k <= min(len(d)-1, i+context); k++ {
			keep[k] = true
		}
	}
	var out []Line
	skipped := false
	for i, l := range d {
		if !keep[i] {
			skipped = true
			continue
		}
		if skipped {
			out = append(out, Line{})
		}
		skipped = false
		out = append(out, l)
	}
	if skipped && len(out) > 0 {
		out = append(out, Line{})
	}
	return out
}
