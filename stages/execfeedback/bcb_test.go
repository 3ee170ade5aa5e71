package execfeedback

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// variant is a deliberately wrong body of task_func whose test results
// the parity test renders, on how many tasks of the default (Hard) run and
// of the full run (-1: all of them).
type variant struct {
	name        string
	body        string
	timeout     time.Duration // 0 means the sandbox's
	hard, every int
}

var variants = []variant{
	// Failures (wrong values) mixed with errors (None has no attributes).
	{name: "none", body: "    return None\n", hard: -1, every: -1},
	// Errors only, with long multi-line non-ASCII messages: feedback of
	// well over 8000 code points, trimmed.
	{name: "long", body: "    raise ValueError('ccw: broken, ünïcödé line\\n' * 120)\n", hard: 40, every: -1},
	// Every test errors (except those expecting an exception).
	{name: "raise", body: "    raise ValueError('ccw: deliberately broken')\n", hard: 0, every: -1},
	// A test interrupted by the suite alarm, then the wall-time kill.
	{name: "hang", body: "    while True:\n        pass\n", timeout: 3 * time.Second, hard: 2, every: 2},
}

// trimSettings are the front/rear pairs of the refine retry schedule
// (protocol.md §2.2 step 8) plus one tiny pair.
var trimSettings = [][2]int{{2000, 4000}, {2000, 3000}, {2000, 2000}, {1000, 1000}, {1000, 0}, {0, 0}, {7, 11}}

// TestOriginalParity runs BigCodeBench tests against broken solutions in
// the real sandbox and renders each result twice: with the feedback stage
// and with testdata/original_ef.py, an independent Python model of the
// original's code path (the fork's details, pot.py's rendering, trimming
// and extract_methods' partial selection). Every text must be equal byte
// for byte. By default it runs the 148 Hard tasks (with fewer of them for
// some variants); CCW_FEEDBACK_ALL=1 runs all 1140 tasks with every variant.
func TestOriginalParity(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real BigCodeBench tests in the sandbox (minutes)")
	}
	sandboxtest.NeedLibraries(t)
	tasks := sandboxtest.LoadTasks(t)
	if os.Getenv("CCW_FEEDBACK_ALL") != "1" {
		raw, err := os.ReadFile(filepath.Join(testenv.SharedData(t), "bigcodebench", "hard-task-ids.txt"))
		if err != nil {
			testenv.Missing(t, "hard task ids: %v", err)
		}
		hard := map[string]bool{}
		for _, id := range strings.Fields(string(raw)) {
			hard[id] = true
		}
		var keep []sandboxtest.Task
		for _, task := range tasks {
			if hard[task.ID] {
				keep = append(keep, task)
			}
		}
		if len(keep) != 148 {
			t.Fatalf("%d Hard tasks found, want 148", len(keep))
		}
		tasks = keep
	}
	sb := openSandbox(t, map[string]cty.Value{"timeout": cty.StringVal("30s"), "slots": cty.NumberIntVal(2)})

	type job struct {
		TaskID string               `json:"task_id"`
		Test   string               `json:"test"`
		Status string               `json:"status"`
		Tests  []sandbox.TestResult `json:"tests"`
		Trims  [][2]int             `json:"trims"`
		result cty.Value
	}
	all := os.Getenv("CCW_FEEDBACK_ALL") == "1"
	var jobs []*job
	var runs []func() (sandbox.Result, error)
	for _, v := range variants {
		n := v.hard
		if all {
			n = v.every
		}
		for i, task := range tasks {
			if n >= 0 && i >= n {
				break
			}
			jobs = append(jobs, &job{TaskID: task.ID + " " + v.name, Test: task.Test, Trims: trimSettings})
			runs = append(runs, func() (sandbox.Result, error) {
				return sb.Run(context.Background(), sandbox.Job{Code: task.CodePrompt + v.body, Test: task.Test, Timeout: v.timeout})
			})
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r, err := runs[i]()
				if err != nil {
					t.Errorf("%s: %v", jobs[i].TaskID, err)
					continue
				}
				jobs[i].Status, jobs[i].Tests, jobs[i].result = string(r.Status), r.Tests, r.Value()
			}
		}()
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		return
	}
	ran := time.Since(start)

	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.Python, "-I", filepath.Join("testdata", "original_ef.py"))
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("original_ef.py: %v", err)
	}
	var want []struct {
		TaskID  string   `json:"task_id"`
		Visible []string `json:"visible"`
		Full    string   `json:"full"`
		Partial string   `json:"partial"`
		Trimmed []string `json:"trimmed"`
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(jobs) {
		t.Fatalf("python rendered %d results for %d jobs", len(want), len(jobs))
	}

	var st struct{ mixed, all, timeouts, trimmed, hidden, passed, diffs int }
	status := map[string]int{}
	for i, j := range jobs {
		w := want[i]
		status[j.Status]++
		full := runStage(t, j.result, "full", nil)
		partial := runStage(t, j.result, "partial", w.Visible)
		check := func(what, got, want string) {
			if got != want {
				st.diffs++
				if st.diffs <= 10 {
					t.Errorf("%s %s differs from the original's\n%s", j.TaskID, what, testenv.FirstDiff(got, want))
				}
			}
		}
		check("full feedback", full.GetAttr("text").AsString(), w.Full)
		check("partial feedback", partial.GetAttr("text").AsString(), w.Partial)
		for k, ts := range j.Trims {
			check(fmt.Sprintf("trim %d/%d", ts[0], ts[1]), Trim(full.GetAttr("untrimmed").AsString(), ts[0], ts[1]), w.Trimmed[k])
		}
		// Statistics of what the comparison covered.
		kinds := map[string]bool{}
		for _, tr := range j.Tests {
			kinds[tr.Status] = true
			if tr.Name == "ALL" {
				st.all++
			}
		}
		if kinds["fail"] && (kinds["error"] || kinds["timeout"]) {
			st.mixed++
		}
		if j.Status == "timeout" || kinds["timeout"] {
			st.timeouts++
		}
		if full.GetAttr("trimmed").True() {
			st.trimmed++
		}
		if j.Status != "pass" && partial.GetAttr("passed").True() {
			st.hidden++
		}
		if j.Status == "pass" {
			st.passed++
		}
	}
	t.Logf("%d executions in %s (%v); %d agree byte for byte in full, partial and %d trim settings, %d texts differ",
		len(jobs), ran.Round(time.Second), status, len(jobs)-st.diffs, len(trimSettings), st.diffs)
	t.Logf("covered: %d runs mixing failures and errors, %d module-level (ALL), %d with a timeout, %d full texts trimmed (≥ 8000 code points), %d failing runs shown as passed under partial coverage, %d passing",
		st.mixed, st.all, st.timeouts, st.trimmed, st.hidden, st.passed)
	if st.mixed == 0 || st.all == 0 || st.trimmed == 0 || st.hidden == 0 || st.timeouts+status["timeout"] == 0 {
		t.Errorf("the run did not cover every path (mixed %d, ALL %d, trimmed %d, hidden %d, timeouts %d)", st.mixed, st.all, st.trimmed, st.hidden, st.timeouts)
	}
}

