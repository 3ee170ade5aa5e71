package score

import "math/big"

// McNemar is the exact two-sided McNemar test of paired pass/fail
// outcomes: b pairs passed only in the first run, c only in the second.
// Under the null hypothesis the b discordant pairs of b+c follow
// Binomial(b+c, 1/2); the p-value is twice the smaller tail, capped at 1
// (1 when no pair is discordant). It is computed in exact rational
// arithmetic and rounded once.
func McNemar(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	// tail = sum of C(n, i) for i <= min(b, c), by C(n, i+1) = C(n, i)(n-i)/(i+1).
	term, tail := big.NewInt(1), big.NewInt(1)
	for i := 0; i < min(b, c); i++ {
		term.Mul(term, big.NewInt(int64(n-i)))
		term.Quo(term, big.NewInt(int64(i+1)))
		tail.Add(tail, term)
	}
	p, _ := new(big.Rat).SetFrac(tail.Lsh(tail, 1), new(big.Int).Lsh(big.NewInt(1), uint(n))).Float64()
	return min(1, p)
}

// PairedInterval is the bootstrap interval (BootstrapMethod) of the mean
// difference b - a over paired tasks: the tasks are resampled together,
// so what the two runs share cancels.
func PairedInterval(a, b []float64) (lo, hi float64, ok bool) {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b[i] - a[i]
	}
	if len(d) == 0 {
		return 0, 0, false
	}
	return NewResampler(len(d)).Interval(d, nil)
}
