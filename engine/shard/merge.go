package shard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
)

// Part is the results of one shard, as read from its directory.
type Part struct {
	Dir   string
	Run   *schemas.Run
	Turns []schemas.Turn
	Calls []schemas.Call
}

// Merged is what the shards of one run give together: the tables and the
// run.json a single run of every task would have written (timings and
// provenance columns aside).
type Merged struct {
	Run     *schemas.Run
	Turns   []schemas.Turn
	Calls   []schemas.Call
	Metrics []schemas.Metric // nil when the run has no metrics table
}

// Expand replaces a directory that holds no results (no run.json) by the
// result directories right below it — the shard-I-of-N directories that
// `ccw run --shard` writes under the experiment's output, or those a
// launcher named — in name order (Merge orders shards by index).
func Expand(dirs []string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "run.json")); err == nil {
			out = append(out, d)
			continue
		}
		found, _ := filepath.Glob(filepath.Join(d, "*", "run.json"))
		if len(found) == 0 {
			return nil, fmt.Errorf("%s holds no results: no run.json in it or in a directory below it", d)
		}
		sort.Strings(found)
		for _, f := range found {
			out = append(out, filepath.Dir(f))
		}
	}
	return out, nil
}

// ReadPart reads the results of one shard.
func ReadPart(dir string) (*Part, error) {
	run, err := schemas.ReadRun(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not a ccw results directory: %w", dir, err)
	}
	if run.Shard == nil {
		return nil, fmt.Errorf("%s holds a whole run, not a shard (its run.json names no shard): there is nothing to merge it with", dir)
	}
	p := &Part{Dir: dir, Run: run}
	if p.Turns, err = schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(dir, "turns.parquet")); err != nil {
		return nil, fmt.Errorf("shard %s: %w", dir, err)
	}
	calls, err := schemas.ReadRows[schemas.Call](schemas.Calls, filepath.Join(dir, "calls.parquet"))
	switch {
	case err == nil:
		p.Calls = calls
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("shard %s: %w", dir, err)
	}
	return p, nil
}

// Merge reads the shard directories and joins them. Every shard of the
// run must be there, once, and all must come from the same file, variables
// and task set. metrics (the stage set's Metrics) recomputes
// metrics.parquet over the joined rows, as the single run would have;
// nil writes none.
func Merge(dirs []string, metrics stages.MetricsFunc) (*Merged, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no shard directories given")
	}
	var parts []*Part
	for _, d := range dirs {
		p, err := ReadPart(d)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	if err := check(parts); err != nil {
		return nil, err
	}
	slices.SortFunc(parts, func(a, b *Part) int { return a.Run.Shard.Index - b.Run.Shard.Index })
	return join(parts, metrics)
}

