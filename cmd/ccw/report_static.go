package main

import (
	"fmt"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

// The original's ConvCodeBench captions (print_results.py, option static).
const (
	captionStaticPass  = "Table 1. Pass@1 results of %s on ConvCodeBench for each turn (ref. model: %s)."
	captionStaticRanks = "Table 2. MRR and Recall results of %s on ConvCodeBench (ref. model: %s)."
)

// static reports a ConvCodeBench run: the original's two static tables
// (Pass@1 per turn from turn 1, MRR and Recall) with their captions.
func (c *reportCmd) static(e *env, run *schemas.Run, spec score.Spec, rows []schemas.Turn) error {
	if c.Cumulative {
		return fmt.Errorf("%s is a static (ConvCodeBench) run: every turn restarts from the reference's code, so Pass@1 has no cumulative form", c.where())
	}
	if c.Format == "ids" {
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Experiment == spec.Experiment && r.Stage == spec.Stage && r.Turn == 0 && !r.Passed && !r.Excluded && !seen[r.TaskID] {
				seen[r.TaskID] = true
				fmt.Fprintln(e.stdout, r.TaskID)
			}
		}
		return nil
	}
	ms, recomputed, err := c.metrics(spec, rows)
	if err != nil {
		return err
	}
	model := c.Model
	if model == "" {
		model = stageModel(rows, spec.Experiment, spec.Stage, run.Experiment.Name)
	}
	ref := stageModel(rows, spec.Experiment, spec.Reference, "the reference")
	t1, t2 := metricTables(ms, false)
	cap1, cap2 := fmt.Sprintf(captionStaticPass, model, ref), fmt.Sprintf(captionStaticRanks, model, ref)
	notes := staticNotes(ms, run, recomputed)
	return c.writeTables(e, tablesOut{t1: t1, t2: t2, cap1: cap1, cap2: cap2, notes: notes, metrics: ms,
		json: map[string]any{"experiment": run.Experiment.Name, "protocol": schemas.ProtocolStatic, "model": model,
			"reference_model": ref, "complete": run.Summary.Complete}})
}

// stageModel names the model of a score stage's rows: the model of its
// first turn-0 row that has one, else of any of its rows, else fallback.
func stageModel(rows []schemas.Turn, experiment, stage, fallback string) string {
	var some string
	for _, r := range rows {
		if r.Experiment != experiment || r.Stage != stage || r.Model == nil || *r.Model == "" {
			continue
		}
		if r.Turn == 0 {
			return *r.Model
		}
		if some == "" {
			some = *r.Model
		}
	}
	if some != "" {
		return some
	}
	return fallback
}

func cleanLegend() []string {
	out := make([]string, len(legend))
	for i, l := range legend {
		out[i] = strings.TrimSpace(strings.TrimPrefix(l, " - "))
	}
	return out
}

// staticNotes says what the static tables do not: how Pass@1 is counted,
// the options, excluded, dropped and missing tasks, an incomplete run.
func staticNotes(ms []schemas.Metric, run *schemas.Run, recomputed bool) []string {
	notes := []string{"Table 1 counts a task as passing at turn i if the model's code of turn i passed or the reference's initial code did, as the original does; every turn restarts from the reference's code, so the figures need not rise."}
	if recomputed {
		notes = append(notes, "metrics computed from turns.parquet, not read from metrics.parquet.")
	}
	cols, turns := columns(ms)
	if len(cols) == 0 {
		return notes
	}
	first := cols[0]
	if len(turns) > 0 {
		if r, ok := first.byKey[metricKey(schemas.MetricPass1, &turns[0])]; ok && r.Excluded > 0 {
			notes = append(notes, fmt.Sprintf("calibration exclusions: %d of %d tasks left out of every mean.", r.Excluded, r.Total))
		}
	}
	if r, ok := first.byKey[schemas.MetricMRR]; ok {
		if strings.Contains(r.Options, "exclude_init_solved") {
			notes = append(notes, fmt.Sprintf("MRR and Recall leave out the tasks the model solved at turn 0 (exclude_init_solved): %d/%d kept.", r.Tasks, r.Total-r.Excluded))
		}
		if strings.Contains(r.Options, "compensate_init=false") {
			notes = append(notes, "MRR does not credit the model's own turn 0 (compensate_init=false).")
		}
	}
	for _, col := range cols {
		if r, ok := col.byKey[schemas.MetricMRR]; ok && r.Missing > 0 {
			notes = append(notes, fmt.Sprintf("%s: missing turns in %d of %d tasks (the run was incomplete); a missing turn counts as not passing.", col.label, r.Missing, r.Tasks))
		}
	}
	if !run.Summary.Complete {
		notes = append(notes, "the run was incomplete (failed or interrupted stages); run it again to finish")
	}
	return notes
}
