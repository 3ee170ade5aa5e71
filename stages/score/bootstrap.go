package score

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// The confidence intervals of metrics.parquet are percentile bootstrap
// intervals over tasks: the task set is resampled with replacement
// BootstrapResamples times from a fixed seed, the metric is recomputed on
// every resample, and the interval is the central BootstrapLevel of those
// values. The seed is fixed so that a rerun writes the same bytes; every
// metric of one computation uses the same resamples, so the intervals of
// two combinations are paired.
const (
	BootstrapResamples = 1000
	BootstrapSeed      = 0x63637762 // "ccwb"
	BootstrapLevel     = 0.95
)

// BootstrapMethod describes the intervals for run.json and reports.
var BootstrapMethod = fmt.Sprintf("percentile bootstrap over tasks: %d resamples, seed %d, %g%% interval",
	BootstrapResamples, BootstrapSeed, 100*BootstrapLevel)

// Resampler holds bootstrap resamples of n tasks: how many times each
// task was drawn in each resample.
type Resampler struct {
	n      int
	counts []float64 // [resample*n + task]
	order  []int     // order[k]: the task drawn as task k; nil: the identity
}

// NewResampler draws BootstrapResamples resamples of n tasks from the
// fixed seed: the same n gives the same resamples in every process.
func NewResampler(n int) *Resampler {
	rng := rand.New(rand.NewPCG(BootstrapSeed, uint64(n)))
	r := &Resampler{n: n, counts: make([]float64, BootstrapResamples*n)}
	for b := range BootstrapResamples {
		c := r.counts[b*n : (b+1)*n]
		for range n {
			c[rng.IntN(n)]++
		}
	}
	return r
}

// NewResamplerFor is NewResampler(len(ids)) for tasks in the order of
// their ids: the task whose id is k-th in sorted order gets the draws of
// task k, and Interval sums in that order, so an interval does not depend,
// to the last bit, on the order in which a run (or an import of another
// tool's logs) lists its tasks.
func NewResamplerFor(ids []string) *Resampler {
	r := NewResampler(len(ids))
	r.order = make([]int, len(ids))
	for t := range r.order {
		r.order[t] = t
	}
	slices.SortStableFunc(r.order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	return r
}

// Interval is the percentile interval of the mean of vals over the tasks
// keep selects (nil keeps all), vals and keep indexed by task. A resample
// that draws no kept task has no mean and is left out; ok is false when
// no resample has one (no task is kept).
func (r *Resampler) Interval(vals []float64, keep []bool) (lo, hi float64, ok bool) {
	if len(vals) != r.n || (keep != nil && len(keep) != r.n) {
		panic(fmt.Sprintf("score: %d values and %d flags for a resampler of %d tasks", len(vals), len(keep), r.n))
	}
	// w and k are vals and the kept flags as factors, so that a resample
	// is two dot products without branches.
	w, k := make([]float64, r.n), make([]float64, r.n)
	for i := range w {
		t := i
		if r.order != nil {
			t = r.order[i]
		}
		if keep == nil || keep[t] {
			w[i], k[i] = vals[t], 1
		}
	}
	means := make([]float64, 0, BootstrapResamples)
	for b := range BootstrapResamples {
		c := r.counts[b*r.n : (b+1)*r.n]
		sum, drawn := 0.0, 0.0
		for t, m := range c {
			sum += m * w[t]
			drawn += m * k[t]
		}
		if drawn > 0 {
			means = append(means, sum/drawn)
		}
	}
	if len(means) == 0 {
		return 0, 0, false
	}
	slices.Sort(means)
	tail := (1 - BootstrapLevel) / 2
	return quantile(means, tail), quantile(means, 1-tail), true
}

// quantile is numpy's default (linear) quantile of sorted xs.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(math.Floor(pos))
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	frac := pos - float64(i)
	return xs[i] + frac*(xs[i+1]-xs[i])
}
