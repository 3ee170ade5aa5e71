package engine

import (
	"context"
	"crypto/sha256"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/stages"
)

// subStore is the stages.SubStore of a run: sub-results live in the same
// cache, under the sha256 of "ccw.sub\x00" + the stage's own key.
type subStore struct{ c *cache.Store }

var _ stages.SubStore = subStore{}

func subDigest(key string) [32]byte { return sha256.Sum256([]byte("ccw.sub\x00" + key)) }

// Get implements stages.SubStore.
func (s subStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	e, ok := s.c.Get(subDigest(key))
	if !ok {
		return nil, false, nil
	}
	return e.Data, true, nil
}

// Put implements stages.SubStore.
func (s subStore) Put(_ context.Context, key string, data []byte) error {
	return s.c.Put(subDigest(key), "ccw.sub", data, [32]byte{})
}

// SubDigest is the cache digest under which a stage's sub-result key is
// stored (for tools that keep or inspect sub-results, such as cache gc).
func SubDigest(key string) [32]byte { return subDigest(key) }
