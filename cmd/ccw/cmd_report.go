package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/score"
)

type reportCmd struct {
	Dir    string `arg:"" name:"dir" help:"Results directory (holds turns.parquet and run.json)." type:"existingdir"`
	Format string `default:"text" enum:"text,markdown,json,ids" help:"Output format: text, markdown, json, or ids (the non-passing task ids, one a line: an exclusion list for other experiments)."`
}

func (c *reportCmd) Run(e *env) error {
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(c.Dir, "turns.parquet"))
	if err != nil {
		return fmt.Errorf("%s is not a ccw results directory: %w", c.Dir, err)
	}
	run, err := schemas.ReadRun(c.Dir)
	if err != nil {
		return fmt.Errorf("%s is not a ccw results directory: %w", c.Dir, err)
	}
	cal := score.Calibrate(rows)
	switch c.Format {
	case "ids":
		for _, f := range cal.Failures {
			fmt.Fprintln(e.stdout, f.TaskID)
		}
		return nil
	case "json":
		b, _ := json.MarshalIndent(map[string]any{
			"experiment": run.Experiment.Name, "tasks": run.Experiment.Tasks, "total": cal.Total, "scored": cal.Scored,
			"passed": cal.Passed, "excluded": cal.Excluded, "pass_rate": cal.PassRate(), "statuses": cal.Statuses,
			"failures": cal.Failures, "groups": cal.Groups, "complete": run.Summary.Complete,
		}, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return nil
	case "markdown":
		fmt.Fprintf(e.stdout, "## %s\n\n", run.Experiment.Name)
		fmt.Fprintf(e.stdout, "%d/%d passed (%.1f%%), %d excluded; tasks: %s %s `%s`\n\n", cal.Passed, cal.Scored, 100*cal.PassRate(), cal.Excluded,
			run.Experiment.Tasks.Source, run.Experiment.Tasks.Split, run.Experiment.Tasks.Digest)
		fmt.Fprintln(e.stdout, "| task | status | first error line |\n|---|---|---|")
		for _, f := range cal.Failures {
			fmt.Fprintf(e.stdout, "| %s | %s | %s |\n", f.TaskID, f.Status, strings.ReplaceAll(f.Cause, "|", "\\|"))
		}
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: %d/%d passed (%.1f%%), %d excluded\n", run.Experiment.Name, cal.Passed, cal.Scored, 100*cal.PassRate(), cal.Excluded)
	fmt.Fprintf(e.stdout, "tasks: %s %s %s, %d selected\n", run.Experiment.Tasks.Source, run.Experiment.Tasks.Split, run.Experiment.Tasks.Digest, run.Experiment.Tasks.Count)
	if !run.Summary.Complete {
		fmt.Fprintln(e.stdout, "note: the run was incomplete (failed or interrupted stages); run it again to finish")
	}
	if len(cal.Failures) == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "\nnot passing (%d):\n", len(cal.Failures))
	for _, f := range cal.Failures {
		fmt.Fprintf(e.stdout, "  %-20s %-8s %s\n", f.TaskID, f.Status, truncate(f.Cause, 110))
	}
	fmt.Fprintln(e.stdout, "\nby cause:")
	for _, g := range cal.Groups {
		fmt.Fprintf(e.stdout, "  %3d  %s\n", len(g.TaskIDs), truncate(g.Cause, 110))
	}
	return nil
}
