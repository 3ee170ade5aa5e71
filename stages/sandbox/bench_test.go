package sandbox

import (
	"context"
	"os"
	"os/exec"
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
// BigCodeBench reference solutions, two at a time, in three modes: a fresh
// interpreter per run, warm workers as they were before they preloaded
// what tasks import (numpy, pandas, matplotlib: "before"), and warm
// workers as built. It reports executions per second of each, warm/fresh,
// and each mode's mean execution broken down (Phases: dispatch, fork,
// start, imports, tests, teardown, in ms), so that the next improvement
// knows where the time goes. Each task runs in every mode back to back, so
// that the load of a shared machine weighs on all alike; a mode's rate is
// the number of tasks over its share of the wall time. $CCW_BENCH_PRELOAD
// (comma-separated) replaces what the warm workers as built preload. Use
// -benchtime 1x.
func BenchmarkReferences(b *testing.B) {
	sandboxtest.NeedLibraries(b)
	tasks := sandboxtest.LoadTasks(b)
	n := 100
	if v, err := strconv.Atoi(os.Getenv("CCW_BENCH_TASKS")); err == nil && v > 0 {
		n = min(v, len(tasks))
	}
	tasks = tasks[:n]
	fresh := benchSandbox(b, "local-fresh", 2)
	before := benchSandbox(b, "local-warm", 2)
	before.cfg.Preload = []string{"numpy", "pandas", "matplotlib", "matplotlib.pyplot"}
	warm := benchSandbox(b, "local-warm", 2)
	if p := os.Getenv("CCW_BENCH_PRELOAD"); p != "" {
		warm.cfg.Preload = strings.Split(p, ",") // before the workers start
	}
	// Start the warm workers outside the measurement.
	for _, s := range []*Sandbox{before, warm} {
		done := make(chan struct{})
		for i := 0; i < 2; i++ {
			go func() { s.Run(context.Background(), trivialJob); done <- struct{}{} }()
		}
		<-done
		<-done
	}
	modes := []string{"fresh", "before", "warm"}
	var got []modeCost
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got = costs(b, []*Sandbox{fresh, before, warm}, tasks)
	}
	b.StopTimer()
	for i, m := range modes {
		b.ReportMetric(got[i].rate, m+"_exec/s")
		p := got[i].mean
		b.Logf("%-6s %.2f executions/s; mean execution %6.1f ms: dispatch %5.1f, fork %5.1f, start %5.1f, imports %6.1f, tests %6.1f, teardown %5.1f",
			m, got[i].rate, ms(p.Dispatch+p.Fork+p.Start+p.Imports+p.Tests+p.Teardown), ms(p.Dispatch), ms(p.Fork), ms(p.Start), ms(p.Imports), ms(p.Tests), ms(p.Teardown))
		for _, ph := range []struct {
			name string
			d    time.Duration
		}{{"dispatch", p.Dispatch}, {"fork", p.Fork}, {"start", p.Start}, {"imports", p.Imports}, {"tests", p.Tests}, {"teardown", p.Teardown}} {
			b.ReportMetric(ms(ph.d), m+"_"+ph.name+"_ms")
		}
	}
	b.ReportMetric(got[1].rate/got[0].rate, "before/fresh")
	b.ReportMetric(got[2].rate/got[0].rate, "warm/fresh")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// modeCost is what the tasks cost in one sandbox.
type modeCost struct {
	rate float64 // executions per second of its share of the wall time
	mean Phases  // the mean execution
}

// costs runs every task on each sandbox in turn, two tasks at a time.
func costs(tb testing.TB, sbs []*Sandbox, tasks []sandboxtest.Task) []modeCost {
	var mu sync.Mutex
	total := make([]time.Duration, len(sbs))
	sum := make([]Phases, len(sbs))
	work := make(chan sandboxtest.Task)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := range work {
				job := Job{Code: task.Reference(), Test: task.Test}
				for k, s := range sbs {
					r, d := timed(tb, s, job, task.ID)
					mu.Lock()
					total[k] += d
					p := &sum[k]
					p.Dispatch += r.Phases.Dispatch
					p.Fork += r.Phases.Fork
					p.Start += r.Phases.Start
					p.Imports += r.Phases.Imports
					p.Tests += r.Phases.Tests
					p.Teardown += r.Phases.Teardown
					mu.Unlock()
				}
			}
		}()
	}
	for _, task := range tasks {
		work <- task
	}
	close(work)
	wg.Wait()
	out := make([]modeCost, len(sbs))
	n := time.Duration(len(tasks))
	for k := range sbs {
		p := sum[k]
		// Two tasks run at a time: the wall time of a mode is half its sum.
		out[k] = modeCost{rate: float64(len(tasks)) / (total[k].Seconds() / 2),
			mean: Phases{p.Dispatch / n, p.Fork / n, p.Start / n, p.Imports / n, p.Tests / n, p.Teardown / n}}
	}
	return out
}

