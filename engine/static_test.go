package engine

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages"
	"github.com/zclconf/go-cty/cty"
)

// independentPipeline has turns that read nothing of the turn before and
// no stop rule: every turn of a task may run at once. "meet" instances
// wait for one another (see meeting), so the run finishes only if the
// turns are in flight together. Its metrics attribute is handed to the
// stage set's metrics function.
const independentPipeline = `
variable "flag" {
  type    = bool
  default = true
}
tasks "t" {
  texts = ["a", "b"]
}
experiment "e" {
  tasks   = tasks.t
  turns   = 4
  metrics = { protocol = "static", reference = "score.turn", flag = var.flag, n = 2, none = null }

  combination "only" {
    label = "Only"
  }

  stage "execute" "run" {
    code = task.text
  }
  stage "score" "turn" {
    execution = execute.run
    code      = task.text
  }

  turn {
    stage "meet" "all" {
      text = "${task.text}${turn.index}"
    }
    stage "execute" "run" {
      code = meet.all.text
    }
    stage "score" "turn" {
      execution = execute.run
      code      = meet.all.text
    }
  }
}
`

// meeting is a stage kind whose instances return only once want of them
// are running at the same time; a run in which they could not all be in
// flight together would wait forever, so a guard ends it with an error
// after a minute (a deadlock check, not a speed check).
type meeting struct {
	want    int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	peak    int
}

func (m *meeting) Kind() string      { return "meet" }
func (m *meeting) CacheType() string { return "ccw.test.meet.v1" }
func (m *meeting) Config() stages.Schema {
	return stages.Schema{{Name: "text", Type: cty.String, Required: true}}
}
func (m *meeting) Output() cty.Type { return textObj }
func (m *meeting) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	m.mu.Lock()
	m.arrived++
	m.peak = max(m.peak, m.arrived)
	if m.arrived == m.want {
		close(m.all)
	}
	m.mu.Unlock()
	select {
	case <-m.all:
	case <-time.After(time.Minute):
		return cty.NilVal, context.DeadlineExceeded
	case <-ctx.Done():
		return cty.NilVal, ctx.Err()
	}
	return cty.ObjectVal(map[string]cty.Value{"text": in.Config.GetAttr("text")}), nil
}

func TestIndependentTurnsRunTogether(t *testing.T) {
	f := newFixture(t)
	m := &meeting{want: 2 * 4, all: make(chan struct{})} // 2 tasks x turns 1..4
	f.set.AddRunner(m)
	var got stages.MetricsRun
	f.set.Metrics = func(rows []schemas.Turn, run stages.MetricsRun, rec *schemas.RunExperiment) ([]schemas.Metric, error) {
		got = run
		return nil, nil
	}
	plan := f.compile(t, independentPipeline, nil)
	assertEqual(t, "compiled metrics", plan.Experiments[0].Metrics,
		map[string]string{"protocol": "static", "reference": "score.turn", "flag": "true", "n": "2"})
	res := f.run(t, plan, RunOptions{})
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	assertEqual(t, "peak of turns in flight", m.peak, 8)
	assertEqual(t, "rows", len(res.Rows), 2*5)
	assertEqual(t, "options", got.Options["protocol"]+" "+got.Options["flag"], "static true")
	assertEqual(t, "stage", got.Stage, "score.turn")
}

func TestMetricsAttributeErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not an object", strings.Replace(independentPipeline, `metrics = { protocol`, `metrics = "static" # {`, 1),
			"metrics must be an object of strings, numbers or bools"},
		{"nested", strings.Replace(independentPipeline, `n = 2`, `n = [2]`, 1), "n is tuple"},
		{"unknown variable", strings.Replace(independentPipeline, `var.flag`, `var.flg`, 1), `There is no variable named "flg"`},
	}
	for _, tt := range tests {
		f := newFixture(t)
		f.set.AddRunner(&meeting{})
		p := pipelines.NewParser(Vocabulary(f.set))
		cfg, diags := p.LoadSource("test.hcl", []byte(tt.src))
		if !diags.HasErrors() {
			scope, more := p.Evaluate(cfg, nil)
			diags = append(diags, more...)
			if !diags.HasErrors() {
				_, diags = Compile(cfg, scope, f.set)
			}
		}
		if !strings.Contains(diags.Error(), tt.want) {
			t.Errorf("%s: diagnostics %q, want %q", tt.name, diags.Error(), tt.want)
		}
	}
}
