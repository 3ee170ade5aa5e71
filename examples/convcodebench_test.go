package examples_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/origlogs"
	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
	"github.com/ccw-dev/ccw/stages/score"
	"github.com/ccw-dev/ccw/stages/score/scoretest"
)

// staticCombinations are the five combinations ConvCodeBench reports.
var staticCombinations = []string{"cf_ef_partial_snf", "cf_ef_full_snf", "cf_sef", "cf_ef_partial_sef", "cf_ef_full_sef"}

// loadTaskFile reads a task file in BigCodeBench's format (plain jsonl).
func loadTaskFile(t testing.TB, path string) []bcbTask {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []bcbTask
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r map[string]string
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, bcbTask{ID: r["task_id"], Instruct: r["instruct_prompt"], Complete: r["complete_prompt"],
			Canonical: r["canonical_solution"], CodePrompt: r["code_prompt"]})
	}
	return out
}

// staticSetup is a live reference run of one scripted coder and the
// servers of another scripted coder, the model under test.
type staticSetup struct {
	tasks         []bcbTask
	taskVars      []string // --var tasks=... --var subset=...
	cache, ref    string
	coderA, userA *llmtest.Server
	coderB        *llmtest.Server
	scriptedB     *scripted
}

// newStaticSetup runs examples/convcodeworld.hcl on the five static
// combinations with scripted coder A and user, as the reference.
func newStaticSetup(t *testing.T, tasks []bcbTask, taskVars []string) *staticSetup {
	t.Helper()
	s := &staticSetup{tasks: tasks, taskVars: taskVars}
	scA := newScripted(tasks)
	s.coderA, s.userA = llmtest.New(), llmtest.New()
	s.coderA.Answer, s.userA.Answer = scA.answer, scA.answer
	// The model under test behaves otherwise: its classes are shifted.
	s.scriptedB = newScripted(tasks)
	for k, c := range s.scriptedB.class {
		s.scriptedB.class[k] = (c + 3) % nClasses
	}
	s.coderB = llmtest.New()
	s.coderB.Answer = s.scriptedB.answer
	t.Cleanup(func() { s.coderA.Close(); s.userA.Close(); s.coderB.Close() })
	dir := t.TempDir()
	s.cache, s.ref = filepath.Join(dir, "cache"), filepath.Join(dir, "reference")
	combos, _ := json.Marshal(staticCombinations)
	args := append([]string{"run", "convcodeworld.hcl", "--cache", s.cache, "--out", s.ref,
		"--var", "coder_url=" + s.coderA.BaseURL(), "--var", "coder_model=scripted-coder",
		"--var", "user_url=" + s.userA.BaseURL(), "--var", "user_model=scripted-user",
		"--var", "combinations=" + string(combos)}, taskVars...)
	log := ccw(t, nil, 0, args...)
	t.Logf("reference (live) run:\n%s", tail(log, 4))
	return s
}

// runStatic runs examples/convcodebench.hcl with coder B against a
// reference directory; it returns the output directory and the log.
func (s *staticSetup) runStatic(t *testing.T, reference, out string, wantCode int, more ...string) string {
	t.Helper()
	args := append([]string{"run", "convcodebench.hcl", "--cache", s.cache, "--out", out,
		"--var", "reference=" + reference, "--var", "coder_url=" + s.coderB.BaseURL(), "--var", "coder_model=scripted-static"}, s.taskVars...)
	return ccw(t, nil, wantCode, append(args, more...)...)
}

// userFeedbackOf is the User Feedback value of a refine prompt in ccw's
// layout ("User Feedback: VALUE\n\nReasoning: ..." closing the values).
func userFeedbackOf(prompt string) (string, bool) {
	v := values(prompt)
	_, after, ok := strings.Cut(v, "\n\nUser Feedback: ")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(after, "\n\nReasoning: ")
	if i < 0 {
		return "", false
	}
	return after[:i], true
}

