package schemas

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s changed; if on purpose, bump the table version and run go test -update.\ngot:\n%s", p, got)
	}
}

func TestTurnsSchemaGolden(t *testing.T) {
	golden(t, "turns.schema.golden", Turns.Schema().String()+"\n")
}

func ptr[T any](v T) *T { return &v }

func sampleTurns() []Turn {
	return []Turn{
		{Experiment: "calibrate", TaskID: "BigCodeBench/0", Code: "def task_func():\n    return 1\n", Status: "pass", Passed: true,
			TestsRun: 2, Tests: []Test{{Name: "test_a", Status: "pass"}, {Name: "test_b", Status: "pass"}}, ExecKey: "sha256:ab", ExecMS: 12},
		{Experiment: "calibrate", TaskID: "BigCodeBench/1", TaskIndex: 1, Status: "fail", TestsRun: 1, TestsFailed: 1,
			Tests: []Test{{Name: "ALL", Status: "error", Message: "No module named 'nope'"}}, Compiled: ptr(true),
			FeedbackExecution: ptr("ALL\nNo module named 'nope'\n"), Model: ptr("mock"), TokensIn: ptr(int64(10)), CostUSD: ptr(0.5), Excluded: true},
		{Experiment: "calibrate", TaskID: "BigCodeBench/2", TaskIndex: 2, Status: "timeout", Limit: "wall", Tests: nil},
	}
}

func TestRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "turns.parquet")
	rows := sampleTurns()
	if err := Turns.Write(p, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRows[Turn](Turns, p)
	if err != nil {
		t.Fatal(err)
	}
	rows[2].Tests = []Test{} // an empty list reads back as empty, not nil
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rows)
	}
	// Empty tables are valid files too.
	if err := Turns.Write(p, []Turn{}); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadRows[Turn](Turns, p); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	if err := Turns.Write(p, []Test{}); err == nil {
		t.Fatal("wrong row type accepted")
	}
}
