package origlogs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/execfeedback"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// WriteOptions say how Write names and fills the original's files.
type WriteOptions struct {
	// Model and Simulator are the names the files carry.
	Model, Simulator string
	// Backend names the turn-0 file: vllm (default) or openai.
	Backend string
	// Turns is the last turn written; 0 means the highest turn of the
	// rows.
	Turns int
	// CodePrompts (task id → code_prompt), when set, make the files as
	// the original's are: the turn-0 evaluation ran the calibrated
	// program (code_prompt, a pass body, then the solution), and a solved
	// task re-emits its code with the header (code_prompt before
	// task_func) prepended again every turn.
	CodePrompts map[string]string
	// Date is the eval files' date ("YYYY-MM-DD HH:MM").
	Date string
}

// Write writes the turn rows of one ccw run (one experiment and score
// stage; turn 0 in every combination, as ccw writes it) into dir as the
// original lays out a model's logs: the turn-0 file and its evaluation,
// and turns 1..Turns of every combination. A task whose rows stop after
// a pass (ccw stops it) is written as the original goes on: its code
// again each later turn, null feedback, evaluated as a pass. Statuses
// other than pass and fail are written as timeout with no details, as
// BigCodeBench reports them. It returns the files written.
func Write(dir string, rows []schemas.Turn, opt WriteOptions) ([]string, error) {
	if opt.Model == "" {
		return nil, fmt.Errorf("origlogs: no model name for the file names")
	}
	if opt.Backend == "" {
		opt.Backend = "vllm"
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("origlogs: no rows to write")
	}
	type key struct {
		combo, task string
		turn        int32
	}
	byKey := map[key]schemas.Turn{}
	var combos, tasks []string
	taskIndex := map[string]int32{}
	turns := opt.Turns
	for _, r := range rows {
		if r.Experiment != rows[0].Experiment || r.Stage != rows[0].Stage {
			return nil, fmt.Errorf("origlogs: rows of %s/%s and %s/%s: write one experiment's score stage", rows[0].Experiment, rows[0].Stage, r.Experiment, r.Stage)
		}
		if _, ok := CombinationByName(r.Combination); !ok {
			return nil, fmt.Errorf("origlogs: combination %q is none of the original's nine", r.Combination)
		}
		k := key{r.Combination, r.TaskID, r.Turn}
		if _, dup := byKey[k]; dup {
			return nil, fmt.Errorf("origlogs: two rows of %s %s turn %d", r.Combination, r.TaskID, r.Turn)
		}
		byKey[k] = r
		if !slices.Contains(combos, r.Combination) {
			combos = append(combos, r.Combination)
		}
		if _, seen := taskIndex[r.TaskID]; !seen {
			taskIndex[r.TaskID] = r.TaskIndex
			tasks = append(tasks, r.TaskID)
		}
		if opt.Turns == 0 {
			turns = max(turns, int(r.Turn))
		}
	}
	slices.SortFunc(tasks, func(a, b string) int { return int(taskIndex[a]) - int(taskIndex[b]) })
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	put := func(name string, lines []map[string]any, keys []string, evals []evalEntry) error {
		path := filepath.Join(dir, name)
		var b bytes.Buffer
		for _, l := range lines {
			b.Write(orderedJSON(l, keys))
			b.WriteByte('\n')
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(EvalFile(path), evalJSON(opt.Date, evals), 0o644); err != nil {
			return err
		}
		written = append(written, path, EvalFile(path))
		return nil
	}

	// Turn 0, from the first combination's rows.
	var lines []map[string]any
	var evals []evalEntry
	for _, id := range tasks {
		r, ok := byKey[key{combos[0], id, 0}]
		if !ok {
			return nil, fmt.Errorf("origlogs: task %s has no turn-0 row in %s", id, combos[0])
		}
		executed := r.Code
		if cp, ok := opt.CodePrompts[id]; ok {
			executed = cp + calibration + r.Code
		}
		lines = append(lines, map[string]any{"task_id": id, "solution": r.Code})
		evals = append(evals, evalOf(r, executed))
	}
	if err := put(InitialFile(opt.Model, opt.Backend), lines, []string{"task_id", "solution"}, evals); err != nil {
		return nil, err
	}

	turnKeys := []string{"task_id", "solution", "compilation_feedback", "execution_feedback", "user_feedback", "log", "iteration"}
	for _, name := range combos {
		c, _ := CombinationByName(name)
		last := map[string]schemas.Turn{} // the task's latest row
		code := map[string]string{}       // the code the original holds for it
		for _, id := range tasks {
			last[id] = byKey[key{name, id, 0}]
			code[id] = last[id].Code
		}
		for t := 1; t <= turns; t++ {
			lines, evals = nil, nil
			for _, id := range tasks {
				r, ok := byKey[key{name, id, int32(t)}]
				line := map[string]any{"task_id": id, "log": nil, "iteration": t}
				switch {
				case ok:
					line["solution"] = r.Code
					line["compilation_feedback"], line["execution_feedback"], line["user_feedback"] = r.FeedbackCompilation, r.FeedbackExecution, r.FeedbackVerbal
					code[id], last[id] = r.Code, r
					evals = append(evals, evalOf(r, r.Code))
				case last[id].Passed:
					if cp, ok := opt.CodePrompts[id]; ok {
						code[id] = strings.SplitN(cp, "def task_func", 2)[0] + code[id]
					}
					line["solution"] = code[id]
					line["compilation_feedback"], line["execution_feedback"], line["user_feedback"] = nil, nil, nil
					evals = append(evals, evalEntry{id: id, solution: code[id], status: "pass"})
				default:
					return nil, fmt.Errorf("origlogs: %s %s stops at turn %d without a pass: the run is incomplete", name, id, last[id].Turn)
				}
				lines = append(lines, line)
			}
			if err := put(TurnFile(opt.Model, c, opt.Simulator, t), lines, turnKeys, evals); err != nil {
				return nil, err
			}
		}
	}
	return written, nil
}

// evalEntry is one task's evaluation.
type evalEntry struct {
	id, solution, status string
	details              []execfeedback.Detail
}

// evalOf is the original's evaluation of a row: its status (a cause
// BigCodeBench reports as timeout becomes timeout) and details in the
// fork's order.
func evalOf(r schemas.Turn, executed string) evalEntry {
	res := sandbox.Result{Status: sandbox.Status(r.Status)}
	for _, t := range r.Tests {
		res.Tests = append(res.Tests, sandbox.TestResult{Name: t.Name, Status: t.Status, Message: t.Message})
	}
	e := evalEntry{id: r.TaskID, solution: executed, status: r.Status}
	switch res.Status {
	case sandbox.Pass:
	case sandbox.Fail:
		e.details = execfeedback.Details(res)
	default:
		e.status = "timeout"
	}
	return e
}

func evalJSON(date string, evals []evalEntry) []byte {
	var b bytes.Buffer
	b.WriteString(`{"date": `)
	b.Write(jsonText(date))
	b.WriteString(`, "eval": {`)
	for i, e := range evals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(jsonText(e.id))
		b.WriteString(`: [{"task_id": `)
		b.Write(jsonText(e.id))
		b.WriteString(`, "solution": `)
		b.Write(jsonText(e.solution))
		b.WriteString(`, "status": `)
		b.Write(jsonText(e.status))
		b.WriteString(`, "details": {`)
		for j, d := range e.details {
			if j > 0 {
				b.WriteString(", ")
			}
			b.Write(jsonText(d.Key))
			b.WriteString(": ")
			b.Write(jsonText(d.Message))
		}
		b.WriteString("}}]")
	}
	b.WriteString("}}\n")
	return b.Bytes()
}

// orderedJSON writes the members of m named by keys, in that order, with
// Python's separators.
func orderedJSON(m map[string]any, keys []string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(jsonText(k))
		b.WriteString(": ")
		b.Write(jsonText(m[k]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// jsonText encodes v without HTML escaping.
func jsonText(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
