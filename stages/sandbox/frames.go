package sandbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// maxFrame bounds one frame line; longer lines are dropped as noise (the
// harness cuts messages well below it).
const maxFrame = 512 << 10

// maxMessage bounds the traceback kept for one test.
const maxMessage = 64 << 10

// maxTests bounds the test results one run may report; past it the run is
// killed (limit "tests"). The harness runs at most as many tests.
const maxTests = 1000

// maxName bounds a reported test name.
const maxName = 1 << 10

// newNonce returns a fresh random tag for the frames of one run.
func newNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sandbox: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// frame is one message of the harness on the result channel.
type frame struct {
	T       string    `json:"t"`
	P       string    `json:"p"`
	Name    string    `json:"name"`
	Names   *[]string `json:"names"`
	Status  string    `json:"status"`
	Message string    `json:"message"`
	What    string    `json:"what"`
	PidsMax int64     `json:"pids_max"`
}

// collector accumulates the frames of one run. It is fed by one goroutine
// and read by another once the run is over. It keeps a bounded amount
// whatever the program writes: at most maxTests results, each message cut
// at maxMessage, all messages together within the output limit; every byte
// of the channel counts toward the output kill limit through spend.
type collector struct {
	nonce  []byte
	budget int64        // message bytes still to keep
	spend  func(n int)  // counts channel bytes toward the output limit
	limit  func(string) // asks for the run to be killed at a limit

	mu       sync.Mutex
	tests    []TestResult
	expected []string // the harness's expect frame; nil: not sent or unknown
	expect   bool     // an expect frame arrived first
	frames   int      // frames accepted
	phase    string   // "", "module", "suite"
	running  string   // name of the test started and not yet reported
	all      *string
	done     bool
	pidsMax  int64    // forks refused by the pids limit, as the harness saw them
	tampered []string // what the harness or the collector found
	notes    []string
	noise    int // lines that were not ours
	cut      int // messages dropped for lack of budget
	// When the module and suite phases began and the harness finished,
	// as the frames arrived (Phases).
	moduleAt, suiteAt, doneAt time.Time
}

func newCollector(nonce string, budget int64, spend func(int), limit func(string)) *collector {
	if budget <= 0 {
		budget = 1 << 20
	}
	return &collector{nonce: []byte(nonce + " "), budget: budget, spend: spend, limit: limit}
}

// read consumes r until EOF or error, one frame per line.
func (c *collector) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	var long bool
	for {
		chunk, err := br.ReadSlice('\n')
		if c.spend != nil && len(chunk) > 0 {
			c.spend(len(chunk))
		}
		switch {
		case err == bufio.ErrBufferFull:
			if !long && len(line)+len(chunk) <= maxFrame {
				line = append(line, chunk...)
			} else {
				long, line = true, line[:0]
			}
			continue
		case err != nil:
			return
		}
		if long || len(line)+len(chunk) > maxFrame {
			long, line = false, line[:0]
			c.note()
			continue
		}
		if len(line) > 0 {
			line = append(line, chunk...)
			c.line(line)
			line = line[:0]
			continue
		}
		c.line(chunk)
	}
}

func (c *collector) note() {
	c.mu.Lock()
	c.noise++
	c.mu.Unlock()
}

