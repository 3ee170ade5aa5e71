package score

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
)

// DefaultTurns is ConvCodeWorld's turn budget: turns 0..10.
const DefaultTurns = 10

// Combination is one feedback combination: its short name (the
// combination column of turns.parquet) and its column label in reports.
type Combination = schemas.RunCombination

// Spec says which turn rows the metrics are computed over and how. The
// engine fills it from the compiled pipeline and records it in run.json
// (Record); a report reads it back with SpecFromRun.
type Spec struct {
	Experiment   string
	Combinations []Combination // in report column order
	Turns        int           // turn budget N (turns 0..N); 0 means DefaultTurns
	// Stage is the score stage (kind.name) whose rows are scored; empty
	// means the only stage present in the rows.
	Stage string
	// Tasks is the selected task set in order; empty means the tasks seen
	// in the rows, ordered by task index. Give it when you can: a task
	// without any row is then counted as missing instead of vanishing.
	Tasks []string
	// RerunSolved says the rows continue after a pass (fidelity =
	// "original" re-executes solved code every turn), so a turn without
	// a row after a pass is missing too. By default a task stops when it
	// passes and its later turns carry the pass forward.
	RerunSolved bool
	// ExcludeInitSolved leaves tasks that pass at turn 0 out of MRR and
	// Recall, as the original's exclude_init_solved does (its Pass@1
	// table keeps them).
	ExcludeInitSolved bool
	// Protocol is which metrics: "live" (also when empty) or "static"
	// (ConvCodeBench: see Static).
	Protocol string
	// Reference is, for static metrics, the score stage whose rows are
	// the reference's statuses (Stage's rows are the target's).
	Reference string
	// NoCompensateInit turns the original's compensate_init off (static
	// MRR then ignores the target's own turn 0).
	NoCompensateInit bool
}

// SpecFromRun reads the spec a run recorded in run.json. A run without
// combinations gives a spec without combinations.
func SpecFromRun(r *schemas.Run) Spec {
	s := Spec{Experiment: r.Experiment.Name, Combinations: r.Experiment.Combinations, Turns: r.Experiment.Turns}
	if m := r.Experiment.Metrics; m != nil {
		s.Stage, s.RerunSolved, s.ExcludeInitSolved = m.Stage, m.RerunSolved, m.ExcludeInitSolved
		if m.Protocol == schemas.ProtocolStatic {
			s.Protocol, s.Reference = m.Protocol, m.Reference
			s.NoCompensateInit = m.CompensateInit != nil && !*m.CompensateInit
		}
	}
	return s
}

// Record writes the spec into run.json's experiment: combinations, turns,
// and how metrics.parquet was computed (an empty stage stays empty: the
// stage column of metrics.parquet names the one scored). The task list is
// not recorded; run.json has the task count.
func (s Spec) Record(e *schemas.RunExperiment) {
	e.Combinations = s.Combinations
	e.Turns = s.turns()
	e.Metrics = &schemas.RunMetrics{Protocol: schemas.ProtocolLive, Stage: s.Stage,
		ExcludeInitSolved: s.ExcludeInitSolved, RerunSolved: s.RerunSolved, Bootstrap: BootstrapMethod}
	if s.Protocol == schemas.ProtocolStatic {
		e.Metrics.Protocol, e.Metrics.Reference = schemas.ProtocolStatic, s.Reference
		e.Metrics.CompensateInit = ptr(!s.NoCompensateInit)
	}
}

func (s Spec) turns() int {
	if s.Turns == 0 {
		return DefaultTurns
	}
	return s.Turns
}

// options is the options column: the choices that changed the numbers.
func (s Spec) options() string {
	var opts []string
	if s.ExcludeInitSolved {
		opts = append(opts, "exclude_init_solved")
	}
	if s.Protocol == schemas.ProtocolStatic {
		opts = append(opts, s.staticOptions()...)
	}
	return strings.Join(opts, ",")
}

