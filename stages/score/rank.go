package score

import (
	"fmt"
	"math"
	"sort"
)

// Spearman is Spearman's rank correlation of x and y: Pearson's
// correlation of their ranks, ties given their average rank (as
// scipy.stats.spearmanr computes it). It is an error when the lengths
// differ, there are fewer than two pairs, or either side has every value
// equal (the correlation is undefined).
func Spearman(x, y []float64) (float64, error) {
	if err := checkPairs(x, y); err != nil {
		return 0, err
	}
	return pearson(ranks(x), ranks(y))
}

// KendallTauB is Kendall's tau-b of x and y, which accounts for ties on
// either side (scipy.stats.kendalltau's default): (concordant -
// discordant) / sqrt((n0 - tx) (n0 - ty)) over all pairs, where tx and ty
// count pairs tied in x and in y. Errors as Spearman.
func KendallTauB(x, y []float64) (float64, error) {
	if err := checkPairs(x, y); err != nil {
		return 0, err
	}
	var conc, disc, tx, ty float64
	n := len(x)
	for i := range n {
		for j := i + 1; j < n; j++ {
			dx, dy := sign(x[j]-x[i]), sign(y[j]-y[i])
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case dx == dy:
				conc++
			default:
				disc++
			}
		}
	}
	n0 := float64(n*(n-1)) / 2
	den := math.Sqrt((n0 - tx) * (n0 - ty))
	if den == 0 {
		return 0, fmt.Errorf("every value on one side is equal: no rank correlation")
	}
	return (conc - disc) / den, nil
}

func checkPairs(x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("%d values against %d", len(x), len(y))
	}
	if len(x) < 2 {
		return fmt.Errorf("%d pairs: a rank correlation needs two or more", len(x))
	}
	return nil
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// ranks gives 1-based ranks, ties the average of the ranks they span.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	out := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = avg
		}
		i = j + 1
	}
	return out
}

func pearson(x, y []float64) (float64, error) {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, fmt.Errorf("every value on one side is equal: no rank correlation")
	}
	return sxy / math.Sqrt(sxx*syy), nil
}
