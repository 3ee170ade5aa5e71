package engine

import "testing"

// TestFrozenKeys pins the cache keys of a fixed pipeline. If this fails,
// every user's cache would be invalidated by the change (a dependency bump
// that changes value encoding, a reordered key part, a renamed field).
// Make the change deliberately: bump cachekey.SchemaVersion or the stage's
// CacheType and update the expected keys.
func TestFrozenKeys(t *testing.T) {
	f := newFixture(t)
	plan := f.compile(t, pipeline, map[string]string{"texts": `["ok one", "bad two"]`})
	res := f.run(t, plan, RunOptions{})
	want := []string{
		"sha256:7ea0fa5b71353301c4dda21405603e4dfc6b3b1d289ad6f298546bcd368e4137",
		"sha256:6d97b67c49d4924da6e9fe43c279b75afe9f7960850a506778eac6a2b90ec249",
	}
	for i, row := range res.Rows {
		if row.ExecKey != want[i] {
			t.Errorf("task %s: key %s, frozen %s", row.TaskID, row.ExecKey, want[i])
		}
	}
}
