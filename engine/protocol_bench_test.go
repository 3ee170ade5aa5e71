package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/builtin"
	"github.com/ccw-dev/ccw/stages/extract"
	"github.com/ccw-dev/ccw/stages/pytool"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/tasks"
	"github.com/zclconf/go-cty/cty"
)

// The protocol sweep runs the real convcodeworld protocol file (every
// stage kind real but the four that need the sandbox's Python, which are
// replaced by in-process stand-ins with the same kinds and types) on
// synthetic tasks the size of BigCodeBench, with mock models: it measures
// what the engine itself costs at the scale of a full 1140 x 9 x 10
// sweep, and compares ccw's schedule with the original's (one turn of all
// tasks at a time, solved code executed again every turn).

// protoTasks are n synthetic BigCodeBench-shaped tasks; the class marker
// in a task's statement decides how the mock coder answers.
type protoTasks struct{ n int }

func (protoTasks) Schema() stages.Schema { return nil }
func (protoTasks) Type(cty.Value) (cty.Type, error) {
	return (&tasks.Set{}).Type(), nil
}
func (p protoTasks) Load(context.Context, cty.Value, bool) (*stages.TaskSet, error) {
	set := &stages.TaskSet{Source: "synthetic", Digest: "sha256:synthetic"}
	for i := 0; i < p.n; i++ {
		id := fmt.Sprintf("P/%d", i)
		f := map[string]string{
			"task_id":            id,
			"instruct_prompt":    fmt.Sprintf("Task %d of class CLASS%d: compute something.\nYou should write self-contained code starting with:\n```\nimport math\ndef task_func(x):\n```", i, i%6),
			"code_prompt":        "import math\ndef task_func(x):\n",
			"complete_prompt":    "import math\ndef task_func(x):\n    \"\"\"doc\"\"\"\n",
			"canonical_solution": "    return x  # RIGHT\n",
			"test":               fmt.Sprintf("import unittest\n# task %d\nclass TestCases(unittest.TestCase):\n    def setUp(self):\n        pass\n    def test_a(self):\n        pass\n    def test_b(self):\n        pass\n", i),
			"entry_point":        "task_func",
			"doc_struct":         "{}",
			"libs":               "['math']",
		}
		set.IDs = append(set.IDs, id)
		set.Values = append(set.Values, tasks.Task{ID: id, Fields: f}.Value())
	}
	return set, nil
}

// standIn is an in-process stage kind with a real kind's name and types.
type standIn struct {
	kind, cacheType string
	schema          stages.Schema
	out             cty.Type
	fn              func(cfg cty.Value) cty.Value
	calls           atomic.Int64
}

func (s *standIn) Kind() string          { return s.kind }
func (s *standIn) CacheType() string     { return s.cacheType }
func (s *standIn) Config() stages.Schema { return s.schema }
func (s *standIn) Output() cty.Type      { return s.out }
func (s *standIn) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	s.calls.Add(1)
	return s.fn(in.Config), nil
}

