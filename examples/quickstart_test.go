package examples_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files")

// quickEvent is a --json progress line.
type quickEvent struct {
	Event string `json:"event"`
	Combo string `json:"combination"`
	Stage string `json:"stage"`
	Task  string `json:"task"`
	Turn  int    `json:"turn"`
	Key   string `json:"key"`
}

// TestQuickstart runs the README's first command: the nine combinations
// for ten turns on ccw-mini with the scripted mock models. The report's
// tables follow from the script (golden file); a rerun executes nothing;
// plan then shows everything cached; cache explain names the instance
// that computed a key.
func TestQuickstart(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	cache, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	log := ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", cache, "--out", out)
	if !strings.Contains(log, "experiment quickstart: 17 tasks") {
		t.Errorf("run:\n%s", log)
	}
	report := ccw(t, nil, 0, "report", out)
	testenv.Golden(t, "testdata/quickstart.report.golden", report, *update)

	rows := readTurns(t, filepath.Join(out, "turns.parquet"))
	// The protocol's shape: turn 0 shared and copied into all nine
	// combinations; no turn after a pass; the CF-only combination never
	// changes code that compiles.
	seen := map[string]int32{}
	for _, r := range rows {
		k := r.Combination + " " + r.TaskID
		if last, ok := seen[k]; ok && r.Turn != last+1 {
			t.Errorf("%s: turn %d after turn %d", k, r.Turn, last)
		}
		seen[k] = r.Turn
		if r.Combination == "cf" && r.Turn > 0 && r.Passed {
			t.Errorf("cf: %s passed at turn %d", r.TaskID, r.Turn)
		}
	}
	if len(seen) != 9*17 {
		t.Errorf("%d (combination, task) pairs", len(seen))
	}

	again := ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", cache, "--out", filepath.Join(dir, "again"))
	if !strings.Contains(again, "everything was cached: nothing was executed") {
		t.Errorf("second run:\n%s", again)
	}
	for _, f := range []string{"turns.parquet", "calls.parquet", "metrics.parquet"} {
		sameFile(t, filepath.Join(out, f), filepath.Join(dir, "again", f))
	}
	plan := ccw(t, nil, 0, "plan", "quickstart.hcl", "--cache", cache)
	if !strings.Contains(plan, "execute.code@t") || strings.Contains(plan, "lower bound") {
		t.Errorf("plan after a run:\n%s", plan)
	}

	var solved schemas.Turn
	for _, r := range rows {
		if r.Combination == "cf_sef" && r.Turn > 0 && r.Passed {
			solved = r
			break
		}
	}
	explain := ccw(t, nil, 0, "cache", "explain", strings.TrimPrefix(solved.ExecKey, "sha256:")[:12], "--cache", cache)
	if !strings.Contains(explain, "computed by: experiment.quickstart combination.") || !strings.Contains(explain, "execute.code") {
		t.Errorf("cache explain:\n%s", explain)
	}
}

