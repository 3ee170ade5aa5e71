package examples_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

// initialExperiment runs the built-in protocol from pre-generated turn-0
// solutions (a jsonl of task_id and solution, the form the original
// ships) on three of ccw's own tasks.
const initialExperiment = `
variable "initial" {
  type = string
}
variable "fidelity" {
  type    = string
  default = "corrected"
}
tasks "mini" {
  path = "TASKS"
  ids  = ["CCWMini/0", "CCWMini/1", "CCWMini/11"]
}
model "coder" {
  provider     = "mock"
  name         = "imported"
  mock_default = "I cannot improve on this."
}
sandbox "py" {
  python  = "/usr/bin/python3"
  timeout = "10s"
}
experiment "imported" {
  protocol     = "convcodeworld"
  tasks        = tasks.mini
  coder        = model.coder
  simulator    = model.coder
  sandbox      = sandbox.py
  initial      = var.initial
  fidelity     = var.fidelity
  turns        = 2
  combinations = ["cf_ef_full"]
}
`

// TestInitialSolutions: turn 0 comes from the file, no generation call is
// made, and the original's fidelity executes the "calibrated" program. A
// file that lacks a task fails with the task and the file named.
func TestInitialSolutions(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	tasksPath, err := filepath.Abs("tasks/ccw-mini.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(dir, "imported.hcl")
	if err := os.WriteFile(exp, []byte(strings.Replace(initialExperiment, "TASKS", tasksPath, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Solutions as the original's sanitized-calibrated files hold them:
	// the function only (the prompt's imports come from the calibration).
	solutions := map[string]string{
		"CCWMini/0":  "def task_func(text, n=3):\n    if n < 0:\n        raise ValueError('negative')\n    words = re.findall(r\"[a-z0-9']+\", text.lower())\n    return sorted(Counter(words).items(), key=lambda kv: (-kv[1], kv[0]))[:n]\n",
		"CCWMini/1":  "def task_func(number):\n    return 'I' * number\n",
		"CCWMini/11": "def task_func(values):\n    return sorted(values)[len(values) // 2]\n",
	}
	var b strings.Builder
	for _, id := range []string{"CCWMini/0", "CCWMini/1", "CCWMini/11"} {
		line, _ := json.Marshal(map[string]string{"task_id": id, "solution": solutions[id]})
		b.Write(append(line, '\n'))
	}
	initial := filepath.Join(dir, "initial.jsonl")
	if err := os.WriteFile(initial, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, fidelity := range []string{"corrected", "original"} {
		out := filepath.Join(dir, fidelity)
		ccw(t, nil, 0, "run", exp, "--cache", filepath.Join(dir, "cache"), "--out", out,
			"--var", "initial="+initial, "--var", "fidelity="+fidelity)
		rows := readTurns(t, filepath.Join(out, "turns.parquet"))
		for _, r := range rows {
			if r.Turn != 0 {
				continue
			}
			sol := solutions[r.TaskID]
			switch {
			case !strings.HasSuffix(r.Code, sol):
				t.Errorf("%s %s: turn 0 executed %q, not the imported solution", fidelity, r.TaskID, r.Code)
			case fidelity == "original" && !strings.Contains(r.Code, "\n    pass\n"+sol):
				t.Errorf("original %s: turn 0 is not calibrated: %q", r.TaskID, r.Code)
			}
			if want := r.TaskID == "CCWMini/0"; r.Passed != want {
				t.Errorf("%s %s: passed %v at turn 0", fidelity, r.TaskID, r.Passed)
			}
		}
		calls, err := schemas.Calls.Read(filepath.Join(out, "calls.parquet"))
		if err == nil {
			for _, c := range calls.([]schemas.Call) {
				if c.Stage == "generate.initial" {
					t.Errorf("%s: a generation call with imported solutions: %+v", fidelity, c)
				}
			}
		}
	}

	// A file without one of the tasks.
	short := filepath.Join(dir, "short.jsonl")
	first, _, _ := strings.Cut(b.String(), "\n")
	if err := os.WriteFile(short, []byte(first+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := ccw(t, nil, 1, "run", exp, "--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "short"), "--var", "initial="+short)
	if !strings.Contains(log, `no record with task_id "CCWMini/1"`) || !strings.Contains(log, "short.jsonl") {
		t.Errorf("missing task:\n%s", log)
	}
}
