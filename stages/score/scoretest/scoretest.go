// Package scoretest owns the independent check of ccw's metrics: the live
// metrics of protocol.md §6 written as one DuckDB SQL query
// (live_metrics.sql) over a turns.parquet file, and the static ones
// (static_metrics.sql) over a static run's turns.parquet and its
// reference's. Tests compare its rows with what stages/score computes; it
// is imported by tests only, and the caller imports the DuckDB driver
// (github.com/duckdb/duckdb-go/v2).
package scoretest

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"math"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// LiveMetricsSQL is the query. It reads the tables turns, spec,
// spec_combos and spec_tasks; its header comment says what they hold.
//
//go:embed live_metrics.sql
var LiveMetricsSQL string

// LiveSQL computes the live metrics of spec over the turns.parquet file at
// turnsPath with LiveMetricsSQL, on one connection of db (a DuckDB
// database), and returns them as metric rows in metrics.parquet's order.
// An empty spec.Stage is resolved as score.Live does: the only stage of
// the experiment's rows.
func LiveSQL(ctx context.Context, db *sql.DB, turnsPath string, spec score.Spec) ([]schemas.Metric, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	turns := spec.Turns
	if turns == 0 {
		turns = score.DefaultTurns
	}
	setup := []string{
		`CREATE OR REPLACE TEMP VIEW turns AS SELECT * FROM read_parquet('` + strings.ReplaceAll(turnsPath, "'", "''") + `')`,
		`CREATE OR REPLACE TEMP TABLE spec (experiment VARCHAR, stage VARCHAR, turns INTEGER, rerun_solved BOOLEAN, exclude_init_solved BOOLEAN)`,
		`CREATE OR REPLACE TEMP TABLE spec_combos (ord INTEGER, name VARCHAR, label VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE spec_tasks (task_id VARCHAR)`,
	}
	if err := execAll(ctx, conn, setup); err != nil {
		return nil, err
	}
	stage := spec.Stage
	if stage == "" {
		var n int
		var only sql.NullString
		if err := conn.QueryRowContext(ctx, `SELECT count(DISTINCT stage), min(stage) FROM turns WHERE experiment = ?`,
			spec.Experiment).Scan(&n, &only); err != nil {
			return nil, fmt.Errorf("scoretest: %s: %w", turnsPath, err)
		}
		if n != 1 {
			return nil, fmt.Errorf("scoretest: experiment %q has rows of %d score stages, want one", spec.Experiment, n)
		}
		stage = only.String
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO spec VALUES (?, ?, ?, ?, ?)`,
		spec.Experiment, stage, turns, spec.RerunSolved, spec.ExcludeInitSolved); err != nil {
		return nil, err
	}
	if err := fillSpec(ctx, conn, spec); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, LiveMetricsSQL)
	if err != nil {
		return nil, fmt.Errorf("scoretest: live_metrics.sql: %w", err)
	}
	return scanMetrics(rows)
}

// StaticMetricsSQL is the static query. It reads the tables turns,
// ref_turns, spec, spec_combos and spec_tasks; its header comment says
// what they hold.
//
//go:embed static_metrics.sql
var StaticMetricsSQL string

// StaticSQL computes the static metrics of spec with StaticMetricsSQL over
// the static run's turns.parquet (turnsPath; spec.Stage names the
// target's score stage, which must be set) and the reference's
// (refTurnsPath, whose rows of score stage refStage are the reference's),
// on one connection of db, in metrics.parquet's order.
func StaticSQL(ctx context.Context, db *sql.DB, refTurnsPath, refStage, turnsPath string, spec score.Spec) ([]schemas.Metric, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	turns := spec.Turns
	if turns == 0 {
		turns = score.DefaultTurns
	}
	quote := func(p string) string { return "'" + strings.ReplaceAll(p, "'", "''") + "'" }
	setup := []string{
		`CREATE OR REPLACE TEMP VIEW turns AS SELECT * FROM read_parquet(` + quote(turnsPath) + `)`,
		`CREATE OR REPLACE TEMP VIEW ref_turns AS SELECT * FROM read_parquet(` + quote(refTurnsPath) + `)`,
		`CREATE OR REPLACE TEMP TABLE spec (experiment VARCHAR, stage VARCHAR, ref_stage VARCHAR, turns INTEGER, exclude_init_solved BOOLEAN, compensate_init BOOLEAN)`,
		`CREATE OR REPLACE TEMP TABLE spec_combos (ord INTEGER, name VARCHAR, label VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE spec_tasks (task_id VARCHAR)`,
	}
	if err := execAll(ctx, conn, setup); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO spec VALUES (?, ?, ?, ?, ?, ?)`,
		spec.Experiment, spec.Stage, refStage, turns, spec.ExcludeInitSolved, !spec.NoCompensateInit); err != nil {
		return nil, err
	}
	if err := fillSpec(ctx, conn, spec); err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, StaticMetricsSQL)
	if err != nil {
		return nil, fmt.Errorf("scoretest: static_metrics.sql: %w", err)
	}
	return scanMetrics(rows)
}

