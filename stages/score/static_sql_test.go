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
)

// staticPair is one random reference run and a static run made from it.
type staticPair struct {
	ref, static []schemas.Turn
	spec        score.Spec
	// counts of what the generator did
	refStopped, refRerun, holes, excluded, absent, s0 int
}

// randomStatic draws a reference as a live run writes it (a task stops at
// its pass, or — as imported original logs — goes on with a row every
// turn and may fail again) and a static run of another model from it:
// the target's own turn 0 and static turns 1..N, and, as the static
// protocol records them, the reference's status at turn i-1 in a row of
// turn i-1 of its own score stage (the last logged row up to i-1). Some
// target rows are lost, some tasks excluded, some tasks of the task set
// have no row at all.
func randomStatic(rng *rand.Rand) staticPair {
	var s staticPair
	nComb, nTask, turns := 1+rng.IntN(3), 3+rng.IntN(30), 1+rng.IntN(6)
	s.spec = score.Spec{Experiment: "ccb", Turns: turns, Stage: "score.turn", Protocol: schemas.ProtocolStatic, Reference: "score.reference",
		ExcludeInitSolved: rng.IntN(3) == 0, NoCompensateInit: rng.IntN(3) == 0}
	for c := range nComb {
		s.spec.Combinations = append(s.spec.Combinations, score.Combination{Name: fmt.Sprintf("c%d", c), Label: fmt.Sprintf("w/ C%d", c)})
	}
	for t := range nTask + 1 {
		s.spec.Tasks = append(s.spec.Tasks, fmt.Sprintf("BigCodeBench/%d", t))
	}
	s.absent++ // the last task has no row anywhere
	rerun := rng.IntN(2) == 0
	for t := range nTask {
		id := fmt.Sprintf("BigCodeBench/%d", t)
		excluded := rng.IntN(12) == 0
		if excluded {
			s.excluded++
		}
		refPass0, ownPass0 := rng.IntN(4) == 0, rng.IntN(3) == 0
		if ownPass0 {
			s.s0++
		}
		row := func(stage, comb string, turn int, passed bool) schemas.Turn {
			r := schemas.Turn{Experiment: "ccb", Combination: comb, Stage: stage, TaskID: id, TaskIndex: int32(t),
				Turn: int32(turn), Passed: passed, Status: "fail", Excluded: excluded}
			if passed {
				r.Status = "pass"
			}
			return r
		}
		for _, comb := range s.spec.Combinations {
			// The reference's live history, as its turns.parquet has it.
			var hist []bool
			for k := 0; k <= turns; k++ {
				p := refPass0
				if k > 0 {
					last := hist[len(hist)-1]
					if last && !rerun {
						s.refStopped++
						break
					}
					p = rng.IntN(4) == 0 || (last && rng.IntN(5) != 0)
				}
				hist = append(hist, p)
			}
			if rerun {
				s.refRerun++
			}
			for k, p := range hist {
				r := row("score.turn", comb.Name, k, p)
				r.Experiment = "reference"
				s.ref = append(s.ref, r)
			}
			// The static run.
			s.static = append(s.static, row("score.turn", comb.Name, 0, ownPass0))
			for i := 1; i <= turns; i++ {
				k := min(i-1, len(hist)-1) // the last logged turn up to i-1
				solved := hist[k]
				s.static = append(s.static, row("score.reference", comb.Name, i-1, solved))
				if rng.IntN(20) == 0 {
					s.holes++ // the target's row of this turn was lost
					continue
				}
				q := solved || rng.IntN(3) == 0
				s.static = append(s.static, row("score.turn", comb.Name, i, q))
			}
		}
	}
	rng.Shuffle(len(s.static), func(i, j int) { s.static[i], s.static[j] = s.static[j], s.static[i] })
	return s
}

// TestStaticMatchesSQL computes random static runs' metrics in Go (from
// the static run's rows alone) and with an independent SQL query over
// both runs' turns.parquet, and compares them through metrics.parquet.
func TestStaticMatchesSQL(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2025, 9))
	var total staticPair
	compared := 0
	for run := range 30 {
		s := randomStatic(rng)
		dir := t.TempDir()
		refPath, turnsPath, metricsPath := filepath.Join(dir, "ref.parquet"), filepath.Join(dir, "turns.parquet"), filepath.Join(dir, "metrics.parquet")
		if err := schemas.Turns.Write(refPath, s.ref); err != nil {
			t.Fatal(err)
		}
		if err := schemas.Turns.Write(turnsPath, s.static); err != nil {
			t.Fatal(err)
		}
		ms, err := score.Static(s.static, s.spec)
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
		fromSQL, err := scoretest.StaticSQL(ctx, db, refPath, "score.turn", turnsPath, s.spec)
		if err != nil {
			t.Fatal(err)
		}
		if d := scoretest.Diff(fromFile, fromSQL, 1e-12); len(d) > 0 {
			t.Fatalf("run %d (spec %+v): metrics.parquet differs from SQL:\n%s", run, s.spec, strings.Join(d[:min(len(d), 10)], "\n"))
		}
		compared += len(fromSQL)
		total.refStopped += s.refStopped
		total.refRerun += s.refRerun
		total.holes += s.holes
		total.excluded += s.excluded
		total.s0 += s.s0
	}
	t.Logf("%d metric rows compared; %d reference turns never logged after a pass, %d rerun references, %d lost target rows, %d excluded, %d own turn-0 passes",
		compared, total.refStopped, total.refRerun, total.holes, total.excluded, total.s0)
	for name, n := range map[string]int{"stopped": total.refStopped, "rerun": total.refRerun, "holes": total.holes, "excluded": total.excluded, "s0": total.s0} {
		if n == 0 {
			t.Errorf("the generator produced no %s case", name)
		}
	}
}