// protocolSet is the built-in set with the sandbox-backed kinds replaced.
func protocolSet(n int) (*stages.Set, *standIn) {
	real := builtin.Registry(builtin.Options{})
	set := stages.NewSet()
	set.Blocks, set.Functions, set.Metrics = real.Blocks, real.Functions, real.Metrics
	set.Tasks = protoTasks{n: n}
	str := func(cfg cty.Value, name string) string {
		v := cfg.GetAttr(name)
		if v.IsNull() {
			return ""
		}
		return v.AsString()
	}
	exec := &standIn{kind: "execute", cacheType: "ccw.bench.execute.v1", out: sandbox.ResultType,
		schema: mustRunner(real, "execute").Config(),
		fn: func(cfg cty.Value) cty.Value {
			code := str(cfg, "code")
			r := sandbox.Result{Status: sandbox.Fail, Tests: []sandbox.TestResult{
				{Name: "test_a", Status: "fail", Message: "Traceback (most recent call last):\n  File \"__test__.py\", line 9, in test_a\nAssertionError: " + strings.Repeat("x", 600)},
				{Name: "test_b", Status: "error", Message: "Traceback (most recent call last):\nValueError: bad"},
			}}
			switch {
			case strings.Contains(code, "def task_func(:"):
				r = sandbox.Result{Status: sandbox.Fail, Tests: []sandbox.TestResult{{Name: "ALL", Status: "error", Message: "invalid syntax (__test__.py, line 2)"}}}
			case strings.Contains(code, "RIGHT"):
				r = sandbox.Result{Status: sandbox.Pass, Tests: []sandbox.TestResult{{Name: "test_a", Status: "pass"}, {Name: "test_b", Status: "pass"}}}
			}
			r.Duration = 400 * time.Millisecond
			return r.Value()
		}}
	compile := &standIn{kind: "compile", cacheType: "ccw.bench.compile.v1", out: pytool.CompileOutput,
		schema: mustRunner(real, "compile").Config(),
		fn: func(cfg cty.Value) cty.Value {
			ok, fb := true, pytool.Sentinel
			if strings.Contains(str(cfg, "code"), "def task_func(:") {
				ok, fb = false, "Traceback (most recent call last):\n  File \"tmp.py\", line 1\nSyntaxError: invalid syntax\n"
			}
			return cty.ObjectVal(map[string]cty.Value{"ok": cty.BoolVal(ok), "feedback": cty.StringVal(fb), "limit": cty.StringVal("")})
		}}
	sanitize := &standIn{kind: "sanitize", cacheType: "ccw.bench.sanitize.v1", out: pytool.SanitizeOutput,
		schema: mustRunner(real, "sanitize").Config(),
		fn: func(cfg cty.Value) cty.Value {
			r := extract.Code(str(cfg, "code"), false)
			return cty.ObjectVal(map[string]cty.Value{"code": cty.StringVal(r.Code), "changed": cty.True, "found": cty.BoolVal(r.HasCode), "limit": cty.StringVal("")})
		}}
	methods := &standIn{kind: "test_methods", cacheType: "ccw.bench.test_methods.v1", out: pytool.TestMethodsOutput,
		schema: mustRunner(real, "test_methods").Config(),
		fn: func(cty.Value) cty.Value {
			return cty.ObjectVal(map[string]cty.Value{"names": cty.ListVal([]cty.Value{cty.StringVal("setUp"), cty.StringVal("test_a"), cty.StringVal("test_b")})})
		}}
	for _, name := range real.Runners.List() {
		switch name {
		case "execute", "compile", "sanitize", "test_methods":
			continue
		}
		set.AddRunner(mustRunner(real, name))
	}
	for _, s := range []*standIn{exec, compile, sanitize, methods} {
		set.AddRunner(s)
	}
	return set, exec
}

func mustRunner(set *stages.Set, kind string) stages.Runner {
	r, ok := set.Runners.Get(kind)
	if !ok {
		panic("no stage kind " + kind)
	}
	return r
}

// protocolSweep is the experiment file: the quickstart's mock models,
// keyed on the synthetic tasks' class markers.
const protocolSweep = `
variable "schedule" {
  type    = string
  default = "ccw"
}
tasks "t" {}
sandbox "py" {}
locals {
  right  = "Code: ` + "```python\\nimport math\\ndef task_func(x):\\n    return x  # RIGHT\\n```" + `"
  wrong  = "Code: ` + "```python\\nimport math\\ndef task_func(x):\\n    return None\\n```" + `"
  broken = "Code: ` + "```python\\ndef task_func(:\\n    return\\n```" + `"
}
model "coder" {
  provider = "mock"
  name     = "sweep-coder"
  mock = [
    { match = "(?s)CLASS4.*(SyntaxError|invalid syntax)", reply = local.right },
    { match = "(?s)CLASS4.*(Traceback|EXPERT|NOVICE)", reply = local.broken },
    { match = "(?s)^Solve the following.*CLASS0", reply = local.right },
    { match = "(?s)CLASS1.*Traceback", reply = local.right },
    { match = "(?s)CLASS2.*EXPERT", reply = local.right },
    { match = "(?s)CLASS3.*NOVICE", reply = local.right },
  ]
  mock_default = local.wrong
}
model "user" {
  provider     = "mock"
  name         = "sweep-user"
  mock         = [{ match = "Ground Truth Code", reply = "User Feedback: EXPERT: look at the return value." }]
  mock_default = "User Feedback: NOVICE: it fails for me."
}
experiment "sweep" {
  protocol  = "convcodeworld"
  tasks     = tasks.t
  coder     = model.coder
  simulator = model.user
  sandbox   = sandbox.py
  schedule  = var.schedule
}
`

