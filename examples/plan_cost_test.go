package examples_test

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// costRow is one line of plan --cost's table.
type costRow struct {
	lo, hi int
	exp    float64 // -1 when not given
}

var costLineRE = regexp.MustCompile(`^\s*(model calls|executions|sandbox helper runs)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s*$`)

func costTable(t *testing.T, out string) map[string]costRow {
	t.Helper()
	rows := map[string]costRow{}
	for _, l := range strings.Split(out, "\n") {
		if m := costLineRE.FindStringSubmatch(l); m != nil {
			lo, _ := strconv.Atoi(m[3])
			hi, _ := strconv.Atoi(m[5])
			exp, err := strconv.ParseFloat(m[4], 64)
			if err != nil {
				exp = -1
			}
			rows[m[1]+" "+m[2]] = costRow{lo, hi, exp}
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no cost table in:\n%s", out)
	}
	return rows
}

// ranCounts counts, from a run's --json events, the work it did: model
// calls per model stage kind's resource class, executions, helper runs.
func ranCounts(t *testing.T, log string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		var e quickEvent
		if json.Unmarshal([]byte(line), &e) != nil || e.Event != "ran" {
			continue
		}
		switch kind, _, _ := strings.Cut(e.Stage, "."); kind {
		case "generate", "refine":
			out["model calls model.coder"]++
		case "simulate":
			out["model calls model.user"]++
		case "execute":
			out["executions sandbox.py"]++
		case "compile", "sanitize", "test_methods":
			out["sandbox helper runs sandbox.py"]++
		}
	}
	return out
}

// TestPlanCostQuickstart checks ccw plan --cost against what runs do: on
// a fresh cache turn 0 is exact (17 generations, 17 executions, 51 helper
// runs, no simulator call) and the whole run's real counts fall in the
// stated ranges; on a half-finished run (interrupted) the resumed run's
// real counts fall in the ranges plan states then, and the expected value
// from the half run's own rates lies in the range; after the run nothing
// is left to do.
func TestPlanCostQuickstart(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	fresh := costTable(t, ccw(t, nil, 0, "plan", "quickstart.hcl", "--cache", cache, "--cost"))
	exact := map[string]int{"model calls model.coder": 17, "executions sandbox.py": 17, "sandbox helper runs sandbox.py": 51, "model calls model.user": 0}
	for k, n := range exact {
		if fresh[k].lo != n {
			t.Errorf("fresh plan: %s at least %d, want exactly %d (turn 0)", k, fresh[k].lo, n)
		}
	}

	// Interrupt a run once it has made 60 model calls.
	half := filepath.Join(dir, "half")
	cmd := exec.Command(ccwBin, "run", "quickstart.hcl", "--cache", cache, "--out", half, "--json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var firstLog strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	calls, signalled := 0, false
	for sc.Scan() {
		firstLog.WriteString(sc.Text() + "\n")
		var e quickEvent
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Event == "ran" && (strings.HasPrefix(e.Stage, "refine.") || strings.HasPrefix(e.Stage, "generate.")) {
			calls++
			if calls == 60 && !signalled {
				cmd.Process.Signal(syscall.SIGINT)
				signalled = true
			}
		}
	}
	if err := cmd.Wait(); err == nil || !signalled {
		t.Fatalf("the run was not interrupted (signalled %v, %v)", signalled, err)
	}
	first := ranCounts(t, firstLog.String())

	plan := ccw(t, nil, 0, "plan", "quickstart.hcl", "--cache", cache, "--cost", "--expect", half)
	mid := costTable(t, plan)
	rest := ranCounts(t, ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", cache, "--out", filepath.Join(dir, "full"), "--json"))
	for k, r := range mid {
		lo := r.lo
		if strings.HasPrefix(k, "sandbox helper runs") {
			lo = 0 // compile checks of code that turns out unchanged are shared (plan --cost says so)
		}
		if got := rest[k]; got < lo || got > r.hi {
			t.Errorf("after the interruption: %s: the rest of the run did %d, plan said %d..%d", k, got, r.lo, r.hi)
		}
		if got := first[k] + rest[k]; got < fresh[k].lo || got > fresh[k].hi {
			t.Errorf("whole run: %s: %d done, the fresh plan said %d..%d", k, got, fresh[k].lo, fresh[k].hi)
		}
	}
	if !strings.Contains(plan, "expected: turn 0 and decided turns as counted") {
		t.Errorf("plan --expect does not say how the expected value was made:\n%s", plan)
	}
	t.Logf("fresh %v; interrupted after %v; then plan %v; the rest did %v", fresh, first, mid, rest)

	// The expected value from the whole run's own rates, on an empty
	// cache, comes close to what the run did (the same script).
	again := costTable(t, ccw(t, nil, 0, "plan", "quickstart.hcl", "--cache", filepath.Join(dir, "empty"), "--cost", "--expect", filepath.Join(dir, "full")))
	for _, k := range []string{"model calls model.coder", "model calls model.user", "executions sandbox.py"} {
		real := float64(first[k] + rest[k])
		if e := again[k].exp; e < 0.85*real || e > 1.15*real {
			t.Errorf("%s: expected %.0f from the run's own rates, the run did %.0f", k, e, real)
		}
	}
	if done := ccw(t, nil, 0, "plan", "quickstart.hcl", "--cache", cache, "--cost"); !strings.Contains(done, "nothing: every model call and execution the run needs is cached") {
		t.Errorf("after the run:\n%s", done)
	}
}
