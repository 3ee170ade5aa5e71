package engine

import (
	"context"
	"crypto/sha256"
	"errors"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/stages"
)

// subStore is the stages.SubStore of a run: sub-results live in the same
// cache, under the sha256 of "ccw.sub\x00" + the stage's own key.
type subStore struct{ c cache.Backend }

var _ stages.SubStore = subStore{}

func subDigest(key string) [32]byte { return sha256.Sum256([]byte("ccw.sub\x00" + key)) }

// Get implements stages.SubStore.
func (s subStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	e, ok, err := s.c.Lookup(subDigest(key))
	if err != nil || !ok {
		return nil, false, err // an unreadable store is not a miss: a miss pays again
	}
	return e.Data, true, nil
}

// Put implements stages.SubStore.
func (s subStore) Put(_ context.Context, key string, data []byte) error {
	err := s.c.Put(subDigest(key), "ccw.sub", data, [32]byte{})
	if errors.Is(err, cache.ErrExists) {
		return nil // another process stored the same call first; either answer is the call's
	}
	return err
}

// SubDigest is the cache digest under which a stage's sub-result key is
// stored (for tools that keep or inspect sub-results, such as cache gc).
func SubDigest(key string) [32]byte { return subDigest(key) }
