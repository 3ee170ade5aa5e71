package schemas

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/zclconf/go-cty/cty"
)

func callVal(role string, in, out int64, cost float64, cached bool) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"role": cty.StringVal(role), "model": cty.StringVal("gpt-4o"), "provider": cty.StringVal("openai"),
		"mock": cty.False, "call_key": cty.StringVal("sha256:aa"), "prompt_digest": cty.StringVal("sha256:bb"),
		"sample": cty.NumberIntVal(0), "tokens_in": cty.NumberIntVal(in), "tokens_out": cty.NumberIntVal(out),
		"latency_ms": cty.NumberIntVal(1200), "retries": cty.NumberIntVal(2), "cost_usd": cty.NumberFloatVal(cost),
		"cached": cty.BoolVal(cached), "system_fingerprint": cty.StringVal("fp_1"), "response_model": cty.StringVal("gpt-4o-2024-08-06"),
		"finish_reason": cty.StringVal("stop"), "error": cty.StringVal(""),
	})
}

func TestCallsSchemaGolden(t *testing.T) {
	golden(t, "calls_schema.golden", []byte(CallsSchema.String()+"\n"))
	for _, f := range callFields {
		if !CallType.HasAttribute(f.name) {
			t.Errorf("CallType lacks %s", f.name)
		}
	}
}

// TestWriteCallsDuckDB writes calls.parquet and reads it back with DuckDB,
// an independent reader.
func TestWriteCallsDuckDB(t *testing.T) {
	rows := []CallRow{
		{Source: CallSource{Experiment: "ccw", Combination: "cf_sef", Task: "BigCodeBench/1", Turn: 1, Stage: "simulate.expert", VertexKey: "sha256:v1"},
			Calls: cty.ListVal([]cty.Value{callVal("simulator", 3000, 400, 0.0115, false)})},
		{Source: CallSource{Experiment: "ccw", Task: "BigCodeBench/1", Turn: -1, Stage: "generate.initial"},
			Calls: cty.ListVal([]cty.Value{callVal("coder", 10, 20, 0, true), callVal("coder", 30, 40, 0, false)})},
		{Source: CallSource{Stage: "refine.none"}, Calls: cty.NullVal(CallsType)},
		{Source: CallSource{Stage: "refine.empty"}, Calls: cty.ListValEmpty(CallType)},
	}
	var a, b bytes.Buffer
	if err := WriteCalls(&a, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteCalls(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two writes of the same rows differ")
	}
	path := filepath.Join(t.TempDir(), "calls.parquet")
	if err := os.WriteFile(path, a.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, tin, tout, cached int
	var cost float64
	q := `SELECT count(*), sum(tokens_in), sum(tokens_out), sum(cost_usd), count(*) FILTER (WHERE cached) FROM read_parquet(?)`
	if err := db.QueryRow(q, path).Scan(&n, &tin, &tout, &cost, &cached); err != nil {
		t.Fatal(err)
	}
	if n != 3 || tin != 3040 || tout != 460 || cost != 0.0115 || cached != 1 {
		t.Errorf("read back n=%d in=%d out=%d cost=%v cached=%d", n, tin, tout, cost, cached)
	}
	var nullTurns int
	var role string
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE turn IS NULL), min(role) FROM read_parquet(?)`, path).Scan(&nullTurns, &role); err != nil {
		t.Fatal(err)
	}
	if nullTurns != 2 || role != "coder" {
		t.Errorf("null turns = %d, role = %q", nullTurns, role)
	}
	var version string
	if err := db.QueryRow(`SELECT decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = 'ccw.schema_version'`, path).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != CallsSchemaVersion {
		t.Errorf("schema version = %q", version)
	}
}

func TestWriteCallsErrors(t *testing.T) {
	missing := cty.ObjectVal(map[string]cty.Value{"role": cty.StringVal("coder")})
	wrongType := callVal("coder", 1, 2, 0, false)
	m := wrongType.AsValueMap()
	m["tokens_in"] = cty.StringVal("many")
	tests := []struct {
		calls cty.Value
		want  string
	}{
		{cty.ListVal([]cty.Value{missing}), `record 0: missing attribute "model"`},
		{cty.ListVal([]cty.Value{cty.ObjectVal(m)}), `attribute "tokens_in": want number, got string`},
		{cty.StringVal("x"), "want a known list of call records"},
	}
	for _, tt := range tests {
		err := WriteCalls(&bytes.Buffer{}, []CallRow{{Source: CallSource{Stage: "generate.x"}, Calls: tt.calls}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "generate.x") {
			t.Errorf("err = %v, want %q naming the stage", err, tt.want)
		}
	}
}
