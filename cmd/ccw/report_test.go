package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// nine are the combinations of protocol.md §3 with their exact labels.
var nine = []score.Combination{
	{Name: "cf", Label: "w/ CF"},
	{Name: "cf_ef_partial", Label: "w/ CF EF (partial TC)"},
	{Name: "cf_ef_full", Label: "w/ CF EF (full TC)"},
	{Name: "cf_snf", Label: "w/ CF SNF"},
	{Name: "cf_ef_partial_snf", Label: "w/ CF EF (partial TC) SNF"},
	{Name: "cf_ef_full_snf", Label: "w/ CF EF (full TC) SNF"},
	{Name: "cf_sef", Label: "w/ CF SEF"},
	{Name: "cf_ef_partial_sef", Label: "w/ CF EF (partial TC) SEF"},
	{Name: "cf_ef_full_sef", Label: "w/ CF EF (full TC) SEF"},
}

// multiTurnDir writes a results directory of a synthetic 9 × 10 run of 40
// tasks in the original's style (solved code re-executed every turn, a
// solved task failing again now and then): turn 0 shared, combinations
// further right solving more, task 7 excluded, and the last combination
// never reaching task 39 (an interrupted run). withMetrics says whether
// metrics.parquet is written.
func multiTurnDir(t *testing.T, withMetrics bool) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(35, 2))
	model := "deepseek-ai/deepseek-coder-6.7b-instruct"
	var rows []schemas.Turn
	const tasks = 40
	pass0 := make([]bool, tasks)
	for i := range pass0 {
		pass0[i] = rng.IntN(3) == 0
	}
	for c, comb := range nine {
		for task := range tasks {
			if c == len(nine)-1 && task == tasks-1 {
				continue
			}
			passed := false
			for turn := 0; turn <= score.DefaultTurns; turn++ {
				switch {
				case turn == 0:
					passed = pass0[task]
				case passed:
					passed = rng.IntN(6) != 0 // flaky re-execution
				default:
					passed = rng.IntN(40) < c
				}
				r := schemas.Turn{Experiment: "ccw", Combination: comb.Name, Stage: "score.turn", TaskID: fmt.Sprintf("BigCodeBench/%d", task),
					TaskIndex: int32(task), Turn: int32(turn), Passed: passed, Status: "fail", Model: &model, Excluded: task == 7}
				if passed {
					r.Status = "pass"
				}
				rows = append(rows, r)
			}
		}
	}
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	spec := score.Spec{Experiment: "ccw", Combinations: nine, Stage: "score.turn", RerunSolved: true}
	if withMetrics {
		ms, err := score.Live(rows, spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas.Metrics.Write(filepath.Join(dir, "metrics.parquet"), ms); err != nil {
			t.Fatal(err)
		}
	}
	run := schemas.Run{SchemaVersion: schemas.RunVersion, Experiment: schemas.RunExperiment{Name: "ccw",
		Tasks: schemas.RunTasks{Source: "bigcodebench", Split: "v0.1.0_hf", Count: tasks}}, Summary: schemas.RunSummary{Complete: false}}
	spec.Record(&run.Experiment)
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
	return dir
}

