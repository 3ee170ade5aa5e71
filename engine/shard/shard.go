// Package shard owns how a run is split over machines and joined again:
// which tasks a shard takes (a stable hash of the task id, so every turn
// and every feedback combination of a task, and the turn-0 work they
// share, stay in one shard), the i/n notation of `ccw run --shard`, and the
// merge of shard result directories into the tables one run would have
// written (Merge).
//
// It does not launch anything (Slurm job arrays and Kubernetes Indexed
// Jobs do, see examples/deploy) and it does not share results between
// shards: they meet in the cache (engine/cache, engine/cache/blobstore).
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Spec names one shard of a run: Index in [0, Count). The zero Spec is
// the whole run.
type Spec struct {
	Index, Count int
}

// Whole reports whether s is the whole run (no sharding).
func (s Spec) Whole() bool { return s.Count <= 1 }

// String is the i/n notation.
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Dir is the directory name of the shard's results under the experiment's
// output directory: shard-I-of-N.
func (s Spec) Dir() string { return fmt.Sprintf("shard-%d-of-%d", s.Index, s.Count) }

// Has reports whether the task belongs to the shard.
func (s Spec) Has(taskID string) bool { return s.Whole() || Of(taskID, s.Count) == s.Index }

// MaxCount bounds the number of shards.
const MaxCount = 100000

// Parse reads "i/n" (0 <= i < n): the shard index as Slurm's
// SLURM_ARRAY_TASK_ID and Kubernetes' JOB_COMPLETION_INDEX give it, and
// the number of shards.
func Parse(text string) (Spec, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	if !ok {
		return Spec{}, fmt.Errorf("shard %q: want INDEX/COUNT, e.g. 0/3 (indexes start at 0)", text)
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	switch {
	case err1 != nil || err2 != nil:
		return Spec{}, fmt.Errorf("shard %q: INDEX and COUNT must be whole numbers", text)
	case count < 1 || count > MaxCount:
		return Spec{}, fmt.Errorf("shard %q: COUNT must be between 1 and %d", text, MaxCount)
	case index < 0 || index >= count:
		return Spec{}, fmt.Errorf("shard %q: INDEX must be between 0 and %d (indexes start at 0)", text, count-1)
	}
	return Spec{Index: index, Count: count}, nil
}

// Of is the shard of a task among n: a hash of its id, stable across
// machines, versions of ccw and orders of the task set.
func Of(taskID string, n int) int {
	if n <= 1 {
		return 0
	}
	sum := sha256.Sum256([]byte("ccw.shard.v1\x00" + taskID))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}