// execAll runs statements in order.
func execAll(ctx context.Context, conn *sql.Conn, stmts []string) error {
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("scoretest: %s: %w", q, err)
		}
	}
	return nil
}

// fillSpec inserts the combinations and tasks of spec.
func fillSpec(ctx context.Context, conn *sql.Conn, spec score.Spec) error {
	for i, c := range spec.Combinations {
		if _, err := conn.ExecContext(ctx, `INSERT INTO spec_combos VALUES (?, ?, ?)`, i, c.Name, c.Label); err != nil {
			return err
		}
	}
	for _, id := range spec.Tasks {
		if _, err := conn.ExecContext(ctx, `INSERT INTO spec_tasks VALUES (?)`, id); err != nil {
			return err
		}
	}
	return nil
}

// ReadMetrics reads a metrics.parquet file with DuckDB, in file order.
func ReadMetrics(ctx context.Context, db *sql.DB, path string) ([]schemas.Metric, error) {
	rows, err := db.QueryContext(ctx, `SELECT experiment, protocol, stage, combination, label, metric, turn, value,
		tasks, total, excluded, dropped, missing, options FROM read_parquet(?)`, path)
	if err != nil {
		return nil, fmt.Errorf("scoretest: %s: %w", path, err)
	}
	return scanMetrics(rows)
}

func scanMetrics(rows *sql.Rows) ([]schemas.Metric, error) {
	defer rows.Close()
	var out []schemas.Metric
	for rows.Next() {
		var m schemas.Metric
		var turn sql.NullInt32
		var value sql.NullFloat64
		if err := rows.Scan(&m.Experiment, &m.Protocol, &m.Stage, &m.Combination, &m.Label, &m.Metric, &turn, &value,
			&m.Tasks, &m.Total, &m.Excluded, &m.Dropped, &m.Missing, &m.Options); err != nil {
			return nil, err
		}
		if turn.Valid {
			m.Turn = &turn.Int32
		}
		if value.Valid {
			m.Value = &value.Float64
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Diff lists the differences between two metric tables row by row: every
// column equal, values within tol of each other (SQL sums in another
// order), nulls in the same places. Empty means equal.
func Diff(got, want []schemas.Metric, tol float64) []string {
	var out []string
	if len(got) != len(want) {
		out = append(out, fmt.Sprintf("%d rows, want %d", len(got), len(want)))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		gv, wv := g.Value, w.Value
		g.Value, w.Value = nil, nil
		gt, wt := g.Turn, w.Turn
		g.Turn, w.Turn = nil, nil
		// The SQL computes no bootstrap: an interval is compared when both
		// rows have one.
		ci := func(a, b *float64) bool { return a == nil || b == nil || math.Abs(*a-*b) <= tol }
		ciSame := ci(g.CILow, w.CILow) && ci(g.CIHigh, w.CIHigh)
		g.CILow, g.CIHigh, w.CILow, w.CIHigh = nil, nil, nil, nil
		same := g == w && ciSame && (gt == nil) == (wt == nil) && (gt == nil || *gt == *wt) && (gv == nil) == (wv == nil) &&
			(gv == nil || math.Abs(*gv-*wv) <= tol)
		if !same {
			out = append(out, fmt.Sprintf("row %d: got %s\n        want %s", i, Format(got[i]), Format(want[i])))
		}
	}
	return out
}

// Format renders one metric row on one line.
func Format(m schemas.Metric) string {
	turn, value := "null", "null"
	if m.Turn != nil {
		turn = fmt.Sprint(*m.Turn)
	}
	if m.Value != nil {
		value = fmt.Sprint(*m.Value)
	}
	ci := "none"
	if m.CILow != nil && m.CIHigh != nil {
		ci = fmt.Sprintf("[%v, %v]", *m.CILow, *m.CIHigh)
	}
	return fmt.Sprintf("%s/%s/%s %s (%s) %s turn=%s value=%s ci=%s tasks=%d total=%d excluded=%d dropped=%d missing=%d options=%q",
		m.Experiment, m.Protocol, m.Stage, m.Combination, m.Label, m.Metric, turn, value, ci, m.Tasks, m.Total, m.Excluded, m.Dropped, m.Missing, m.Options)
}