// calibrationDir writes a single-turn results directory (no combinations).
func calibrationDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rows := []schemas.Turn{
		{Experiment: "calibrate", TaskID: "BigCodeBench/0", Status: "pass", Passed: true},
		{Experiment: "calibrate", TaskID: "BigCodeBench/1", TaskIndex: 1, Status: "fail",
			Tests: []schemas.Test{{Name: "test_a", Status: "fail", Message: "Traceback (most recent call last):\n  File \"x\", line 1\nAssertionError: 1 != 2\n"}}},
		{Experiment: "calibrate", TaskID: "BigCodeBench/2", TaskIndex: 2, Status: "timeout", Limit: "wall"},
		{Experiment: "calibrate", TaskID: "BigCodeBench/3", TaskIndex: 3, Status: "fail", Excluded: true},
	}
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	run := schemas.Run{Experiment: schemas.RunExperiment{Name: "calibrate", Tasks: schemas.RunTasks{Source: "bigcodebench", Split: "v0.1.0_hf", Digest: "sha256:ab", Count: 4}},
		Summary: schemas.RunSummary{Complete: true}}
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCCW(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(args, &out, &errb); code != 0 {
		t.Fatalf("ccw %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// TestReportGolden renders every format of a multi-turn run and of a
// single-turn calibration run against golden files.
func TestReportGolden(t *testing.T) {
	multi, cal := multiTurnDir(t, true), calibrationDir(t)
	cases := []struct {
		golden string
		args   []string
	}{
		{"multi.text", []string{"report", multi}},
		{"multi.cumulative.text", []string{"report", multi, "--cumulative"}},
		{"multi.exclude-init-solved.text", []string{"report", multi, "--exclude-init-solved", "--model", "Coder 7B"}},
		{"multi.markdown", []string{"report", multi, "--format", "markdown"}},
		{"multi.json", []string{"report", multi, "--format", "json"}},
		{"multi.csv", []string{"report", multi, "--format", "csv"}},
		{"multi.ids", []string{"report", multi, "--format", "ids"}},
		{"calibration.text", []string{"report", cal}},
		{"calibration.markdown", []string{"report", cal, "--format", "markdown"}},
		{"calibration.csv", []string{"report", cal, "--format", "csv"}},
		{"calibration.ids", []string{"report", cal, "--format", "ids"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			golden(t, filepath.Join("testdata", "report", tc.golden+".golden"), runCCW(t, tc.args...))
		})
	}
}

// TestReportWithoutMetricsFile recomputes the metrics from turns.parquet
// when metrics.parquet is absent and prints the same tables.
func TestReportWithoutMetricsFile(t *testing.T) {
	with := runCCW(t, "report", multiTurnDir(t, true))
	without := runCCW(t, "report", multiTurnDir(t, false))
	const note = "note: metrics computed from turns.parquet, not read from metrics.parquet.\n"
	if !strings.Contains(without, note) {
		t.Fatalf("no recomputation note:\n%s", without)
	}
	if strings.Replace(without, note, "", 1) != with {
		t.Errorf("tables differ:\n%s\nvs\n%s", without, with)
	}
}

// TestReportJSONIsTheMetrics checks that --format json carries exactly
// the rows of metrics.parquet.
func TestReportJSONIsTheMetrics(t *testing.T) {
	dir := multiTurnDir(t, true)
	var got struct {
		Metrics  []schemas.Metric `json:"metrics"`
		Captions []string         `json:"captions"`
	}
	if err := json.Unmarshal([]byte(runCCW(t, "report", dir, "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	want, err := schemas.ReadRows[schemas.Metric](schemas.Metrics, filepath.Join(dir, "metrics.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(deref(got.Metrics)) != fmt.Sprint(deref(want)) || len(got.Metrics) != 9*(2*11+2) {
		t.Errorf("json has %d metric rows that differ from metrics.parquet's %d", len(got.Metrics), len(want))
	}
	if len(got.Captions) != 2 || got.Captions[1] != "Table 2. MRR and Recall results of deepseek-ai/deepseek-coder-6.7b-instruct on ConvCodeWorld." {
		t.Errorf("captions %q", got.Captions)
	}
}

// deref prints pointers by value, for comparing metric rows.
func deref(ms []schemas.Metric) []string {
	var out []string
	for _, m := range ms {
		turn, value := "nil", "nil"
		if m.Turn != nil {
			turn = fmt.Sprint(*m.Turn)
		}
		if m.Value != nil {
			value = fmt.Sprint(*m.Value)
		}
		if m.CILow != nil && m.CIHigh != nil {
			value += fmt.Sprintf(" [%v, %v]", *m.CILow, *m.CIHigh)
		}
		m.Turn, m.Value, m.CILow, m.CIHigh = nil, nil, nil, nil
		out = append(out, fmt.Sprintf("%+v %s %s", m, turn, value))
	}
	return out
}

func TestReportErrors(t *testing.T) {
	dir := multiTurnDir(t, false)
	// A run.json naming a combination the rows lack columns for is fine;
	// one whose rows have a combination it does not name is an error.
	run, err := schemas.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	run.Experiment.Combinations = run.Experiment.Combinations[1:]
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"report", dir}, &out, &errb); code != exitFailure ||
		!strings.Contains(errb.String(), `turns.parquet: metrics: row of experiment "ccw", combination "cf", task "BigCodeBench/0", turn 0: the combination is not in the spec`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestPrettyTableMatchesPython renders tables with Python's PrettyTable
// (align = "c", as print_results.py sets it) and with ours: labels and
// cells of odd and even widths, an empty cell.
func TestPrettyTableMatchesPython(t *testing.T) {
	testenv.NeedPython(t)
	if err := exec.Command(testenv.Python, "-c", "import prettytable").Run(); err != nil {
		testenv.Missing(t, "prettytable is not importable by %s: %v", testenv.Python, err)
	}
	labels := []string{"Turn"}
	for _, c := range nine {
		labels = append(labels, c.Label)
	}
	tables := []table{
		{header: labels, rows: [][]string{
			append([]string{"0"}, strings.Split("35.2 35.2 35.2 35.2 35.2 35.2 35.2 35.2 35.2", " ")...),
			append([]string{"10"}, strings.Split("35.2 37.4 37.1 35.2 42.9 47.7 82.7 82.3 100.0", " ")...),
			append([]string{"11"}, strings.Split("5.0 37.4 0.0 35.2  47.7 82.7 82.3 100.0", " ")...),
		}},
		{header: []string{"Metrics", "ab", "abc", "x"}, rows: [][]string{{"MRR", "1", "22", "333"}, {"Recall", "4444", "", "55555"}}},
	}
	for i, tb := range tables {
		in, _ := json.Marshal(map[string]any{"header": tb.header, "rows": tb.rows})
		cmd := exec.Command(testenv.Python, "-c", `
import json, sys
from prettytable import PrettyTable
d = json.load(sys.stdin)
t = PrettyTable()
t.field_names = d["header"]
t.align = "c"
t.add_rows(d["rows"])
print(t)
`)
		cmd.Stdin = bytes.NewReader(in)
		want, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := prettyTable(tb); got != string(want) {
			t.Errorf("table %d:\n--- ours ---\n%s--- PrettyTable ---\n%s", i, got, want)
		}
	}
}
