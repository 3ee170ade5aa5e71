package schemas

import (
	"database/sql"
	"testing"
)

func TestMetricsSchemaGolden(t *testing.T) {
	golden(t, "metrics.schema.golden", Metrics.Schema().String()+"\n")
}

func sampleMetrics() []Metric {
	base := Metric{Experiment: "ccw", Protocol: ProtocolLive, Stage: "score.turn", Combination: "cf_ef_full_sef",
		Label: "w/ CF EF (full TC) SEF", Tasks: 146, Total: 148, Excluded: 2, Missing: 1}
	p0, p1, mrr, recall := base, base, base, base
	p0.Metric, p0.Turn, p0.Value = MetricPass1, ptr(int32(0)), ptr(0.352)
	p1.Metric, p1.Turn, p1.Value = MetricPass1Cumulative, ptr(int32(1)), ptr(0.6)
	mrr.Metric, mrr.Value, mrr.Tasks, mrr.Dropped, mrr.Options = MetricMRR, ptr(0.5331), 95, 51, "exclude_init_solved"
	recall.Metric = MetricRecall // no task averaged: null value
	recall.Tasks, recall.Excluded = 0, 148
	return []Metric{p0, p1, mrr, recall}
}

// TestMetricsRoundTrip writes metrics.parquet and reads it back with our
// reader and with DuckDB, nulls included.
func TestMetricsRoundTrip(t *testing.T) {
	path, db := roundTrip(t, Metrics, sampleMetrics())
	q := `SELECT metric, turn, value, tasks, dropped, options FROM read_parquet(?) ORDER BY metric`
	got, err := db.Query(q, path)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	type row struct {
		metric  string
		turn    sql.NullInt32
		value   sql.NullFloat64
		tasks   int64
		dropped int64
		options string
	}
	want := []row{
		{"mrr", sql.NullInt32{}, sql.NullFloat64{Float64: 0.5331, Valid: true}, 95, 51, "exclude_init_solved"},
		{"pass@1", sql.NullInt32{Int32: 0, Valid: true}, sql.NullFloat64{Float64: 0.352, Valid: true}, 146, 0, ""},
		{"pass@1_cumulative", sql.NullInt32{Int32: 1, Valid: true}, sql.NullFloat64{Float64: 0.6, Valid: true}, 146, 0, ""},
		{"recall", sql.NullInt32{}, sql.NullFloat64{}, 0, 0, ""},
	}
	var i int
	for ; got.Next(); i++ {
		var r row
		if err := got.Scan(&r.metric, &r.turn, &r.value, &r.tasks, &r.dropped, &r.options); err != nil {
			t.Fatal(err)
		}
		if i >= len(want) || r != want[i] {
			t.Errorf("DuckDB row %d = %+v", i, r)
		}
	}
	if i != len(want) {
		t.Errorf("DuckDB read %d rows, want %d", i, len(want))
	}
	var table, version string
	if err := db.QueryRow(`SELECT max(decode(value)) FILTER (WHERE decode(key) = 'ccw.table'), max(decode(value)) FILTER (WHERE decode(key) = 'ccw.schema_version') FROM parquet_kv_metadata(?)`, path).Scan(&table, &version); err != nil {
		t.Fatal(err)
	}
	if table != "metrics" || version != MetricsVersion {
		t.Errorf("metadata: table %q version %q", table, version)
	}
}
