package tasks

import (
	"fmt"
	"strings"
)

// selectTasks applies subset, then ids, then limit to all (in dataset
// order) and returns the kept tasks in that order. Asking for a task that
// is not there is an error, never a silent skip.
func selectTasks(all []Task, subset string, ids []string, limit int) ([]Task, error) {
	present := make(map[string]bool, len(all))
	for _, t := range all {
		present[t.ID] = true
	}
	keep := all
	if subset == SubsetHard {
		hard := HardIDs()
		if missing := absent(hard, present); len(missing) > 0 {
			return nil, fmt.Errorf("subset %q: %d of the %d BigCodeBench-Hard ids are not in the task set: %s",
				subset, len(missing), len(hard), abbreviate(missing))
		}
		keep = filter(keep, hard)
	}
	if len(ids) > 0 {
		if missing := absent(ids, present); len(missing) > 0 {
			return nil, fmt.Errorf("ids not in the task set: %s", abbreviate(missing))
		}
		inSubset := make(map[string]bool, len(keep))
		for _, t := range keep {
			inSubset[t.ID] = true
		}
		if missing := absent(ids, inSubset); len(missing) > 0 {
			return nil, fmt.Errorf("ids not in subset %q: %s", subset, abbreviate(missing))
		}
		keep = filter(keep, ids)
	}
	if limit > 0 && len(keep) > limit {
		keep = keep[:limit]
	}
	return append([]Task(nil), keep...), nil
}

// absent returns the ids that are not in set, in the order given.
func absent(ids []string, set map[string]bool) []string {
	var out []string
	for _, id := range ids {
		if !set[id] {
			out = append(out, id)
		}
	}
	return out
}

// filter keeps the tasks whose id is in ids, in the order of ts.
func filter(ts []Task, ids []string) []Task {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []Task
	for _, t := range ts {
		if want[t.ID] {
			out = append(out, t)
		}
	}
	return out
}

// abbreviate lists up to ten quoted ids and how many more there are.
func abbreviate(ids []string) string {
	const most = 10
	quoted := make([]string, 0, most)
	for i, id := range ids {
		if i == most {
			break
		}
		quoted = append(quoted, fmt.Sprintf("%q", id))
	}
	s := strings.Join(quoted, ", ")
	if len(ids) > most {
		s += fmt.Sprintf(" and %d more", len(ids)-most)
	}
	return s
}