// TestQuickstartKillAndResume kills the protocol run with SIGKILL while it
// refines, runs it again, and checks that the resumed run repeats nothing
// that was finished and ends with the rows of an uninterrupted run.
func TestQuickstartKillAndResume(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	full, resumed := filepath.Join(dir, "full"), filepath.Join(dir, "resumed")
	ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", filepath.Join(dir, "cache-full"), "--out", full)

	cache := filepath.Join(dir, "cache")
	finished := map[string]bool{} // keys of executions of later turns that finished
	killAfter(t, []string{"run", "quickstart.hcl", "--cache", cache, "--out", resumed, "--json"}, func(line []byte) bool {
		var e quickEvent
		if json.Unmarshal(line, &e) == nil && e.Event == "ran" && strings.HasPrefix(e.Stage, "execute.") && e.Turn > 0 {
			finished[e.Key] = true
		}
		return len(finished) == 8
	})
	if _, err := os.Stat(filepath.Join(resumed, "turns.parquet")); err == nil {
		t.Fatal("a killed run left a turns.parquet behind")
	}

	if spills, _ := filepath.Glob(filepath.Join(resumed, ".turns.spill-*")); len(spills) != 1 {
		t.Errorf("the killed run left %d spill files, want its own", len(spills))
	}
	log := ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", cache, "--out", resumed, "--json")
	if spills, _ := filepath.Glob(filepath.Join(resumed, ".turns.spill-*")); len(spills) != 0 {
		t.Errorf("spill files left after the resumed run: %v", spills)
	}
	for _, line := range strings.Split(log, "\n") {
		var e quickEvent
		if json.Unmarshal([]byte(line), &e) == nil && e.Event == "ran" && finished[e.Key] {
			t.Errorf("%s %s turn %d finished before the kill but ran again", e.Stage, e.Task, e.Turn)
		}
	}
	a, b := readTurns(t, filepath.Join(full, "turns.parquet")), readTurns(t, filepath.Join(resumed, "turns.parquet"))
	if len(a) != len(b) {
		t.Fatalf("%d rows vs %d", len(a), len(b))
	}
	for i := range a {
		a[i].ExecMS, b[i].ExecMS = 0, 0 // timings differ between runs by nature
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("row %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
	sameFile(t, filepath.Join(full, "metrics.parquet"), filepath.Join(resumed, "metrics.parquet"))
}

// TestQuickstartOriginal runs the quickstart with fidelity = "original" on
// three combinations and three turns, and checks the original's defects
// that show in the rows: solved code goes on, is executed again every turn
// and gains a header block each turn; execution feedback after a compile
// repair is the previous turn's (stale); a novice with a compile error but
// a passing partial feedback stays silent, yet the coder is asked to
// refine.
func TestQuickstartOriginal(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ccw(t, nil, 0, "run", "quickstart.hcl", "--cache", filepath.Join(dir, "cache"), "--out", out,
		"--var", "fidelity=original", "--var", "turns=3",
		"--var", `combinations=["cf_ef_full", "cf_ef_partial_snf", "cf_ef_full_sef"]`)
	rows := readTurns(t, filepath.Join(out, "turns.parquet"))
	at := map[string]schemas.Turn{}
	for _, r := range rows {
		at[fmt.Sprintf("%s %s %d", r.Combination, r.TaskID, r.Turn)] = r
	}
	if len(rows) != 3*17*4 {
		t.Fatalf("%d rows, want every turn of every task: %d", len(rows), 3*17*4)
	}
	// CCWMini/0 is solved at turn 0 and goes on.
	keys := map[string]bool{}
	for turn := 0; turn <= 3; turn++ {
		r := at[fmt.Sprintf("cf_ef_full CCWMini/0 %d", turn)]
		if !r.Passed {
			t.Errorf("CCWMini/0 turn %d: %s", turn, r.Status)
		}
		keys[r.ExecKey] = true
		if n := strings.Count(r.Code, "from collections import Counter\n"); turn > 0 && n != turn+1 {
			t.Errorf("CCWMini/0 turn %d: the header block appears %d times", turn, n)
		}
	}
	if len(keys) != 4 {
		t.Errorf("solved code was executed %d times in 4 turns", len(keys))
	}
	// CCWMini/9: turn 1 breaks the syntax; turn 2 repairs it and shows
	// the stale feedback of turn 1's evaluation.
	r1, r2 := at["cf_ef_full CCWMini/9 1"], at["cf_ef_full CCWMini/9 2"]
	if r1.Compiled == nil || *r1.Compiled || r2.FeedbackExecution == nil || !strings.Contains(*r2.FeedbackExecution, "invalid syntax") {
		t.Errorf("stale feedback: turn 1 compiled %v, turn 2 feedback %v", r1.Compiled, r2.FeedbackExecution)
	}
	calls, err := schemas.Calls.Read(filepath.Join(out, "calls.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	refined := false
	for _, c := range calls.([]schemas.Call) {
		if c.Combination == "cf_ef_partial_snf" && c.TaskID == "CCWMini/9" && c.Turn == 2 && c.Stage == "refine.code" {
			refined = true
		}
	}
	if r := at["cf_ef_partial_snf CCWMini/9 2"]; r.FeedbackVerbal != nil || !refined {
		t.Errorf("novice with a compile error behind a passing partial feedback: verbal %v, refined %v", r.FeedbackVerbal, refined)
	}
}
