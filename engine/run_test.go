package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

const pipeline = `
variable "texts" {
  type    = list(string)
  default = ["ok one", "bad two", "ok one", "bad three"]
}
variable "suffix" {
  type    = string
  default = ""
}
tasks "t" {
  texts = var.texts
}
experiment "e" {
  tasks   = tasks.t
  exclude = ["T/3"]
  stage "upper" "code" {
    text   = task.text
    suffix = var.suffix
  }
  stage "execute" "run" {
    code = lower(upper.code.text)
  }
  stage "score" "turn" {
    execution = execute.run
    code      = upper.code.text
  }
}
`

func TestRunCachesAndResumes(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)

	res := f.run(t, plan, RunOptions{})
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	// Tasks 0 and 2 are identical: computed once (single-flight or cache).
	assertEqual(t, "upper calls", int(f.upper.total.Load()), 3)
	assertEqual(t, "execute calls", int(f.exec.total.Load()), 3)
	assertEqual(t, "rows", len(res.Rows), 4)
	assertEqual(t, "statuses", res.Summary.Statuses, map[string]int{"pass": 2, "fail": 1})
	assertEqual(t, "complete", res.Summary.Complete, true)
	if !res.Rows[3].Excluded || res.Rows[0].Excluded {
		t.Fatalf("exclusion not applied: %+v", res.Rows)
	}
	if res.Rows[0].ExecKey == "" || res.Rows[0].ExecKey != res.Rows[2].ExecKey {
		t.Fatalf("exec keys: %q %q", res.Rows[0].ExecKey, res.Rows[2].ExecKey)
	}

	// Second run: nothing executes, everything is cached, same rows.
	res2 := f.run(t, plan, RunOptions{})
	assertEqual(t, "upper calls after rerun", int(f.upper.total.Load()), 3)
	assertEqual(t, "execute calls after rerun", int(f.exec.total.Load()), 3)
	c := res2.PerStage["execute.run"]
	assertEqual(t, "cached executions", c.Cached+c.Shared, 4)
	assertEqual(t, "rows of the rerun", res2.Rows, res.Rows)

	// Changing an input re-runs only what depends on it.
	plan2 := f.compile(t, pipeline, map[string]string{"suffix": "x"})
	f.run(t, plan2, RunOptions{})
	assertEqual(t, "upper calls after change", int(f.upper.total.Load()), 6)
	assertEqual(t, "execute calls after change", int(f.exec.total.Load()), 6)
}

func TestFailureIsReportedOnceAndRetried(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, map[string]string{"texts": `["ok a", "infra b", "bad c"]`})
	res := f.run(t, plan, RunOptions{})
	if len(res.Errors) != 1 || res.Errors[0].Instance.TaskID != "T/1" || res.Errors[0].Instance.Stage != "execute.run" {
		t.Fatalf("errors: %v", res.Errors)
	}
	if !strings.Contains(res.Errors[0].Error(), "sandbox could not start") {
		t.Fatalf("message: %v", res.Errors[0])
	}
	assertEqual(t, "rows", len(res.Rows), 2)
	assertEqual(t, "skipped", res.Summary.Skipped, 1)
	assertEqual(t, "complete", res.Summary.Complete, false)

	// The failure was not cached: the next run tries it again, and only it.
	before := f.exec.total.Load()
	res2 := f.run(t, plan, RunOptions{})
	assertEqual(t, "retried executions", int(f.exec.total.Load()-before), 1)
	assertEqual(t, "errors again", len(res2.Errors), 1)
}

func TestDryRunCountsWithoutRunning(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)
	res := f.run(t, plan, RunOptions{DryRun: true})
	assertEqual(t, "calls", int(f.upper.total.Load()+f.exec.total.Load()), 0)
	c := res.PerStage["upper.code"]
	assertEqual(t, "upper would run", c.WouldRun+c.Shared, 4)
	assertEqual(t, "execute blocked", res.PerStage["execute.run"].Blocked, 4)

	f.run(t, plan, RunOptions{})
	res = f.run(t, plan, RunOptions{DryRun: true})
	assertEqual(t, "all cached", res.PerStage["execute.run"].Cached+res.PerStage["execute.run"].Shared, 4)
	assertEqual(t, "nothing to run", res.PerStage["execute.run"].WouldRun, 0)
}

func TestOutputsWritten(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)
	out := t.TempDir()
	f.run(t, plan, RunOptions{Out: out, Version: "test"})
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(out, "turns.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "rows in file", len(rows), 4)
	run, err := schemas.ReadRun(out)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "excluded", run.Experiment.Excluded, []string{"T/3"})
	assertEqual(t, "task count", run.Experiment.Tasks.Count, 4)
	assertEqual(t, "version", run.CCWVersion, "test")
	assertEqual(t, "stages", len(run.Experiment.Stages), 3)
}

// twoScores scores every task twice and gives the second score an explicit
// turn.
const twoScores = `
variable "texts" {
  type = list(string)
}
tasks "t" {
  texts = var.texts
}
experiment "e" {
  tasks = tasks.t
  stage "execute" "run" {
    code = task.text
  }
  stage "score" "a" {
    execution = execute.run
    code      = task.text
  }
  stage "score" "b" {
    execution = execute.run
    code      = upper(task.text)
    turn      = 2
  }
}
`

// TestScoreTurnKept is the defect where the vertex overwrote a score's
// turn with 0.
func TestScoreTurnKept(t *testing.T) {
	f := newFixture(t)
	res := f.run(t, f.compile(t, twoScores, map[string]string{"texts": `["ok"]`}), RunOptions{})
	turns := map[string]int32{}
	for _, r := range res.Rows {
		turns[r.Stage] = r.Turn
	}
	assertEqual(t, "turns by stage", turns, map[string]int32{"score.a": 0, "score.b": 2})
}

// TestRowOrderIsTheAddress is the defect where rows of two score stages of
// one task came out in completion order: rows are sorted by the whole
// address, and reruns write the same bytes.
func TestRowOrderIsTheAddress(t *testing.T) {
	var texts []string
	for i := 0; i < 60; i++ {
		texts = append(texts, fmt.Sprintf(`"t%d ok"`, i))
	}
	vars := map[string]string{"texts": "[" + strings.Join(texts, ",") + "]"}
	var first []byte
	for run := 0; run < 3; run++ {
		f := newFixture(t)
		out := t.TempDir()
		res := f.run(t, f.compile(t, twoScores, vars), RunOptions{Out: out, Parallelism: 8})
		for i, r := range res.Rows {
			wantStage := []string{"score.a", "score.b"}[i%2]
			if int(r.TaskIndex) != i/2 || r.Stage != wantStage {
				t.Fatalf("run %d row %d: task %d stage %s, want task %d stage %s", run, i, r.TaskIndex, r.Stage, i/2, wantStage)
			}
		}
		b, err := os.ReadFile(filepath.Join(out, "turns.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatalf("run %d wrote different bytes", run)
		}
	}
}
