package score

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

// turnRows builds turn rows from a compact history per combination and
// task: one character per turn from 0, P passed, F failed, '.' no row.
// Tasks named in excluded get Excluded rows.
func turnRows(exp, stage string, hist map[string]map[string]string, excluded ...string) []schemas.Turn {
	var rows []schemas.Turn
	for comb, tasks := range hist {
		for id, h := range tasks {
			var idx int32
			fmt.Sscanf(id, "t%d", &idx)
			for turn, c := range h {
				if c == '.' {
					continue
				}
				r := schemas.Turn{Experiment: exp, Combination: comb, Stage: stage, TaskID: id, TaskIndex: idx,
					Turn: int32(turn), Passed: c == 'P', Status: "fail"}
				if r.Passed {
					r.Status = "pass"
				}
				for _, x := range excluded {
					r.Excluded = r.Excluded || x == id
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// render prints metric rows one a line, values rounded to 1e-6.
func render(ms []schemas.Metric) string {
	var b strings.Builder
	for _, m := range ms {
		turn, value := "-", "null"
		if m.Turn != nil {
			turn = fmt.Sprint(*m.Turn)
		}
		if m.Value != nil {
			value = fmt.Sprintf("%.6f", *m.Value)
		}
		fmt.Fprintf(&b, "%s %s %s %s %s tasks=%d/%d ex=%d drop=%d miss=%d %q\n", m.Combination, m.Label, m.Metric, turn, value,
			m.Tasks, m.Total, m.Excluded, m.Dropped, m.Missing, m.Options)
	}
	return b.String()
}

func TestLive(t *testing.T) {
	ab := []Combination{{Name: "a", Label: "w/ A"}, {Name: "b", Label: "w/ B"}}
	cases := []struct {
		name     string
		spec     Spec
		hist     map[string]map[string]string
		excluded []string
		want     string
	}{
		{
			name: "stop at pass carries the pass forward",
			spec: Spec{Experiment: "e", Combinations: ab[:1], Turns: 3},
			hist: map[string]map[string]string{"a": {"t0": "P", "t1": "FFP", "t2": "FFFF", "t3": "FP"}},
			want: `a w/ A pass@1 0 0.250000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1 1 0.500000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1 2 0.750000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1 3 0.750000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1_cumulative 0 0.250000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1_cumulative 1 0.500000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1_cumulative 2 0.750000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A pass@1_cumulative 3 0.750000 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A mrr - 0.458333 tasks=4/4 ex=0 drop=0 miss=0 ""
a w/ A recall - 0.750000 tasks=4/4 ex=0 drop=0 miss=0 ""
`,
		},
		{
			// Solved code re-executed every turn can fail later: the
			// literal Pass@1 drops, the cumulative one does not. t2 lost
			// its last turn (missing), t3 stops after a pass (a missing
			// row when rows continue after a pass), t4 has no row at all.
			name: "rows after a pass (fidelity original) and missing turns",
			spec: Spec{Experiment: "e", Combinations: ab[:1], Turns: 3, RerunSolved: true, Tasks: []string{"t0", "t1", "t2", "t3", "t4"}},
			hist: map[string]map[string]string{"a": {"t0": "PPFP", "t1": "FPFF", "t2": "FFF", "t3": "FP"}},
			want: `a w/ A pass@1 0 0.200000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1 1 0.600000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1 2 0.400000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1 3 0.400000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1_cumulative 0 0.200000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1_cumulative 1 0.600000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1_cumulative 2 0.600000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A pass@1_cumulative 3 0.600000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A mrr - 0.400000 tasks=5/5 ex=0 drop=0 miss=3 ""
a w/ A recall - 0.600000 tasks=5/5 ex=0 drop=0 miss=3 ""
`,
		},
		{
			// t1 is excluded in every combination (its excluded row is in
			// a); b lacks t3 entirely (incomplete run); exclude_init_solved
			// drops t0 from mrr and recall only, as the original.
			name:     "excluded, exclude_init_solved, a combination missing a task",
			spec:     Spec{Experiment: "e", Combinations: ab, Turns: 2, ExcludeInitSolved: true},
			hist:     map[string]map[string]string{"a": {"t0": "P", "t1": "F", "t2": "FFP", "t3": "FFF"}, "b": {"t0": "P", "t1": "FP", "t2": "FP"}},
			excluded: []string{"t1"},
			want: `a w/ A pass@1 0 0.333333 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A pass@1 1 0.333333 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A pass@1 2 0.666667 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A pass@1_cumulative 0 0.333333 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A pass@1_cumulative 1 0.333333 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A pass@1_cumulative 2 0.666667 tasks=3/4 ex=1 drop=0 miss=0 "exclude_init_solved"
a w/ A mrr - 0.166667 tasks=2/4 ex=1 drop=1 miss=0 "exclude_init_solved"
a w/ A recall - 0.500000 tasks=2/4 ex=1 drop=1 miss=0 "exclude_init_solved"
b w/ B pass@1 0 0.333333 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B pass@1 1 0.666667 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B pass@1 2 0.666667 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B pass@1_cumulative 0 0.333333 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B pass@1_cumulative 1 0.666667 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B pass@1_cumulative 2 0.666667 tasks=3/4 ex=1 drop=0 miss=1 "exclude_init_solved"
b w/ B mrr - 0.250000 tasks=2/4 ex=1 drop=1 miss=1 "exclude_init_solved"
b w/ B recall - 0.500000 tasks=2/4 ex=1 drop=1 miss=1 "exclude_init_solved"
`,
		},
		{
			name:     "every task excluded gives null values",
			spec:     Spec{Experiment: "e", Combinations: ab[:1], Turns: 1},
			hist:     map[string]map[string]string{"a": {"t0": "FP"}},
			excluded: []string{"t0"},
			want: `a w/ A pass@1 0 null tasks=0/1 ex=1 drop=0 miss=0 ""
a w/ A pass@1 1 null tasks=0/1 ex=1 drop=0 miss=0 ""
a w/ A pass@1_cumulative 0 null tasks=0/1 ex=1 drop=0 miss=0 ""
a w/ A pass@1_cumulative 1 null tasks=0/1 ex=1 drop=0 miss=0 ""
a w/ A mrr - null tasks=0/1 ex=1 drop=0 miss=0 ""
a w/ A recall - null tasks=0/1 ex=1 drop=0 miss=0 ""
`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows := turnRows("e", "score.turn", tc.hist, tc.excluded...)
			// Rows of another experiment and another stage are ignored
			// when the stage is named.
			rows = append(rows, turnRows("other", "score.turn", map[string]map[string]string{"zz": {"t9": "P"}})...)
			spec := tc.spec
			spec.Stage = "score.turn"
			got, err := Live(append(rows, turnRows("e", "score.other", map[string]map[string]string{"zz": {"t0": "P"}})...), spec)
			if err != nil {
				t.Fatal(err)
			}
			if r := render(got); r != tc.want {
				t.Errorf("got\n%s\nwant\n%s", r, tc.want)
			}
			// With a single stage the stage need not be named.
			spec.Stage = ""
			got, err = Live(rows, spec)
			if err != nil {
				t.Fatal(err)
			}
			if r := render(got); r != tc.want {
				t.Errorf("stage inferred: got\n%s\nwant\n%s", r, tc.want)
			}
			for _, m := range got {
				if m.Stage != "score.turn" || m.Experiment != "e" || m.Protocol != "live" {
					t.Fatalf("row address %q %q %q", m.Experiment, m.Protocol, m.Stage)
				}
			}
		})
	}
}

func TestLiveDefaultTurns(t *testing.T) {
	rows := turnRows("e", "", map[string]map[string]string{"a": {"t0": "FFFFFFFFFFP"}})
	got, err := Live(rows, Spec{Experiment: "e", Combinations: []Combination{{Name: "a", Label: "A"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got); n != 2*11+2 {
		t.Fatalf("%d rows, want 24 (turns 0..10)", n)
	}
	if mrr := got[len(got)-2]; *mrr.Value != 1.0/11 {
		t.Errorf("mrr = %v, want 1/11", *mrr.Value)
	}
}

func TestLiveErrors(t *testing.T) {
	a := []Combination{{Name: "a", Label: "A"}}
	base := turnRows("e", "s", map[string]map[string]string{"a": {"t0": "FP"}})
	cases := []struct {
		name string
		rows []schemas.Turn
		spec Spec
		want string
	}{
		{"no experiment", base, Spec{Combinations: a}, "the spec names no experiment"},
		{"no rows", base, Spec{Experiment: "x", Combinations: a}, `no turn rows for experiment "x"`},
		{"negative turns", base, Spec{Experiment: "e", Combinations: a, Turns: -1}, "turns = -1"},
		{"unknown combination", base, Spec{Experiment: "e", Combinations: []Combination{{Name: "b", Label: "B"}}},
			`row of experiment "e", combination "a", task "t0", turn 0: the combination is not in the spec`},
		{"empty label", base, Spec{Experiment: "e", Combinations: []Combination{{Name: "a"}}}, "combination 1 has an empty name or label"},
		{"combination twice", base, Spec{Experiment: "e", Combinations: []Combination{{Name: "a", Label: "A"}, {Name: "a", Label: "B"}}}, `combination "a" is listed twice`},
		{"turn beyond a small budget", turnRows("e", "s", map[string]map[string]string{"a": {"t0": "FFP"}}), Spec{Experiment: "e", Combinations: a, Turns: 1},
			`turn 2: the turn is outside 0..1`},
		{"duplicate row", append(base, base[0]), Spec{Experiment: "e", Combinations: a}, `two rows of experiment "e", combination "a", task "t0", turn`},
		{"task outside the task set", base, Spec{Experiment: "e", Combinations: a, Tasks: []string{"t1"}}, `task "t0", turn 0: the task is not in the task set`},
		{"task listed twice", base, Spec{Experiment: "e", Combinations: a, Tasks: []string{"t0", "t0"}}, `task "t0" is listed twice`},
		{"several stages", append(base, turnRows("e", "s2", map[string]map[string]string{"a": {"t0": "P"}})...), Spec{Experiment: "e", Combinations: a},
			"rows of several score stages (s, s2): name the one to score"},
		{"unknown stage", base, Spec{Experiment: "e", Combinations: a, Stage: "nope"}, `no rows of score stage "nope" (it has: s)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Live(tc.rows, tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestPercent checks the original's rounding: numpy's round(x*100, 1),
// ties to even on the binary value after scaling, unlike Python's round.
func TestPercent(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0.352, "35.2"}, {0, "0.0"}, {1, "100.0"}, {0.1235, "12.4"}, // Python's round(12.35, 1) gives 12.3
		{0.125, "12.5"}, {0.1225, "12.2"}, {0.6125, "61.3"}, {0.0125, "1.2"}, {0.3505, "35.0"}, {1.0 / 3, "33.3"}, {2.0 / 3, "66.7"},
	}
	for _, tc := range cases {
		v := tc.v
		if got := FormatPercent(&v); got != tc.want {
			t.Errorf("FormatPercent(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := FormatPercent(nil); got != "" {
		t.Errorf("null = %q", got)
	}
}

func TestSpecRunRoundTrip(t *testing.T) {
	s := Spec{Experiment: "e", Combinations: []Combination{{Name: "cf", Label: "w/ CF"}}, Stage: "score.turn", ExcludeInitSolved: true, RerunSolved: true}
	var r schemas.Run
	r.Experiment.Name = "e"
	s.Record(&r.Experiment)
	back := SpecFromRun(&r)
	s.Turns = DefaultTurns
	if fmt.Sprint(back) != fmt.Sprint(s) {
		t.Errorf("SpecFromRun(Record(s)) = %+v, want %+v", back, s)
	}
	if r.Experiment.Metrics.Protocol != "live" {
		t.Errorf("protocol %q", r.Experiment.Metrics.Protocol)
	}
}
