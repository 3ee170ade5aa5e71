package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// framesOf renders frames with nonce n, one per line.
func framesOf(n string, frames ...string) string {
	var b strings.Builder
	for _, f := range frames {
		b.WriteString(n + " " + f + "\n")
	}
	return b.String()
}

func TestCollector(t *testing.T) {
	const n = "abc"
	expect := `{"t":"expect","names":["test_a","test_b"]}`
	pass := func(name string) string { return `{"t":"test","name":"` + name + `","status":"pass","message":""}` }
	done := `{"t":"done"}`
	cases := []struct {
		name     string
		input    string
		end      ending
		fidelity string
		want     string // tests
		st       Status
		reason   string // a part of the reason
	}{
		{name: "every expected test passed", input: framesOf(n, expect, `{"t":"start","name":"test_a"}`, pass("test_a"), pass("test_b"), done),
			want: "test_a:pass test_b:pass", st: Pass},
		{name: "a failure fails", input: framesOf(n, expect, pass("test_a"), `{"t":"test","name":"test_b","status":"fail","message":"m"}`, done),
			want: "test_a:pass test_b:fail", st: Fail},
		{name: "killed while a test ran", input: framesOf(n, expect, `{"t":"phase","p":"suite"}`, `{"t":"start","name":"test_a"}`),
			end: ending{Status: Timeout, Limit: "wall"}, want: "test_a:timeout", st: Timeout},
		{name: "killed in the module", input: framesOf(n, expect, `{"t":"phase","p":"module"}`),
			end: ending{Status: Killed, Limit: "pids"}, want: "ALL:error", st: Killed},
		{name: "forged and broken lines are ignored", input: `xyz {"t":"done"}` + "\n" + n + " {not json\n" + framesOf(n, expect, `{"t":"all","message":"boom"}`, done),
			want: "ALL:fail", st: Fail},
		{name: "padding lines are ignored", input: "\n" + n + " \n" + framesOf(n, expect, pass("test_a"), pass("test_b"), done),
			want: "test_a:pass test_b:pass", st: Pass},
		{name: "an overlong line is dropped", input: framesOf(n, expect, `{"t":"test","name":"`+strings.Repeat("x", maxFrame)+`","status":"pass"}`, pass("test_a"), pass("test_b"), done),
			want: "test_a:pass test_b:pass", st: Pass},
		{name: "a skip is not a pass", input: framesOf(n, expect, pass("test_a"), `{"t":"test","name":"test_b","status":"skip","message":"later"}`, done),
			want: "test_a:pass test_b:skip", st: Skipped, reason: "skipped: test_b"},
		{name: "a skip passes with fidelity original", fidelity: "original", input: framesOf(n, expect, pass("test_a"), `{"t":"test","name":"test_b","status":"skip","message":""}`, done),
			want: "test_a:pass test_b:skip", st: Pass, reason: `fidelity = "original"`},
		{name: "a missing result is not a pass", input: framesOf(n, expect, pass("test_a"), done),
			want: "test_a:pass", st: Incomplete, reason: "1 of 2 expected tests reported no result: test_b"},
		{name: "a missing result passes with fidelity original", fidelity: "original", input: framesOf(n, expect, done),
			want: "", st: Pass, reason: "2 of 2"},
		{name: "zero tests expected", input: framesOf(n, `{"t":"expect","names":[]}`, done),
			want: "", st: Incomplete, reason: "no test methods"},
		{name: "no TestCases in the source", input: framesOf(n, `{"t":"expect","names":null}`, pass("test_x"), done),
			want: "test_x:pass", st: Incomplete, reason: "no TestCases class"},
		{name: "an extra passing test does not matter", input: framesOf(n, expect, pass("test_a"), pass("test_b"), pass("test_c"), done),
			want: "test_a:pass test_b:pass test_c:pass", st: Pass},
		{name: "the harness reports tampering", input: framesOf(n, expect, pass("test_a"), pass("test_b"), `{"t":"tampered","what":"TestCase.run was replaced"}`, done),
			want: "test_a:pass test_b:pass", st: Tampered, reason: "TestCase.run was replaced"},
		{name: "tampering is never a pass, even with fidelity original", fidelity: "original", input: framesOf(n, expect, pass("test_a"), pass("test_b"), `{"t":"tampered","what":"x"}`, done),
			want: "test_a:pass test_b:pass", st: Tampered},
		{name: "frames after done", input: framesOf(n, expect, `{"t":"test","name":"test_a","status":"fail","message":""}`, done, pass("test_a"), pass("test_b")),
			want: "test_a:fail", st: Tampered, reason: "after the harness finished"},
		{name: "a test passed twice", input: framesOf(n, expect, pass("test_a"), pass("test_a"), pass("test_b"), done),
			want: "test_a:pass test_a:pass test_b:pass", st: Tampered, reason: "test_a reported a pass 2 times"},
		{name: "the test list announced again", input: framesOf(n, expect, `{"t":"expect","names":["test_a"]}`, pass("test_a"), done),
			want: "test_a:pass", st: Tampered, reason: "announced again"},
		{name: "no test list before the job", input: framesOf(n, pass("test_a"), pass("test_b"), done),
			want: "test_a:pass test_b:pass", st: Tampered, reason: "did not announce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := newCollector(n, 1<<20, nil, nil)
			col.read(strings.NewReader(c.input))
			fidelity := c.fidelity
			if fidelity == "" {
				fidelity = "strict"
			}
			r := col.result(c.end, fidelity)
			if tests(r) != c.want || r.Status != c.st || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("got %s [%s] reason %q, want %s [%s] reason containing %q", r.Status, tests(r), r.Reason, c.st, c.want, c.reason)
			}
		})
	}
}

