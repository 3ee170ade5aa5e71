package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
	"github.com/ccw-dev/ccw/stages/let"
)

// turnsPipeline: a task passes when its code contains "ok". Combination
// "fixer" appends " ok" from turn 2 on; "plain" never changes the code;
// "noted" is like plain but also runs a stage only it applies.
const turnsPipeline = `
tasks "t" {
  texts = ["ok", "a", "b"]
}
experiment "e" {
  tasks = tasks.t
  turns = 3
  until = score.turn.passed

  combination "plain" {
    label = "Plain"
    fix   = false
    note  = false
  }
  combination "fixer" {
    label = "Fixer"
    fix   = true
    note  = false
  }
  combination "noted" {
    fix  = false
    note = true
  }

  stage "let" "code" {
    value = task.text
  }
  stage "execute" "run" {
    code = let.code
  }
  stage "score" "turn" {
    execution = execute.run
    code      = let.code
  }

  turn {
    stage "let" "code" {
      value = combination.fix && turn.index >= 2 ? "${prev.let.code} ok" : prev.let.code
    }
    stage "upper" "note" {
      when = combination.note
      text = "${let.code} at ${turn.index} of ${turn.max}"
    }
    stage "execute" "run" {
      code = let.code
    }
    stage "score" "turn" {
      execution = execute.run
      code      = let.code
    }
  }
}
`

func newTurnsFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.set.AddRunner(let.New())
	return f
}

// rowKey renders a row as combination/task/turn/stage:status.
func rowKey(r schemas.Turn) string {
	return fmt.Sprintf("%s/%s/%d/%s:%s", r.Combination, r.TaskID, r.Turn, r.Stage, r.Status)
}

func TestTurnsAndCombinations(t *testing.T) {
	f := newTurnsFixture(t)
	plan := f.compile(t, turnsPipeline, nil)
	ep := plan.Experiments[0]
	if ep.Stages[0].PerCombination || !ep.TurnStages[0].PerCombination {
		t.Fatalf("sharing: turn 0 let per combination %v, turn let %v", ep.Stages[0].PerCombination, ep.TurnStages[0].PerCombination)
	}
	res := f.run(t, plan, RunOptions{})
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, rowKey(r))
	}
	want := []string{
		// Turn 0 is computed once per task and copied into every combination.
		"plain/T/0/0/score.turn:pass", "plain/T/1/0/score.turn:fail", "plain/T/1/1/score.turn:fail", "plain/T/1/2/score.turn:fail", "plain/T/1/3/score.turn:fail",
		"plain/T/2/0/score.turn:fail", "plain/T/2/1/score.turn:fail", "plain/T/2/2/score.turn:fail", "plain/T/2/3/score.turn:fail",
		// The fixer passes at turn 2 and stops there.
		"fixer/T/0/0/score.turn:pass", "fixer/T/1/0/score.turn:fail", "fixer/T/1/1/score.turn:fail", "fixer/T/1/2/score.turn:pass",
		"fixer/T/2/0/score.turn:fail", "fixer/T/2/1/score.turn:fail", "fixer/T/2/2/score.turn:pass",
		"noted/T/0/0/score.turn:pass", "noted/T/1/0/score.turn:fail", "noted/T/1/1/score.turn:fail", "noted/T/1/2/score.turn:fail", "noted/T/1/3/score.turn:fail",
		"noted/T/2/0/score.turn:fail", "noted/T/2/1/score.turn:fail", "noted/T/2/2/score.turn:fail", "noted/T/2/3/score.turn:fail",
	}
	assertEqual(t, "rows", strings.Join(got, "\n"), strings.Join(want, "\n"))
	// Executions: "ok", "a", "b" at turn 0, then "a ok" and "b ok" (the
	// other turns re-use identical code: the cache answers).
	assertEqual(t, "executions", int(f.exec.total.Load()), 5)
	// The note runs only in "noted": 2 unsolved tasks x 3 turns.
	assertEqual(t, "notes", int(f.upper.total.Load()), 6)
	c := res.PerStage["upper.note@t"]
	assertEqual(t, "note counts", [3]int{c.Total, c.Ran, c.NotApplicable}, [3]int{6 + 6 + 4, 6, 10})
	assertEqual(t, "turn 0 execute instances", res.PerStage["execute.run@0"].Total, 3)
	assertEqual(t, "ended", res.Turns, map[int]int{0: 3, 2: 2, 3: 4})
	assertEqual(t, "undecided", res.Undecided, 0)
	if !res.Summary.Complete {
		t.Fatalf("incomplete: %+v", res.Summary)
	}

	// A rerun is all cache and writes the same rows.
	f2 := newTurnsFixture(t)
	f2.cache = f.cache
	res2 := f2.run(t, f2.compile(t, turnsPipeline, nil), RunOptions{})
	assertEqual(t, "rerun executions", int(f2.exec.total.Load()), 0)
	assertEqual(t, "rerun rows", len(res2.Rows), len(res.Rows))
}

// TestTurnBarrier: the original's schedule gives the same rows.
func TestTurnBarrier(t *testing.T) {
	f := newTurnsFixture(t)
	res := f.run(t, f.compile(t, turnsPipeline, nil), RunOptions{TurnBarrier: true})
	f2 := newTurnsFixture(t)
	res2 := f2.run(t, f2.compile(t, turnsPipeline, nil), RunOptions{})
	if len(res.Rows) != len(res2.Rows) || len(res.Errors) != 0 {
		t.Fatalf("rows %d vs %d, errors %v", len(res.Rows), len(res2.Rows), res.Errors)
	}
	for i := range res.Rows {
		if rowKey(res.Rows[i]) != rowKey(res2.Rows[i]) {
			t.Fatalf("row %d: %s vs %s", i, rowKey(res.Rows[i]), rowKey(res2.Rows[i]))
		}
	}
}
