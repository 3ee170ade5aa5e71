package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// five are the combinations ConvCodeBench prints.
var five = nine[4:]

// strengthRun writes a results directory of a synthetic 10-turn run of
// one model over 30 tasks: live (tasks stop at their pass) or static
// (the reference's statuses as score.reference rows, the model's code
// every turn), the model solving a task at a turn with a chance that
// grows with strength and with the combination.
func strengthRun(t *testing.T, model string, static bool, strength int, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 7))
	refRNG := rand.New(rand.NewPCG(99, 7)) // one reference for every static run
	const tasks = 30
	combos := nine
	if static {
		combos = five
	}
	ref := "codellama/CodeLlama-7b-Instruct-hf"
	var rows []schemas.Turn
	row := func(stage, comb string, task, turn int, passed bool, m string) schemas.Turn {
		r := schemas.Turn{Experiment: "e", Combination: comb, Stage: stage, TaskID: fmt.Sprintf("BigCodeBench/%d", task),
			TaskIndex: int32(task), Turn: int32(turn), Passed: passed, Status: "fail", Model: &m}
		if passed {
			r.Status = "pass"
		}
		return r
	}
	pass0 := make([]bool, tasks)
	for i := range pass0 {
		pass0[i] = rng.IntN(10) < strength
	}
	for c, comb := range combos {
		for task := range tasks {
			rows = append(rows, row("score.turn", comb.Name, task, 0, pass0[task], model))
			if static {
				solved := refRNG.IntN(6) == 0
				for turn := 1; turn <= score.DefaultTurns; turn++ {
					rows = append(rows, row("score.reference", comb.Name, task, turn-1, solved, ref))
					q := solved || rng.IntN(40) < strength+c
					rows = append(rows, row("score.turn", comb.Name, task, turn, q, model))
					solved = solved || refRNG.IntN(8) == 0
				}
				continue
			}
			passed := pass0[task]
			for turn := 1; turn <= score.DefaultTurns && !passed; turn++ {
				passed = rng.IntN(40) < strength+c
				rows = append(rows, row("score.turn", comb.Name, task, turn, passed, model))
			}
		}
	}
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	spec := score.Spec{Experiment: "e", Combinations: combos, Stage: "score.turn"}
	if static {
		spec.Protocol, spec.Reference = schemas.ProtocolStatic, "score.reference"
	}
	ms, err := score.Metrics(rows, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Metrics.Write(filepath.Join(dir, "metrics.parquet"), ms); err != nil {
		t.Fatal(err)
	}
	run := schemas.Run{SchemaVersion: schemas.RunVersion, Experiment: schemas.RunExperiment{Name: "e",
		Tasks: schemas.RunTasks{Source: "bigcodebench", Split: "v0.1.0_hf", Count: tasks}}, Summary: schemas.RunSummary{Complete: true}}
	spec.Record(&run.Experiment)
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportStaticGolden renders a static run in every format, and with
// options that make the report recompute the metrics.
func TestReportStaticGolden(t *testing.T) {
	dir := strengthRun(t, "SenseLLM/ReflectionCoder-DS-33B", true, 4, 1)
	cases := []struct {
		golden string
		args   []string
	}{
		{"static.text", []string{"report", dir}},
		{"static.markdown", []string{"report", dir, "--format", "markdown"}},
		{"static.json", []string{"report", dir, "--format", "json"}},
		{"static.csv", []string{"report", dir, "--format", "csv"}},
		{"static.ids", []string{"report", dir, "--format", "ids"}},
		{"static.options.text", []string{"report", dir, "--no-compensate-init", "--exclude-init-solved"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			golden(t, filepath.Join("testdata", "report", tc.golden+".golden"), runCCW(t, tc.args...))
		})
	}
	out := runCCW(t, "report", dir)
	for _, want := range []string{
		"Table 1. Pass@1 results of SenseLLM/ReflectionCoder-DS-33B on ConvCodeBench for each turn (ref. model: codellama/CodeLlama-7b-Instruct-hf).\n - CF: Compilation Feedback",
		"Table 2. MRR and Recall results of SenseLLM/ReflectionCoder-DS-33B on ConvCodeBench (ref. model: codellama/CodeLlama-7b-Instruct-hf).",
		"| Turn | w/ CF EF (partial TC) SNF | w/ CF EF (full TC) SNF | w/ CF SEF | w/ CF EF (partial TC) SEF | w/ CF EF (full TC) SEF |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "|  0   |") {
		t.Errorf("a static Table 1 has no turn 0:\n%s", out)
	}
}

// TestReportSeveralRuns reports live and static runs of three models: a
// table per metric and protocol with a row per model, and the rank
// correlations of the two protocols.
func TestReportSeveralRuns(t *testing.T) {
	var dirs []string
	for i, m := range []string{"gpt-4o", "deepseek-coder-6.7b", "codellama-7b"} {
		strength := 6 - 2*i
		dirs = append(dirs, strengthRun(t, m, false, strength, uint64(10+i)), strengthRun(t, m, true, strength, uint64(20+i)))
	}
	// A fourth model only has a live run.
	dirs = append(dirs, strengthRun(t, "starcoder2-15b", false, 3, 40))
	for _, f := range []string{"text", "markdown", "json", "csv"} {
		t.Run(f, func(t *testing.T) {
			args := append([]string{"report"}, dirs...)
			out := runCCW(t, append(args, "--format", f)...)
			// Temporary directory names differ between runs.
			for i, d := range dirs {
				out = strings.ReplaceAll(out, d, fmt.Sprintf("DIR%d", i))
			}
			golden(t, filepath.Join("testdata", "report", "several."+f+".golden"), out)
		})
	}
	out := runCCW(t, append([]string{"report"}, dirs...)...)
	for _, want := range []string{
		"Table 2. MRR results of 4 models on ConvCodeWorld.",
		"Table 5. MRR results of 3 models on ConvCodeBench (ref. model: codellama/CodeLlama-7b-Instruct-hf).",
		"| Models | MRR Spearman | MRR Kendall | Recall Spearman | Recall Kendall |",
		"note: starcoder2-15b has a live run but no static one: left out of the correlations.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestReportStaticErrors(t *testing.T) {
	static := strengthRun(t, "m", true, 3, 1)
	live := strengthRun(t, "m", false, 3, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", static, "--cumulative"}, "is a static (ConvCodeBench) run: every turn restarts from the reference's code, so Pass@1 has no cumulative form"},
		{[]string{"report", static, live, "--format", "ids"}, "--format ids lists the tasks of one run; give one directory"},
		{[]string{"report", static, live, "--model", "x"}, "--model names the model of one run"},
		{[]string{"report", static, t.TempDir()}, "holds no results: no run.json in it or in a directory below it"},
	} {
		var out, errb bytes.Buffer
		if code := Main(tc.args, &out, &errb); code != exitFailure || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args[1:], code, errb.String(), tc.want)
		}
	}
}
