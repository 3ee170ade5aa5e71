package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// scriptedRun runs testdata/scripted/scripted.hcl into dir/out with the
// given variables (right, fix, turns, combinations) and returns the
// results directory.
func scriptedRun(t *testing.T, cache, out string, vars ...string) string {
	t.Helper()
	testenv.NeedPython(t)
	args := []string{"run", filepath.Join("testdata", "scripted", "scripted.hcl"), "--cache", cache, "--out", out}
	for _, v := range vars {
		args = append(args, "--var", v)
	}
	runCCW(t, args...)
	return out
}

// mcnemarExact is the exact two-sided McNemar p-value computed with
// rational arithmetic: 2·P(X <= min(b, c)) for X ~ Binomial(b+c, 1/2).
func mcnemarExact(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	tail := new(big.Int)
	for k := 0; k <= min(b, c); k++ {
		tail.Add(tail, new(big.Int).Binomial(int64(n), int64(k)))
	}
	p := new(big.Rat).SetFrac(new(big.Int).Mul(tail, big.NewInt(2)), new(big.Int).Lsh(big.NewInt(1), uint(n)))
	f, _ := p.Float64()
	return min(f, 1)
}

// TestDiffScriptedRuns runs the scripted protocol twice: B solves tasks 6
// and 7 at turn 0 and fixes task 8 after execution feedback, A does
// neither. ccw diff must list exactly those tasks and turns, and its
// McNemar p-values must equal an exact computation.
func TestDiffScriptedRuns(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	a := scriptedRun(t, cache, filepath.Join(dir, "a"))
	b := scriptedRun(t, cache, filepath.Join(dir, "b"), "right=[0,1,2,3,6,7]", "fix=[4,5,8]")

	var d runDiff
	if err := json.Unmarshal([]byte(runCCW(t, "diff", a, b, "--format", "json")), &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string][]int{
		"cf":             {"CCWMini/6": {0, 1, 2}, "CCWMini/7": {0, 1, 2}},
		"cf_ef_full":     {"CCWMini/6": {0, 1, 2}, "CCWMini/7": {0, 1, 2}, "CCWMini/8": {1, 2}},
		"cf_ef_full_sef": {"CCWMini/6": {0, 1, 2}, "CCWMini/7": {0, 1, 2}, "CCWMini/8": {1, 2}},
	}
	if len(d.Combinations) != len(want) {
		t.Fatalf("%d combinations compared", len(d.Combinations))
	}
	for _, c := range d.Combinations {
		got := map[string][]int{}
		for _, f := range c.Flips {
			got[f.Task] = f.Turns
		}
		if fmt.Sprint(got) != fmt.Sprint(want[c.Name]) {
			t.Errorf("%s: flips %v, want %v", c.Name, got, want[c.Name])
		}
		if c.OnlyA != 0 || c.OnlyB != len(want[c.Name]) || c.Tasks != 17 {
			t.Errorf("%s: discordant %d/%d over %d tasks", c.Name, c.OnlyA, c.OnlyB, c.Tasks)
		}
		if p := mcnemarExact(c.OnlyA, c.OnlyB); c.McNemarP != p {
			t.Errorf("%s: McNemar p = %v, exact %v", c.Name, c.McNemarP, p)
		}
		for _, m := range c.Metrics {
			if m.Diff <= 0 || m.Low > m.Diff || m.High < m.Diff {
				t.Errorf("%s %s: difference %v outside its interval [%v, %v]", c.Name, m.Metric, m.Diff, m.Low, m.High)
			}
		}
	}
	var paths []string
	for _, c := range d.Config {
		paths = append(paths, c.Area+" "+c.Path)
	}
	for _, p := range []string{"variables var.right", "variables var.fix", "models model.coder.mock"} {
		if !slices.Contains(paths, p) {
			t.Errorf("config differences %q lack %q", paths, p)
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "sandbox") || strings.HasPrefix(p, "tasks") || strings.HasPrefix(p, "prompts") {
			t.Errorf("reported a difference that is not there: %s", p)
		}
	}

	// A run against itself: nothing differs, p = 1.
	self := runCCW(t, "diff", a, a)
	if !strings.Contains(self, "configuration: no input differs") || strings.Contains(self, "flipped") {
		t.Errorf("self diff:\n%s", self)
	}
	// Both runs overlaid in one report: one curve per (run, combination),
	// every task of each run, and the curves alone as SVG.
	page, svg := filepath.Join(dir, "ab.html"), filepath.Join(dir, "ab.svg")
	runCCW(t, "report", a, b, "--html", page, "--plot", svg)
	html := readString(t, page)
	if n := strings.Count(html, `<path class="curve"`); n != 2*3 {
		t.Errorf("%d curves, want 6", n)
	}
	if n := strings.Count(html, `<section class="task"`); n != 2*17 {
		t.Errorf("%d task sections, want 34", n)
	}
	if n := strings.Count(html, `<rect class="bar" data-metric="recall"`); n != 2*3 {
		t.Errorf("%d recall bars, want 6", n)
	}
	if !strings.HasPrefix(readString(t, svg), "<?xml") {
		t.Error("the plot is not an SVG file")
	}
	text := runCCW(t, "diff", a, b)
	for _, s := range []string{"CCWMini/8                FFF → FPP  turns 1,2", "var.right: [0,1,2,3] → [0,1,2,3,6,7]"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
}

func TestMcNemarKnownValues(t *testing.T) {
	for _, tc := range []struct{ b, c int }{{0, 0}, {0, 2}, {0, 3}, {3, 10}, {25, 40}, {200, 260}, {7, 7}} {
		if got, want := mcnemarExact(tc.b, tc.c), mcnemarExact(tc.c, tc.b); got != want {
			t.Errorf("not symmetric: %v %v", got, want)
		}
	}
	// Textbook values: b=0, c=3 gives 0.25; b=3, c=10 gives 0.0923.
	if p := mcnemarExact(3, 10); fmt.Sprintf("%.4f", p) != "0.0923" {
		t.Errorf("exact(3, 10) = %v", p)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
