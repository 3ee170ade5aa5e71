package llmstage

import (
	"strings"

	"github.com/ccw-dev/ccw/internal/pystr"
	"github.com/ccw-dev/ccw/stages/extract"
)

// Feedback turns a simulator's answer into the verbal feedback shown to
// the refiner (protocol.md §2.2 step 7), the corrected way: the text after
// the output field, cut before the first line outside a code block that
// starts with "---" (a section separator: the model began a new example)
// and before the first two blank lines in a row outside a code block. For
// an expert with the leak guard on, every fenced code block is removed
// and the prose around it kept, so that no code (the ground truth, or a
// fix) reaches the refiner; guarded says whether a block was removed.
// Code blocks of a novice (quoted error messages) stay.
func Feedback(answer, field string, expert, leakGuard bool) (feedback string, guarded bool) {
	s, _ := extract.Field(answer, field)
	lines := strings.Split(s, "\n")
	fences := extract.Fences(lines)
	lines, fences = cutOutsideFences(lines, fences)
	if expert && leakGuard && len(fences) > 0 {
		lines, guarded = dropFences(lines, fences), true
	}
	return strings.TrimSpace(strings.Join(lines, "\n")), guarded
}

// cutOutsideFences keeps the lines before the first separator line
// ("---...") or the first pair of blank lines that lie outside every
// fenced block, and the fences within them.
func cutOutsideFences(lines []string, fences []extract.Fence) ([]string, []extract.Fence) {
	blank := func(i int) bool { return i < len(lines) && strings.TrimSpace(lines[i]) == "" }
	f := 0
	for i := 0; i < len(lines); i++ {
		if f < len(fences) && i == fences[f].Open {
			if strings.HasPrefix(strings.TrimSpace(lines[i][:fences[f].At]), "---") {
				return lines[:i], fences[:f]
			}
			i = fences[f].Close
			f++
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "---") || (i > 0 && blank(i) && blank(i+1)) {
			return lines[:i], fences[:f]
		}
	}
	return lines, fences
}

// dropFences removes the fenced blocks from lines, keeping any prose
// before an opening fence on its line; where a removed block stood
// between two blank lines, one of them goes too.
func dropFences(lines []string, fences []extract.Fence) []string {
	var out []string
	next := 0
	for _, f := range fences {
		out = append(out, lines[next:f.Open]...)
		if prose := strings.TrimRight(lines[f.Open][:f.At], " \t"); strings.TrimSpace(prose) != "" {
			out = append(out, prose)
		}
		next = min(f.Close+1, len(lines))
		if next < len(lines) && strings.TrimSpace(lines[next]) == "" &&
			(len(out) == 0 || strings.TrimSpace(out[len(out)-1]) == "") {
			next++
		}
	}
	return append(out, lines[next:]...)
}

// FeedbackOriginal is the original's post-processing, for fidelity
// "original": dspy's field value (stripped, trailing dashes removed), cut
// before the first "---" anywhere and the first "\n\n\n"; for an expert
// with the leak guard on, also cut at the first "\n```", which drops the
// first code block and everything after it. Nothing is stripped after the
// cuts, as in the original.
func FeedbackOriginal(answer, field string, expert, leakGuard bool) (feedback string, guarded bool) {
	s, _ := extract.Field(answer, field)
	s = pystr.Strip(strings.TrimRight(pystr.Strip(s), "-"))
	s, _, _ = strings.Cut(s, "---")
	s, _, _ = strings.Cut(s, "\n\n\n")
	if expert && leakGuard {
		s, _, guarded = strings.Cut(s, "\n```")
	}
	return s, guarded
}