// checkStatic checks a static run against its reference: no simulator
// call, the verbal feedback of every refine call byte-equal to the
// reference's at that task and turn, the same prompt as the reference's
// wherever the reference's previous code compiled, solved tasks emitted
// unchanged without a call, and metrics.parquet equal to an independent
// SQL computation over both runs' Parquet.
func (s *staticSetup) checkStatic(t *testing.T, out string, userBefore int64) {
	t.Helper()
	if n := s.userA.Requests() - userBefore; n != 0 {
		t.Errorf("the static run sent %d requests to the simulated user", n)
	}
	refRows := readTurns(t, filepath.Join(s.ref, "turns.parquet"))
	rows := readTurns(t, filepath.Join(out, "turns.parquet"))
	refCalls, err := schemas.Calls.Read(filepath.Join(s.ref, "calls.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := schemas.Calls.Read(filepath.Join(out, "calls.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		combo, task string
		turn        int32
	}
	ref := map[key]schemas.Turn{}
	for _, r := range refRows {
		ref[key{r.Combination, r.TaskID, r.Turn}] = r
	}
	// asOf is the reference's last row up to turn k.
	asOf := func(combo, task string, k int32) (schemas.Turn, bool) {
		for ; k >= 0; k-- {
			if r, ok := ref[key{combo, task, k}]; ok {
				return r, true
			}
		}
		return schemas.Turn{}, false
	}
	refPrompt := map[key]string{}
	for _, c := range refCalls.([]schemas.Call) {
		if c.Stage == "refine.code" {
			refPrompt[key{c.Combination, c.TaskID, c.Turn}] = c.PromptDigest
		}
	}
	texts := map[string]string{}
	for _, r := range s.coderB.Log() {
		texts[promptDigest(r.Text())] = r.Text()
	}
	refined := map[key]bool{}
	compared, samePrompt := 0, 0
	for _, c := range calls.([]schemas.Call) {
		if strings.HasPrefix(c.Stage, "simulate") {
			t.Errorf("static run called the simulator: %s %s turn %d", c.Stage, c.TaskID, c.Turn)
		}
		if kind := s.scriptedB.kindOf(c.PromptDigest); strings.Contains(kind, "simulate") {
			t.Errorf("the coder got a simulator prompt (%s) for %s turn %d", kind, c.TaskID, c.Turn)
		}
		if c.Stage != "refine.code" {
			continue
		}
		k := key{c.Combination, c.TaskID, c.Turn}
		refined[k] = true
		text, ok := texts[c.PromptDigest]
		if !ok {
			t.Fatalf("%v: a prompt the coder's server never saw", k)
		}
		want := ref[k].FeedbackVerbal
		got, has := userFeedbackOf(text)
		switch {
		case want == nil && has:
			t.Errorf("%v: the refine prompt has user feedback %q, the reference had none", k, got)
		case want != nil && (!has || got != *want):
			t.Errorf("%v: user feedback %q, the reference's is %q", k, got, *want)
		case want != nil:
			compared++
		}
		if prev, ok := ref[key{k.combo, k.task, k.turn - 1}]; ok && prev.Compiled != nil && *prev.Compiled {
			if refPrompt[k] != c.PromptDigest {
				t.Errorf("%v: the prompt differs from the reference's, although the reference's previous code compiled", k)
			} else {
				samePrompt++
			}
		}
	}
	solved := 0
	for _, r := range rows {
		if r.Stage != "score.turn" || r.Turn == 0 {
			continue
		}
		k := key{r.Combination, r.TaskID, r.Turn}
		prev, ok := asOf(k.combo, k.task, k.turn-1)
		if !ok {
			t.Fatalf("%v: the reference has no row up to turn %d", k, k.turn-1)
		}
		if prev.Passed {
			solved++
			if r.Code != prev.Code || !r.Passed || refined[k] {
				t.Errorf("%v: the reference had solved it, but the row's code differs, fails or a refine call was made", k)
			}
		}
	}
	if compared == 0 || samePrompt == 0 || solved == 0 {
		t.Errorf("nothing compared: %d feedback, %d prompts, %d solved rows", compared, samePrompt, solved)
	}
	t.Logf("%d refine calls carried the reference's verbal feedback byte for byte; %d prompts equal the reference's; %d rows of tasks the reference had solved", compared, samePrompt, solved)

	// metrics.parquet equals SQL over both runs' Parquet.
	run, err := schemas.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	spec := score.SpecFromRun(run)
	if spec.Protocol != "static" || len(spec.Combinations) != 5 {
		t.Fatalf("static run's spec: %+v", spec)
	}
	for _, tk := range s.tasks {
		spec.Tasks = append(spec.Tasks, tk.ID)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	sqlRows, err := scoretest.StaticSQL(ctx, db, filepath.Join(s.ref, "turns.parquet"), "score.turn", filepath.Join(out, "turns.parquet"), spec)
	if err != nil {
		t.Fatal(err)
	}
	goRows, err := scoretest.ReadMetrics(ctx, db, filepath.Join(out, "metrics.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := scoretest.Diff(goRows, sqlRows, 1e-12); len(diff) > 0 {
		t.Errorf("metrics.parquet differs from SQL over both runs:\n%s", strings.Join(diff, "\n"))
	}
}

// exportAndImport writes the reference in the original's format (turn-0
// evaluations calibrated, solved code re-emitted with the header) and
// imports it with ccw import convcodeworld.
func (s *staticSetup) exportAndImport(t *testing.T, dir string) string {
	t.Helper()
	rows := readTurns(t, filepath.Join(s.ref, "turns.parquet"))
	prompts := map[string]string{}
	for _, tk := range s.tasks {
		prompts[tk.ID] = tk.CodePrompt
	}
	logs := filepath.Join(dir, "original", "results", "v0.3.6")
	if _, err := origlogs.Write(logs, rows, origlogs.WriteOptions{Model: "scripted-coder", Simulator: "scripted-user",
		CodePrompts: prompts, Date: "2025-02-08 12:00"}); err != nil {
		t.Fatal(err)
	}
	imported := filepath.Join(dir, "imported")
	log := ccw(t, nil, 0, "import", "convcodeworld", filepath.Join(dir, "original"), "--out", imported)
	t.Logf("import:\n%s", log)
	return imported
}

// TestConvCodeBenchLoopback: a live ConvCodeWorld run of one scripted
// coder is the reference of a static run of another, on BigCodeBench's
// 148 Hard tasks (all 1140 with CCW_E2E_TASKS=full), with real execution;
// then the same static run from the reference exported to the original's
// format and imported gives the same metrics and sends no new request.
func TestConvCodeBenchLoopback(t *testing.T) {
	needPython(t)
	full := os.Getenv("CCW_E2E_TASKS") == "full"
	tasks := loadBCB(t, !full)
	data := filepath.Join(testenv.SharedData(t), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz")
	subset := "hard"
	if full {
		subset = "full"
	}
	staticE2E(t, tasks, []string{"--var", "tasks=" + data, "--var", "subset=" + subset})
}

// TestConvCodeBenchMini is TestConvCodeBenchLoopback on ccw's 17 mini
// tasks, plus the errors of references that lack what a run asks for.
func TestConvCodeBenchMini(t *testing.T) {
	needPython(t)
	path, _ := filepath.Abs("tasks/ccw-mini.jsonl")
	s := staticE2E(t, loadTaskFile(t, path), []string{"--var", "tasks=" + path, "--var", "timeout=10s"})
	// A reference of one combination, two turns and five tasks lacks
	// what other runs ask for.
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	ccw(t, nil, 0, append([]string{"run", "convcodeworld.hcl", "--cache", s.cache, "--out", small,
		"--var", "coder_url=" + s.coderA.BaseURL(), "--var", "coder_model=scripted-coder",
		"--var", "user_url=" + s.userA.BaseURL(), "--var", "user_model=scripted-user",
		"--var", `combinations=["cf_sef"]`, "--var", "turns=2", "--var", "limit=5"}, s.taskVars...)...)
	for _, tc := range []struct {
		name string
		vars []string
		want string
	}{
		{"a combination", []string{`combinations=["cf_sef", "cf_ef_full_sef"]`, "turns=2", "limit=5"},
			`small/turns.parquet has no record with combination "cf_ef_full_sef" and stage "score.turn" and task_id "CCWMini/0" and turn at most 0: no record has combination "cf_ef_full_sef" (it has "cf_sef")`},
		{"a turn", []string{`combinations=["cf_sef"]`, "turns=4", "limit=5"},
			`and turn "3": no record has turn "3" (it has "0", "1", "2")`},
		{"a task", []string{`combinations=["cf_sef"]`, "turns=2"},
			`small/turns.parquet has no record with combination "cf_sef" and stage "score.turn" and task_id "CCWMini/16" and turn at most 0: no record has task_id "CCWMini/16"`},
	} {
		var more []string
		for _, v := range tc.vars {
			more = append(more, "--var", v)
		}
		log := s.runStatic(t, small, filepath.Join(dir, tc.name), 1, more...)
		if !strings.Contains(log, tc.want) {
			t.Errorf("a reference without %s:\n%s", tc.name, tail(log, 12))
		}
	}
}

// staticE2E runs the reference, the static run and the static run from
// imported original-format logs, with their checks and reports.
func staticE2E(t *testing.T, tasks []bcbTask, taskVars []string) *staticSetup {
	s := newStaticSetup(t, tasks, taskVars)
	dir := t.TempDir()
	out := filepath.Join(dir, "static")
	userBefore := s.userA.Requests()
	log := s.runStatic(t, s.ref, out, 0)
	t.Logf("static run:\n%s", tail(log, 4))
	s.checkStatic(t, out, userBefore)
	report := ccw(t, nil, 0, "report", out)
	if !strings.Contains(report, "Table 1. Pass@1 results of scripted-static on ConvCodeBench for each turn (ref. model: scripted-coder).") ||
		!strings.Contains(report, "Table 2. MRR and Recall results of scripted-static on ConvCodeBench (ref. model: scripted-coder).") {
		t.Errorf("report:\n%s", report)
	}
	t.Logf("report:\n%s", report)

	// The same run from the reference in the original's format.
	imported := s.exportAndImport(t, dir)
	before := s.coderB.Requests()
	again := filepath.Join(dir, "static-imported")
	s.runStatic(t, imported, again, 0)
	if n := s.coderB.Requests() - before; n != 0 {
		t.Errorf("the static run from imported logs sent %d new requests: its prompts differ from the run from ccw's Parquet", n)
	}
	a, err := schemas.ReadRows[schemas.Metric](schemas.Metrics, filepath.Join(out, "metrics.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := schemas.ReadRows[schemas.Metric](schemas.Metrics, filepath.Join(again, "metrics.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := scoretest.Diff(b, a, 0); len(diff) > 0 {
		t.Errorf("metrics from imported logs differ from those from ccw's Parquet:\n%s", strings.Join(diff, "\n"))
	}
	return s
}
