package score

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

func TestRankCorrelationCases(t *testing.T) {
	cases := []struct {
		x, y            []float64
		spearman, kendl float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1, -1},
		{[]float64{1, 2, 3}, []float64{1, 3, 2}, 0.5, 1.0 / 3},
		// The README's correlation figure read off the plot (protocol.md
		// §9): live against static MRR of seven models.
		{[]float64{25.3, 42.4, 43.7, 43.8, 56.5, 56.5, 58.5}, []float64{45.7, 50.2, 53.5, 54.3, 59.1, 60.1, 61.3}, 0.991031208965115, 0.9759000729485333}, // scipy.stats,
	}
	for _, c := range cases {
		s, err1 := Spearman(c.x, c.y)
		k, err2 := KendallTauB(c.x, c.y)
		if err1 != nil || err2 != nil || math.Abs(s-c.spearman) > 1e-12 || math.Abs(k-c.kendl) > 1e-12 {
			t.Errorf("%v %v: spearman %v kendall %v (%v %v), want %v %v", c.x, c.y, s, k, err1, err2, c.spearman, c.kendl)
		}
	}
	for _, bad := range [][2][]float64{{{1}, {2}}, {{1, 2}, {1}}, {{1, 1, 1}, {1, 2, 3}}} {
		if _, err := Spearman(bad[0], bad[1]); err == nil {
			t.Errorf("spearman %v: no error", bad)
		}
		if _, err := KendallTauB(bad[0], bad[1]); err == nil {
			t.Errorf("kendall %v: no error", bad)
		}
	}
}

// TestRankCorrelationMatchesSciPy compares both with scipy.stats on random
// samples full of ties.
func TestRankCorrelationMatchesSciPy(t *testing.T) {
	testenv.NeedPython(t)
	if err := exec.Command(testenv.Python, "-c", "import scipy.stats").Run(); err != nil {
		testenv.Missing(t, "scipy is not importable by %s: %v", testenv.Python, err)
	}
	rng := rand.New(rand.NewPCG(4, 2))
	var samples [][2][]float64
	for range 40 {
		n := 2 + rng.IntN(20)
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = float64(rng.IntN(6))/10, float64(rng.IntN(8))/10+x[i]/2
		}
		samples = append(samples, [2][]float64{x, y})
	}
	in, _ := json.Marshal(samples)
	cmd := exec.Command(testenv.Python, "-c", `
import json, sys, math
from scipy import stats
out = []
for x, y in json.load(sys.stdin):
    s = stats.spearmanr(x, y).correlation
    k = stats.kendalltau(x, y).correlation
    out.append([None if math.isnan(s) else s, None if math.isnan(k) else k])
print(json.dumps(out))
`)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var want [][2]*float64
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for i, s := range samples {
		gs, es := Spearman(s[0], s[1])
		gk, ek := KendallTauB(s[0], s[1])
		for _, c := range []struct {
			name string
			got  float64
			err  error
			want *float64
		}{{"spearman", gs, es, want[i][0]}, {"kendall", gk, ek, want[i][1]}} {
			switch {
			case c.want == nil && c.err == nil:
				t.Errorf("sample %d %s: %v, scipy says undefined", i, c.name, c.got)
			case c.want != nil && (c.err != nil || math.Abs(c.got-*c.want) > 1e-12):
				t.Errorf("sample %d %s: %v (%v), scipy %v", i, c.name, c.got, c.err, *c.want)
			}
		}
	}
}
