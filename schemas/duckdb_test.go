package schemas

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestDuckDBReadsTurns reads turns.parquet with DuckDB, an independent
// Parquet implementation, and checks rows, columns and nested tests.
func TestDuckDBReadsTurns(t *testing.T) {
	p := filepath.Join(t.TempDir(), "turns.parquet")
	if err := Turns.Write(p, sampleTurns()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var n, passed, excluded int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE passed), count(*) FILTER (WHERE excluded) FROM read_parquet(?)`, p).Scan(&n, &passed, &excluded); err != nil {
		t.Fatal(err)
	}
	if n != 3 || passed != 1 || excluded != 1 {
		t.Fatalf("rows=%d passed=%d excluded=%d", n, passed, excluded)
	}
	var cols int
	if err := db.QueryRow(`SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet(?))`, p).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != len(Turns.Schema().Fields()) {
		t.Fatalf("DuckDB sees %d columns, schema has %d", cols, len(Turns.Schema().Fields()))
	}
	var name, msg string
	if err := db.QueryRow(`SELECT t.name, t.message FROM (SELECT unnest(tests) AS t FROM read_parquet(?) WHERE task_id = 'BigCodeBench/1')`, p).Scan(&name, &msg); err != nil {
		t.Fatal(err)
	}
	if name != "ALL" || msg != "No module named 'nope'" {
		t.Fatalf("nested test = %q %q", name, msg)
	}
	var cost sql.NullFloat64
	var model sql.NullString
	if err := db.QueryRow(`SELECT cost_usd, model FROM read_parquet(?) WHERE task_id = 'BigCodeBench/0'`, p).Scan(&cost, &model); err != nil {
		t.Fatal(err)
	}
	if cost.Valid || model.Valid {
		t.Fatalf("nulls read back as %v %v", cost, model)
	}
}
