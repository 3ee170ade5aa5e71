package execfeedback

import (
	"fmt"
	"strings"

	"github.com/ccw-dev/ccw/internal/pystr"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// Constants of the original (pot.py).
const (
	// Sentinel is the feedback of a run in which nothing visible failed.
	Sentinel = "Passed all test runs"
	// TrimAt is the length in code points from which feedback is trimmed.
	TrimAt = 8000
	// Front and Rear are how many code points of the head and of the tail
	// a trimmed feedback keeps.
	Front = 2000
	Rear  = 4000
	// VisibleCount is how many test names partial coverage shows.
	VisibleCount = 3
)

// Coverage says which failing tests the feedback shows.
type Coverage string

// Coverages (protocol.md §3: full TC and partial TC).
const (
	Full    Coverage = "full"
	Partial Coverage = "partial"
)

// Detail is one entry of BigCodeBench's details map: the key (a test
// method name, or "ALL" for a module-level failure) and its traceback.
type Detail struct {
	Key     string
	Message string
}

// Details returns BigCodeBench's details of a run, in the order the fork's
// evaluator stores them: for a run whose suite finished, every failure and
// then every error (a test the suite alarm interrupted is an error), each
// in run order; a key seen twice (a test that fails and then errors in
// tearDown) keeps its first place and takes the later traceback, as a
// Python dict does. A module-level failure gives only "ALL". A run that
// never reported (timeout, and the crash, memory and process limits that
// BigCodeBench reports as timeout) has no details.
func Details(r sandbox.Result) []Detail {
	if r.Status != sandbox.Fail {
		return nil
	}
	for _, t := range r.Tests {
		if t.Name == "ALL" && failing(t.Status) {
			return []Detail{{Key: "ALL", Message: t.Message}}
		}
	}
	var out []Detail
	at := map[string]int{}
	add := func(t sandbox.TestResult) {
		if i, seen := at[t.Name]; seen {
			out[i].Message = t.Message
			return
		}
		at[t.Name] = len(out)
		out = append(out, Detail{Key: t.Name, Message: t.Message})
	}
	for _, t := range r.Tests {
		if t.Status == "fail" {
			add(t)
		}
	}
	for _, t := range r.Tests {
		if t.Status == "error" || t.Status == "timeout" {
			add(t)
		}
	}
	return out
}

func failing(status string) bool {
	return status == "fail" || status == "error" || status == "timeout"
}

// Options select and shorten the feedback.
type Options struct {
	Coverage Coverage
	// Visible lists the function definitions of the test module's classes
	// in ast.walk order; partial coverage shows details whose key is among
	// the first VisibleCount of them.
	Visible      []string
	VisibleCount int
	// TrimAt, Front and Rear configure trimming (see Trim); TrimAt ≤ 0
	// means the original's 8000.
	TrimAt, Front, Rear int
}

// DefaultOptions are the original's settings for a coverage.
func DefaultOptions(c Coverage, visible []string) Options {
	return Options{Coverage: c, Visible: visible, VisibleCount: VisibleCount, TrimAt: TrimAt, Front: Front, Rear: Rear}
}

// Feedback is rendered execution feedback.
type Feedback struct {
	// Text is what the model is shown (trimmed when long).
	Text string
	// Untrimmed is Text before trimming.
	Untrimmed string
	// Passed says that nothing visible failed: Text is the sentinel.
	Passed bool
	// Failing lists the keys of the blocks rendered, in order.
	Failing []string
	// Trimmed says that Text is shorter than Untrimmed.
	Trimmed bool
}

// Render renders the execution feedback of r as the original does
// (pot.py get_execution_feedback).
func Render(r sandbox.Result, opt Options) (Feedback, error) {
	if opt.Coverage != Full && opt.Coverage != Partial {
		return Feedback{}, fmt.Errorf("coverage %q is not one of full, partial", opt.Coverage)
	}
	if r.Status == sandbox.Pass {
		return Feedback{Text: Sentinel, Untrimmed: Sentinel, Passed: true, Failing: []string{}}, nil
	}
	details := Details(r)
	if opt.Coverage == Partial {
		shown := opt.Visible[:min(max(opt.VisibleCount, 0), len(opt.Visible))]
		var keep []Detail
		for _, d := range details {
			for _, name := range shown {
				if d.Key == name {
					keep = append(keep, d)
					break
				}
			}
		}
		if len(keep) == 0 {
			return Feedback{Text: Sentinel, Untrimmed: Sentinel, Passed: true, Failing: []string{}}, nil
		}
		details = keep
	}
	blocks := make([]string, len(details))
	fb := Feedback{Failing: make([]string, len(details))}
	for i, d := range details {
		blocks[i] = pystr.Upper(d.Key) + "\n" + d.Message + "\n"
		fb.Failing[i] = d.Key
	}
	fb.Untrimmed = strings.Join(blocks, "\n")
	fb.Text = fb.Untrimmed
	at := opt.TrimAt
	if at <= 0 {
		at = TrimAt
	}
	if pystr.Len(fb.Text) >= at {
		fb.Text, fb.Trimmed = Trim(fb.Text, opt.Front, opt.Rear), true
	}
	return fb, nil
}

// Trim shortens execution feedback as the original does (pot.py): split
// it into lines as Python's str.splitlines() does, take w lines from each
// end (5 when there are at least 10 lines, 1 when there is one, else half
// of them), keep the first front code points of the head and the last
// rear code points of the tail (Python slices: a rear of 0 keeps the whole
// tail, as s[-0:] does), and join them with "\n...\n".
func Trim(text string, front, rear int) string {
	lines := pystr.SplitLines(text)
	n := len(lines)
	w := n / 2
	switch {
	case n >= 10:
		w = 5
	case n == 1:
		w = 1
	}
	head := strings.Join(lines[:w], "\n")
	tail := strings.Join(lines[n-w:], "\n")
	if w == 0 {
		tail = strings.Join(lines, "\n") // lines[-0:] is every line
	}
	return pystr.Head(head, front) + "\n...\n" + pystr.Tail(tail, rear)
}
