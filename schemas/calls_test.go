package schemas

import (
	"strings"
	"testing"

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
	golden(t, "calls.schema.golden", Calls.Schema().String()+"\n")
	if n := len(CallType.AttributeTypes()); n != len(Calls.Schema().Fields())-vertexColumns {
		t.Errorf("CallType has %d attributes for %d record columns", n, len(Calls.Schema().Fields())-vertexColumns)
	}
}

// TestCallsRoundTrip converts stage records to rows, writes calls.parquet,
// reads it back with our reader and with DuckDB (an independent reader).
func TestCallsRoundTrip(t *testing.T) {
	rows, err := CallsFromValue(cty.ListVal([]cty.Value{callVal("simulator", 3000, 400, 0.0115, false),
		callVal("coder", 10, 20, 0, true), callVal("coder", 30, 40, 0, false)}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Experiment, rows[i].TaskID, rows[i].Turn, rows[i].Stage = "ccw", "BigCodeBench/1", int32(i), "refine.fix"
	}
	if none, err := CallsFromValue(cty.NullVal(CallsType)); err != nil || none != nil {
		t.Errorf("null calls: %v %v", none, err)
	}
	path, db := roundTrip(t, Calls, rows)
	var n, tin, tout, cached int
	var cost float64
	q := `SELECT count(*), sum(tokens_in), sum(tokens_out), sum(cost_usd), count(*) FILTER (WHERE cached) FROM read_parquet(?)`
	if err := db.QueryRow(q, path).Scan(&n, &tin, &tout, &cost, &cached); err != nil {
		t.Fatal(err)
	}
	if n != 3 || tin != 3040 || tout != 460 || cost != 0.0115 || cached != 1 {
		t.Errorf("DuckDB read n=%d in=%d out=%d cost=%v cached=%d", n, tin, tout, cost, cached)
	}
	var version string
	if err := db.QueryRow(`SELECT decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = 'ccw.schema_version'`, path).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != CallsVersion {
		t.Errorf("schema version = %q", version)
	}
}

func TestCallsOf(t *testing.T) {
	res := cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("x"),
		"calls": cty.ListVal([]cty.Value{callVal("coder", 1, 2, 0, false)})})
	if rows, err := CallsOf(res); err != nil || len(rows) != 1 || rows[0].TokensOut != 2 {
		t.Errorf("CallsOf = %+v, %v", rows, err)
	}
	if rows, err := CallsOf(cty.ObjectVal(map[string]cty.Value{"passed": cty.True})); err != nil || rows != nil {
		t.Errorf("a result without calls gave %+v, %v", rows, err)
	}
}

func TestCallsFromValueErrors(t *testing.T) {
	m := callVal("coder", 1, 2, 0, false).AsValueMap()
	m["tokens_in"] = cty.StringVal("many")
	tests := []struct {
		calls cty.Value
		want  string
	}{
		{cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"role": cty.StringVal("coder")})}), `calls[0]: missing attribute "model"`},
		{cty.ListVal([]cty.Value{cty.ObjectVal(m)}), `attribute "tokens_in": want number, got string`},
		{cty.StringVal("x"), "want a known list of call records"},
	}
	for _, tt := range tests {
		if _, err := CallsFromValue(tt.calls); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}
