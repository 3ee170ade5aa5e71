package sandbox

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// TestBigCodeBenchReferences runs the canonical programs of the first 20
// BigCodeBench tasks, plus task 31 (whose reference fails) and 1127 (whose
// tests split the work dir's path on "-"), on every backend, and compares
// each status with what BigCodeBench's own evaluator gave on this machine.
func TestBigCodeBenchReferences(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real BigCodeBench tasks (about a minute per backend)")
	}
	sandboxtest.NeedLibraries(t)
	tasks := sandboxtest.LoadTasks(t)
	want := sandboxtest.LoadVerdicts(t, "reference-run-bcb-evaluator-v0.1.0_hf.tsv")
	ids := map[string]bool{"BigCodeBench/31": true, "BigCodeBench/1127": true}
	for _, task := range tasks[:20] {
		ids[task.ID] = true
	}
	eachBackend(t, 121*time.Second, func(t *testing.T, s *Sandbox) {
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
					t.Errorf("%s: %s, BigCodeBench's evaluator: %s\n%s", task.ID, r.Status, w.Status, describe(r))
				}
			}()
		}
		wg.Wait()
	}, func(c *Config) { c.Slots = 2 })
}