// TestCollectorBounds checks what bounds a flood: the number of results
// (the run is killed at maxTests), the bytes of messages kept (the output
// budget), and that every channel byte is counted toward the output limit.
func TestCollectorBounds(t *testing.T) {
	const n = "abc"
	var spent int
	var limits []string
	col := newCollector(n, 100<<10, func(k int) { spent += k }, func(l string) { limits = append(limits, l) })
	var in strings.Builder
	in.WriteString(framesOf(n, `{"t":"expect","names":["test_a"]}`))
	msg := strings.Repeat("m", 60<<10)
	for i := 0; i < maxTests+5; i++ {
		in.WriteString(framesOf(n, fmt.Sprintf(`{"t":"test","name":"test_a (i=%d)","status":"fail","message":"%s"}`, i, msg)))
	}
	col.read(strings.NewReader(in.String()))
	r := col.result(ending{Status: Killed, Limit: "tests"}, "strict")
	if len(r.Tests) != maxTests+1 { // the results kept, and the one for what was running
		t.Errorf("kept %d results, want %d", len(r.Tests), maxTests+1)
	}
	if len(limits) == 0 || limits[0] != "tests" {
		t.Errorf("limits asked for: %v, want tests", limits)
	}
	kept := 0
	for _, tr := range r.Tests {
		kept += len(tr.Message)
	}
	if kept > 100<<10+maxTests*100 {
		t.Errorf("kept %d bytes of messages, want at most the budget of 100KiB and a marker per result", kept)
	}
	if !strings.Contains(r.Tests[len(r.Tests)-2].Message, "messages passed the output limit") {
		t.Errorf("a dropped message carries no marker: %q", r.Tests[len(r.Tests)-2].Message)
	}
	if spent != in.Len() {
		t.Errorf("counted %d channel bytes toward the output limit, want %d", spent, in.Len())
	}
}

func TestCapture(t *testing.T) {
	var fired int
	c := &capture{max: 10, kill: 25, over: func() { fired++ }}
	c.add([]byte("0123456"))
	c.add([]byte("789abcdef"))
	if got := c.text(); !strings.HasPrefix(got, "0123456789\n[ccw: output cut at 10B; 6 more bytes were written]") {
		t.Fatalf("text = %q", got)
	}
	c.add([]byte(strings.Repeat("z", 20)))
	c.add([]byte("z"))
	if fired != 1 {
		t.Fatalf("over fired %d times, want once", fired)
	}
	// Channel bytes count toward the kill limit, not toward the text.
	k := &capture{max: 10, kill: 25, over: func() { fired++ }}
	k.add([]byte("abc"))
	k.count(30)
	if fired != 2 || k.text() != "abc" {
		t.Fatalf("fired %d, text %q: channel bytes must trip the kill and not show as output", fired, k.text())
	}
	// A cut inside a rune drops the partial rune.
	u := &capture{max: 2}
	u.add([]byte("é!"))
	if got := u.text(); !strings.HasPrefix(got, "é\n") {
		t.Fatalf("text = %q", got)
	}
	u2 := &capture{max: 1}
	u2.add([]byte("é"))
	if got := u2.text(); !strings.HasPrefix(got, "\n[ccw") {
		t.Fatalf("text = %q", got)
	}
}