// line handles one complete line (with its newline).
func (c *collector) line(line []byte) {
	body := bytes.TrimRight(line, "\n")
	if len(body) == 0 || len(body)+1 == len(c.nonce) && bytes.HasPrefix(c.nonce, body) {
		return // padding
	}
	rest, ok := bytes.CutPrefix(body, c.nonce)
	if !ok {
		c.note()
		return
	}
	var f frame
	if err := json.Unmarshal(rest, &f); err != nil {
		c.note()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		c.tamper("the channel carried frames after the harness finished")
		return
	}
	first := c.frames == 0
	c.frames++
	switch f.T {
	case "expect":
		if !first {
			c.tamper("the test list was announced again after the run began")
			return
		}
		c.expect = true
		if f.Names != nil {
			c.expected = append([]string{}, (*f.Names)...)
		}
	case "phase":
		c.phase = f.P
		switch f.P {
		case "module":
			c.moduleAt = time.Now()
		case "suite":
			c.suiteAt = time.Now()
		}
	case "start":
		c.running = cutName(f.Name)
	case "test":
		if len(c.tests) >= maxTests {
			if c.limit != nil {
				c.limit("tests")
			}
			return
		}
		c.tests = append(c.tests, TestResult{Name: cutName(f.Name), Status: f.Status, Message: c.keep(f.Message)})
		c.running = ""
	case "all":
		m := c.keep(f.Message)
		c.all = &m
	case "tampered":
		c.tamper(cutName(f.What))
	case "note":
		if len(c.notes) < 10 {
			c.notes = append(c.notes, cutName(f.What))
		}
	case "done":
		c.done = true
		c.doneAt = time.Now()
		c.pidsMax = f.PidsMax
	default:
		c.noise++
	}
}

func (c *collector) tamper(what string) {
	if len(c.tampered) < 10 {
		c.tampered = append(c.tampered, what)
	}
}

// mark fills in the moments the frames gave.
func (c *collector) mark(m *marks) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.module, m.suite, m.done = c.moduleAt, c.suiteAt, c.doneAt
}

// keep bounds one message, and all of them together by the budget.
func (c *collector) keep(s string) string {
	s = cutMessage(s)
	if int64(len(s)) > c.budget {
		c.cut++
		return "[ccw: message dropped: the run's messages passed the output limit]"
	}
	c.budget -= int64(len(s))
	return s
}

