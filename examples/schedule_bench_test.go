package examples_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// scheduleOutcome is what one run of the live protocol cost.
type scheduleOutcome struct {
	wall              time.Duration
	executions, calls int
	requests          int64
	peakRSS           int64 // KiB, of the ccw process
}

// runSchedule runs examples/convcodeworld.hcl on BigCodeBench's first n
// Hard tasks against the scripted servers, with a fresh cache.
func runSchedule(b *testing.B, n int, extra ...string) scheduleOutcome {
	tasks := loadBCB(b, true)
	if n < len(tasks) {
		tasks = tasks[:n]
	}
	sc := newScripted(tasks)
	coder, user := llmtest.New(), llmtest.New()
	defer coder.Close()
	defer user.Close()
	coder.Answer, user.Answer = sc.answer, sc.answer
	dir := b.TempDir()
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	taskFile := filepath.Join(dir, "tasks.jsonl")
	writeSubset(b, taskFile, ids)
	args := append([]string{"run", "convcodeworld.hcl", "--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "out"),
		"--var", "coder_url=" + coder.BaseURL(), "--var", "coder_model=scripted-coder",
		"--var", "user_url=" + user.BaseURL(), "--var", "user_model=scripted-user",
		"--var", "tasks=" + taskFile}, extra...)
	cmd := exec.Command(ccwBin, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	peak, err := runPeak(cmd)
	if err != nil {
		b.Fatalf("ccw %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	o := scheduleOutcome{wall: time.Since(start), requests: coder.Requests() + user.Requests(), peakRSS: peak >> 10}
	run, err := schemas.ReadRun(filepath.Join(dir, "out"))
	if err != nil {
		b.Fatal(err)
	}
	for label, c := range run.Summary.Stages {
		if strings.HasPrefix(label, "execute.") {
			o.executions += c["ran"]
		}
	}
	calls, err := schemas.Calls.Read(filepath.Join(dir, "out", "calls.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	o.calls = len(calls.([]schemas.Call))
	return o
}

// writeSubset writes the BigCodeBench records of ids as a jsonl task file.
func writeSubset(b *testing.B, path string, ids []string) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	lines, err := bcbLines(testenv.SharedData(b))
	if err != nil {
		b.Fatal(err)
	}
	var kept []string
	for _, l := range lines {
		if want[l.id] {
			kept = append(kept, l.raw)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSchedules runs the live protocol on the same scripted workload
// (the first CCW_BENCH_TASKS Hard tasks, default 40; real execution) as
// ccw schedules it and as the original does (one turn of all tasks at a
// time, solved code executed again every turn), one after the other, and
// reports wall time, executions, model calls and the ccw process's peak
// memory of each, with the ratios. Targets: at most a third of the
// original schedule's executions and half its wall time.
//
//	go test -run '^$' -bench Schedules -benchtime 1x ./examples
func BenchmarkSchedules(b *testing.B) {
	n := 40
	if s := os.Getenv("CCW_BENCH_TASKS"); s != "" {
		fmt.Sscan(s, &n)
	}
	for i := 0; i < b.N; i++ {
		ccw := runSchedule(b, n)
		orig := runSchedule(b, n, "--var", "schedule=original", "--turn-barrier")
		b.Logf("%d Hard tasks x 9 combinations x 10 turns, real execution", n)
		for _, r := range []struct {
			name string
			o    scheduleOutcome
		}{{"ccw", ccw}, {"original schedule", orig}} {
			b.Logf("  %-18s wall %8s  %5d executions  %5d model calls (%d requests)  peak RSS %4d MiB",
				r.name, r.o.wall.Round(time.Millisecond), r.o.executions, r.o.calls, r.o.requests, r.o.peakRSS/1024)
		}
		b.ReportMetric(orig.wall.Seconds()/ccw.wall.Seconds(), "x-faster")
		b.ReportMetric(float64(orig.executions)/float64(max(1, ccw.executions)), "x-fewer-executions")
		b.ReportMetric(float64(ccw.executions), "executions")
		b.ReportMetric(float64(orig.executions), "executions-original")
		b.ReportMetric(float64(ccw.peakRSS)/1024, "peak-RSS-MiB")
	}
}
