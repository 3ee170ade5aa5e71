package score

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

// binomialQuantile is the smallest k with P(Binomial(n, p) <= k) >= q.
func binomialQuantile(n int, p, q float64) int {
	cdf := 0.0
	for k := 0; k <= n; k++ {
		lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
		cdf += math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		if cdf >= q {
			return k
		}
	}
	return n
}

// TestBootstrapInterval checks the intervals against what they estimate:
// for pass/fail values the resampled mean is Binomial(n, p)/n, so the
// interval's ends are its 2.5% and 97.5% quantiles (up to the resampling
// noise of 1000 draws); for graded values (MRR) the normal approximation
// mean ± 1.96·sd/√n.
func TestBootstrapInterval(t *testing.T) {
	for _, tc := range []struct {
		n int
		p float64
	}{{400, 0.3}, {1140, 0.352}, {148, 0.8}, {60, 0.5}} {
		t.Run(fmt.Sprintf("binary n=%d p=%g", tc.n, tc.p), func(t *testing.T) {
			vals := make([]float64, tc.n)
			k := int(math.Round(tc.p * float64(tc.n)))
			for i := range k {
				vals[(i*7919)%tc.n] = 1 // spread the passes over the task order
			}
			p := float64(k) / float64(tc.n)
			lo, hi, ok := NewResampler(tc.n).Interval(vals, nil)
			if !ok {
				t.Fatal("no interval")
			}
			wantLo := float64(binomialQuantile(tc.n, p, 0.025)) / float64(tc.n)
			wantHi := float64(binomialQuantile(tc.n, p, 0.975)) / float64(tc.n)
			tol := 1.0/float64(tc.n) + 0.2*math.Sqrt(p*(1-p)/float64(tc.n))
			if math.Abs(lo-wantLo) > tol || math.Abs(hi-wantHi) > tol {
				t.Errorf("interval [%.4f, %.4f], binomial quantiles [%.4f, %.4f] (tolerance %.4f)", lo, hi, wantLo, wantHi, tol)
			}
		})
	}
	t.Run("graded values", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		n := 800
		vals := make([]float64, n)
		for i := range vals {
			if j := rng.IntN(14); j < 11 {
				vals[i] = 1 / float64(1+j)
			}
		}
		mean, ss := 0.0, 0.0
		for _, v := range vals {
			mean += v / float64(n)
		}
		for _, v := range vals {
			ss += (v - mean) * (v - mean)
		}
		se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
		lo, hi, _ := NewResampler(n).Interval(vals, nil)
		if math.Abs(lo-(mean-1.96*se)) > 0.2*se || math.Abs(hi-(mean+1.96*se)) > 0.2*se {
			t.Errorf("interval [%.4f, %.4f], normal approximation [%.4f, %.4f]", lo, hi, mean-1.96*se, mean+1.96*se)
		}
	})
	t.Run("degenerate and kept subsets", func(t *testing.T) {
		rs := NewResampler(5)
		if lo, hi, ok := rs.Interval([]float64{1, 1, 1, 1, 1}, nil); !ok || lo != 1 || hi != 1 {
			t.Errorf("all pass: [%g, %g] %v", lo, hi, ok)
		}
		if _, _, ok := rs.Interval([]float64{1, 0, 1, 0, 1}, make([]bool, 5)); ok {
			t.Error("an interval over no kept task")
		}
		// Values of tasks that are not kept never enter a mean.
		lo, hi, _ := rs.Interval([]float64{1, 1, 0, 9, 9}, []bool{true, true, true, false, false})
		if lo < 0 || hi > 1 {
			t.Errorf("dropped tasks leaked into the interval: [%g, %g]", lo, hi)
		}
	})
}

// TestResamplerForOrder: the interval of a task set does not depend on
// the order in which its tasks are listed (an import lists them as the
// original's logs do).
func TestResamplerForOrder(t *testing.T) {
	var ids []string
	vals := map[string]float64{}
	for i := range 40 {
		id := fmt.Sprintf("BigCodeBench/%d", (i*17)%41)
		ids = append(ids, id)
		vals[id] = float64(i*i%13) / 13
	}
	interval := func(order []string) (float64, float64) {
		v := make([]float64, len(order))
		for i, id := range order {
			v[i] = vals[id]
		}
		lo, hi, _ := NewResamplerFor(order).Interval(v, nil)
		return lo, hi
	}
	lo, hi := interval(ids)
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	reversed := slices.Clone(sorted)
	slices.Reverse(reversed)
	for _, order := range [][]string{sorted, reversed} {
		if l, h := interval(order); l != lo || h != hi {
			t.Errorf("%v: [%g, %g], listed as %v: [%g, %g]", order, l, h, ids, lo, hi)
		}
	}
}

// TestLiveIntervals: every value has an interval around it, null values
// have none, and a recomputation (another process, another order of
// rows) writes the same bytes.
func TestLiveIntervals(t *testing.T) {
	hist := map[string]map[string]string{"a": {}, "b": {}}
	for i := range 60 {
		id := fmt.Sprintf("t%d", i)
		switch i % 4 {
		case 0:
			hist["a"][id], hist["b"][id] = "P", "P"
		case 1:
			hist["a"][id], hist["b"][id] = "FFP", "FP"
		default:
			hist["a"][id], hist["b"][id] = "FFF", "FFF"
		}
	}
	spec := Spec{Experiment: "e", Combinations: []Combination{{Name: "a", Label: "A"}, {Name: "b", Label: "B"}}, Turns: 2}
	rows := turnRows("e", "score.turn", hist)
	ms, err := Live(rows, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Value == nil || m.CILow == nil || m.CIHigh == nil {
			t.Fatalf("%s %s: value or interval missing", m.Combination, m.Metric)
		}
		if !(*m.CILow <= *m.Value && *m.Value <= *m.CIHigh) || *m.CIHigh-*m.CILow <= 0 {
			t.Errorf("%s %s %v: interval [%g, %g] around %g", m.Combination, m.Metric, m.Turn, *m.CILow, *m.CIHigh, *m.Value)
		}
	}
	dir := t.TempDir()
	if err := schemas.Metrics.Write(filepath.Join(dir, "a.parquet"), ms); err != nil {
		t.Fatal(err)
	}
	// Rows in reverse order: the same metrics, the same bytes.
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	again, err := Live(rows, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Metrics.Write(filepath.Join(dir, "b.parquet"), again); err != nil {
		t.Fatal(err)
	}
	a, b := readFile(t, filepath.Join(dir, "a.parquet")), readFile(t, filepath.Join(dir, "b.parquet"))
	if string(a) != string(b) {
		t.Error("a recomputation wrote other bytes")
	}
	// Excluded tasks: null value, null interval.
	ms, _ = Live(turnRows("e", "score.turn", map[string]map[string]string{"a": {"t0": "FP"}}, "t0"), Spec{Experiment: "e", Combinations: spec.Combinations[:1], Turns: 1})
	for _, m := range ms {
		if m.Value != nil || m.CILow != nil || m.CIHigh != nil {
			t.Errorf("%s: excluded task gave value or interval", m.Metric)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
