package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// results is one results directory read back: run.json, the turn rows,
// the metric spec, the per-task outcomes and, when present, the calls.
type results struct {
	dir   string
	run   *schemas.Run
	rows  []schemas.Turn
	spec  score.Spec
	out   *score.Outcomes
	calls []schemas.Call
	// single says the run has no combinations and no turns after 0.
	single bool
}

// singleTurn names the one pseudo-combination of a run without
// combinations (a calibration or single-turn run).
const singleTurn = "-"

// readResults reads a results directory. A single-turn run is read as one
// combination named "-" with turn 0 only.
func readResults(dir string) (*results, error) {
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(dir, "turns.parquet"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a ccw results directory: %w", dir, err)
	}
	run, err := schemas.ReadRun(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not a ccw results directory: %w", dir, err)
	}
	r := &results{dir: dir, run: run, rows: rows}
	r.spec = score.SpecFromRun(run)
	if len(r.spec.Combinations) == 0 {
		r.spec = specFromRows(r.spec, rows)
	}
	if len(r.spec.Combinations) == 0 {
		for i, row := range r.rows {
			if row.Turn > 0 {
				return nil, fmt.Errorf("%s: rows without a combination have turns after 0", dir)
			}
			r.rows[i].Combination = singleTurn
		}
		r.spec.Combinations = []score.Combination{{Name: singleTurn, Label: "single turn"}}
		r.spec.Turns, r.single = 1, true // a turn budget of 0 reads as the default: the extra turn is ignored
	}
	r.out, err = score.TaskOutcomes(r.rows, r.spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "turns.parquet"), err)
	}
	calls, err := schemas.ReadRows[schemas.Call](schemas.Calls, filepath.Join(dir, "calls.parquet"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	r.calls = calls
	return r, nil
}

// lastTurn is the turn budget N of the run (turns 0..N).
func (r *results) lastTurn() int {
	if r.single {
		return 0
	}
	return r.out.Turns
}
