package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages"
	"github.com/zclconf/go-cty/cty"
)

// sweepTasks is a task source of n synthetic tasks.
type sweepTasks struct{ n int }

func (s sweepTasks) Schema() stages.Schema { return nil }
func (s sweepTasks) Type(cty.Value) (cty.Type, error) {
	return fakeTaskType, nil
}
func (s sweepTasks) Load(context.Context, cty.Value, bool) (*stages.TaskSet, error) {
	set := &stages.TaskSet{Source: "synthetic", Digest: "sha256:synthetic"}
	for i := 0; i < s.n; i++ {
		id := fmt.Sprintf("S/%d", i)
		set.IDs = append(set.IDs, id)
		set.Values = append(set.Values, cty.ObjectVal(map[string]cty.Value{"task_id": cty.StringVal(id), "text": cty.StringVal(id)}))
	}
	return set, nil
}

// step is a cheap stage: text -> text + "."
type step struct{ calls atomic.Int64 }

func (*step) Kind() string      { return "step" }
func (*step) CacheType() string { return "ccw.bench.step.v1" }
func (*step) Config() stages.Schema {
	return stages.Schema{{Name: "text", Type: cty.String, Required: true}}
}
func (*step) Output() cty.Type { return textObj }
func (s *step) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	s.calls.Add(1)
	return cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(in.Config.GetAttr("text").AsString() + ".")}), nil
}

// sweepPipeline is a chain of turns x stages per task: a full sweep
// (1140 tasks x 9 combinations = 10260 units, 11 turns x 5 stages) unrolled.
func sweepPipeline(turns, perTurn int) string {
	var b strings.Builder
	b.WriteString("tasks \"t\" {}\nexperiment \"sweep\" {\n  tasks = tasks.t\n")
	prev := "task.text"
	for t := 0; t < turns; t++ {
		for k := 0; k < perTurn; k++ {
			name := fmt.Sprintf("t%d_s%d", t, k)
			fmt.Fprintf(&b, "  stage \"step\" %q {\n    text = %s\n  }\n", name, prev)
			prev = "step." + name + ".text"
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// BenchmarkSweepCached walks a synthetic DAG the size of a full
// ConvCodeWorld sweep (1140 x 9 x 11 x 5 = 564,300 vertices) with every
// result already in the on-disk cache, through the real compile, key,
// cache and walk code. Target: < 5 s and < 1 GiB on 2 cores.
//
//	go test -run '^$' -bench SweepCached -benchtime 1x ./engine
func BenchmarkSweepCached(b *testing.B) {
	units, turns, perTurn := 1140*9, 11, 5
	if testing.Short() {
		units = 1140
	}
	st := &step{}
	set := stages.NewSet()
	set.AddRunner(st)
	set.Tasks = sweepTasks{n: units}
	p := pipelines.NewParser(Vocabulary(set))
	cfg, diags := p.LoadSource("sweep.hcl", []byte(sweepPipeline(turns, perTurn)))
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	scope, _ := p.Evaluate(cfg, nil)
	plan, diags := Compile(cfg, scope, set)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	c, err := cache.Open(b.TempDir(), cache.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	opts := RunOptions{Cache: c, Out: b.TempDir(), DryRun: true}
	opts.DryRun = false
	fill := time.Now()
	if _, err := Run(context.Background(), plan, opts); err != nil {
		b.Fatal(err)
	}
	fillTime := time.Since(fill)
	b.Logf("filled the cache with %d results in %s", units*turns*perTurn, fillTime.Round(time.Millisecond))
	vertices := units * turns * perTurn
	if got := st.calls.Load(); got != int64(units*turns*perTurn) {
		b.Fatalf("filling ran %d stages, want %d", got, vertices)
	}
	// Walk from a freshly opened cache, as a second `ccw run` would.
	c.Close()
	if c, err = cache.Open(c.Root(), cache.Options{}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	opts.Cache = c
	runtime.GC()
	before := st.calls.Load()

	if p := os.Getenv("CCW_BENCH_PROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	var peak uint64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		stop := sampleHeap(&peak)
		res, err := Run(context.Background(), plan, opts)
		stop()
		if err != nil {
			b.Fatal(err)
		}
		if res.Summary.Cached != vertices {
			b.Fatalf("cached %d of %d", res.Summary.Cached, vertices)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.Logf("walked %d cached vertices in %s", vertices, (b.Elapsed() / time.Duration(b.N)).Round(time.Millisecond))
	if st.calls.Load() != before {
		b.Fatalf("a cached walk ran %d stages", st.calls.Load()-before)
	}
	perWalk := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(vertices), "vertices")
	b.ReportMetric(perWalk.Seconds(), "s/walk")
	b.ReportMetric(float64(perWalk.Nanoseconds())/float64(vertices), "ns/vertex")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/walk")
	b.ReportMetric(fillTime.Seconds()/perWalk.Seconds(), "x-faster-than-fill")
}

// sampleHeap records the peak of Go's total mapped memory while a walk
// runs; it returns a function that stops sampling.
func sampleHeap(peak *uint64) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// sampleMetric records the peak of one runtime metric while a walk runs.
func sampleMetric(name string, peak *uint64) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: name}}
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > *peak {
				*peak = s[0].Value.Uint64()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