// Live computes ConvCodeWorld's live metrics (protocol.md §6) over the turn
// rows of one experiment and one score stage, one row per (combination,
// metric, turn) in a fixed order: combinations in spec order; per
// combination pass@1 for turns 0..N, pass@1_cumulative for turns 0..N,
// mrr, recall.
//
// s_t(i) is whether task t passed at turn i. A turn without a row takes
// the status of the task's last earlier row when that row passed (the
// task stopped because it passed); otherwise it is missing (the run was
// incomplete) and counts as not passing, and the task is counted in the
// missing column. Tasks with an excluded row are left out of every mean
// and counted in the excluded column.
//
//   - pass@1 at i: mean of s_t(i) OR s_t(0), the original's formula;
//   - pass@1_cumulative at i: mean of [s_t(j) for some j <= i];
//   - mrr: mean of 1/(1 + first i with s_t(i)), 0 when none;
//   - recall: mean of [s_t(i) for some i].
//
// Means are summed in task order the way numpy sums (pairwise), so that
// Percent reproduces the original's printed figures to the last digit.
// Every value has a bootstrap confidence interval over tasks (ci_low,
// ci_high; see BootstrapMethod), the same resamples for every metric.
func Live(rows []schemas.Turn, spec Spec) ([]schemas.Metric, error) {
	g, err := newGrid(rows, spec)
	if err != nil {
		return nil, err
	}
	rs := NewResamplerFor(g.tasks)
	var out []schemas.Metric
	for c, comb := range spec.Combinations {
		out = append(out, g.combination(c, comb, spec, rs)...)
	}
	return out, nil
}

// unknown, fail and pass are the states of a (task, turn) cell.
const (
	unknown byte = iota
	fail
	pass
)

// grid holds the turn states of every (combination, task).
type grid struct {
	experiment, stage string
	turns             int
	tasks             []string
	excluded          []bool
	cells             [][][]byte // [combination][task][turn]
}

func newGrid(rows []schemas.Turn, spec Spec) (*grid, error) {
	if spec.Experiment == "" {
		return nil, fmt.Errorf("metrics: the spec names no experiment")
	}
	if spec.Turns < 0 {
		return nil, fmt.Errorf("metrics: experiment %q: turns = %d, want 0 (default %d) or more", spec.Experiment, spec.Turns, DefaultTurns)
	}
	combIndex := map[string]int{}
	for i, c := range spec.Combinations {
		if c.Name == "" || c.Label == "" {
			return nil, fmt.Errorf("metrics: experiment %q: combination %d has an empty name or label (%q, %q)", spec.Experiment, i+1, c.Name, c.Label)
		}
		if _, dup := combIndex[c.Name]; dup {
			return nil, fmt.Errorf("metrics: experiment %q: combination %q is listed twice", spec.Experiment, c.Name)
		}
		combIndex[c.Name] = i
	}
	var mine []*schemas.Turn
	stages := map[string]bool{}
	for i := range rows {
		if rows[i].Experiment == spec.Experiment {
			mine = append(mine, &rows[i])
			stages[rows[i].Stage] = true
		}
	}
	stage := spec.Stage
	if stage == "" {
		switch len(stages) {
		case 0:
			return nil, fmt.Errorf("metrics: no turn rows for experiment %q", spec.Experiment)
		case 1:
			for s := range stages {
				stage = s
			}
		default:
			return nil, fmt.Errorf("metrics: experiment %q has rows of several score stages (%s): name the one to score",
				spec.Experiment, strings.Join(slices.Sorted(maps.Keys(stages)), ", "))
		}
	} else if !stages[stage] {
		return nil, fmt.Errorf("metrics: experiment %q has no rows of score stage %q (it has: %s)",
			spec.Experiment, stage, strings.Join(slices.Sorted(maps.Keys(stages)), ", "))
	}
	g := &grid{experiment: spec.Experiment, stage: stage, turns: spec.turns()}
	taskIndex := map[string]int{}
	if len(spec.Tasks) > 0 {
		for _, id := range spec.Tasks {
			if _, dup := taskIndex[id]; dup {
				return nil, fmt.Errorf("metrics: experiment %q: task %q is listed twice", spec.Experiment, id)
			}
			taskIndex[id] = len(g.tasks)
			g.tasks = append(g.tasks, id)
		}
	} else {
		seen := map[string]int32{}
		for _, r := range mine {
			if r.Stage != stage {
				continue
			}
			if idx, ok := seen[r.TaskID]; ok && idx != r.TaskIndex {
				return nil, fmt.Errorf("metrics: experiment %q: task %q has task indexes %d and %d", spec.Experiment, r.TaskID, idx, r.TaskIndex)
			}
			seen[r.TaskID] = r.TaskIndex
		}
		g.tasks = slices.SortedFunc(maps.Keys(seen), func(a, b string) int {
			return cmp.Or(cmp.Compare(seen[a], seen[b]), strings.Compare(a, b))
		})
		for i, id := range g.tasks {
			taskIndex[id] = i
		}
	}
	g.excluded = make([]bool, len(g.tasks))
	g.cells = make([][][]byte, len(spec.Combinations))
	for c := range g.cells {
		g.cells[c] = make([][]byte, len(g.tasks))
		for t := range g.cells[c] {
			g.cells[c][t] = make([]byte, g.turns+1)
		}
	}
	for _, r := range mine {
		if r.Stage != stage {
			continue
		}
		where := func() string {
			return fmt.Sprintf("experiment %q, combination %q, task %q, turn %d", r.Experiment, r.Combination, r.TaskID, r.Turn)
		}
		c, ok := combIndex[r.Combination]
		if !ok {
			return nil, fmt.Errorf("metrics: row of %s: the combination is not in the spec (%d combinations)", where(), len(spec.Combinations))
		}
		t, ok := taskIndex[r.TaskID]
		if !ok {
			return nil, fmt.Errorf("metrics: row of %s: the task is not in the task set", where())
		}
		if r.Turn < 0 || int(r.Turn) > g.turns {
			return nil, fmt.Errorf("metrics: row of %s: the turn is outside 0..%d", where(), g.turns)
		}
		cell := &g.cells[c][t][r.Turn]
		if *cell != unknown {
			return nil, fmt.Errorf("metrics: two rows of %s, stage %q", where(), stage)
		}
		*cell = fail
		if r.Passed {
			*cell = pass
		}
		if r.Excluded {
			g.excluded[t] = true
		}
	}
	return g, nil
}

