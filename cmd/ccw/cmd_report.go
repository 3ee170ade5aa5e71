package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ccw-dev/ccw/engine/shard"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/builtin"
	"github.com/ccw-dev/ccw/stages/score"
)

type reportCmd struct {
	Dirs              []string `arg:"" name:"dir" help:"Results directory (holds turns.parquet and run.json); or the shard directories of one run (ccw run --shard), or the directory holding them, which are joined as ccw merge joins them; or several runs: one table per metric with a row per model, and rank correlations between static and live runs of the same models (and with --html or --plot, curves of each)." type:"existingdir"`
	HTML              string   `name:"html" help:"Write a self-contained HTML report (curves, bars with intervals, tables, cost, per-task turns) to this file." placeholder:"FILE"`
	Plot              string   `name:"plot" help:"Write the Pass@1-per-turn curves alone to this file (.png or .svg)." placeholder:"FILE"`
	NoCompensateInit  bool     `name:"no-compensate-init" help:"Static runs: recompute MRR without crediting the model's own turn 0 (the original's compensate_init=false)."`
	Format            string   `default:"text" enum:"text,markdown,json,csv,ids" help:"Output format: text (the original's tables), markdown, json (metric rows and captions), csv (metric rows), or ids (the tasks not passing at turn 0, one a line: an exclusion list for other experiments)."`
	Cumulative        bool     `help:"Table 1 shows cumulative Pass@1 (a pass at any turn up to i) instead of the original's (a pass at turn i or turn 0)."`
	ExcludeInitSolved bool     `name:"exclude-init-solved" help:"Recompute MRR and Recall without the tasks solved at turn 0, as the original's exclude_init_solved."`
	Model             string   `help:"Model name for the captions (default: the model of the turn-0 rows)." placeholder:"NAME"`

	in *reportInput
}

// reportInput is what a report is made of: one results directory, or the
// shards of one run joined in memory.
type reportInput struct {
	dir    string // the results directory, or "" for joined shards
	run    *schemas.Run
	rows   []schemas.Turn
	joined []schemas.Metric // the joined shards' metrics
}

// where names the input in messages: the results directory, or the shards.
func (c *reportCmd) where() string {
	if c.in != nil && c.in.dir != "" {
		return c.in.dir
	}
	return strings.Join(c.Dirs, ", ")
}

// severalRuns says whether dirs name several whole runs (compared side by
// side) rather than one run or the shards of one.
func severalRuns(dirs []string) (bool, error) {
	expanded, err := shard.Expand(dirs)
	if err != nil || len(expanded) < 2 {
		return false, err
	}
	run, err := schemas.ReadRun(expanded[0])
	if err != nil {
		return false, fmt.Errorf("%s is not a ccw results directory: %w", expanded[0], err)
	}
	return run.Shard == nil, nil
}

// input reads the results the arguments name.
func (c *reportCmd) input() (*reportInput, error) {
	dirs, err := shard.Expand(c.Dirs)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 1 {
		in := &reportInput{dir: dirs[0]}
		if in.rows, err = schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(in.dir, "turns.parquet")); err != nil {
			return nil, fmt.Errorf("%s is not a ccw results directory: %w", in.dir, err)
		}
		if in.run, err = schemas.ReadRun(in.dir); err != nil {
			return nil, fmt.Errorf("%s is not a ccw results directory: %w", in.dir, err)
		}
		return in, nil
	}
	m, err := shard.Merge(dirs, builtin.Registry(builtin.Options{}).Metrics)
	if err != nil {
		return nil, err
	}
	return &reportInput{run: m.Run, rows: m.Turns, joined: m.Metrics}, nil
}

