package score

import (
	"fmt"
	"strings"

	"github.com/ccw-dev/ccw/schemas"
)

// Static computes ConvCodeBench's static metrics (protocol.md §6) over the
// turn rows of one experiment: the target model's rows of score stage
// spec.Stage (turn 0: its own initial code, s(0); turns 1..N: its code
// written from the reference's history, q(1..N)) and the reference's rows
// of score stage spec.Reference (r(0..N-1): the reference's status at the
// turn each static turn started from). One row per (combination, metric,
// turn) in a fixed order: combinations in spec order; per combination
// pass@1 for turns 1..N (the static table has no turn 0), mrr, recall.
//
// Every cell needs a row (static turns do not stop at a pass); a cell
// without one counts as not passing and its task is counted in the
// missing column. Tasks with an excluded row are left out of every mean.
//
//   - pass@1 at i: mean of q(i) OR r(0) — not cumulative, each turn
//     restarts from the reference's code;
//   - mrr per task: 1 if r(0); else the first hit scanning i from 0 (1
//     without compensate_init) to N: i > 0 and r(i-1) gives 1/i, else
//     q(i) gives 1/(i+1) (q(0) is s(0)); 0 without a hit;
//   - recall per task: r(0), s(0), any r(j) or any q(i) — compensate_init
//     changes nothing here, as in the original;
//   - exclude_init_solved drops tasks with s(0) from mrr and recall.
func Static(rows []schemas.Turn, spec Spec) ([]schemas.Metric, error) {
	if spec.Reference == "" {
		return nil, fmt.Errorf("metrics: experiment %q: static metrics need the score stage of the reference's rows", spec.Experiment)
	}
	if spec.Stage == "" {
		return nil, fmt.Errorf("metrics: experiment %q: static metrics need the score stage of the target's rows", spec.Experiment)
	}
	if spec.Reference == spec.Stage {
		return nil, fmt.Errorf("metrics: experiment %q: the reference's rows and the target's are both of score stage %q", spec.Experiment, spec.Stage)
	}
	target, err := newGrid(rows, spec)
	if err != nil {
		return nil, err
	}
	refSpec := spec
	refSpec.Stage, refSpec.Tasks = spec.Reference, target.tasks
	ref, err := newGrid(rows, refSpec)
	if err != nil {
		return nil, err
	}
	rs := NewResamplerFor(target.tasks)
	var out []schemas.Metric
	for c, comb := range spec.Combinations {
		out = append(out, staticCombination(target, ref, c, comb, spec, rs)...)
	}
	return out, nil
}

// staticTask is one task's statuses in one combination: s0 the target's
// turn 0, q[i] its static turn i (q[0] unused), r[k] the reference's
// turn k (k < N).
type staticTask struct {
	s0      bool
	q, r    []bool
	missing bool
}

func staticCombination(target, ref *grid, c int, comb Combination, spec Spec, rs *Resampler) []schemas.Metric {
	n := target.turns
	tasks := make([]staticTask, len(target.tasks))
	excluded := make([]bool, len(target.tasks))
	for t := range target.tasks {
		tc, rc := target.cells[c][t], ref.cells[c][t]
		st := staticTask{q: make([]bool, n+1), r: make([]bool, n)}
		for i, cell := range tc {
			st.q[i] = cell == pass
			st.missing = st.missing || cell == unknown
		}
		st.s0 = st.q[0]
		for k := range n {
			st.r[k] = rc[k] == pass
			st.missing = st.missing || rc[k] == unknown
		}
		tasks[t] = st
		excluded[t] = target.excluded[t] || ref.excluded[t]
	}
	base := schemas.Metric{Experiment: target.experiment, Protocol: schemas.ProtocolStatic, Stage: target.stage,
		Combination: comb.Name, Label: comb.Label, Options: spec.options()}
	mean := func(keep func(st staticTask) bool, f func(st staticTask) float64) schemas.Metric {
		return averaged(base, tasks, excluded, rs, keep, func(st staticTask) bool { return st.missing }, f)
	}
	all := func(staticTask) bool { return true }
	var out []schemas.Metric
	for i := 1; i <= n; i++ {
		m := mean(all, func(st staticTask) float64 { return b2f(st.q[i] || (n > 0 && st.r[0])) })
		m.Metric, m.Turn = schemas.MetricPass1, ptr(int32(i))
		out = append(out, m)
	}
	keep := all
	if spec.ExcludeInitSolved {
		keep = func(st staticTask) bool { return !st.s0 }
	}
	start := 0
	if spec.NoCompensateInit {
		start = 1
	}
	m := mean(keep, func(st staticTask) float64 {
		if n > 0 && st.r[0] {
			return 1
		}
		for i := start; i <= n; i++ {
			if i > 0 && st.r[i-1] {
				return 1 / float64(i)
			}
			if st.q[i] {
				return 1 / float64(i+1)
			}
		}
		return 0
	})
	m.Metric = schemas.MetricMRR
	out = append(out, m)
	m = mean(keep, func(st staticTask) float64 {
		hit := st.s0
		for _, x := range st.r {
			hit = hit || x
		}
		for _, x := range st.q[1:] {
			hit = hit || x
		}
		return b2f(hit)
	})
	m.Metric = schemas.MetricRecall
	out = append(out, m)
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// staticOptions lists the static options that differ from the original's
// defaults.
func (s Spec) staticOptions() []string {
	var out []string
	if s.NoCompensateInit {
		out = append(out, "compensate_init=false")
	}
	return out
}

// Metrics computes the metrics spec.Protocol names: Live for "" or
// "live", Static for "static".
func Metrics(rows []schemas.Turn, spec Spec) ([]schemas.Metric, error) {
	switch spec.Protocol {
	case "", schemas.ProtocolLive:
		return Live(rows, spec)
	case schemas.ProtocolStatic:
		return Static(rows, spec)
	}
	return nil, fmt.Errorf("metrics: experiment %q: protocol %q is not one of %s", spec.Experiment, spec.Protocol,
		strings.Join([]string{schemas.ProtocolLive, schemas.ProtocolStatic}, ", "))
}
