package engine

import (
	"slices"
	"time"

	"github.com/ccw-dev/ccw/engine/timing"
	"github.com/ccw-dev/ccw/stages"
	"github.com/zclconf/go-cty/cty"
)

// priorities ranks the tasks by expected execution time, longest first
// (RunOptions.Timings, then RunOptions.Estimate), ties in dataset order;
// a task's rank is the walker priority of all its vertices, so that the
// lanes start the long tasks first and a started task keeps its place for
// its later turns.
func (r *run) priorities() []uint64 {
	n := len(r.tasks.IDs)
	prio := make([]uint64, n)
	if r.opts.Timings == nil && r.opts.Estimate == nil {
		for u := range prio {
			prio[u] = uint64(u)
		}
		return prio
	}
	est := make([]time.Duration, n)
	order := make([]int, n)
	for u := range order {
		order[u] = u
		if d, ok := r.opts.Timings.Estimate(r.timingKey(int32(u))); ok {
			est[u] = d
		} else if r.opts.Estimate != nil && u < len(r.tasks.Values) {
			est[u] = r.opts.Estimate(r.tasks.Values[u])
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case est[a] > est[b]:
			return -1
		case est[a] < est[b]:
			return 1
		}
		return 0
	})
	for rank, u := range order {
		prio[u] = uint64(rank)
	}
	return prio
}

// timingKey names task u in the execution-time history.
func (r *run) timingKey(u int32) string {
	return timing.Key(r.tasks.Source, r.tasks.Split, r.tasks.IDs[u])
}

// recordTime adds the time a stage that ran took to the history.
func (r *run) recordTime(n *node, val cty.Value) {
	t, ok := n.sp.Runner.(stages.Timed)
	if !ok || r.opts.Timings == nil || r.opts.DryRun {
		return
	}
	if d, ok := t.Took(val); ok {
		r.opts.Timings.Record(r.timingKey(n.unit), d) // advice: a failed write costs order only
	}
}
