// Package resultstest compares the results directories of two runs, for
// tests that check that a sharded run, merged, equals a single run. It is
// imported by tests only.
package resultstest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the independent reader

	"github.com/ccw-dev/ccw/schemas"
)

// SameTables compares the tables of two results directories: the same
// rows in the same order, timings aside (exec_ms, latency_ms) and the
// provenance column cached of calls (whether an identical request had
// already been answered depends on which process asked first). Rows are
// read by ccw's reader and by DuckDB; metrics.parquet must be the same
// bytes.
func SameTables(t testing.TB, want, got string) {
	t.Helper()
	SameTurns(t, filepath.Join(want, "turns.parquet"), filepath.Join(got, "turns.parquet"))
	wc, gc := read[schemas.Call](t, schemas.Calls, filepath.Join(want, "calls.parquet")), read[schemas.Call](t, schemas.Calls, filepath.Join(got, "calls.parquet"))
	if len(wc) != len(gc) {
		t.Fatalf("calls: %d rows, want %d", len(gc), len(wc))
	}
	for i := range wc {
		a, b := wc[i], gc[i]
		a.LatencyMS, b.LatencyMS, a.Cached, b.Cached = 0, 0, false, false
		if a != b {
			t.Fatalf("call row %d differs:\n got %+v\nwant %+v", i, b, a)
		}
	}
	sameBytes(t, filepath.Join(want, "metrics.parquet"), filepath.Join(got, "metrics.parquet"))

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for file, exclude := range map[string]string{"turns.parquet": "exec_ms, latency_ms", "calls.parquet": "latency_ms, cached", "metrics.parquet": ""} {
		sel := func(dir string) string {
			cols := "*"
			if exclude != "" {
				cols = "* EXCLUDE (" + exclude + ")"
			}
			return fmt.Sprintf("SELECT %s FROM read_parquet('%s')", cols, filepath.Join(dir, file))
		}
		var n int
		q := fmt.Sprintf("SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s))", sel(want), sel(got), sel(got), sel(want))
		if err := db.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("DuckDB: %s: %d rows in one run and not the other", file, n)
		}
	}
}

// SameTurns compares two turns.parquet files row by row, timings aside.
func SameTurns(t testing.TB, want, got string) {
	t.Helper()
	wt, gt := read[schemas.Turn](t, schemas.Turns, want), read[schemas.Turn](t, schemas.Turns, got)
	if len(wt) != len(gt) {
		t.Fatalf("turns: %d rows, want %d", len(gt), len(wt))
	}
	for i := range wt {
		a, b := wt[i], gt[i]
		a.ExecMS, b.ExecMS, a.LatencyMS, b.LatencyMS = 0, 0, nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("turn row %d differs:\n got %+v\nwant %+v", i, b, a)
		}
	}
}

func read[T any](t testing.TB, table *schemas.Table, path string) []T {
	t.Helper()
	rows, err := schemas.ReadRows[T](table, path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameBytes(t testing.TB, a, b string) {
	t.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}
