package examples_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// runCost is what one run took: wall time, executions of generated code
// (execute stage instances that ran), and model calls to the coder and to
// the simulated user.
type runCost struct {
	wall                 time.Duration
	executions           int
	coderCalls, simCalls int64
}

// measure runs ccw with args and reads what the run cost from its
// run.json and the servers' request counters.
func measure(b testing.TB, out string, coder, user *llmtest.Server, args ...string) runCost {
	b.Helper()
	c0, u0 := coder.Requests(), user.Requests()
	start := time.Now()
	ccw(b, nil, 0, args...)
	cost := runCost{wall: time.Since(start), coderCalls: coder.Requests() - c0, simCalls: user.Requests() - u0}
	run, err := schemas.ReadRun(out)
	if err != nil {
		b.Fatal(err)
	}
	for stage, counts := range run.Summary.Stages {
		if strings.HasPrefix(stage, "execute.") {
			cost.executions += counts["ran"]
		}
	}
	return cost
}

// BenchmarkConvCodeBenchVsLive measures, in one run, a static
// (ConvCodeBench) run of a scripted coder against the live
// (ConvCodeWorld) run of the same coder it replaces, on the five
// combinations with verbal feedback, each from an empty cache: wall
// time, executions and model calls, and their ratios. The reference is a
// live run of another scripted coder. BigCodeBench's 148 Hard tasks
// (CCW_BENCH_TASKS=mini: ccw's 17 mini tasks, full: all 1140). The
// scripted models answer at once unless CCW_BENCH_LATENCY (a Go
// duration, e.g. 2s) delays every answer, as a real endpoint does.
//
//	CCW_SHARED_DATA=../../shared/data go test ./examples -run '^$' -bench ConvCodeBenchVsLive -benchtime 1x
func BenchmarkConvCodeBenchVsLive(b *testing.B) {
	needPython(b)
	var tasks []bcbTask
	var taskVars []string
	switch os.Getenv("CCW_BENCH_TASKS") {
	case "mini":
		path, _ := filepath.Abs("tasks/ccw-mini.jsonl")
		tasks, taskVars = loadTaskFile(b, path), []string{"--var", "tasks=" + path, "--var", "timeout=10s"}
	case "full":
		tasks = loadBCB(b, false)
		taskVars = []string{"--var", "tasks=" + filepath.Join(testenv.SharedData(b), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz"), "--var", "subset=full"}
	default:
		tasks = loadBCB(b, true)
		taskVars = []string{"--var", "tasks=" + filepath.Join(testenv.SharedData(b), "bigcodebench", "BigCodeBench-v0.1.0_hf.jsonl.gz"), "--var", "subset=hard"}
	}
	var latency time.Duration
	if v := os.Getenv("CCW_BENCH_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("CCW_BENCH_LATENCY=%q: %v", v, err)
		}
		latency = d
	}
	combos, _ := json.Marshal(staticCombinations)
	for range b.N {
		dir := b.TempDir()
		scA, scB := newScripted(tasks), newScripted(tasks)
		for k, c := range scB.class {
			scB.class[k] = (c + 3) % nClasses
		}
		coderA, coderB, user := llmtest.New(), llmtest.New(), llmtest.New()
		coderA.Answer, coderB.Answer, user.Answer = scA.answer, scB.answer, scA.answer
		coderB.Latency, user.Latency = latency, latency
		live := func(coder *llmtest.Server, name, cache, out string) []string {
			return append([]string{"run", "convcodeworld.hcl", "--cache", cache, "--out", out,
				"--var", "coder_url=" + coder.BaseURL(), "--var", "coder_model=" + name,
				"--var", "user_url=" + user.BaseURL(), "--var", "user_model=scripted-user",
				"--var", "combinations=" + string(combos)}, taskVars...)
		}
		ref := filepath.Join(dir, "reference")
		b.StopTimer()
		ccw(b, nil, 0, live(coderA, "scripted-coder", filepath.Join(dir, "cache-ref"), ref)...)
		b.StartTimer()
		liveOut, staticOut := filepath.Join(dir, "live"), filepath.Join(dir, "static")
		l := measure(b, liveOut, coderB, user, live(coderB, "scripted-static", filepath.Join(dir, "cache-live"), liveOut)...)
		s := measure(b, staticOut, coderB, user, append([]string{"run", "convcodebench.hcl", "--cache", filepath.Join(dir, "cache-static"),
			"--out", staticOut, "--var", "reference=" + ref, "--var", "coder_url=" + coderB.BaseURL(), "--var", "coder_model=scripted-static"}, taskVars...)...)
		coderA.Close()
		coderB.Close()
		user.Close()
		if s.simCalls != 0 {
			b.Fatalf("the static run called the simulated user %d times", s.simCalls)
		}
		b.Logf("%d tasks x %d combinations, model latency %v: live %v, %d executions, %d coder + %d simulator calls; static %v, %d executions, %d coder calls",
			len(tasks), len(staticCombinations), latency, l.wall.Round(time.Millisecond), l.executions, l.coderCalls, l.simCalls,
			s.wall.Round(time.Millisecond), s.executions, s.coderCalls)
		b.ReportMetric(s.wall.Seconds()/l.wall.Seconds(), "static/live_wall")
		b.ReportMetric(float64(s.executions)/float64(l.executions), "static/live_execs")
		b.ReportMetric(float64(s.coderCalls+s.simCalls)/float64(l.coderCalls+l.simCalls), "static/live_calls")
		b.ReportMetric(float64(l.simCalls), "live_sim_calls")
		b.ReportMetric(float64(s.coderCalls), "static_calls")
	}
}