// check makes sure parts are every shard of one run.
func check(parts []*Part) error {
	first := parts[0]
	count := first.Run.Shard.Count
	seen := map[int]string{}
	for _, p := range parts {
		r := p.Run
		if r.Shard.Count != count {
			return fmt.Errorf("merge: %s is shard %d/%d but %s is of %d shards: they are not parts of one run",
				p.Dir, r.Shard.Index, r.Shard.Count, first.Dir, count)
		}
		if d, ok := seen[r.Shard.Index]; ok {
			return fmt.Errorf("merge: %s and %s are both shard %d/%d", d, p.Dir, r.Shard.Index, count)
		}
		seen[r.Shard.Index] = p.Dir
		for _, f := range []struct{ what, a, b string }{
			{"experiment", r.Experiment.Name, first.Run.Experiment.Name},
			{"pipeline file (config_sha256)", r.ConfigSHA256, first.Run.ConfigSHA256},
			{"variables", asJSON(r.Variables), asJSON(first.Run.Variables)},
			{"task set", r.Experiment.Tasks.Digest + asJSON(r.Experiment.Tasks.Selection), first.Run.Experiment.Tasks.Digest + asJSON(first.Run.Experiment.Tasks.Selection)},
		} {
			if f.a != f.b {
				return fmt.Errorf("merge: %s and %s differ in their %s: they are not parts of one run", first.Dir, p.Dir, f.what)
			}
		}
	}
	var missing []string
	for i := 0; i < count; i++ {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge: shard(s) %s of %d missing (run them with ccw run FILE --shard I/%d)", strings.Join(missing, ", "), count, count)
	}
	total := first.Run.Experiment.Tasks.Count
	owner := make([]string, total)
	for _, p := range parts {
		for _, t := range p.Run.Shard.Tasks {
			if t.Index < 0 || t.Index >= total {
				return fmt.Errorf("merge: %s names task %s at index %d of a set of %d", p.Dir, t.ID, t.Index, total)
			}
			if owner[t.Index] != "" {
				return fmt.Errorf("merge: task %s is in %s and in %s", t.ID, owner[t.Index], p.Dir)
			}
			owner[t.Index] = p.Dir
		}
	}
	for i, o := range owner {
		if o == "" {
			return fmt.Errorf("merge: no shard holds task index %d of %d", i, total)
		}
	}
	return nil
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// join concatenates the parts in the single run's order. A run sorts its
// rows by (combination, task, turn, stage) and its calls by (combination,
// task, turn, stage) with the shared turn-0 calls first; all rows of a
// (combination, task) pair come from one shard, already in order, so a
// stable sort by the pair restores the whole order.
func join(parts []*Part, metrics stages.MetricsFunc) (*Merged, error) {
	base := *parts[0].Run
	combo := map[string]int{}
	for i, c := range base.Experiment.Combinations {
		combo[c.Name] = i
	}
	comboOf := func(name string) int {
		if i, ok := combo[name]; ok {
			return i
		}
		return -1 // shared by every combination (calls), or none declared
	}
	ids := make([]string, base.Experiment.Tasks.Count)
	index := map[string]int{}
	m := &Merged{}
	for _, p := range parts {
		for _, t := range p.Run.Shard.Tasks {
			ids[t.Index], index[t.ID] = t.ID, t.Index
		}
		m.Turns = append(m.Turns, p.Turns...)
		m.Calls = append(m.Calls, p.Calls...)
	}
	slices.SortStableFunc(m.Turns, func(a, b schemas.Turn) int {
		return cmp.Or(cmp.Compare(comboOf(a.Combination), comboOf(b.Combination)), cmp.Compare(a.TaskIndex, b.TaskIndex))
	})
	slices.SortStableFunc(m.Calls, func(a, b schemas.Call) int {
		return cmp.Or(cmp.Compare(comboOf(a.Combination), comboOf(b.Combination)), cmp.Compare(index[a.TaskID], index[b.TaskID]))
	})

	run := &base
	m.Run = run
	run.Shard = nil
	run.Host = nil
	run.Tables = map[string]string{"turns.parquet": schemas.TurnsVersion}
	if len(m.Calls) > 0 {
		run.Tables["calls.parquet"] = schemas.CallsVersion
	}
	run.Summary = schemas.RunSummary{Complete: true, Statuses: map[string]int{}, Stages: map[string]map[string]int{}}
	for i, p := range parts {
		r := p.Run
		if i == 0 || r.Started.Before(run.Started) {
			run.Started = r.Started
		}
		if r.Finished.After(run.Finished) {
			run.Finished = r.Finished
		}
		s := r.Summary
		run.Summary.Vertices += s.Vertices
		run.Summary.Cached += s.Cached
		run.Summary.Ran += s.Ran
		run.Summary.Failed += s.Failed
		run.Summary.Skipped += s.Skipped
		run.Summary.NotRun += s.NotRun
		run.Summary.Complete = run.Summary.Complete && s.Complete
		for label, counts := range s.Stages {
			if run.Summary.Stages[label] == nil {
				run.Summary.Stages[label] = map[string]int{}
			}
			for k, n := range counts {
				run.Summary.Stages[label][k] += n
			}
		}
		run.Parts = append(run.Parts, schemas.RunPart{Index: r.Shard.Index, Dir: p.Dir, Tasks: len(r.Shard.Tasks),
			Started: r.Started, Finished: r.Finished, Complete: s.Complete, Host: r.Host})
	}
	run.WallSeconds = run.Finished.Sub(run.Started).Seconds()
	for _, row := range m.Turns {
		if !row.Excluded {
			run.Summary.Statuses[row.Status]++
		}
	}

	run.Experiment.Metrics = nil
	if metrics == nil || len(base.Experiment.Combinations) == 0 || len(m.Turns) == 0 {
		return m, nil
	}
	stage := ""
	for _, p := range parts {
		if mr := p.Run.Experiment.Metrics; mr != nil {
			stage = mr.Stage
			break
		}
	}
	mrun := stages.MetricsRun{Experiment: base.Experiment.Name, Turns: base.Experiment.Turns, Stage: stage, Tasks: ids}
	attrs := map[string]map[string]any{}
	for _, c := range base.Experiment.Combinations {
		mrun.Combinations = append(mrun.Combinations, schemas.RunCombination{Name: c.Name, Label: c.Label})
		attrs[c.Name] = c.Attributes
	}
	run.Experiment.Combinations = slices.Clone(base.Experiment.Combinations)
	ms, err := metrics(m.Turns, mrun, &run.Experiment)
	if err != nil {
		return nil, fmt.Errorf("merge: computing metrics: %w", err)
	}
	for i, c := range run.Experiment.Combinations {
		c.Attributes = attrs[c.Name]
		run.Experiment.Combinations[i] = c
	}
	m.Metrics = ms
	run.Tables["metrics.parquet"] = schemas.MetricsVersion
	return m, nil
}

// Write writes the merged tables and run.json into dir, replacing what a
// previous merge or run left there.
func (m *Merged) Write(dir string) error {
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), m.Turns); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	for _, t := range []struct {
		file  string
		table *schemas.Table
		rows  any
		n     int
	}{
		{"calls.parquet", schemas.Calls, m.Calls, len(m.Calls)},
		{"metrics.parquet", schemas.Metrics, m.Metrics, len(m.Metrics)},
	} {
		path := filepath.Join(dir, t.file)
		if _, ok := m.Run.Tables[t.file]; !ok {
			os.Remove(path) // never leave a stale table beside new rows
			continue
		}
		if err := t.table.Write(path, t.rows); err != nil {
			return fmt.Errorf("writing %s: %w", t.file, err)
		}
	}
	return schemas.WriteJSON(filepath.Join(dir, "run.json"), m.Run)
}
