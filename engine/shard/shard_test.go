package shard

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/schemas"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Spec
		err  string
	}{
		{"0/3", Spec{0, 3}, ""},
		{" 2 / 3 ", Spec{2, 3}, ""},
		{"0/1", Spec{0, 1}, ""},
		{"3/3", Spec{}, "between 0 and 2"},
		{"-1/3", Spec{}, "between 0 and 2"},
		{"1/0", Spec{}, "COUNT must be between 1"},
		{"a/3", Spec{}, "whole numbers"},
		{"3", Spec{}, "want INDEX/COUNT"},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) = %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// TestOfIsFrozen: the assignment of tasks to shards never changes, or
// shards of one run started by two versions of ccw would overlap.
func TestOfIsFrozen(t *testing.T) {
	got := []int{}
	for i := range 8 {
		got = append(got, Of(fmt.Sprintf("BigCodeBench/%d", i), 3))
	}
	if want := []int{0, 0, 2, 2, 2, 1, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Of = %v, want %v (a changed hash reassigns every task)", got, want)
	}
	counts := make([]int, 4)
	for i := range 1140 {
		counts[Of(fmt.Sprintf("BigCodeBench/%d", i), 4)]++
	}
	for i, n := range counts {
		if n < 1140/4*8/10 {
			t.Errorf("shard %d of 4 has %d of 1140 tasks: %v", i, n, counts)
		}
	}
	if (Spec{}).Has("x") != true || Of("x", 1) != 0 {
		t.Error("the whole run must take every task")
	}
}

// writeShard writes a shard's results: one row per task of the shard.
func writeShard(t *testing.T, dir string, index, count int, ids []string, mutate func(*schemas.Run)) {
	t.Helper()
	run := &schemas.Run{ConfigSHA256: "abc", Variables: map[string]any{"turns": 1},
		Experiment: schemas.RunExperiment{Name: "e", Tasks: schemas.RunTasks{Digest: "d", Count: len(ids)}},
		Shard:      &schemas.RunShard{Index: index, Count: count}, Summary: schemas.RunSummary{Complete: true}}
	var rows []schemas.Turn
	for i, id := range ids {
		if Of(id, count) == index {
			run.Shard.Tasks = append(run.Shard.Tasks, schemas.RunShardTask{ID: id, Index: i})
			rows = append(rows, schemas.Turn{Experiment: "e", TaskID: id, TaskIndex: int32(i), Status: "pass", Passed: true})
		}
	}
	if mutate != nil {
		mutate(run)
	}
	if err := schemas.Turns.Write(filepath.Join(dir, "turns.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	if err := schemas.WriteJSON(filepath.Join(dir, "run.json"), run); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	ids := []string{"t/0", "t/1", "t/2", "t/3", "t/4", "t/5", "t/6", "t/7"}
	cases := []struct {
		name   string
		shards []int                           // which of 3 shards to write
		mutate func(index int, r *schemas.Run) // applied to each
		err    string
	}{
		{"all three", []int{2, 0, 1}, nil, ""},
		{"one missing", []int{0, 2}, nil, "shard(s) 1 of 3 missing"},
		{"another file", []int{0, 1, 2}, func(i int, r *schemas.Run) {
			if i == 2 {
				r.ConfigSHA256 = "other"
			}
		}, "pipeline file"},
		{"other variables", []int{0, 1, 2}, func(i int, r *schemas.Run) {
			if i == 1 {
				r.Variables["turns"] = 2
			}
		}, "variables"},
		{"other shard count", []int{0, 1, 2}, func(i int, r *schemas.Run) {
			if i == 1 {
				r.Shard.Count = 4
			}
		}, "not parts of one run"},
		{"same shard twice", []int{0, 1, 2}, func(i int, r *schemas.Run) {
			if i == 2 {
				r.Shard.Index = 1
			}
		}, "are both shard 1/3"},
		{"whole run", []int{0, 1, 2}, func(i int, r *schemas.Run) {
			if i == 0 {
				r.Shard = nil
			}
		}, "holds a whole run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			var dirs []string
			for _, i := range c.shards {
				d := filepath.Join(root, fmt.Sprintf("part-%d", i))
				writeShard(t, d, i, 3, ids, func(r *schemas.Run) {
					if c.mutate != nil {
						c.mutate(i, r)
					}
				})
				dirs = append(dirs, d)
			}
			m, err := Merge(dirs, nil)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Merge = %v, want error %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range m.Turns {
				got = append(got, r.TaskID)
			}
			if strings.Join(got, " ") != strings.Join(ids, " ") || m.Run.Shard != nil || len(m.Run.Parts) != 3 ||
				m.Run.Summary.Statuses["pass"] != len(ids) || m.Metrics != nil {
				t.Fatalf("merged rows %v, run %+v", got, m.Run)
			}
			// A directory of shard directories expands to them.
			expanded, err := Expand([]string{root})
			if err != nil || len(expanded) != 3 {
				t.Fatalf("Expand = %v, %v", expanded, err)
			}
			out := filepath.Join(root, "merged")
			if err := m.Write(out); err != nil {
				t.Fatal(err)
			}
			back, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(out, "turns.parquet"))
			if err != nil || len(back) != len(ids) {
				t.Fatalf("merged turns.parquet: %d rows, %v", len(back), err)
			}
		})
	}
	if _, err := Expand([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "holds no results") {
		t.Fatalf("Expand of an empty directory: %v", err)
	}
}