func openSandbox(t *testing.T, attrs map[string]cty.Value) *sandbox.Sandbox {
	t.Helper()
	m := map[string]cty.Value{}
	for _, a := range sandbox.Block().Schema() {
		m[a.Name] = cty.NullVal(a.Type)
	}
	for k, v := range attrs {
		m[k] = v
	}
	r, err := sandbox.Block().Open("py", cty.ObjectVal(m))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.(*sandbox.Sandbox)
}

// runStage renders through the stage kind, as a pipeline would.
func runStage(t *testing.T, result cty.Value, coverage string, visible []string) cty.Value {
	t.Helper()
	v, err := New().Run(context.Background(), stages.Input{Config: stageConfig(result, coverage, visible), Addr: "feedback.execution"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func stageConfig(result cty.Value, coverage string, visible []string) cty.Value {
	vis := cty.NullVal(cty.List(cty.String))
	if visible != nil {
		vis = cty.ListValEmpty(cty.String)
		if len(visible) > 0 {
			vals := make([]cty.Value, len(visible))
			for i, s := range visible {
				vals[i] = cty.StringVal(s)
			}
			vis = cty.ListVal(vals)
		}
	}
	m := map[string]cty.Value{}
	for _, a := range New().Config() {
		m[a.Name] = a.Default
		if a.Default == cty.NilVal {
			m[a.Name] = cty.NullVal(a.Type)
		}
	}
	m["execution"], m["coverage"], m["visible"] = result, cty.StringVal(coverage), vis
	return cty.ObjectVal(m)
}
