package origlogs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
)

// Options select what Read imports.
type Options struct {
	// Model is the model whose logs are read, spelt with "/" (or as the
	// file names spell it); empty means the only model in the directory.
	// It is also the model column of the rows (the files spell "/" as "_"
	// or "--").
	Model string
}

// Logs are one model's ConvCodeWorld logs as ccw turn rows.
type Logs struct {
	// Model is the model's name; Simulator the simulated user's, as the
	// file names spell it ("" when no verbal combination was found).
	Model, Simulator string
	// Combinations found, in the original's order.
	Combinations []Combination
	// Turns is the highest turn of any combination.
	Turns int
	// Tasks in the original's order (by task number).
	Tasks []string
	// Rows are one per (combination, task, turn) in that order; turn 0
	// (the model's initial code) is in every combination, as ccw writes
	// it. Stage is "score.turn".
	Rows []schemas.Turn
	// Files are the files read, relative to the directory.
	Files []string
	// Counts of the original's quirks met.
	Denied, Calibrated, NullFeedback int
}

// Stage is the score stage of imported rows.
const Stage = "score.turn"

// Read reads one model's logs from dir (searched recursively; files under
// a directory named "static" are ConvCodeBench outputs and are skipped):
// its turn-0 file and evaluation, and the jsonl and _eval_results.json of
// every turn of every combination found. Every file must hold every task
// of the turn-0 file, each once, and the turns of a combination must run
// from 1 without a gap; the error names the file and the task or turn.
func Read(dir string, opt Options) (*Logs, error) {
	type key struct{ model, token string }
	turnFiles := map[key]map[int]string{}
	sims := map[key]string{}
	type initial struct{ model, backend, path string }
	var initials []initial
	var skipped []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "static" && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		base := d.Name()
		if f, ok := parseTurnFile(base); ok {
			if _, known := combinationByToken(f.token); !known {
				skipped = append(skipped, path) // e.g. the cheating ablation
				return nil
			}
			k := key{f.model, f.token}
			if turnFiles[k] == nil {
				turnFiles[k] = map[int]string{}
			}
			if other, dup := turnFiles[k][f.turn]; dup {
				return fmt.Errorf("two files for turn %d of %s %s: %s and %s", f.turn, f.model, f.token, other, path)
			}
			if s, seen := sims[k]; seen && s != f.simulator {
				return fmt.Errorf("%s: simulator %q, but other turns of %s %s name %q", path, f.simulator, f.model, f.token, s)
			}
			turnFiles[k][f.turn], sims[k] = path, f.simulator
			return nil
		}
		if m, b, ok := parseInitialFile(base); ok {
			initials = append(initials, initial{m, b, path})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	// Which model.
	models := map[string]bool{}
	for k := range turnFiles {
		models[k.model] = true
	}
	for _, in := range initials {
		models[underscored(in.model)] = true
	}
	want := underscored(strings.ReplaceAll(opt.Model, "--", "/"))
	if opt.Model == "" {
		switch len(models) {
		case 0:
			return nil, fmt.Errorf("%s holds no ConvCodeWorld logs (files named like %s and %s)", dir,
				TurnFile("MODEL", Combinations[8], "gpt-4o", 1), InitialFile("MODEL", "vllm"))
		case 1:
			for m := range models {
				want = m
			}
		default:
			return nil, fmt.Errorf("%s holds the logs of several models (%s): choose one with --model", dir, strings.Join(slices.Sorted(mapKeys(models)), ", "))
		}
	} else if !models[want] {
		return nil, fmt.Errorf("%s holds no logs of model %q (it has: %s)", dir, opt.Model, strings.Join(slices.Sorted(mapKeys(models)), ", "))
	}
	var init *initial
	for i := range initials {
		if underscored(initials[i].model) != want {
			continue
		}
		if init != nil {
			return nil, fmt.Errorf("two turn-0 files of %s: %s and %s", want, init.path, initials[i].path)
		}
		init = &initials[i]
	}
	if init == nil {
		return nil, fmt.Errorf("%s has no turn-0 file of %s (named like %s, with its _eval_results.json)", dir, want,
			InitialFile(strings.ReplaceAll(want, "_", "/"), "vllm"))
	}
	logs := &Logs{Model: init.model}
	if opt.Model != "" {
		logs.Model = strings.ReplaceAll(opt.Model, "--", "/")
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return r
		}
		return p
	}

	// Turn 0.
	recs0, evals0, err := readPair(init.path)
	if err != nil {
		return nil, err
	}
	logs.Files = append(logs.Files, rel(init.path), rel(EvalFile(init.path)))
	for _, r := range recs0 {
		logs.Tasks = append(logs.Tasks, r.TaskID)
	}
	slices.SortFunc(logs.Tasks, taskOrder)
	index := map[string]int{}
	for i, id := range logs.Tasks {
		index[id] = i
	}

	for _, c := range Combinations {
		k := key{want, c.Token}
		files := turnFiles[k]
		if files == nil {
			continue
		}
		logs.Combinations = append(logs.Combinations, c)
		if c.Verbal != "none" {
			if logs.Simulator != "" && sims[k] != "" && sims[k] != logs.Simulator {
				return nil, fmt.Errorf("%s: simulator %q, other combinations name %q", files[1], sims[k], logs.Simulator)
			}
			if sims[k] != "" {
				logs.Simulator = sims[k]
			}
		}
		turns := slices.Sorted(mapKeys(files))
		for i, t := range turns {
			if t != i+1 {
				return nil, fmt.Errorf("%s: turn %d of %s is missing (expected %s)", dir, i+1, c.Label, TurnFile(want, c, sims[k], i+1))
			}
		}
		logs.Turns = max(logs.Turns, len(turns))
		var rows []schemas.Turn
		for _, r := range recs0 {
			row, err := r.row(evals0, 0, logs.Model, "", index)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", init.path, err)
			}
			if row.Output == calibratedNote {
				row.Output = ""
				if c == logs.Combinations[0] {
					logs.Calibrated++
				}
			}
			row.Combination = c.Name
			rows = append(rows, row)
		}
		for _, t := range turns {
			path := files[t]
			recs, evals, err := readPair(path)
			if err != nil {
				return nil, err
			}
			logs.Files = append(logs.Files, rel(path), rel(EvalFile(path)))
			seen := map[string]bool{}
			for _, r := range recs {
				if _, ok := index[r.TaskID]; !ok {
					return nil, fmt.Errorf("%s line %d: task %s is not in the turn-0 file %s", path, r.line, r.TaskID, rel(init.path))
				}
				seen[r.TaskID] = true
				sim := ""
				if c.Verbal != "none" {
					sim = sims[k]
					if sim == "" {
						sim = want
					}
				}
				row, err := r.row(evals, t, logs.Model, sim, index)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				if row.Output == calibratedNote {
					return nil, fmt.Errorf("%s: task %s: the evaluated solution carries a prefix the logged one lacks; only turn-0 evaluations are calibrated", path, r.TaskID)
				}
				if strings.HasPrefix(row.Output, "denylist") {
					logs.Denied++
				}
				if r.UserFeedback == nil && c.Verbal != "none" {
					logs.NullFeedback++
				}
				row.Combination = c.Name
				rows = append(rows, row)
			}
			for _, id := range logs.Tasks {
				if !seen[id] {
					return nil, fmt.Errorf("%s: task %s of the turn-0 file is missing (the original's turn files hold every task)", path, id)
				}
			}
		}
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].TaskIndex != rows[j].TaskIndex {
				return rows[i].TaskIndex < rows[j].TaskIndex
			}
			return rows[i].Turn < rows[j].Turn
		})
		logs.Rows = append(logs.Rows, rows...)
	}
	if len(logs.Combinations) == 0 {
		return nil, fmt.Errorf("%s has the turn-0 file of %s but no turn files of it (named like %s)", dir, want, TurnFile(want, Combinations[8], "gpt-4o", 1))
	}
	return logs, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// record is one line of a turn file.
