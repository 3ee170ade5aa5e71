package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/engine/timing"
	"github.com/ccw-dev/ccw/stages"
	"github.com/zclconf/go-cty/cty"
)

// timedExec is the fake execute stage reporting that an execution took a
// second per test in its result.
type timedExec struct{ *counting }

func (timedExec) Took(v cty.Value) (time.Duration, bool) {
	return time.Duration(v.GetAttr("tests").LengthInt()) * time.Second, true
}

func TestRunRecordsExecutionTimes(t *testing.T) {
	f := newFixture(t)
	f.set = stages.NewSet()
	f.set.AddRunner(timedExec{f.exec})
	f.set.AddRunner(f.upper)
	f.set.Tasks = f.tasks
	plan := f.compile(t, `
tasks "t" { texts = ["ok a", "bad b", "ok c"] }
experiment "e" {
  tasks = tasks.t
  stage "execute" "run" { code = task.text }
}`, nil)
	book := timing.New()
	f.run(t, plan, RunOptions{Timings: book})
	for _, id := range []string{"T/0", "T/1", "T/2"} {
		if d, ok := book.Estimate(timing.Key("fake", "v1", id)); !ok || d != time.Second {
			t.Errorf("%s: estimate %v %v, want 1s", id, d, ok)
		}
	}
	// A rerun takes everything from the cache: nothing is timed again.
	f.run(t, plan, RunOptions{Timings: book})
	if d, _ := book.Estimate(timing.Key("fake", "v1", "T/0")); d != time.Second {
		t.Errorf("after a cached rerun: %v", d)
	}
}

func TestPrioritiesLongestFirst(t *testing.T) {
	ids := []string{"A", "B", "C", "D", "E"}
	vals := make([]cty.Value, len(ids))
	for i, id := range ids {
		vals[i] = cty.ObjectVal(map[string]cty.Value{"task_id": cty.StringVal(id)})
	}
	book := timing.New()
	book.Record(timing.Key("s", "x", "C"), 60*time.Second)
	book.Record(timing.Key("s", "x", "E"), 2*time.Second)
	guess := map[string]time.Duration{"B": 5 * time.Second, "D": 1 * time.Second}
	for _, c := range []struct {
		name string
		opts RunOptions
		want []uint64
	}{
		{"none", RunOptions{}, []uint64{0, 1, 2, 3, 4}},
		{"history", RunOptions{Timings: book}, []uint64{2, 3, 0, 4, 1}},
		{"history then estimate", RunOptions{Timings: book, Estimate: func(v cty.Value) time.Duration {
			return guess[v.GetAttr("task_id").AsString()]
		}}, []uint64{4, 1, 0, 3, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &run{opts: c.opts, tasks: &stages.TaskSet{Source: "s", Split: "x", IDs: ids, Values: vals}}
			if got := r.priorities(); !slices.Equal(got, c.want) {
				t.Errorf("priorities %v, want %v", got, c.want)
			}
		})
	}
}
