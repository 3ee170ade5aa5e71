package examples_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type event struct {
	Event string `json:"event"`
	Stage string `json:"stage"`
	Task  string `json:"task"`
}

// executions returns the tasks whose execute stage ran, and those whose
// execute stage came from the cache, in a --json log.
func executions(log string) (ran, cached map[string]bool) {
	ran, cached = map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		var e event
		if json.Unmarshal([]byte(line), &e) != nil || e.Stage != "execute.reference" {
			continue
		}
		switch e.Event {
		case "ran":
			ran[e.Task] = true
		case "cached", "shared":
			cached[e.Task] = true
		}
	}
	return ran, cached
}

// TestReferenceKillAndResume kills a run with SIGKILL halfway, runs it
// again, and checks that the second run executes only what the first did
// not finish and that its results equal an uninterrupted run's.
func TestReferenceKillAndResume(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	full, resumed := filepath.Join(dir, "full"), filepath.Join(dir, "resumed")
	ccw(t, nil, 0, "run", "reference.hcl", "--cache", filepath.Join(dir, "cache-full"), "--out", full)
	ids := ccw(t, nil, 0, "report", full, "--format", "ids")
	if want := "CCWMini/11\nCCWMini/12\nCCWMini/13\nCCWMini/14\nCCWMini/15\nCCWMini/16\n"; ids != want {
		t.Errorf("report --format ids = %q, want %q", ids, want)
	}

	cache := filepath.Join(dir, "cache")
	finished := map[string]bool{}
	killAfter(t, []string{"run", "reference.hcl", "--cache", cache, "--out", resumed, "--json"}, func(line []byte) bool {
		var e event
		if json.Unmarshal(line, &e) == nil && e.Event == "ran" && e.Stage == "execute.reference" {
			finished[e.Task] = true
		}
		return len(finished) == 6
	})
	if _, err := os.Stat(filepath.Join(resumed, "turns.parquet")); err == nil {
		t.Fatal("a killed run left a turns.parquet behind")
	}

	log := ccw(t, nil, 0, "run", "reference.hcl", "--cache", cache, "--out", resumed, "--json")
	ran, cached := executions(log)
	for task := range finished {
		if ran[task] {
			t.Errorf("%s finished before the kill but was executed again", task)
		}
		if !cached[task] {
			t.Errorf("%s finished before the kill but was not taken from the cache", task)
		}
	}
	if len(ran)+len(cached) != 17 || len(ran) > 17-6 {
		t.Errorf("resumed run: %d executed, %d cached", len(ran), len(cached))
	}

	a, b := readTurns(t, filepath.Join(full, "turns.parquet")), readTurns(t, filepath.Join(resumed, "turns.parquet"))
	if len(a) != 17 || len(a) != len(b) {
		t.Fatalf("%d rows vs %d", len(a), len(b))
	}
	for i := range a {
		a[i].ExecMS, b[i].ExecMS = 0, 0 // timings differ between runs by nature
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("row %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
}

// TestReferenceCommands runs the reference, then the commands a user
// runs next: a second run that executes nothing, plan, graph, report and
// cache explain of a key from turns.parquet.
func TestReferenceCommands(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	flags := []string{"--cache", cache}

	first := ccw(t, nil, 0, append([]string{"run", "reference.hcl", "--out", out}, flags...)...)
	if !strings.Contains(first, "passed 11 · failed 5 · timed out 1") {
		t.Errorf("first run summary:\n%s", first)
	}
	again := ccw(t, nil, 0, append([]string{"run", "reference.hcl", "--out", filepath.Join(dir, "again")}, flags...)...)
	if !strings.Contains(again, "everything was cached: nothing was executed") {
		t.Errorf("second run:\n%s", again)
	}
	plan := ccw(t, nil, 0, append([]string{"plan", "reference.hcl"}, flags...)...)
	if !strings.Contains(plan, "execute.reference         17      17    0       0") {
		t.Errorf("plan after a run:\n%s", plan)
	}
	graph := ccw(t, nil, 0, "graph", "reference.hcl")
	if !strings.Contains(graph, `"execute.reference" -> "score.reference";`) {
		t.Errorf("graph:\n%s", graph)
	}
	report := ccw(t, nil, 0, "report", out)
	if !strings.Contains(report, "reference: 11/17 passed (64.7%)") || !strings.Contains(report, "CCWMini/12           fail     AssertionError: 'ehoor, truog!'") {
		t.Errorf("report:\n%s", report)
	}

	rows := readTurns(t, filepath.Join(out, "turns.parquet"))
	key := strings.TrimPrefix(rows[0].ExecKey, "sha256:")[:12]
	explain := ccw(t, nil, 0, append([]string{"cache", "explain", key}, flags...)...)
	for _, want := range []string{"type:    ccw.execute.v2", `type (string): "ccw.execute.v2"`, `"resource": "sandbox"`, `"timeout_ms": 3000`, "def task_func"} {
		if !strings.Contains(explain, want) {
			t.Errorf("cache explain lacks %q:\n%s", want, explain)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "run.json")); err != nil {
		t.Error(err)
	}
}
