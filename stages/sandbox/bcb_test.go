package sandbox

import (
	"context"
	"sync"
	"testing"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// TestBigCodeBenchReferences runs the canonical programs of the first
// BigCodeBench tasks (and task 31, whose reference fails) and compares each
// status with what BigCodeBench's own evaluator gave on this machine.
func TestBigCodeBenchReferences(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real BigCodeBench tasks (about a minute)")
	}
	sandboxtest.NeedLibraries(t)
	tasks := sandboxtest.LoadTasks(t)
	want := sandboxtest.LoadVerdicts(t, "reference-run-bcb-evaluator-v0.1.0_hf.tsv")
	ids := map[string]bool{"BigCodeBench/31": true}
	for _, task := range tasks[:20] {
		ids[task.ID] = true
	}
	c := DefaultConfig()
	c.Slots = 2
	s := New("bcb", c)
	defer s.Close()
	var wg sync.WaitGroup
	for _, task := range tasks {
		if !ids[task.ID] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Run(context.Background(), Job{Code: task.Reference(), Test: task.Test})
			if err != nil {
				t.Errorf("%s: %v", task.ID, err)
				return
			}
			if w := want[task.ID]; string(r.Status) != w.Status {
				t.Errorf("%s: %s [%s], BigCodeBench's evaluator: %s\n%s", task.ID, r.Status, tests(r), w.Status, r.Details())
			}
		}()
	}
	wg.Wait()
}
