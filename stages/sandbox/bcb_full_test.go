package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// TestBigCodeBenchAll runs all 1140 reference solutions on each backend
// named in $CCW_BCB_FULL (comma-separated: local-fresh, local-warm, docker)
// with the default limits and 2 slots, as BigCodeBench's evaluator ran with
// 2 workers, and compares every status with that evaluator's. It writes one
// TSV per backend and a summary into $CCW_BCB_OUT (default: a temp dir,
// logged). It takes about 10 to 30 minutes per backend; run it under nice.
// $CCW_BCB_MATCH (a regular expression over solution and test) and
// $CCW_BCB_LIMIT (the first N) select fewer tasks.
func TestBigCodeBenchAll(t *testing.T) {
	modes := os.Getenv("CCW_BCB_FULL")
	if modes == "" {
		t.Skip("set CCW_BCB_FULL=local-fresh,local-warm,docker to run all 1140 references")
	}
	sandboxtest.NeedLibraries(t)
	tasks := sandboxtest.LoadTasks(t)
	if re := os.Getenv("CCW_BCB_MATCH"); re != "" {
		m := regexp.MustCompile(re)
		var keep []sandboxtest.Task
		for _, task := range tasks {
			if m.MatchString(task.Reference() + task.Test) {
				keep = append(keep, task)
			}
		}
		tasks = keep
	}
	if n := os.Getenv("CCW_BCB_LIMIT"); n != "" {
		var k int
		fmt.Sscan(n, &k)
		if k > 0 && k < len(tasks) {
			tasks = tasks[:k]
		}
	}
	want := sandboxtest.LoadVerdicts(t, "reference-run-bcb-evaluator-v0.1.0_hf.tsv")
	out := os.Getenv("CCW_BCB_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	all := map[string]map[string]Result{}
	var names []string
	var summary strings.Builder
	for _, name := range strings.Split(modes, ",") {
		b := sandboxtest.BackendNamed(strings.TrimSpace(name))
		b.Need(t)
		c, err := ConfigFromValue(body(b.Attrs))
		if err != nil {
			t.Fatal(err)
		}
		c.Slots = 2
		s := New(b.Name, c)
		start := time.Now()
		results := runAll(t, s, tasks)
		wall := time.Since(start)
		s.Close()
		all[b.Name] = results
		names = append(names, b.Name)
		writeVerdicts(t, filepath.Join(out, b.Name+".tsv"), tasks, results)
		agree, diffs := compare(tasks, results, want)
		fmt.Fprintf(&summary, "%s: %d tasks in %s (%.2f executions/s), %d agree with BigCodeBench's evaluator, %d differ: %s\n",
			b.Name, len(tasks), wall.Round(time.Second), float64(len(tasks))/wall.Seconds(), agree, len(diffs), strings.Join(diffs, ", "))
	}
	// Backends against each other.
	for i := 0; i < len(names); i++ {
		for j := i + 1; j < len(names); j++ {
			var diffs []string
			for _, task := range tasks {
				a, b := all[names[i]][task.ID], all[names[j]][task.ID]
				if a.Status != b.Status {
					diffs = append(diffs, fmt.Sprintf("%s (%s vs %s)", task.ID, a.Status, b.Status))
				}
			}
			fmt.Fprintf(&summary, "%s vs %s: %d differ: %s\n", names[i], names[j], len(diffs), strings.Join(diffs, ", "))
		}
	}
	os.WriteFile(filepath.Join(out, "summary.txt"), []byte(summary.String()), 0o644)
	t.Logf("results in %s\n%s", out, summary.String())
}

func runAll(t *testing.T, s *Sandbox, tasks []sandboxtest.Task) map[string]Result {
	var mu sync.Mutex
	results := map[string]Result{}
	var wg sync.WaitGroup
	work := make(chan sandboxtest.Task)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := range work {
				r, err := s.Run(context.Background(), Job{Code: task.Reference(), Test: task.Test})
				if err != nil {
					t.Errorf("%s: %v", task.ID, err)
					continue
				}
				mu.Lock()
				results[task.ID] = r
				mu.Unlock()
			}
		}()
	}
	for _, task := range tasks {
		work <- task
	}
	close(work)
	wg.Wait()
	return results
}

// compare counts agreements with the evaluator and describes differences.
func compare(tasks []sandboxtest.Task, got map[string]Result, want map[string]sandboxtest.Verdict) (int, []string) {
	agree := 0
	var diffs []string
	for _, task := range tasks {
		r := got[task.ID]
		if string(r.Status) == want[task.ID].Status {
			agree++
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s (%s%s, evaluator %s)", task.ID, r.Status, limitNote(r), want[task.ID].Status))
	}
	return agree, diffs
}

func limitNote(r Result) string {
	note := ""
	if r.Limit != "" {
		note = "/" + r.Limit
	}
	if r.Reason != "" {
		note += ": " + r.Reason
	}
	return note
}

func writeVerdicts(t *testing.T, path string, tasks []sandboxtest.Task, results map[string]Result) {
	var b strings.Builder
	b.WriteString("task_id\tstatus\tlimit\tn_tests\tn_failed\twall_s\tfirst_failure\treason\n")
	for _, task := range tasks {
		r := results[task.ID]
		var failed []string
		for name := range r.Details() {
			failed = append(failed, name)
		}
		sort.Strings(failed)
		first := ""
		if len(failed) > 0 {
			first = failed[0] + ": " + lastLine(r.Details()[failed[0]])
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%d\t%d\t%.3f\t%s\t%s\n", task.ID, r.Status, r.Limit, len(r.Tests), len(failed), r.Duration.Seconds(), first, strings.ReplaceAll(r.Reason, "\t", " "))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.ReplaceAll(lines[len(lines)-1], "\t", " ")
	if len(l) > 160 {
		l = l[:160]
	}
	return l
}
