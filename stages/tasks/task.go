package tasks

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// FieldNames are the nine fields of a BigCodeBench task record, in the
// order of the published files. All are strings. The order is also the
// order of the canonical form (see CanonicalDigest).
var FieldNames = []string{
	"task_id",
	"complete_prompt",
	"instruct_prompt",
	"canonical_solution",
	"code_prompt",
	"test",
	"entry_point",
	"doc_struct",
	"libs",
}

// Task is one task record. Fields holds all nine FieldNames (task_id
// included); fields a file carries beyond those (the Hard set's q_idx,
// question, ...) are not kept.
type Task struct {
	ID     string
	Fields map[string]string
}

// Value returns the task as a cty object with one string attribute per
// field, so that pipeline expressions can say task.canonical_solution.
func (t Task) Value() cty.Value {
	attrs := make(map[string]cty.Value, len(FieldNames))
	for _, name := range FieldNames {
		attrs[name] = cty.StringVal(t.Fields[name])
	}
	return cty.ObjectVal(attrs)
}

// Set is a loaded, verified and selected task set.
type Set struct {
	// Source is "bigcodebench" or "file".
	Source string
	// Split is the BigCodeBench split (v0.1.0_hf, v0.1.4, ...); for a
	// file source, the label the configuration gave, possibly empty.
	Split string
	// Digest is "sha256:<hex>" of the canonical form of all records of the
	// source, before selection: the dataset digest recorded in run.json.
	Digest string
	// Origin is the file path or URL the records came from.
	Origin string
	// CachePath is the local copy a downloaded split was read from; empty
	// for file sources.
	CachePath string
	// Total is the number of records before selection.
	Total int

	// Subset, IDs and Limit are the selection that produced Tasks.
	Subset string
	IDs    []string
	Limit  int

	// Tasks are the selected tasks in dataset order (by task number).
	Tasks []Task
}

// Type is the cty object type of a task value: one cty.String attribute per
// field of FieldNames.
func (s *Set) Type() cty.Type {
	return taskType
}

var taskType = func() cty.Type {
	attrs := make(map[string]cty.Type, len(FieldNames))
	for _, name := range FieldNames {
		attrs[name] = cty.String
	}
	return cty.Object(attrs)
}()

// compareIDs orders task ids the way datasets number them: by the part
// before the last "/", then by the number after it ("BigCodeBench/9" before
// "BigCodeBench/10"). Ids whose last part is not a plain decimal number
// sort after the numbered ones of their prefix, by string.
func compareIDs(a, b string) int {
	pa, na, oka := splitID(a)
	pb, nb, okb := splitID(b)
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	switch {
	case oka && okb:
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

// splitID splits "Prefix/N" into its prefix and number. ok is false when
// the last part is not a plain decimal number.
func splitID(id string) (prefix string, n uint64, ok bool) {
	i := strings.LastIndexByte(id, '/')
	prefix, num := id[:i+1], id[i+1:]
	if num == "" || (len(num) > 1 && num[0] == '0') {
		return prefix, 0, false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	return prefix, n, err == nil
}

// sortTasks puts tasks in dataset order.
func sortTasks(ts []Task) {
	slices.SortFunc(ts, func(a, b Task) int { return compareIDs(a.ID, b.ID) })
}
