package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/ccw-dev/ccw/internal/origlogs"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

type importCmd struct {
	ConvCodeWorld importConvCodeWorldCmd `cmd:"" name:"convcodeworld" help:"Read the original ConvCodeWorld's logs (per-turn jsonl and _eval_results.json) into a ccw results directory, e.g. a ConvCodeBench reference."`
}

type importConvCodeWorldCmd struct {
	Dir   string `arg:"" name:"dir" help:"Directory holding the logs (searched recursively): results/v0.3.6 and the turn-0 sanitized_calibrated_samples, for example." type:"existingdir"`
	Out   string `required:"" help:"Results directory to write (turns.parquet, metrics.parquet, run.json)." placeholder:"DIR"`
	Model string `help:"The model whose logs to read, with its '/' (default: the only one)." placeholder:"NAME"`
}

// importExperiment is the experiment name of imported rows.
const importExperiment = "convcodeworld"

func (c *importConvCodeWorldCmd) Run(e *env) error {
	start := time.Now()
	logs, err := origlogs.Read(c.Dir, origlogs.Options{Model: c.Model})
	if err != nil {
		return err
	}
	rows := logs.Rows
	for i := range rows {
		rows[i].Experiment = importExperiment
	}
	run := &schemas.Run{
		SchemaVersion: schemas.RunVersion, CCWVersion: version, ConfigFile: c.Dir,
		Variables: map[string]any{"imported_from": c.Dir, "model": logs.Model, "simulator": logs.Simulator, "files": logs.Files},
		Resources: map[string]any{},
		Tables:    map[string]string{"turns.parquet": schemas.TurnsVersion},
		Started:   start.UTC().Truncate(time.Millisecond),
		Host:      map[string]any{"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH, "cpus": runtime.NumCPU()},
		Experiment: schemas.RunExperiment{
			Name:     importExperiment,
			Protocol: "convcodeworld",
			Tasks:    schemas.RunTasks{Source: "import", Origin: c.Dir, Count: len(logs.Tasks), Selection: map[string]any{}},
			Excluded: []string{},
			Stages:   []schemas.RunStage{{Addr: origlogs.Stage, CacheType: "ccw.import.convcodeworld.v1", Needs: []string{}}},
		},
		Summary: schemas.RunSummary{Statuses: map[string]int{}, Complete: true, Stages: map[string]map[string]int{}},
	}
	spec := score.Spec{Experiment: importExperiment, Turns: logs.Turns, Stage: origlogs.Stage, Tasks: logs.Tasks,
		RerunSolved: true} // the original re-emits and re-evaluates solved code every turn
	for _, comb := range logs.Combinations {
		spec.Combinations = append(spec.Combinations, schemas.RunCombination{Name: comb.Name, Label: comb.Label,
			Attributes: map[string]any{"execution": comb.Execution, "verbal": comb.Verbal}})
	}
	for _, r := range rows {
		run.Summary.Statuses[r.Status]++
	}
	ms, err := score.Live(rows, spec)
	if err != nil {
		return fmt.Errorf("metrics of the imported logs: %w", err)
	}
	spec.Record(&run.Experiment)
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return err
	}
	if err := schemas.Turns.Write(filepath.Join(c.Out, "turns.parquet"), rows); err != nil {
		return fmt.Errorf("writing %s: %w", c.Out, err)
	}
	if err := schemas.Metrics.Write(filepath.Join(c.Out, "metrics.parquet"), ms); err != nil {
		return fmt.Errorf("writing %s: %w", c.Out, err)
	}
	run.Tables["metrics.parquet"] = schemas.MetricsVersion
	run.Finished = time.Now().UTC().Truncate(time.Millisecond)
	run.WallSeconds = time.Since(start).Seconds()
	if err := schemas.WriteJSON(filepath.Join(c.Out, "run.json"), run); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s: %d combinations, turns 0..%d, %d tasks, %d rows from %d files\n",
		logs.Model, len(logs.Combinations), logs.Turns, len(logs.Tasks), len(rows), len(logs.Files))
	fmt.Fprintf(e.stdout, "  quirks: %d turn-0 evaluations calibrated, %d null verbal feedback, %d denied rows\n", logs.Calibrated, logs.NullFeedback, logs.Denied)
	fmt.Fprintf(e.stdout, "results: %s\n", filepath.Join(c.Out, "turns.parquet"))
	return nil
}
