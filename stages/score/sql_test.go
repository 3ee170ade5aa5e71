package score_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
	"github.com/ccw-dev/ccw/stages/score/scoretest"
	_ "github.com/duckdb/duckdb-go/v2"
)

// synthetic is one random run: turn rows and the spec they were made for.
type synthetic struct {
	rows []schemas.Turn
	spec score.Spec
	// counts of what the generator did, to check the test covers them
	carried, failedAfterPass, truncated, holes, excluded, absent int
}

// randomRun draws a run: turn 0 shared by the combinations, tasks that
// stop at their pass (or, with rerun, keep a row every turn and may fail
// again), excluded tasks, runs cut short, single lost rows, a
// combination without a task, tasks of the task set without any row, and
// noise rows of another experiment and another score stage.
func randomRun(rng *rand.Rand) synthetic {
	var s synthetic
	nComb, nTask, turns := 1+rng.IntN(4), 3+rng.IntN(40), 1+rng.IntN(6)
	s.spec = score.Spec{Experiment: "ccw", Turns: turns, Stage: "score.turn", RerunSolved: rng.IntN(3) == 0, ExcludeInitSolved: rng.IntN(3) == 0}
	for c := range nComb {
		s.spec.Combinations = append(s.spec.Combinations, score.Combination{Name: fmt.Sprintf("c%d", c), Label: fmt.Sprintf("w/ C%d", c)})
	}
	// Give the task list in half the runs, with two tasks that never ran.
	withList := rng.IntN(2) == 0
	for t := range nTask + 2 {
		if withList || t < nTask {
			s.spec.Tasks = append(s.spec.Tasks, fmt.Sprintf("BigCodeBench/%d", t))
		}
	}
	if !withList {
		s.spec.Tasks = nil
	} else {
		s.absent = 2
	}
	for t := range nTask {
		id := fmt.Sprintf("BigCodeBench/%d", t)
		pass0 := rng.IntN(3) == 0
		excluded := rng.IntN(10) == 0
		if excluded {
			s.excluded++
		}
		for _, comb := range s.spec.Combinations {
			if rng.IntN(40) == 0 {
				s.absent++
				continue // this combination never got to the task
			}
			var hist []bool
			passed := false
			for i := 0; i <= turns; i++ {
				var p bool
				switch {
				case i == 0:
					p = pass0
				case passed && !s.spec.RerunSolved:
					s.carried += turns + 1 - i // the loop stops: later turns carry the pass
				case passed:
					p = rng.IntN(5) != 0
					if !p {
						s.failedAfterPass++
					}
				default:
					p = rng.IntN(4) == 0
				}
				if i > 0 && passed && !s.spec.RerunSolved {
					break
				}
				hist = append(hist, p)
				passed = p
			}
			keep := len(hist)
			if rng.IntN(10) == 0 && keep > 1 {
				keep = rng.IntN(keep) // the run stopped early
				s.truncated++
			}
			hole := -1
			if rng.IntN(15) == 0 && keep > 2 {
				hole = 1 + rng.IntN(keep-2)
				s.holes++
			}
			for i, p := range hist[:keep] {
				if i == hole {
					continue
				}
				row := schemas.Turn{Experiment: "ccw", Combination: comb.Name, Stage: "score.turn", TaskID: id, TaskIndex: int32(t),
					Turn: int32(i), Passed: p, Status: "fail", Excluded: excluded, Model: ptr("coder-7b")}
				if p {
					row.Status = "pass"
				}
				s.rows = append(s.rows, row)
				if rng.IntN(8) == 0 { // another score stage of the same run
					row.Stage, row.Passed = "score.strict", !p
					s.rows = append(s.rows, row)
				}
			}
		}
	}
	s.rows = append(s.rows, schemas.Turn{Experiment: "other", Combination: "zz", Stage: "score.turn", TaskID: "x", Turn: 0, Passed: true})
	rng.Shuffle(len(s.rows), func(i, j int) { s.rows[i], s.rows[j] = s.rows[j], s.rows[i] })
	return s
}

func ptr[T any](v T) *T { return &v }

// TestLiveMatchesSQL writes random runs as turns.parquet, computes the
// metrics in Go and writes metrics.parquet, then recomputes them with an
// independent SQL query in DuckDB over turns.parquet and compares the two
// with what DuckDB reads back from metrics.parquet.
func TestLiveMatchesSQL(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2025, 8))
	var total synthetic
	var rowsCompared int
	for run := range 40 {
		s := randomRun(rng)
		dir := t.TempDir()
		turnsPath, metricsPath := filepath.Join(dir, "turns.parquet"), filepath.Join(dir, "metrics.parquet")
		if err := schemas.Turns.Write(turnsPath, s.rows); err != nil {
			t.Fatal(err)
		}
		ms, err := score.Live(s.rows, s.spec)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := schemas.Metrics.Write(metricsPath, ms); err != nil {
			t.Fatal(err)
		}
		fromFile, err := scoretest.ReadMetrics(ctx, db, metricsPath)
		if err != nil {
			t.Fatal(err)
		}
		fromSQL, err := scoretest.LiveSQL(ctx, db, turnsPath, s.spec)
		if err != nil {
			t.Fatal(err)
		}
		if d := scoretest.Diff(fromFile, fromSQL, 1e-12); len(d) > 0 {
			t.Fatalf("run %d (spec %+v): metrics.parquet differs from SQL:\n%s", run, s.spec, strings.Join(d[:min(len(d), 10)], "\n"))
		}
		rowsCompared += len(fromSQL)
		total.carried += s.carried
		total.failedAfterPass += s.failedAfterPass
		total.truncated += s.truncated
		total.holes += s.holes
		total.excluded += s.excluded
		total.absent += s.absent
	}
	t.Logf("%d metric rows compared; generated %d carried turns, %d fails after a pass, %d cut runs, %d lost rows, %d excluded tasks, %d absent (task, combination)",
		rowsCompared, total.carried, total.failedAfterPass, total.truncated, total.holes, total.excluded, total.absent)
	for name, n := range map[string]int{"carried": total.carried, "fail after pass": total.failedAfterPass, "cut": total.truncated,
		"holes": total.holes, "excluded": total.excluded, "absent": total.absent} {
		if n == 0 {
			t.Errorf("the generator produced no %s case", name)
		}
	}
}

// TestSQLSeesDefects makes sure the comparison can fail: a metrics table
// that differs in one value, one count or one null is reported.
func TestSQLSeesDefects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := randomRun(rng)
	ms, err := score.Live(s.rows, s.spec)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() []schemas.Metric {
		out := make([]schemas.Metric, len(ms))
		copy(out, ms)
		return out
	}
	bad := clone()
	v := *bad[3].Value + 1e-9
	bad[3].Value = &v
	if d := scoretest.Diff(bad, ms, 1e-12); len(d) != 1 {
		t.Errorf("a changed value: %v", d)
	}
	bad = clone()
	bad[len(bad)-1].Missing++
	if d := scoretest.Diff(bad, ms, 1e-12); len(d) != 1 {
		t.Errorf("a changed count: %v", d)
	}
	bad = clone()
	bad[0].Value = nil
	if d := scoretest.Diff(bad, ms, 1e-12); len(d) != 1 {
		t.Errorf("a null: %v", d)
	}
	if d := scoretest.Diff(ms[1:], ms, 1e-12); len(d) == 0 {
		t.Error("a missing row went unnoticed")
	}
}
