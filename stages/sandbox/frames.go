package sandbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxFrame bounds one frame line; longer lines are dropped as noise.
const maxFrame = 4 << 20

// maxMessage bounds the traceback kept for one test.
const maxMessage = 64 << 10

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
	T       string `json:"t"`
	P       string `json:"p"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	PidsMax int64  `json:"pids_max"`
}

// collector accumulates the frames of one run. It is fed by one goroutine
// and read by another once the run is over.
type collector struct {
	nonce []byte

	mu      sync.Mutex
	tests   []TestResult
	phase   string // "", "module", "suite"
	running string // name of the test started and not yet reported
	all     *string
	done    bool
	pidsMax int64 // forks refused by the pids limit, as the harness saw them
	noise   int   // lines that were not ours
}

func newCollector(nonce string) *collector {
	return &collector{nonce: []byte(nonce + " ")}
}

// read consumes r until EOF or error, one frame per line.
func (c *collector) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	var long bool
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			long = true // keep reading to the end of this line
			continue
		case err != nil:
			return
		case long || len(line) > maxFrame:
			long = false
			c.note()
			continue
		}
		c.line(line)
	}
}

func (c *collector) note() {
	c.mu.Lock()
	c.noise++
	c.mu.Unlock()
}

// line handles one complete line (with its newline).
func (c *collector) line(line []byte) {
	rest, ok := bytes.CutPrefix(line, c.nonce)
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
		return // nothing counts after the verdict
	}
	switch f.T {
	case "phase":
		c.phase = f.P
	case "start":
		c.running = f.Name
	case "test":
		c.tests = append(c.tests, TestResult{Name: f.Name, Status: f.Status, Message: cutMessage(f.Message)})
		c.running = ""
	case "all":
		m := cutMessage(f.Message)
		c.all = &m
	case "done":
		c.done = true
		c.pidsMax = f.PidsMax
	default:
		c.noise++
	}
}

// cutMessage bounds a traceback and makes it valid UTF-8.
func cutMessage(s string) string {
	if len(s) > maxMessage {
		s = s[:maxMessage] + "\n[ccw: message cut]"
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
// never finished, an entry for what was running when it ended.
func (c *collector) result(end ending) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := Result{Tests: append([]TestResult(nil), c.tests...)}
	if c.all != nil {
		r.Tests = append(r.Tests, TestResult{Name: "ALL", Status: "fail", Message: *c.all})
	}
	if c.done {
		r.Status = Pass
		for _, t := range r.Tests {
			if t.Status == "fail" || t.Status == "error" || t.Status == "timeout" {
				r.Status = Fail
			}
		}
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

// blamePids turns a failed run into one killed by the process limit when
// that limit was reached: the failure (a fork or a thread start refused) is
// then the limit's doing, and the tick that would have killed the run had
// not come yet.
func blamePids(r *Result, reached bool) {
	if reached && r.Status == Fail {
		r.Status, r.Limit = Killed, "pids"
	}
}

// capture keeps the first max bytes of a stream and counts the rest.
type capture struct {
	max   int64
	kill  int64
	over  func() // called once when the total passes kill
	mu    sync.Mutex
	buf   []byte
	total int64
	fired bool
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
	c.total += int64(len(p))
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
	if c.total > int64(len(c.buf)) {
		// Do not leave half a rune at the cut.
		for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
			if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size > 1 {
				break
			}
			s = s[:len(s)-1]
		}
		s += "\n[ccw: output cut at " + FormatSize(int64(len(c.buf))) + "; " +
			strconv.FormatInt(c.total-int64(len(c.buf)), 10) + " more bytes were written]\n"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Write lets a capture be the destination of a copy.
func (c *capture) Write(p []byte) (int, error) {
	c.add(p)
	return len(p), nil
}