// sweepOutcome is what one protocol run cost.
type sweepOutcome struct {
	wall             time.Duration
	vertices         int
	executions, rows int64
	calls            int
	peakMiB, liveMiB float64
}

func runProtocolSweep(b *testing.B, n int, schedule string, barrier bool) sweepOutcome {
	set, exec := protocolSet(n)
	p := pipelines.NewParser(Vocabulary(set))
	cfg, diags := p.LoadSource("sweep.hcl", []byte(protocolSweep))
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	scope, diags := p.Evaluate(cfg, map[string]string{"schedule": schedule})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	plan, diags := Compile(cfg, scope, set)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	defer plan.Close()
	c, err := cache.Open(b.TempDir(), cache.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	runtime.GC()
	var peak, live uint64
	stop := sampleHeap(&peak)
	stopLive := sampleMetric("/gc/heap/live:bytes", &live)
	start := time.Now()
	if path := os.Getenv("CCW_BENCH_HEAPPROF"); path != "" && schedule == "ccw" {
		runtime.MemProfileRate = 64 << 10
		after, _ := time.ParseDuration(os.Getenv("CCW_BENCH_HEAPPROF_AFTER"))
		go func() {
			time.Sleep(after)
			f, err := os.Create(path)
			if err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	par := 0
	fmt.Sscan(os.Getenv("CCW_BENCH_PAR"), &par)
	res, err := Run(context.Background(), plan, RunOptions{Cache: c, Out: b.TempDir(), TurnBarrier: barrier, Parallelism: par})
	wall := time.Since(start)
	stop()
	stopLive()
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Errors) > 0 {
		b.Fatalf("%d errors, first: %v", len(res.Errors), res.Errors[0])
	}
	return sweepOutcome{wall: wall, vertices: res.Summary.Vertices, executions: exec.calls.Load(), rows: int64(len(res.Rows)),
		calls: len(res.Calls), peakMiB: float64(peak) / (1 << 20), liveMiB: float64(live) / (1 << 20)}
}

// BenchmarkProtocolSweep runs the convcodeworld protocol on 1140 synthetic
// tasks x 9 combinations x 10 turns (-short: 114), as ccw schedules it and
// as the original does, in one run, and reports vertices, executions,
// model calls, wall time and peak memory of each, with their ratios.
// Target: under 2 GiB peak for the full sweep; at most a third of the
// original schedule's executions.
//
//	go test -run '^$' -bench ProtocolSweep -benchtime 1x ./engine
func BenchmarkProtocolSweep(b *testing.B) {
	n := 1140
	if testing.Short() {
		n = 114
	}
	if s := os.Getenv("CCW_BENCH_SWEEP_TASKS"); s != "" {
		fmt.Sscan(s, &n)
	}
	for i := 0; i < b.N; i++ {
		ccw := runProtocolSweep(b, n, "ccw", false)
		orig := runProtocolSweep(b, n, "original", true)
		b.Logf("%d tasks x 9 combinations x 10 turns", n)
		for _, o := range []struct {
			name string
			o    sweepOutcome
		}{{"ccw", ccw}, {"original schedule", orig}} {
			b.Logf("  %-18s %8d vertices  %7d executions  %7d model calls  %7d rows  wall %7s  peak %6.0f MiB (live heap %4.0f MiB)",
				o.name, o.o.vertices, o.o.executions, o.o.calls, o.o.rows, o.o.wall.Round(time.Millisecond), o.o.peakMiB, o.o.liveMiB)
		}
		b.ReportMetric(float64(ccw.executions), "executions")
		b.ReportMetric(float64(orig.executions)/float64(ccw.executions), "x-fewer-executions")
		b.ReportMetric(float64(orig.calls)/float64(ccw.calls), "x-fewer-calls")
		b.ReportMetric(orig.wall.Seconds()/ccw.wall.Seconds(), "x-faster-walk")
		b.ReportMetric(ccw.peakMiB, "peak-MiB")
		b.ReportMetric(orig.peakMiB, "peak-MiB-original")
	}
}
