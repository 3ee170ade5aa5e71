package sandbox

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// benchSandbox opens a sandbox of backend name with slots slots.
func benchSandbox(b *testing.B, name string, slots int) *Sandbox {
	be := sandboxtest.BackendNamed(name)
	be.Need(b)
	c, err := ConfigFromValue(body(be.Attrs))
	if err != nil {
		b.Fatal(err)
	}
	c.Slots = slots
	s := New(name, c)
	b.Cleanup(func() { s.Close() })
	return s
}

var trivialJob = Job{Code: "def f():\n    return 1\n", Test: suiteHead + "    def test_f(self): self.assertEqual(f(), 1)\n"}

// BenchmarkTrivial measures the whole cost of one execution of a trivial
// task, one at a time, per backend: p50 and p99 in milliseconds.
func BenchmarkTrivial(b *testing.B) {
	for _, name := range []string{"local-fresh", "local-warm", "docker"} {
		b.Run(name, func(b *testing.B) {
			s := benchSandbox(b, name, 1)
			if r, err := s.Run(context.Background(), trivialJob); err != nil || r.Status != Pass {
				b.Fatalf("warm-up: %v %v", r.Status, err) // also starts a warm worker
			}
			durs := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r, err := s.Run(context.Background(), trivialJob)
				durs = append(durs, time.Since(start))
				if err != nil || r.Status != Pass {
					b.Fatalf("%v %v", r.Status, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(percentile(durs, 50), "p50_ms")
			b.ReportMetric(percentile(durs, 99), "p99_ms")
		})
	}
}

func percentile(d []time.Duration, p int) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return float64(s[i].Microseconds()) / 1000
}

// BenchmarkReferences runs the first $CCW_BENCH_TASKS (default 100)
// BigCodeBench reference solutions in fresh mode and in warm mode in one
// run, two at a time, and reports executions per second of each and their
// ratio ($CCW_BENCH_PRELOAD, comma-separated, replaces the modules the warm
// workers preload). Each task runs fresh and then warm back to back, so that the load
// of a shared machine weighs on both modes alike; a mode's rate is the
// number of tasks over its share of the wall time. Use -benchtime 1x.
func BenchmarkReferences(b *testing.B) {
	sandboxtest.NeedLibraries(b)
	tasks := sandboxtest.LoadTasks(b)
	n := 100
	if v, err := strconv.Atoi(os.Getenv("CCW_BENCH_TASKS")); err == nil && v > 0 {
		n = min(v, len(tasks))
	}
	tasks = tasks[:n]
	fresh := benchSandbox(b, "local-fresh", 2)
	warm := benchSandbox(b, "local-warm", 2)
	if p := os.Getenv("CCW_BENCH_PRELOAD"); p != "" {
		warm.cfg.Preload = strings.Split(p, ",") // before the workers start
	}
	// Start both warm workers outside the measurement.
	done := make(chan struct{})
	for i := 0; i < 2; i++ {
		go func() { warm.Run(context.Background(), trivialJob); done <- struct{}{} }()
	}
	<-done
	<-done
	var freshRate, warmRate float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		freshRate, warmRate = rates(b, fresh, warm, tasks)
	}
	b.StopTimer()
	b.ReportMetric(freshRate, "fresh_exec/s")
	b.ReportMetric(warmRate, "warm_exec/s")
	b.ReportMetric(warmRate/freshRate, "warm/fresh")
}

// rates runs every task on a and then on b, two tasks at a time, and
// returns each sandbox's executions per second over the time spent in it.
func rates(tb testing.TB, a, b *Sandbox, tasks []sandboxtest.Task) (float64, float64) {
	var mu sync.Mutex
	var inA, inB time.Duration
	work := make(chan sandboxtest.Task)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := range work {
				job := Job{Code: task.Reference(), Test: task.Test}
				da := timed(tb, a, job, task.ID)
				db := timed(tb, b, job, task.ID)
				mu.Lock()
				inA += da
				inB += db
				mu.Unlock()
			}
		}()
	}
	for _, task := range tasks {
		work <- task
	}
	close(work)
	wg.Wait()
	// Two tasks run at a time: the wall time of a mode is half its sum.
	return float64(len(tasks)) / (inA.Seconds() / 2), float64(len(tasks)) / (inB.Seconds() / 2)
}

func timed(tb testing.TB, s *Sandbox, job Job, id string) time.Duration {
	start := time.Now()
	if _, err := s.Run(context.Background(), job); err != nil {
		tb.Errorf("%s: %v", id, err)
	}
	return time.Since(start)
}