// taskStatus is one task's statuses s(0..N) in one combination.
type taskStatus struct {
	s       []bool
	missing bool
}

// status applies carry-forward: a turn without a row after a passing row
// passes; any other turn without a row is missing and does not pass.
func (g *grid) status(c, t int, rerunSolved bool) taskStatus {
	cells := g.cells[c][t]
	ts := taskStatus{s: make([]bool, len(cells))}
	last := unknown
	for i, cell := range cells {
		switch {
		case cell != unknown:
			ts.s[i] = cell == pass
			last = cell
		case last == pass:
			ts.s[i] = true
			ts.missing = ts.missing || rerunSolved
		default:
			ts.missing = true
		}
	}
	return ts
}

func (g *grid) combination(c int, comb Combination, spec Spec, rs *Resampler) []schemas.Metric {
	statuses := make([]taskStatus, len(g.tasks))
	for t := range g.tasks {
		statuses[t] = g.status(c, t, spec.RerunSolved)
	}
	base := schemas.Metric{Experiment: g.experiment, Protocol: schemas.ProtocolLive, Stage: g.stage,
		Combination: comb.Name, Label: comb.Label, Options: spec.options()}
	mean := func(keep func(ts taskStatus) bool, f func(ts taskStatus) float64) schemas.Metric {
		return averaged(base, statuses, g.excluded, rs, keep, func(ts taskStatus) bool { return ts.missing }, f)
	}
	all := func(taskStatus) bool { return true }
	var out []schemas.Metric
	for i := 0; i <= g.turns; i++ {
		m := mean(all, func(ts taskStatus) float64 { return b2f(ts.s[i] || ts.s[0]) })
		m.Metric, m.Turn = schemas.MetricPass1, ptr(int32(i))
		out = append(out, m)
	}
	for i := 0; i <= g.turns; i++ {
		m := mean(all, func(ts taskStatus) float64 { return b2f(slices.Contains(ts.s[:i+1], true)) })
		m.Metric, m.Turn = schemas.MetricPass1Cumulative, ptr(int32(i))
		out = append(out, m)
	}
	keep := all
	if spec.ExcludeInitSolved {
		keep = func(ts taskStatus) bool { return !ts.s[0] }
	}
	m := mean(keep, func(ts taskStatus) float64 {
		if i := slices.Index(ts.s, true); i >= 0 {
			return 1 / float64(1+i)
		}
		return 0
	})
	m.Metric = schemas.MetricMRR
	out = append(out, m)
	m = mean(keep, func(ts taskStatus) float64 { return b2f(slices.Contains(ts.s, true)) })
	m.Metric = schemas.MetricRecall
	out = append(out, m)
	return out
}

