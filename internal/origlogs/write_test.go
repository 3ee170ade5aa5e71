package origlogs

import (
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/execfeedback"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

func sp(s string) *string { return &s }

func tc(name, status, message string) schemas.Test {
	return schemas.Test{Name: name, Status: status, Message: message}
}

// ccwRows is a small ccw live run: a task solved at turn 0, one solved at
// turn 2 (no rows after), one never solved whose executions end in every
// way (failures and errors mixed with passing tests, a module-level
// failure, a timeout, a crash, an out-of-memory kill).
func ccwRows() []schemas.Turn {
	var rows []schemas.Turn
	add := func(combo, task string, idx int32, turn int32, status string, tests []schemas.Test, verbal *string) {
		r := schemas.Turn{Experiment: "e", Combination: combo, Stage: "score.turn", TaskID: task, TaskIndex: idx, Turn: turn,
			Code: "import x\ndef task_func():\n    return " + task + string(rune('0'+turn)) + "\n", Status: status, Passed: status == "pass",
			Tests: tests, Model: sp("m/coder")}
		if turn > 0 {
			r.FeedbackCompilation, r.FeedbackVerbal = sp("No syntax errors"), verbal
			if combo != "cf_sef" {
				r.FeedbackExecution = sp("TEST_A\nboom\n")
			}
		}
		rows = append(rows, r)
	}
	mixed := []schemas.Test{tc("test_z", "pass", ""), tc("test_b", "error", "Traceback\nKeyError\n"), tc("test_a", "fail", "Traceback\nAssertionError\n"),
		tc("test_c", "timeout", "Timed out!"), tc("test_b", "error", "second traceback\n")}
	all := []schemas.Test{tc("ALL", "fail", "invalid syntax (<string>, line 1)")}
	for _, combo := range []string{"cf_sef", "cf_ef_partial_snf"} {
		// Turn 0 is shared: the same rows in both combinations.
		add(combo, "BigCodeBench/0", 0, 0, "pass", []schemas.Test{tc("test_a", "pass", "")}, nil)
		add(combo, "BigCodeBench/5", 1, 0, "fail", mixed, nil)
		add(combo, "BigCodeBench/7", 2, 0, "timeout", []schemas.Test{tc("test_a", "timeout", "Timed out!")}, nil)
		add(combo, "BigCodeBench/5", 1, 1, "fail", all, sp("fix the syntax"))
		add(combo, "BigCodeBench/5", 1, 2, "pass", nil, nil)
		add(combo, "BigCodeBench/7", 2, 1, "crash", nil, sp("it crashed"))
		add(combo, "BigCodeBench/7", 2, 2, "oom", nil, nil)
		add(combo, "BigCodeBench/7", 2, 3, "fail", mixed, sp(""))
	}
	return rows
}

// TestWriteRead writes a ccw run in the original's format and reads it
// back: every row comes back with its code, status (the causes
// BigCodeBench calls timeout as timeout), feedback and — what a static
// run renders — the same execution feedback under both coverages; the
// turns after a pass come back as the original writes them.
func TestWriteRead(t *testing.T) {
	rows := ccwRows()
	dir := t.TempDir()
	prompts := map[string]string{"BigCodeBench/0": "import x\ndef task_func():\n", "BigCodeBench/5": "import x\ndef task_func():\n", "BigCodeBench/7": "import x\ndef task_func():\n"}
	files, err := Write(dir, rows, WriteOptions{Model: "m/coder", Simulator: "gpt-4o", CodePrompts: prompts, Date: "2025-01-01 00:00"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2*(1+2*3) {
		t.Errorf("%d files: %v", len(files), files)
	}
	logs, err := Read(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if logs.Model != "m/coder" || logs.Simulator != "gpt-4o" || logs.Turns != 3 || logs.Calibrated != 3 || len(logs.Combinations) != 2 {
		t.Errorf("logs: model %q simulator %q turns %d calibrated %d combinations %d", logs.Model, logs.Simulator, logs.Turns, logs.Calibrated, len(logs.Combinations))
	}
	type key struct {
		combo, task string
		turn        int32
	}
	back := map[key]schemas.Turn{}
	for _, r := range logs.Rows {
		back[key{r.Combination, r.TaskID, r.Turn}] = r
	}
	if len(back) != 2*3*4 {
		t.Errorf("%d rows read back, want every task at turns 0..3 in two combinations", len(back))
	}
	result := func(r schemas.Turn) sandbox.Result {
		res := sandbox.Result{Status: sandbox.Status(r.Status)}
		for _, x := range r.Tests {
			res.Tests = append(res.Tests, sandbox.TestResult{Name: x.Name, Status: x.Status, Message: x.Message})
		}
		return res
	}
	for _, r := range rows {
		b, ok := back[key{r.Combination, r.TaskID, r.Turn}]
		if !ok {
			t.Fatalf("%s %s turn %d: not read back", r.Combination, r.TaskID, r.Turn)
		}
		wantStatus := r.Status
		if wantStatus != "pass" && wantStatus != "fail" {
			wantStatus = "timeout"
		}
		if b.Code != r.Code || b.Status != wantStatus || b.Passed != r.Passed || *b.Model != "m/coder" ||
			str(b.FeedbackVerbal) != str(r.FeedbackVerbal) || str(b.FeedbackExecution) != str(r.FeedbackExecution) {
			t.Errorf("%s %s turn %d: read back %+v\nfrom %+v", r.Combination, r.TaskID, r.Turn, b, r)
		}
		for _, cov := range []execfeedback.Coverage{execfeedback.Full, execfeedback.Partial} {
			opt := execfeedback.DefaultOptions(cov, []string{"setUp", "test_a", "test_b"})
			want, err1 := execfeedback.Render(result(r), opt)
			got, err2 := execfeedback.Render(result(b), opt)
			if err1 != nil || err2 != nil || got.Text != want.Text || got.Passed != want.Passed {
				t.Errorf("%s %s turn %d, %s coverage: feedback %q, want %q (%v %v)", r.Combination, r.TaskID, r.Turn, cov, got.Text, want.Text, err1, err2)
			}
		}
	}
	// After its pass at turn 2, task 5 is re-emitted with the header again.
	if b := back[key{"cf_sef", "BigCodeBench/5", 3}]; !b.Passed || b.FeedbackVerbal != nil ||
		b.Code != "import x\n"+back[key{"cf_sef", "BigCodeBench/5", 2}].Code {
		t.Errorf("solved task at turn 3: %+v", b)
	}
	// A run that stops without a pass cannot be written.
	cut := rows[:len(rows)-1]
	if _, err := Write(t.TempDir(), cut, WriteOptions{Model: "m"}); err == nil || !strings.Contains(err.Error(), "stops at turn 2 without a pass") {
		t.Errorf("incomplete run: %v", err)
	}
	bad := append([]schemas.Turn{}, rows...)
	bad[0].Combination = "mine"
	if _, err := Write(t.TempDir(), bad, WriteOptions{Model: "m"}); err == nil || !strings.Contains(err.Error(), `combination "mine" is none of the original's nine`) {
		t.Errorf("unknown combination: %v", err)
	}
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
