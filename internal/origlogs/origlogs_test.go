package origlogs

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render prints rows one a line (code as its first line and digest).
func render(rows []schemas.Turn) string {
	var b strings.Builder
	opt := func(p *string) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprintf("%q", *p)
	}
	for _, r := range rows {
		first, _, _ := strings.Cut(r.Code, "\n")
		var tests []string
		for _, t := range r.Tests {
			tests = append(tests, t.Name+":"+t.Status+":"+fmt.Sprintf("%q", t.Message))
		}
		fmt.Fprintf(&b, "%s %s [%d] turn %d %s passed=%v code=%q sha=%s\n", r.Combination, r.TaskID, r.TaskIndex, r.Turn, r.Status, r.Passed, first, r.CodeSHA256[:8])
		fmt.Fprintf(&b, "    tests %d/%d %s\n", r.TestsFailed, r.TestsRun, strings.Join(tests, " "))
		fmt.Fprintf(&b, "    feedback c=%s e=%s v=%s\n", opt(r.FeedbackCompilation), opt(r.FeedbackExecution), opt(r.FeedbackVerbal))
		fmt.Fprintf(&b, "    model=%s simulator=%s stage=%s output=%q\n", opt(r.Model), opt(r.Simulator), r.Stage, r.Output)
	}
	return b.String()
}

// TestRead reads hand-written logs in the original's layout (an
// instruct/ turn-0 file, results/v0.3.6 turn files of two combinations)
// with its quirks: the calibration prefix of turn-0 evaluations, null
// feedback, ALL details, a timeout without details, failures before
// errors in the details, a task denied in place and then by the log
// marker, solved code re-emitted with the header prepended again, and
// files to ignore (the cheating ablation, a static run, other files).
func TestRead(t *testing.T) {
	logs, err := Read("testdata/logs", Options{})
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("model=%s simulator=%s turns=%d tasks=%v combinations=%d denied=%d calibrated=%d null_feedback=%d\nfiles:\n  %s\n",
		logs.Model, logs.Simulator, logs.Turns, logs.Tasks, len(logs.Combinations), logs.Denied, logs.Calibrated, logs.NullFeedback,
		strings.Join(logs.Files, "\n  "))
	testenv.Golden(t, "testdata/logs.golden", head+render(logs.Rows), *update)
	// The model may be named with "/" or as the files spell it.
	for _, m := range []string{"org/coder-7b", "org_coder-7b", "org--coder-7b"} {
		l, err := Read("testdata/logs", Options{Model: m})
		if err != nil || len(l.Rows) != len(logs.Rows) {
			t.Errorf("model %q: %v", m, err)
		}
	}
}

// copyTree copies the fixture so that a test can break it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestReadErrors(t *testing.T) {
	res := "results/v0.3.6/"
	sef1 := res + "bigcodebench_org_coder-7b_CF_SEF_by_gpt-4o.jsonl"
	init := "bigcodebench/sanitized_calibrated_samples/instruct/org--coder-7b--bigcodebench-instruct--vllm-0-1-sanitized-calibrated.jsonl"
	tests := []struct {
		name   string
		break_ func(dir string) error
		model  string
		want   string
	}{
		{"missing eval", func(d string) error { return os.Remove(filepath.Join(d, EvalFile(sef1))) },
			"", "bigcodebench_org_coder-7b_CF_SEF_by_gpt-4o_eval_results.json is missing"},
		{"a gap in the turns", func(d string) error {
			return os.Rename(filepath.Join(d, res+"bigcodebench_org_coder-7b_CF_SEF_by_gpt-4o_ITER=2.jsonl"), filepath.Join(d, res+"bigcodebench_org_coder-7b_CF_SEF_by_gpt-4o_ITER=3.jsonl"))
		}, "", "turn 2 of w/ CF SEF is missing (expected bigcodebench_org_coder-7b_CF_SEF_by_gpt-4o_ITER=2.jsonl)"},
		{"a task missing from a turn", func(d string) error { return dropLine(filepath.Join(d, sef1), "BigCodeBench/13") },
			"", "task BigCodeBench/13 of the turn-0 file is missing"},
		{"a task the turn-0 file lacks", func(d string) error { return dropLine(filepath.Join(d, init), "BigCodeBench/13") },
			"", "line 3: task BigCodeBench/13 is not in the turn-0 file"},
		{"half-written last line", func(d string) error { return appendTo(filepath.Join(d, sef1), `{"task_id": "BigCodeBench/9", "sol`) },
			"", "line 4: unexpected end of JSON input (a half-written last line?)"},
		{"mismatched evaluation", func(d string) error {
			return replaceIn(filepath.Join(d, EvalFile(sef1)), `return random.randint(\n", "status"`, `return 1\n", "status"`)
		}, "", "task BigCodeBench/10 (line 2): the evaluated solution is not the logged one"},
		{"calibration after turn 0", func(d string) error {
			return replaceIn(filepath.Join(d, EvalFile(sef1)), `"solution": "import random\ndef task_func(n):\n    return random`, `"solution": "def task_func(n):\n\n    pass\nimport random\ndef task_func(n):\n    return random`)
		}, "", "only turn-0 evaluations are calibrated"},
		{"no turn-0 file", func(d string) error { return os.RemoveAll(filepath.Join(d, "bigcodebench")) },
			"", "has no turn-0 file of org_coder-7b"},
		{"several models", func(d string) error {
			return os.WriteFile(filepath.Join(d, res+"bigcodebench_other_CF_SEF.jsonl"), []byte(`{"task_id": "x", "solution": ""}`), 0o644)
		}, "", "holds the logs of several models (org_coder-7b, other): choose one with --model"},
		{"an unknown model", func(string) error { return nil }, "org/coder-13b", `holds no logs of model "org/coder-13b" (it has: org_coder-7b)`},
		{"a bad status", func(d string) error {
			return replaceIn(filepath.Join(d, EvalFile(sef1)), `"status": "timeout"`, `"status": "crashed"`)
		},
			"", `evaluation status "crashed" is not pass, fail or timeout`},
	}
	for _, tt := range tests {
		dir := copyTree(t, "testdata/logs")
		if err := tt.break_(dir); err != nil {
			t.Fatal(err)
		}
		_, err := Read(dir, Options{Model: tt.model})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Read(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "holds no ConvCodeWorld logs") {
		t.Errorf("empty directory: %v", err)
	}
}

func dropLine(path, task string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var keep []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.Contains(l, `"task_id": "`+task+`"`) {
			keep = append(keep, l)
		}
	}
	return os.WriteFile(path, []byte(strings.Join(keep, "")), 0o644)
}

func appendTo(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(text)
	return err
}

func replaceIn(path, old, new string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), old) {
		return fmt.Errorf("%s has no %q", path, old)
	}
	return os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}
