package sandboxtest

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Task is one BigCodeBench task, with the fields a test needs.
type Task struct {
	ID                string `json:"task_id"`
	CompletePrompt    string `json:"complete_prompt"`
	CanonicalSolution string `json:"canonical_solution"`
	CodePrompt        string `json:"code_prompt"`
	Test              string `json:"test"`
}

// Reference is the program BigCodeBench's ground-truth check runs: the
// prompt followed by the canonical solution.
func (t Task) Reference() string { return t.CompletePrompt + "\n" + t.CanonicalSolution }

// LoadTasks reads the v0.1.0_hf split from the shared data, in file order.
func LoadTasks(t testing.TB) []Task {
	t.Helper()
	path := filepath.Join(DataDir(t), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz")
	f, err := os.Open(path)
	if err != nil {
		Missing(t, "BigCodeBench data: "+err.Error())
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var tasks []Task
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var task Task
		if err := json.Unmarshal(sc.Bytes(), &task); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		tasks = append(tasks, task)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tasks
}

// Verdict is one row of a reference-run TSV.
type Verdict struct {
	Status string  // pass, fail, timeout (and error in the Debian run)
	Wall   float64 // seconds, as measured by that run
}

// LoadVerdicts reads a reference-run TSV of the shared data (by file name,
// e.g. "reference-run-bcb-evaluator-v0.1.0_hf.tsv"): task id → verdict.
func LoadVerdicts(t testing.TB, name string) map[string]Verdict {
	t.Helper()
	path := filepath.Join(DataDir(t), "bigcodebench", name)
	b, err := os.ReadFile(path)
	if err != nil {
		Missing(t, "reference run: "+err.Error())
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], "\t")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	if _, ok := col["status"]; !ok {
		t.Fatalf("%s: no status column in %q", path, lines[0])
	}
	out := map[string]Verdict{}
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != len(head) {
			t.Fatalf("%s:%d: %d fields, want %d", path, i+2, len(f), len(head))
		}
		v := Verdict{Status: f[col["status"]]}
		if w, ok := col["wall_s"]; ok {
			if v.Wall, err = strconv.ParseFloat(f[w], 64); err != nil {
				t.Fatalf("%s:%d: wall_s: %v", path, i+2, err)
			}
		}
		out[f[col["task_id"]]] = v
	}
	return out
}
