package schemas

import (
	"bytes"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// roundTrip writes rows as a table file, reads them back with our reader
// and wants them unchanged, and returns the file's path and a DuckDB
// database (an independent reader) closed when the test ends.
func roundTrip[T any](t *testing.T, table *Table, rows []T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), table.Name+".parquet")
	if err := table.Write(path, rows); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRows[T](table, path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, rows)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return path, db
}

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

// TestWriteIsDeterministic writes the same rows several times and wants the
// same bytes each time: reruns and --offline replays promise byte-identical
// Parquet. The code column holds ~9 MiB of distinct text, more than a
// default dictionary page holds, which once made arrow-go's map-ordered
// page-encoding stats differ from write to write.
func TestWriteIsDeterministic(t *testing.T) {
	var rows []Turn
	for i := range 3000 {
		code := fmt.Sprintf("def task_func():\n    return %d\n%s", i, strings.Repeat("#", 3000))
		rows = append(rows, Turn{Experiment: "e", TaskID: fmt.Sprintf("T/%d", i), TaskIndex: int32(i), Code: code, Status: "pass"})
	}
	dir := t.TempDir()
	var first []byte
	for i := range 16 {
		p := filepath.Join(dir, fmt.Sprintf("turns-%d.parquet", i))
		if err := Turns.Write(p, rows); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("write %d differs from the first (%d vs %d bytes)", i, len(b), len(first))
		}
	}
}
