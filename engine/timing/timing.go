// Package timing owns ccw's execution-time history: how long each task's
// executions took in earlier runs, kept beside the cache as an append-only
// file, and the estimates the engine schedules by (longest expected first,
// so that a long task never starts last and decides the wall time). The
// history is advice: it changes the order work runs in, never a result,
// and a missing, torn or foreign file only costs the order.
package timing

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FileName is the history's name in the cache's local directory.
const FileName = "timings.v1.tsv"

// Book is the history of one cache: per task key, the mean of the
// execution times seen. Safe for concurrent use.
type Book struct {
	mu   sync.Mutex
	seen map[string]*mean
	f    *os.File // nil: in memory only
}

type mean struct {
	n   int
	sum float64 // ms
}

// Open reads the history at path and appends what Record learns to it,
// one line "key TAB ms TAB ." per execution. A line that does not read (a
// write a kill cut short) is skipped.
func Open(path string) (*Book, error) {
	b := New()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("timings: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("timings: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || f[2] != "." || f[0] == "" {
			continue // torn or foreign
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil && v >= 0 {
			key := f[0]
			b.add(key, v)
		}
	}
	b.f = f
	return b, nil
}

// New returns an empty history kept in memory.
func New() *Book { return &Book{seen: map[string]*mean{}} }

func (b *Book) add(key string, ms float64) {
	m := b.seen[key]
	if m == nil {
		m = &mean{}
		b.seen[key] = m
	}
	m.n++
	m.sum += ms
}

// Record adds one execution of the task with key that took d. Keys must
// not contain tabs or newlines (Key makes them).
func (b *Book) Record(key string, d time.Duration) error {
	if b == nil {
		return nil
	}
	ms := float64(d.Microseconds()) / 1000
	b.mu.Lock()
	defer b.mu.Unlock()
	b.add(key, ms)
	if b.f == nil {
		return nil
	}
	// One write per line, appended: lines of processes sharing the cache
	// do not interleave within a line.
	// The final "." tells a whole line from one a kill cut short.
	_, err := b.f.WriteString(key + "\t" + strconv.FormatFloat(ms, 'f', 3, 64) + "\t.\n")
	return err
}

// Estimate returns the mean time of the task's recorded executions.
func (b *Book) Estimate(key string) (time.Duration, bool) {
	if b == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.seen[key]
	if m == nil {
		return 0, false
	}
	return time.Duration(m.sum / float64(m.n) * float64(time.Millisecond)), true
}

// Close closes the file.
func (b *Book) Close() error {
	if b == nil || b.f == nil {
		return nil
	}
	return b.f.Close()
}

// Key names one task of one data set in the history: its source and split
// and its id (the tests of a task id do not change within a split).
func Key(source, split, id string) string {
	clean := strings.NewReplacer("\t", " ", "\n", " ")
	return clean.Replace(source + "/" + split + "/" + id)
}