type record struct {
	TaskID              string  `json:"task_id"`
	Solution            *string `json:"solution"`
	CompilationFeedback *string `json:"compilation_feedback"`
	ExecutionFeedback   *string `json:"execution_feedback"`
	UserFeedback        *string `json:"user_feedback"`
	Log                 any     `json:"log"`
	line                int
}

// evaluation is element 0 of a task's list in an eval file.
type evaluation struct {
	TaskID   string          `json:"task_id"`
	Solution string          `json:"solution"`
	Status   string          `json:"status"`
	Details  json.RawMessage `json:"details"`
}

const calibratedNote = "\x00calibrated"

// row turns a record and its evaluation into a turn row. A turn-0 row
// whose evaluation was calibrated has Output calibratedNote (for the
// caller to count and clear).
func (r record) row(evals map[string]evaluation, turn int, model, simulator string, index map[string]int) (schemas.Turn, error) {
	ev, ok := evals[r.TaskID]
	if !ok {
		return schemas.Turn{}, fmt.Errorf("task %s (line %d) has no evaluation in %s", r.TaskID, r.line, "its _eval_results.json")
	}
	switch ev.Status {
	case "pass", "fail", "timeout":
	default:
		return schemas.Turn{}, fmt.Errorf("task %s: evaluation status %q is not pass, fail or timeout", r.TaskID, ev.Status)
	}
	details, err := orderedStrings(ev.Details)
	if err != nil {
		return schemas.Turn{}, fmt.Errorf("task %s: evaluation details: %w", r.TaskID, err)
	}
	row := schemas.Turn{Stage: Stage, TaskID: r.TaskID, TaskIndex: int32(index[r.TaskID]), Turn: int32(turn),
		Code: *r.Solution, Status: ev.Status, Passed: ev.Status == "pass", Tests: []schemas.Test{},
		Model: &model}
	if turn > 0 {
		row.FeedbackCompilation, row.FeedbackExecution, row.FeedbackVerbal = r.CompilationFeedback, r.ExecutionFeedback, r.UserFeedback
		if simulator != "" && r.UserFeedback != nil {
			row.Simulator = &simulator
		}
	}
	for _, d := range details {
		row.Tests = append(row.Tests, schemas.Test{Name: d[0], Status: "fail", Message: d[1]})
	}
	row.TestsRun, row.TestsFailed = int32(len(row.Tests)), int32(len(row.Tests))
	row.CodeSHA256 = sha256Hex(row.Code)
	log, _ := r.Log.(string)
	switch {
	case ev.Solution == *r.Solution:
	case strings.HasSuffix(ev.Solution, calibration+*r.Solution):
		row.Output = calibratedNote
	case strings.HasPrefix(*r.Solution, Commentized):
		row.Output = "denylist: the original commented this solution out after its evaluation"
	default:
		return schemas.Turn{}, fmt.Errorf("task %s (line %d): the evaluated solution is not the logged one (mismatched files?)", r.TaskID, r.line)
	}
	if log == DenyLog {
		row.Output = "denylist: the original stopped this task (log " + DenyLog + ")"
	}
	return row, nil
}

