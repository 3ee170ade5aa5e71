package score

import (
	"math"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

// staticHist: per task, the target's statuses s(0) q(1..3) and the
// reference's r(0..2) (see TestStatic for what each task shows).
var (
	staticTarget = map[string]map[string]string{"a": {"t0": "FFFF", "t1": "FFFP", "t2": "FPFF", "t3": "PFFF", "t4": "FFFF"}}
	staticRef    = map[string]map[string]string{"a": {"t0": "PPP", "t1": "FFP", "t2": "FFF", "t3": "FFF", "t4": "FFF"}}
)

// TestStatic: t0 the reference solved at turn 0; t1 it solved at turn 2
// (static turn 3 starts from solved code); t2 the target solves at static
// turn 1; t3 only the target's own turn 0 passes (what compensate_init
// counts); t4 nobody solves.
func TestStatic(t *testing.T) {
	rows := append(turnRows("e", "score.turn", staticTarget), turnRows("e", "score.reference", staticRef)...)
	a := []Combination{{Name: "a", Label: "w/ A"}}
	pass := `a w/ A pass@1 1 0.400000 tasks=5/5 ex=0 drop=0 miss=0 %[1]q
a w/ A pass@1 2 0.200000 tasks=5/5 ex=0 drop=0 miss=0 %[1]q
a w/ A pass@1 3 0.400000 tasks=5/5 ex=0 drop=0 miss=0 %[1]q
`
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"defaults (compensate_init on)", Spec{},
			pass + `a w/ A mrr - 0.566667 tasks=5/5 ex=0 drop=0 miss=0 ""
a w/ A recall - 0.800000 tasks=5/5 ex=0 drop=0 miss=0 ""
`},
		{"compensate_init off: recall unchanged", Spec{NoCompensateInit: true},
			pass + `a w/ A mrr - 0.366667 tasks=5/5 ex=0 drop=0 miss=0 "compensate_init=false"
a w/ A recall - 0.800000 tasks=5/5 ex=0 drop=0 miss=0 "compensate_init=false"
`},
		{"exclude_init_solved drops t3 from mrr and recall", Spec{ExcludeInitSolved: true},
			pass + `a w/ A mrr - 0.458333 tasks=4/5 ex=0 drop=1 miss=0 "exclude_init_solved"
a w/ A recall - 0.750000 tasks=4/5 ex=0 drop=1 miss=0 "exclude_init_solved"
`},
	}
	for _, tc := range cases {
		spec := tc.spec
		spec.Experiment, spec.Combinations, spec.Turns = "e", a, 3
		spec.Protocol, spec.Stage, spec.Reference = schemas.ProtocolStatic, "score.turn", "score.reference"
		got, err := Metrics(rows, spec)
		if err != nil {
			t.Fatal(err)
		}
		opts := ""
		if spec.ExcludeInitSolved {
			opts = "exclude_init_solved"
		}
		if spec.NoCompensateInit {
			opts = "compensate_init=false"
		}
		want := strings.ReplaceAll(tc.want, "%[1]q", `"`+opts+`"`)
		if r := render(got); r != want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, r, want)
		}
		for _, m := range got {
			if m.Protocol != "static" || m.Stage != "score.turn" {
				t.Fatalf("row %q %q", m.Protocol, m.Stage)
			}
		}
		// Recorded and read back, the spec is the same.
		var rec schemas.RunExperiment
		spec.Record(&rec)
		back := SpecFromRun(&schemas.Run{Experiment: rec})
		if back.Protocol != spec.Protocol || back.Reference != spec.Reference || back.NoCompensateInit != spec.NoCompensateInit {
			t.Errorf("%s: recorded %+v, read back %+v", tc.name, *rec.Metrics, back)
		}
	}
}

func TestStaticMissingAndErrors(t *testing.T) {
	a := []Combination{{Name: "a", Label: "w/ A"}}
	spec := Spec{Experiment: "e", Combinations: a, Turns: 3, Protocol: "static", Stage: "score.turn", Reference: "score.reference"}
	// t1 lacks the reference's turn 1, t2 the target's turn 2: both are
	// counted missing and their cells do not pass.
	rows := append(turnRows("e", "score.turn", map[string]map[string]string{"a": {"t0": "FFFP", "t1": "FFFP", "t2": "FF.P"}}),
		turnRows("e", "score.reference", map[string]map[string]string{"a": {"t0": "FFP", "t1": "F.P", "t2": "FFF"}})...)
	got, err := Static(rows, spec)
	if err != nil {
		t.Fatal(err)
	}
	if mrr := *got[len(got)-2].Value; got[len(got)-1].Missing != 2 || math.Abs(mrr-(1.0/3+1.0/3+1.0/4)/3) > 1e-15 {
		t.Errorf("got\n%s", render(got))
	}
	for _, bad := range []struct {
		spec Spec
		want string
	}{
		{Spec{Experiment: "e", Combinations: a, Stage: "score.turn"}, "need the score stage of the reference's rows"},
		{Spec{Experiment: "e", Combinations: a, Reference: "score.turn", Stage: "score.turn"}, "are both of score stage"},
		{Spec{Experiment: "e", Combinations: a, Reference: "score.nothing", Stage: "score.turn", Turns: 3}, `has no rows of score stage "score.nothing"`},
		{Spec{Experiment: "e", Combinations: a, Protocol: "stat"}, `protocol "stat" is not one of live, static`},
	} {
		if bad.spec.Protocol == "" {
			bad.spec.Protocol = "static"
		}
		if _, err := Metrics(rows, bad.spec); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: error %v, want %q", bad.spec, err, bad.want)
		}
	}
}
