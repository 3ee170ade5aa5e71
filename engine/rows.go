package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/ccw-dev/ccw/schemas"
)

// rowStore keeps the rows of turns.parquet while a run goes on: each row
// is encoded once into a spill file beside the output, and only its
// address and outcome stay in memory, so that a sweep's memory does not
// grow with its tracebacks and captured output. At the end the rows are
// read back in address order and streamed into Parquet.
type rowStore struct {
	mu   sync.Mutex
	f    *os.File // nil in plan mode: nothing is written
	off  int64
	refs []rowRef
	err  error
}

// rowRef is one row: where its encoding is, what it sorts by, and the
// columns a run's summary and metrics read.
type rowRef struct {
	combo, stage int
	off          int64
	n            int
	slim         schemas.Turn
}

func newRowStore(dir string, spill bool) (*rowStore, error) {
	s := &rowStore{}
	if !spill {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	removeStaleSpills(dir)
	f, err := os.CreateTemp(dir, fmt.Sprintf(".turns.spill-%d-*", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("keeping rows: %w", err)
	}
	s.f = f
	return s, nil
}

// add stores row under each of combos (a shared instance's row is one
// encoding with one entry per combination; names[i] is combos[i]'s name).
func (s *rowStore) add(row schemas.Turn, stage int, combos []int, names []string) {
	var data []byte
	if s.f != nil {
		var err error
		if data, err = json.Marshal(row); err != nil {
			s.fail(err)
			return
		}
	}
	slim := schemas.Turn{Experiment: row.Experiment, Stage: row.Stage, TaskID: row.TaskID, TaskIndex: row.TaskIndex,
		Turn: row.Turn, Status: row.Status, Passed: row.Passed, Excluded: row.Excluded, ExecKey: row.ExecKey}
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.off
	if s.f != nil {
		if _, err := s.f.WriteAt(data, off); err != nil {
			s.err = err
			return
		}
		s.off += int64(len(data))
	}
	for i, c := range combos {
		r := rowRef{combo: c, stage: stage, off: off, n: len(data), slim: slim}
		r.slim.Combination = names[i]
		s.refs = append(s.refs, r)
	}
}

func (s *rowStore) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

// sort orders the rows by their whole address: combination, task, turn,
// stage.
func (s *rowStore) sort() {
	slices.SortFunc(s.refs, func(a, b rowRef) int {
		switch {
		case a.combo != b.combo:
			return a.combo - b.combo
		case a.slim.TaskIndex != b.slim.TaskIndex:
			return int(a.slim.TaskIndex - b.slim.TaskIndex)
		case a.slim.Turn != b.slim.Turn:
			return int(a.slim.Turn - b.slim.Turn)
		}
		return a.stage - b.stage
	})
}

// slim returns the rows' addresses and outcomes, in order.
func (s *rowStore) slimRows() []schemas.Turn {
	out := make([]schemas.Turn, len(s.refs))
	for i, r := range s.refs {
		out[i] = r.slim
	}
	return out
}

// write streams the sorted rows into turns.parquet at path.
func (s *rowStore) write(path string) error {
	if s.err != nil {
		return fmt.Errorf("keeping rows: %w", s.err)
	}
	i := 0
	var buf []byte
	return schemas.Turns.WriteStream(path, func() (any, bool, error) {
		if i == len(s.refs) {
			return nil, false, nil
		}
		r := s.refs[i]
		i++
		buf = slices.Grow(buf[:0], r.n)[:r.n]
		if _, err := s.f.ReadAt(buf, r.off); err != nil {
			return nil, false, fmt.Errorf("reading back a row: %w", err)
		}
		var row schemas.Turn
		if err := json.Unmarshal(buf, &row); err != nil {
			return nil, false, fmt.Errorf("reading back a row: %w", err)
		}
		row.Combination = r.slim.Combination
		return &row, true, nil
	})
}

// close removes the spill file.
func (s *rowStore) close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

// removeStaleSpills deletes the spill files of runs that were killed: their
// names carry the pid of a process that no longer exists.
func removeStaleSpills(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, ".turns.spill-*"))
	for _, name := range names {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(name), ".turns.spill-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.Remove(name)
		}
	}
}