// readPair reads a turn file and its evaluation file.
func readPair(path string) ([]record, map[string]evaluation, error) {
	recs, err := readJSONL(path)
	if err != nil {
		return nil, nil, err
	}
	evals, err := readEval(EvalFile(path))
	if err != nil {
		return nil, nil, err
	}
	return recs, evals, nil
}

func readJSONL(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []record
	lines := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %v (a half-written last line?)", path, n, err)
		}
		if r.TaskID == "" {
			return nil, fmt.Errorf("%s line %d: no task_id", path, n)
		}
		if r.Solution == nil {
			return nil, fmt.Errorf("%s line %d: task %s has no solution", path, n, r.TaskID)
		}
		if first, dup := lines[r.TaskID]; dup {
			return nil, fmt.Errorf("%s: task %s on lines %d and %d", path, r.TaskID, first, n)
		}
		lines[r.TaskID], r.line = n, n
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return out, nil
}

func readEval(path string) (map[string]evaluation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing: every turn file needs its evaluation", path)
		}
		return nil, err
	}
	var file struct {
		Eval map[string][]json.RawMessage `json:"eval"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if file.Eval == nil {
		return nil, fmt.Errorf(`%s: no "eval" object`, path)
	}
	out := make(map[string]evaluation, len(file.Eval))
	for id, list := range file.Eval {
		if len(list) == 0 {
			return nil, fmt.Errorf("%s: task %s has an empty evaluation list", path, id)
		}
		var ev evaluation
		if err := json.Unmarshal(list[0], &ev); err != nil {
			return nil, fmt.Errorf("%s: task %s: %v", path, id, err)
		}
		out[id] = ev
	}
	return out, nil
}

// orderedStrings reads a JSON object's members in file order, values as
// strings (other JSON values as their text); null or absent is empty.
func orderedStrings(raw json.RawMessage) ([][2]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("want an object, got %s", raw[:min(len(raw), 20)])
	}
	var out [][2]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			s = string(v)
		}
		out = append(out, [2]string{k, s})
	}
	return out, nil
}
