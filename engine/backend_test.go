package engine

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/cachekey"
	"github.com/ccw-dev/ccw/engine/shard"
	"github.com/ccw-dev/ccw/schemas"
)

// racing is a cache in which another process always stores a result of
// the upper stage just before this run does.
type racing struct {
	*cache.Store
}

func (r racing) Put(key [32]byte, typ string, result []byte, explain [32]byte) error {
	if typ == "ccw.test.upper.v1" {
		won, _ := cachekey.Encode(cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("OK WINNER")}))
		if err := r.Store.Put(key, typ, won, [32]byte{}); err != nil {
			return err
		}
	}
	return r.Store.Put(key, typ, result, explain)
}

// unreadable is a cache whose every read fails (a bucket out of reach).
type unreadable struct {
	*cache.Store
}

func (unreadable) Lookup([32]byte) (cache.Entry, bool, error) {
	return cache.Entry{}, false, errors.New("bucket out of reach")
}

// TestRaceAdoptsTheWinner: when another process stored a key first, the
// run goes on with that result, so every process sees one result per key.
func TestRaceAdoptsTheWinner(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)
	res, err := Run(t.Context(), plan, RunOptions{Cache: racing{f.cache}, Out: t.TempDir()})
	if err != nil || len(res.Errors) != 0 {
		t.Fatalf("run: %v %v", err, res.Errors)
	}
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, filepath.Join(res.OutDir, "turns.parquet"))
	if err != nil || len(rows) == 0 {
		t.Fatalf("rows %v", err)
	}
	for _, r := range rows {
		if r.Code != "OK WINNER" || r.Status != "pass" {
			t.Fatalf("row %s: code %q status %s, want the winner's result downstream", r.TaskID, r.Code, r.Status)
		}
	}
}

// TestUnreadableCacheIsNotAMiss: a cache that cannot be read fails the
// instances; nothing is recomputed (a recomputation can cost money).
func TestUnreadableCacheIsNotAMiss(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)
	res, err := Run(t.Context(), plan, RunOptions{Cache: unreadable{f.cache}, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if f.upper.total.Load() != 0 || len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), "reading the cache: bucket out of reach") {
		t.Fatalf("upper ran %d times; errors %v", f.upper.total.Load(), res.Errors)
	}
}

// TestShardsPartitionTheTasks: the shards of a run take every task once,
// keep each task's place in the whole set, and write under the output.
func TestShardsPartitionTheTasks(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, nil)
	whole := f.run(t, plan, RunOptions{})
	t.Chdir(t.TempDir()) // the shards write under the experiment's (relative) output
	var rows []string
	for i := range 3 {
		res, err := Run(t.Context(), plan, RunOptions{Cache: f.cache, Shard: shard.Spec{Index: i, Count: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(res.Experiment.Output, shard.Spec{Index: i, Count: 3}.Dir()); res.OutDir != want {
			t.Errorf("shard %d wrote to %s, want %s", i, res.OutDir, want)
		}
		for _, r := range res.Rows {
			if shard.Of(r.TaskID, 3) != i {
				t.Errorf("shard %d has task %s of shard %d", i, r.TaskID, shard.Of(r.TaskID, 3))
			}
			rows = append(rows, r.TaskID+"@"+string(rune('0'+r.TaskIndex))+" "+r.Status)
		}
	}
	var want []string
	for _, r := range whole.Rows {
		want = append(want, r.TaskID+"@"+string(rune('0'+r.TaskIndex))+" "+r.Status)
	}
	sort.Strings(rows)
	sort.Strings(want)
	assertEqual(t, "rows of the shards", rows, want)
}