func ptr[T any](v T) *T { return &v }

// averaged is base with the mean of f over the tasks (in task order)
// that are not excluded and that keep keeps, and the counts: total,
// excluded, dropped (not kept) and missing (kept, and missing says so).
func averaged[T any](base schemas.Metric, tasks []T, excluded []bool, rs *Resampler, keep, missing func(T) bool, f func(T) float64) schemas.Metric {
	m := base
	m.Total = int64(len(tasks))
	byTask, kept := make([]float64, len(tasks)), make([]bool, len(tasks))
	var vals []float64
	for t, task := range tasks {
		switch {
		case excluded[t]:
			m.Excluded++
		case !keep(task):
			m.Dropped++
		default:
			byTask[t], kept[t] = f(task), true
			vals = append(vals, byTask[t])
			if missing(task) {
				m.Missing++
			}
		}
	}
	m.Tasks = int64(len(vals))
	if len(vals) > 0 {
		v := NumpyMean(vals)
		m.Value = &v
		if rs != nil {
			if lo, hi, ok := rs.Interval(byTask, kept); ok {
				m.CILow, m.CIHigh = &lo, &hi
			}
		}
	}
	return m
}

// NumpyMean is numpy.mean of a float64 vector: numpy's pairwise sum
// (blocks of up to 128 elements summed with eight accumulators, longer
// vectors halved at a multiple of 8), then one division. The last bits of
// a mean depend on this order, and those bits decide how a tie rounds.
func NumpyMean(xs []float64) float64 {
	return pairwiseSum(xs) / float64(len(xs))
}

func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, x := range a {
			res += x
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
	}
}

// Percent scales a fraction to a percentage rounded to one decimal the way
// the original prints it: round(numpy.float64(v) * 100, 1), which numpy
// computes as rint(x * 10) / 10 (ties to even on the scaled binary value,
// not Python's decimal rounding: 12.35 becomes 12.4, where Python's
// round(12.35, 1) gives 12.3).
func Percent(v float64) float64 {
	x := float64(v * 100)
	return math.RoundToEven(float64(x*10)) / 10
}

// FormatPercent is Percent as the original prints it ("35.2"), or "" for
// a null value.
func FormatPercent(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(Percent(*v), 'f', 1, 64)
}

// Outcomes are the per-task statuses the metrics are computed from:
// S[c][t][i] is s_t(i) of task t at turn i in combination c, with the
// carry-forward Live applies (a turn after a pass without a row passes).
type Outcomes struct {
	Tasks        []string
	Combinations []Combination
	Turns        int
	Excluded     []bool     // [task]
	S            [][][]bool // [combination][task][turn]
	// Seen is false for a turn without a row that the stop rule does
	// not explain (an incomplete run): S is false there.
	Seen [][][]bool
}

// TaskOutcomes returns the statuses of every (combination, task, turn)
// of the rows as Live reads them.
func TaskOutcomes(rows []schemas.Turn, spec Spec) (*Outcomes, error) {
	g, err := newGrid(rows, spec)
	if err != nil {
		return nil, err
	}
	o := &Outcomes{Tasks: g.tasks, Combinations: spec.Combinations, Turns: g.turns, Excluded: g.excluded}
	for c := range spec.Combinations {
		var sc, seen [][]bool
		for t := range g.tasks {
			ts := g.status(c, t, spec.RerunSolved)
			sn := make([]bool, len(ts.s))
			last := unknown
			for i, cell := range g.cells[c][t] {
				if cell != unknown {
					last = cell
				}
				sn[i] = cell != unknown || last == pass
			}
			sc, seen = append(sc, ts.s), append(seen, sn)
		}
		o.S, o.Seen = append(o.S, sc), append(o.Seen, seen)
	}
	return o, nil
}
