package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// ccwCommand is this test binary acting as ccw (see TestMain).
func ccwCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCCW+"=1", "NO_COLOR=1")
	return cmd
}

var headlineRE = regexp.MustCompile(`(\d+)/(\d+) done \(at most (\d+)\)`)

// frames are the totals of the headlines in a progress output.
func totals(out string) []int {
	var ts []int
	for _, m := range headlineRE.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[2])
		ts = append(ts, n)
	}
	return ts
}

// TestProgressTerminal runs the scripted protocol with stderr on a
// pseudo-terminal: the live block is redrawn in place with bars per stage
// kind and per combination and the model line; the known total grows as
// turns unroll; Ctrl-C (the terminal's interrupt character) stops the run
// with exit 130, says what was saved and prints the command that resumes,
// and that command finishes the run.
func TestProgressTerminal(t *testing.T) {
	testenv.NeedPython(t)
	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	file := filepath.Join("testdata", "scripted", "scripted.hcl")
	// One instance at a time per lane: the run lasts long enough to be
	// interrupted once its graph has grown.
	cmd := ccwCommand("run", file, "--cache", cache, "--out", out, "--var", "turns=4", "--parallelism", "1")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var screen bytes.Buffer
	interrupted := false
	buf := make([]byte, 4096)
	for {
		n, err := ptmx.Read(buf)
		screen.Write(buf[:n])
		// Interrupt once the graph has grown past its first size.
		if ts := totals(screen.String()); !interrupted && len(ts) > 0 && ts[len(ts)-1] > ts[0] {
			if _, err := ptmx.Write([]byte{3}); err != nil { // ^C
				t.Fatal(err)
			}
			interrupted = true
		}
		if err != nil {
			break // EIO once the child has exited
		}
	}
	werr := cmd.Wait()
	got := screen.String()
	var ee *exec.ExitError
	if !interrupted || !errors.As(werr, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v (^C sent: %v)\n%s", werr, interrupted, got)
	}
	for _, s := range []string{"\033[J", "A\033[J", "by stage kind", "execute", "by combination", "cf_ef_full_sef",
		"model calls:", "tokens", "ETA", "interrupt", "saved:", "resume (repeats nothing that finished):"} {
		if !strings.Contains(got, s) {
			t.Errorf("terminal output lacks %q", s)
		}
	}
	ts := totals(got)
	if len(ts) < 2 || ts[len(ts)-1] <= ts[0] {
		t.Errorf("the total never grew: %v", ts)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i] < ts[i-1] {
			t.Errorf("the total shrank: %v", ts)
		}
	}
	// The resume command, run as printed.
	m := regexp.MustCompile(`\n  (ccw run [^\r\n]*)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no resume command:\n%s", got)
	}
	args := strings.Fields(strings.TrimPrefix(m[1], "ccw "))
	resumed := ccwCommand(args...)
	var rout bytes.Buffer
	resumed.Stdout, resumed.Stderr = &rout, &rout
	if err := resumed.Run(); err != nil {
		t.Fatalf("resume %q: %v\n%s", m[1], err, rout.String())
	}
	if !strings.Contains(rout.String(), "results: "+filepath.Join(out, "turns.parquet")) {
		t.Errorf("resumed run:\n%s", rout.String())
	}
}

// TestProgressPipe: on a pipe, plain periodic lines without escape codes;
// with --json one JSON object per line, the planned event with its bound
// and grew events with the instances they added.
func TestProgressPipe(t *testing.T) {
	testenv.NeedPython(t)
	dir := t.TempDir()
	file := filepath.Join("testdata", "scripted", "scripted.hcl")
	cmd := ccwCommand("run", file, "--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "out"), "--progress-every", "300ms")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	lines := 0
	for _, l := range strings.Split(stderr.String(), "\n") {
		if headlineRE.MatchString(l) {
			lines++
			if !strings.Contains(l, "model calls:") {
				t.Errorf("line without the model figures: %q", l)
			}
		}
	}
	if lines < 2 || strings.Contains(stderr.String(), "\033") {
		t.Errorf("%d progress lines, escapes %v:\n%s", lines, strings.Contains(stderr.String(), "\033"), stderr.String())
	}

	cmd = ccwCommand("run", file, "--cache", filepath.Join(dir, "cache2"), "--out", filepath.Join(dir, "out2"), "--json")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	grewTotal, bound, tokens := 0, 0, int64(0)
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var ev jsonEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		kinds[ev.Event]++
		switch ev.Event {
		case "planned":
			bound = ev.Bound
		case "grew":
			grewTotal += ev.Total
		case "ran":
			tokens += ev.TokensIn
		}
	}
	io.Copy(io.Discard, pipe)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if kinds["planned"] != 1 || kinds["grew"] == 0 || kinds["turns-ended"] == 0 || bound == 0 || grewTotal == 0 || tokens == 0 {
		t.Errorf("events %v, bound %d, grew by %d, tokens %d", kinds, bound, grewTotal, tokens)
	}
}

// TestProgressExpected checks the ETA's estimate of the walk's size on
// made-up counts: with no decided turn it is the bound; once half the
// decided turns continue, a pair at turn t expects sum of 0.5^k more
// turns.
func TestProgressExpected(t *testing.T) {
	p := &progress{total: 100, bound: 1000, tasks: 10, turns: 3, combos: []string{"a"}, pairTurn: map[string]int{}}
	if got := p.expected(); got != 1000 {
		t.Errorf("no decided turn: %v, want the bound", got)
	}
	// 4 pairs continued to turn 1 (adding 10 instances each), 4 ended at 0;
	// 2 pairs are still at turn 0 undecided.
	p.grew, p.ended, p.grewVertices, p.total = 4, 4, 40, 140
	for i := range 4 {
		p.pairTurn[string(rune('a'+i))] = 1
	}
	// turn 1 pairs: 10 × (0.5 + 0.25) each = 7.5 × 4 = 30; turn 0 pairs:
	// 10 × (0.5 + 0.25 + 0.125) × 2 = 17.5.
	if got, want := p.expected(), 140+30+17.5; got != want {
		t.Errorf("expected %v, want %v", got, want)
	}
	_ = time.Second
	_ = syscall.SIGINT
}