func (c *reportCmd) Run(e *env) error {
	if c.HTML != "" || c.Plot != "" {
		return c.visual(e)
	}
	if several, err := severalRuns(c.Dirs); err != nil {
		return err
	} else if several {
		return c.multiRun(e)
	}
	in, err := c.input()
	if err != nil {
		return err
	}
	c.in = in
	rows, run := in.rows, in.run
	spec := score.SpecFromRun(run)
	if len(spec.Combinations) == 0 {
		spec = specFromRows(spec, rows)
	}
	if spec.Protocol == schemas.ProtocolStatic {
		return c.static(e, run, spec, rows)
	}
	if len(spec.Combinations) > 0 {
		return c.multiTurn(e, run, spec, rows)
	}
	cal := score.Calibrate(rows)
	switch c.Format {
	case "csv":
		w := csv.NewWriter(e.stdout)
		w.Write([]string{"task_id", "status", "first_error_line"})
		for _, f := range cal.Failures {
			w.Write([]string{f.TaskID, f.Status, f.Cause})
		}
		w.Flush()
		return w.Error()
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

// specFromRows gives a run whose run.json names no combinations (written
// before combinations were recorded) the combinations its rows have, by
// name, each labelled with its name, and the highest turn as budget.
func specFromRows(spec score.Spec, rows []schemas.Turn) score.Spec {
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Experiment != spec.Experiment || r.Combination == "" {
			continue
		}
		if !seen[r.Combination] {
			seen[r.Combination] = true
			spec.Combinations = append(spec.Combinations, score.Combination{Name: r.Combination, Label: r.Combination})
		}
		spec.Turns = max(spec.Turns, int(r.Turn))
	}
	slices.SortFunc(spec.Combinations, func(a, b score.Combination) int { return strings.Compare(a.Name, b.Name) })
	return spec
}

// The original's captions and legend (print_results.py), kept to the
// byte, trailing space after "Coverage" included.
const (
	captionPass  = "Table 1. Pass@1 results of %s on ConvCodeWorld for each turn."
	captionRanks = "Table 2. MRR and Recall results of %s on ConvCodeWorld."
	// captionCumulative is ours: --cumulative shows another figure.
	captionCumulative = "Table 1. Pass@1 (cumulative) results of %s on ConvCodeWorld for each turn."
)

var legend = []string{
	" - CF: Compilation Feedback",
	" - EF: Execution Feedback",
	" - partial|full TC: test cases with partial|full Test Coverage ",
	" - SNF: Simulated Novice Feedback",
	" - SEF: Simulated Expert Feedback",
}

// multiTurn reports a run with feedback combinations: the original's two
// tables from metrics.parquet (or from turns.parquet when the file is
// absent or options ask for a recomputation).
func (c *reportCmd) multiTurn(e *env, run *schemas.Run, spec score.Spec, rows []schemas.Turn) error {
	if c.Format == "ids" {
		// Turn 0 is shared by the combinations: the first one's rows say it.
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Experiment == spec.Experiment && r.Combination == spec.Combinations[0].Name && r.Turn == 0 &&
				!r.Passed && !r.Excluded && !seen[r.TaskID] {
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
		model = modelOf(rows, spec.Experiment, run.Experiment.Name)
	}
	t1, t2 := metricTables(ms, c.Cumulative)
	cap1, cap2 := fmt.Sprintf(captionPass, model), fmt.Sprintf(captionRanks, model)
	if c.Cumulative {
		cap1 = fmt.Sprintf(captionCumulative, model)
	}
	notes := reportNotes(ms, run, c.Cumulative, recomputed)
	flavour := "literal"
	if c.Cumulative {
		flavour = "cumulative"
	}
	return c.writeTables(e, tablesOut{t1: t1, t2: t2, cap1: cap1, cap2: cap2, notes: notes, metrics: ms,
		json: map[string]any{"experiment": run.Experiment.Name, "model": model, "table1_pass_at_1": flavour, "complete": run.Summary.Complete}})
}

// tablesOut is what a report of the original's two tables prints.
type tablesOut struct {
	t1, t2     table
	cap1, cap2 string
	notes      []string
	metrics    []schemas.Metric
	json       map[string]any // the run's fields of the json format
}

// writeTables prints the two tables with their captions, the legend and
// the notes in the chosen format.
func (c *reportCmd) writeTables(e *env, o tablesOut) error {
	switch c.Format {
	case "json":
		o.json["captions"], o.json["legend"], o.json["notes"], o.json["metrics"] = []string{o.cap1, o.cap2}, cleanLegend(), o.notes, o.metrics
		b, err := json.MarshalIndent(o.json, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
		return nil
	case "csv":
		return writeMetricsCSV(e, o.metrics)
	case "markdown":
		fmt.Fprintf(e.stdout, "%s\n%s\n\n", markdownTable(o.t1), o.cap1)
		for _, l := range legend {
			fmt.Fprintln(e.stdout, strings.TrimSpace(l))
		}
		fmt.Fprintf(e.stdout, "\n%s\n%s\n", markdownTable(o.t2), o.cap2)
		if len(o.notes) > 0 {
			fmt.Fprintln(e.stdout, "\nNotes:")
			for _, n := range o.notes {
				fmt.Fprintln(e.stdout, "- "+n)
			}
		}
		return nil
	}
	fmt.Fprint(e.stdout, prettyTable(o.t1))
	fmt.Fprintln(e.stdout, o.cap1+"\n"+strings.Join(legend, "\n"))
	fmt.Fprintln(e.stdout)
	fmt.Fprint(e.stdout, prettyTable(o.t2))
	fmt.Fprintln(e.stdout, o.cap2)
	fmt.Fprintln(e.stdout)
	for _, n := range o.notes {
		fmt.Fprintln(e.stdout, "note: "+n)
	}
	return nil
}

// metrics reads metrics.parquet, or computes the metrics from the turn
// rows when the file is absent or the flags (--exclude-init-solved,
// --no-compensate-init) ask for numbers the run did not compute;
// recomputed says which.
func (c *reportCmd) metrics(spec score.Spec, rows []schemas.Turn) (ms []schemas.Metric, recomputed bool, err error) {
	want := spec
	want.ExcludeInitSolved = spec.ExcludeInitSolved || c.ExcludeInitSolved
	want.NoCompensateInit = spec.NoCompensateInit || c.NoCompensateInit
	if sameOptions(want, spec) {
		if c.in.dir == "" && c.in.joined != nil {
			return c.in.joined, false, nil
		}
		if c.in.dir != "" {
			ms, err = schemas.ReadRows[schemas.Metric](schemas.Metrics, filepath.Join(c.in.dir, "metrics.parquet"))
			if err == nil {
				return ms, false, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, false, err
			}
		}
	}
	ms, err = score.Metrics(rows, want)
	if err != nil {
		where := c.where()
		if c.in.dir != "" {
			where = filepath.Join(c.in.dir, "turns.parquet")
		}
		return nil, false, fmt.Errorf("%s: %w", where, err)
	}
	return ms, true, nil
}

// sameOptions says whether two specs compute the same metrics from the
// same rows (metrics.parquet then holds them).
func sameOptions(a, b score.Spec) bool {
	return a.ExcludeInitSolved == b.ExcludeInitSolved && a.NoCompensateInit == b.NoCompensateInit
}

// modelOf names the evaluated model: the model of the first turn-0 row
// that has one, else of any row (imported turn-0 code has none), else
// fallback.
func modelOf(rows []schemas.Turn, experiment, fallback string) string {
	var any string
	for _, r := range rows {
		if r.Experiment != experiment || r.Model == nil || *r.Model == "" {
			continue
		}
		if r.Turn == 0 {
			return *r.Model
		}
		if any == "" {
			any = *r.Model
		}
	}
	if any != "" {
		return any
	}
	return fallback
}

// reportNotes says what the tables do not: the Pass@1 flavour, excluded,
// dropped and missing tasks, and an incomplete run.
func reportNotes(ms []schemas.Metric, run *schemas.Run, cumulative, recomputed bool) []string {
	var notes []string
	if cumulative {
		notes = append(notes, "Table 1 counts a task as passing at turn i if it passed at any turn up to i (cumulative Pass@1); the original counts a pass at turn i or at turn 0.")
	} else {
		notes = append(notes, "Table 1 counts a task as passing at turn i if it passed at turn i or at turn 0, as the original does; --cumulative counts a pass at any turn up to i.")
	}
	if recomputed {
		notes = append(notes, "metrics computed from turns.parquet, not read from metrics.parquet.")
	}
	cols, _ := columns(ms)
	zero := int32(0)
	turn0 := metricKey(schemas.MetricPass1, &zero) // its row carries the counts of the pass@1 means
	if len(cols) > 0 {
		if r, ok := cols[0].byKey[turn0]; ok && r.Excluded > 0 {
			notes = append(notes, fmt.Sprintf("calibration exclusions: %d of %d tasks left out of every mean.", r.Excluded, r.Total))
		}
		if r, ok := cols[0].byKey[schemas.MetricMRR]; ok && strings.Contains(r.Options, "exclude_init_solved") {
			notes = append(notes, fmt.Sprintf("MRR and Recall leave out the tasks solved at turn 0 (exclude_init_solved): %d/%d kept.", r.Tasks, r.Total-r.Excluded))
		}
	}
	for _, col := range cols {
		if r, ok := col.byKey[turn0]; ok && r.Missing > 0 {
			notes = append(notes, fmt.Sprintf("%s: missing turns in %d of %d tasks (the run was incomplete); a missing turn counts as not passing.", col.label, r.Missing, r.Tasks))
		}
	}
	if !run.Summary.Complete {
		notes = append(notes, "the run was incomplete (failed or interrupted stages); run it again to finish")
	}
	if sh := run.Shard; sh != nil {
		notes = append(notes, fmt.Sprintf("these are the %d tasks of shard %d/%d only; give every shard's directory (or ccw merge them) for the whole run.", len(sh.Tasks), sh.Index, sh.Count))
	}
	return notes
}

// writeMetricsCSV writes the metric rows with metrics.parquet's columns;
// null turns and values are empty, values are fractions at full precision.
func writeMetricsCSV(e *env, ms []schemas.Metric) error {
	w := csv.NewWriter(e.stdout)
	var header []string
	for _, f := range schemas.Metrics.Schema().Fields() {
		header = append(header, f.Name)
	}
	w.Write(header)
	f64 := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	for _, m := range ms {
		turn := ""
		if m.Turn != nil {
			turn = strconv.Itoa(int(*m.Turn))
		}
		i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
		w.Write([]string{m.Experiment, m.Protocol, m.Stage, m.Combination, m.Label, m.Metric, turn, f64(m.Value), f64(m.CILow), f64(m.CIHigh),
			i64(m.Tasks), i64(m.Total), i64(m.Excluded), i64(m.Dropped), i64(m.Missing), m.Options})
	}
	w.Flush()
	return w.Error()
}
