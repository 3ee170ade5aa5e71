package score

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// numpyScript reads vectors of turn codes (-1: 0.0, k: 1/(k+1), the
// per-task values of the original's Pass@1, MRR and Recall) and prints,
// per vector, the bits of np.mean and the original's printed figure
// str(round(np.mean(values) * 100, 1)).
const numpyScript = `
import json, struct, sys
import numpy as np
for codes in json.load(sys.stdin):
    values = [0.0 if k < 0 else 1 / (k + 1) for k in codes]
    m = np.mean(values)
    print(struct.unpack('<Q', struct.pack('<d', m))[0], str(round(m * 100, 1)))
`

// TestNumpyMeanMatchesNumpy compares NumpyMean and FormatPercent with
// numpy itself (Debian's python3) on vectors shaped like the original's
// per-task values, many of them exact ties at the second decimal of the
// percentage, where summation order and rounding rule decide the digit.
func TestNumpyMeanMatchesNumpy(t *testing.T) {
	testenv.NeedPython(t)
	if err := exec.Command(testenv.Python, "-c", "import numpy").Run(); err != nil {
		testenv.Missing(t, "numpy is not importable by %s: %v", testenv.Python, err)
	}
	rng := rand.New(rand.NewPCG(8, 6))
	var vectors [][]int
	// Lengths around numpy's block sizes and the benchmark's task counts.
	for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 148, 255, 256, 257, 400, 1000, 1140, 2000, 2003} {
		for range 12 {
			v := make([]int, n)
			ties := rng.IntN(2) == 0 // values 1, 1/2, 1/4, 1/5, 1/8, 1/10: means with few binary digits
			for i := range v {
				switch {
				case rng.IntN(3) == 0:
					v[i] = -1
				case ties:
					v[i] = []int{0, 1, 3, 4, 7, 9}[rng.IntN(6)]
				default:
					v[i] = rng.IntN(11)
				}
			}
			vectors = append(vectors, v)
		}
	}
	// 0/1 vectors of 2000 with an odd count of ones: every mean is a tie.
	for k := 1; k < 2000; k += 38 {
		v := make([]int, 2000)
		for i := range v {
			v[i] = -1
		}
		for _, i := range rng.Perm(2000)[:k] {
			v[i] = 0
		}
		vectors = append(vectors, v)
	}
	in, _ := json.Marshal(vectors)
	cmd := exec.Command(testenv.Python, "-c", numpyScript)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("numpy: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(vectors) {
		t.Fatalf("numpy printed %d lines for %d vectors", len(lines), len(vectors))
	}
	ties, pythonDiffers := 0, 0
	for i, v := range vectors {
		vals := make([]float64, len(v))
		exact := new(big.Rat)
		for j, k := range v {
			if k >= 0 {
				vals[j] = 1 / float64(k+1)
				exact.Add(exact, big.NewRat(1, int64(k+1)))
			}
		}
		fields := strings.Fields(lines[i])
		bits, _ := strconv.ParseUint(fields[0], 10, 64)
		m := NumpyMean(vals)
		if got := math.Float64bits(m); got != bits {
			t.Errorf("vector %d (n=%d): NumpyMean = %v, numpy %v", i, len(v), m, math.Float64frombits(bits))
		}
		if got := FormatPercent(&m); got != fields[1] {
			t.Errorf("vector %d (n=%d): FormatPercent = %s, numpy prints %s", i, len(v), got, fields[1])
		}
		// Count exact ties (mean*1000 = integer + 1/2) and the figures
		// where Python's own round would print something else.
		exact.Quo(exact, big.NewRat(int64(len(v)), 1000))
		if twice := new(big.Rat).Mul(exact, big.NewRat(2, 1)); twice.IsInt() && !exact.IsInt() {
			ties++
		}
		if py := strconv.FormatFloat(math.Round(m*1000)/10, 'f', 1, 64); py != fields[1] {
			pythonDiffers++
		}
	}
	t.Logf("%d vectors, %d exact ties; half-away rounding would differ on %d", len(vectors), ties, pythonDiffers)
	if ties < 50 {
		t.Errorf("only %d ties: the test lost its point", ties)
	}
}