func timed(tb testing.TB, s *Sandbox, job Job, id string) (Result, time.Duration) {
	start := time.Now()
	r, err := s.Run(context.Background(), job)
	if err != nil {
		tb.Errorf("%s: %v", id, err)
	}
	return r, time.Since(start)
}

// floorScript runs trivialJob's test the way the harness does (one module,
// unittest), in a plain interpreter: the floor an execution cannot go below.
const floorScript = `import types, unittest
m = types.ModuleType("__test__")
exec(compile(CODE, "__test__.py", "exec"), m.__dict__)
r = unittest.TestResult()
unittest.TestLoader().loadTestsFromTestCase(m.TestCases).run(r)
assert r.wasSuccessful()
`

// BenchmarkOverhead measures one execution of a trivial task on each
// backend against a floor measured in the same run: the same test run by a
// plain python3 -I (no harness, no isolation, no limits). The floor and the
// backends take turns, $CCW_BENCH_ROUNDS times (default 20), so that the
// load of a shared machine weighs on all alike. It reports the floor's p50,
// each backend's p50 and its overhead over the floor (ms), and warm/fresh,
// the speedup of warm workers on this task.
func BenchmarkOverhead(b *testing.B) {
	sandboxtest.NeedPython(b)
	rounds := 20
	if v, err := strconv.Atoi(os.Getenv("CCW_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	script := strings.Replace(floorScript, "CODE", strconv.Quote(trivialJob.Code+"\n"+trivialJob.Test), 1)
	floor := func() time.Duration {
		start := time.Now()
		if out, err := exec.Command(sandboxtest.Python, "-I", "-c", script).CombinedOutput(); err != nil {
			b.Fatalf("floor: %v: %s", err, out)
		}
		return time.Since(start)
	}
	var names []string
	sbs := map[string]*Sandbox{}
	for _, be := range sandboxtest.Backends {
		if be.Name == "docker" && exec.Command("docker", "image", "inspect", sandboxtest.DockerImage).Run() != nil {
			b.Logf("docker: no engine or image, left out")
			continue
		}
		s := benchSandbox(b, be.Name, 1)
		if r, err := s.Run(context.Background(), trivialJob); err != nil || r.Status != Pass {
			b.Fatalf("%s warm-up: %v %v", be.Name, r.Status, err) // also starts a warm worker
		}
		names, sbs[be.Name] = append(names, be.Name), s
	}
	durs := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		durs["floor"] = append(durs["floor"], floor())
		for _, n := range names {
			start := time.Now()
			r, err := sbs[n].Run(context.Background(), trivialJob)
			durs[n] = append(durs[n], time.Since(start))
			if err != nil || r.Status != Pass {
				b.Fatalf("%s: %v %v", n, r.Status, err)
			}
		}
	}
	b.StopTimer()
	f := percentile(durs["floor"], 50)
	b.ReportMetric(f, "floor_p50_ms")
	for _, n := range names {
		p := percentile(durs[n], 50)
		b.ReportMetric(p, n+"_p50_ms")
		b.ReportMetric(p-f, n+"_overhead_ms")
	}
	if len(durs["local-warm"]) > 0 {
		b.ReportMetric(percentile(durs["local-fresh"], 50)/percentile(durs["local-warm"], 50), "warm/fresh")
	}
}

// floodJob reports 10 tests of 110 failing subtests with 33,000-character
// messages: 6 bytes each on the channel (JSON escapes), far past output_kill.
var floodJob = Job{Code: "", Test: suiteHead + "    pass\ndef _many(self):\n    for i in range(110):\n" +
	"        with self.subTest(i=i): self.fail('\\u00e9' * 33000)\nfor _i in range(10):\n    setattr(TestCases, 'test_%02d' % _i, _many)\n"}

// BenchmarkFlood reports the peak memory of this process (as ccw) while one
// local run floods its result channel: it must stay under 256 MiB.
func BenchmarkFlood(b *testing.B) {
	s := benchSandbox(b, "local-fresh", 1)
	var peak int64
	for i := 0; i < b.N; i++ {
		sandboxtest.ResetPeakMemory(b)
		r, err := s.Run(context.Background(), floodJob)
		if err != nil {
			b.Fatal(err)
		}
		if r.Status != Killed || r.Limit != "output" {
			b.Fatalf("the flood ended %s (limit %q), want killed at the output limit", r.Status, r.Limit)
		}
		peak = max(peak, sandboxtest.PeakMemory(b))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak_MiB")
}
