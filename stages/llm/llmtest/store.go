package llmtest

import (
	"context"
	"sort"
	"strings"
	"sync"
)

// MemStore is an in-memory stages.SubStore that counts its traffic.
type MemStore struct {
	mu         sync.Mutex
	data       map[string][]byte
	Gets, Puts int
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{data: map[string][]byte{}} }

// Get implements stages.SubStore.
func (s *MemStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Gets++
	b, ok := s.data[key]
	return append([]byte(nil), b...), ok, nil
}

// Put implements stages.SubStore.
func (s *MemStore) Put(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Puts++
	s.data[key] = append([]byte(nil), data...)
	return nil
}

// Keys returns the stored keys, sorted.
func (s *MemStore) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Bytes returns everything stored, concatenated in key order (for greps).
func (s *MemStore) Bytes() []byte {
	var out []byte
	for _, k := range s.Keys() {
		s.mu.Lock()
		out = append(append(out, k...), s.data[k]...)
		s.mu.Unlock()
	}
	return out
}

// Notes collects progress notes (stages.Input.Notes) from any goroutine.
type Notes struct {
	mu  sync.Mutex
	all []string
}

// Add records a note; pass it as Input.Notes.
func (n *Notes) Add(s string) {
	n.mu.Lock()
	n.all = append(n.all, s)
	n.mu.Unlock()
}

// String returns the notes so far, one a line.
func (n *Notes) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.all, "\n")
}