// cutMessage bounds a traceback and makes it valid UTF-8.
func cutMessage(s string) string {
	if len(s) > maxMessage {
		s = s[:maxMessage] + "\n[ccw: message cut]"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func cutName(s string) string {
	if len(s) > maxName {
		s = s[:maxName] + "[...]"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// finished reports whether the harness sent its final frame.
func (c *collector) finished() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// pidsRefused says whether the harness saw its pids limit refuse a fork.
func (c *collector) pidsRefused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pidsMax > 0
}

// ending describes how a run that did not finish came to an end.
type ending struct {
	Status  Status
	Limit   string
	Message string
}

// result builds the Result of a run: the reported tests, then, if the run
// never finished, an entry for what was running when it ended. fidelity is
// the sandbox's ("strict" or "original").
func (c *collector) result(end ending, fidelity string) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := Result{Tests: append([]TestResult(nil), c.tests...)}
	if c.all != nil {
		r.Tests = append(r.Tests, TestResult{Name: "ALL", Status: "fail", Message: *c.all})
	}
	if c.done {
		r.Status, r.Reason = c.verdict(r.Tests, fidelity)
		return r
	}
	r.Status, r.Limit = end.Status, end.Limit
	name := c.running
	if name == "" {
		name = "ALL"
	}
	status := "error"
	if end.Status == Timeout {
		status = "timeout"
	}
	if c.all == nil || name != "ALL" {
		r.Tests = append(r.Tests, TestResult{Name: name, Status: status, Message: end.Message})
	}
	return r
}

// verdict decides a run whose harness finished. Any failure fails it. With
// fidelity "strict" it passes only when every test the test source defines
// reported a pass and none was skipped; with "original" it passes as
// BigCodeBench's harness would, when nothing failed. Tampering is never a
// pass.
func (c *collector) verdict(tests []TestResult, fidelity string) (Status, string) {
	if !c.expect {
		c.tamper("the harness did not announce the tests before the job ran")
	}
	if len(c.tampered) > 0 {
		return Tampered, strings.Join(c.tampered, "; ")
	}
	passed := map[string]int{}
	var skipped []string
	for _, t := range tests {
		switch t.Status {
		case "fail", "error", "timeout":
			return Fail, ""
		case "pass":
			passed[t.Name]++
		case "skip":
			skipped = append(skipped, t.Name)
		}
	}
	for name, n := range passed {
		if n > 1 {
			return Tampered, fmt.Sprintf("test %s reported a pass %d times", name, n)
		}
	}
	var why string
	status := Pass
	var missing []string
	for _, name := range c.expected {
		if passed[name] == 0 && !contains(skipped, name) {
			missing = append(missing, name)
		}
	}
	switch {
	case len(skipped) > 0:
		status, why = Skipped, "skipped: "+list(skipped)
	case c.expected == nil:
		status, why = Incomplete, "the test source defines no TestCases class the harness could read, so no test is known to be expected"
	case len(c.expected) == 0:
		status, why = Incomplete, "TestCases defines no test methods"
	case len(missing) > 0:
		status, why = Incomplete, fmt.Sprintf("%d of %d expected tests reported no result: %s", len(missing), len(c.expected), list(missing))
	}
	if status != Pass && fidelity == "original" {
		return Pass, why + " (a pass with fidelity = \"original\", as BigCodeBench counts)"
	}
	return status, why
}

// list renders names for a reason, the first few of them.
func list(names []string) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	if len(s) > 8 {
		return strings.Join(s[:8], ", ") + " and " + strconv.Itoa(len(s)-8) + " more"
	}
	return strings.Join(s, ", ")
}

// blamePids turns a failed run into one killed by the process limit when
// that limit was reached: the failure (a fork or a thread start refused) is
// then the limit's doing, and the tick that would have killed the run had
// not come yet.
func blamePids(r *Result, reached bool) {
	if reached && (r.Status == Fail || r.Status == Incomplete) {
		r.Status, r.Limit, r.Reason = Killed, "pids", ""
	}
}

// capture keeps the first max bytes of a stream and counts the rest.
type capture struct {
	max     int64
	kill    int64
	over    func() // called once when the total passes kill
	mu      sync.Mutex
	buf     []byte
	written int64 // bytes of this stream
	total   int64 // bytes the kill limit counts: this stream and the result channel
	fired   bool
}

func (c *capture) read(r io.Reader) {
	b := make([]byte, 32<<10)
	for {
		n, err := r.Read(b)
		if n > 0 {
			c.add(b[:n])
		}
		if err != nil {
			return
		}
	}
}

func (c *capture) add(p []byte) {
	c.mu.Lock()
	if room := c.max - int64(len(c.buf)); room > 0 || c.max <= 0 {
		if c.max > 0 && int64(len(p)) > room {
			c.buf = append(c.buf, p[:room]...)
		} else {
			c.buf = append(c.buf, p...)
		}
	}
	c.written += int64(len(p))
	c.mu.Unlock()
	c.count(len(p))
}

// count adds n bytes to the total that the kill limit applies to, without
// keeping them: the result channel's bytes count too.
func (c *capture) count(n int) {
	c.mu.Lock()
	c.total += int64(n)
	fire := c.kill > 0 && c.total > c.kill && !c.fired
	if fire {
		c.fired = true
	}
	c.mu.Unlock()
	if fire && c.over != nil {
		c.over()
	}
}

// text is the captured output, valid UTF-8, with a marker where it was cut.
func (c *capture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := string(c.buf)
	if c.written > int64(len(c.buf)) {
		// Do not leave half a rune at the cut.
		for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
			if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
				break
			}
			s = s[:len(s)-1]
		}
		s += "\n[ccw: output cut at " + FormatSize(int64(len(c.buf))) + "; " +
			strconv.FormatInt(c.written-int64(len(c.buf)), 10) + " more bytes were written]\n"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Write lets a capture be the destination of a copy.
func (c *capture) Write(p []byte) (int, error) {
	c.add(p)
	return len(p), nil
}
