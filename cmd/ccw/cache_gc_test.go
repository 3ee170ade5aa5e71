package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/engine/cache"
)

// entryKeys lists the action entries of a cache.
func entryKeys(t *testing.T, dir string) map[[32]byte]bool {
	t.Helper()
	s, err := cache.Open(dir, cache.Options{NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := map[[32]byte]bool{}
	if err := s.Walk(func(e cache.EntryInfo) error { out[e.Key] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCacheGC runs two scripted runs into one cache, collects keeping
// only the first, and checks that the first's rerun is all cache with the
// same rows, that the second's own entries are gone (its rerun computes
// again), and that a collection deletes nothing while the cache is open.
func TestCacheGC(t *testing.T) {
	dir := t.TempDir()
	cache1 := filepath.Join(dir, "cache")
	a := scriptedRun(t, cache1, filepath.Join(dir, "a"))
	onlyA := entryKeys(t, cache1)
	b := scriptedRun(t, cache1, filepath.Join(dir, "b"), "right=[0,1,2,3,6,7]", "fix=[4,5,8]")
	all := entryKeys(t, cache1)
	if len(all) <= len(onlyA) {
		t.Fatalf("run b added no entries (%d, %d)", len(onlyA), len(all))
	}
	// A leftover of a killed writer.
	tmp := filepath.Join(cache1, "ac.v1", "00", ".tmp-00000000-1")
	os.MkdirAll(filepath.Dir(tmp), 0o755)
	os.WriteFile(tmp, []byte("half"), 0o644)

	// While another process (here: a store) has the cache open, nothing goes.
	held, err := cache.Open(cache1, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main([]string{"cache", "gc", a, "--cache", cache1}, &out, &errb)
	held.Close()
	if code == 0 || !strings.Contains(errb.String(), "in use by another ccw process") {
		t.Fatalf("gc with the cache open: exit %d, %s", code, errb.String())
	}
	if n := len(entryKeys(t, cache1)); n != len(all) {
		t.Fatalf("gc deleted entries while the cache was open: %d of %d left", n, len(all))
	}

	dry := runCCW(t, "cache", "gc", a, "--cache", cache1, "--dry-run")
	if len(entryKeys(t, cache1)) != len(all) || !strings.Contains(dry, "would delete") {
		t.Fatalf("--dry-run deleted something: %s", dry)
	}
	report := runCCW(t, "cache", "gc", a, "--cache", cache1)
	t.Logf("gc keeping run a: %s", strings.TrimSpace(report))
	left := entryKeys(t, cache1)
	for k := range onlyA {
		if !left[k] {
			t.Errorf("an entry of run a was deleted: %x", k[:6])
		}
	}
	if len(left) >= len(all) {
		t.Errorf("nothing of run b was freed: %d of %d entries left", len(left), len(all))
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Error("the temporary file was left")
	}
	if _, err := os.Stat(filepath.Join(cache1, "index.v1")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the read index, which may name deleted entries, was left")
	}

	// Run a again: all cache, the same rows.
	again := runCCW(t, "run", filepath.Join("testdata", "scripted", "scripted.hcl"), "--cache", cache1, "--out", filepath.Join(dir, "a2"))
	if !strings.Contains(again, "everything was cached: nothing was executed") {
		t.Errorf("rerun of a after gc:\n%s", again)
	}
	sameBytes(t, filepath.Join(a, "turns.parquet"), filepath.Join(dir, "a2", "turns.parquet"))
	// Run b again: its entries were freed, so it computes them again.
	bAgain := runCCW(t, "run", filepath.Join("testdata", "scripted", "scripted.hcl"), "--cache", cache1, "--out", filepath.Join(dir, "b2"),
		"--var", "right=[0,1,2,3,6,7]", "--var", "fix=[4,5,8]")
	if strings.Contains(bAgain, "everything was cached") {
		t.Errorf("run b after gc ran nothing:\n%s", bAgain)
	}
	sameBytes(t, filepath.Join(b, "metrics.parquet"), filepath.Join(dir, "b2", "metrics.parquet"))

	// --younger-than keeps everything recent.
	n := len(entryKeys(t, cache1))
	runCCW(t, "cache", "gc", "--younger-than", "1h", "--cache", cache1)
	if got := len(entryKeys(t, cache1)); got != n {
		t.Errorf("--younger-than 1h deleted %d recent entries", n-got)
	}
	du := runCCW(t, "cache", "du", "--cache", cache1)
	for _, s := range []string{"execute", "refine", "model calls (ccw.sub)", "< 1 day", "all"} {
		if !strings.Contains(du, s) {
			t.Errorf("du lacks %q:\n%s", s, du)
		}
	}
}

func sameBytes(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

func TestCacheGCRefusesEmpty(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"cache", "gc", "--cache", t.TempDir()}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "never empties the cache") {
		t.Errorf("gc without anything to keep: exit %d, %s", code, errb.String())
	}
}

// TestCacheDuGcRefuseBuckets checks that du and gc, which read a local
// cache directory, refuse a bucket URL with an error that names it
// without its credentials, and create nothing.
func TestCacheDuGcRefuseBuckets(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	url := "s3://ccw-cache?endpoint=http://127.0.0.1:1&secret_access_key=hunter2"
	for _, args := range [][]string{
		{"cache", "du", "--cache", url},
		{"cache", "gc", "--younger-than", "1h", "--cache", url},
	} {
		var out, errb bytes.Buffer
		code := Main(args, &out, &errb)
		msg := errb.String()
		if code == 0 || !strings.Contains(msg, "is a bucket") || !strings.Contains(msg, "ccw-cache") || strings.Contains(msg, "hunter2") {
			t.Errorf("ccw %s: exit %d: %s", strings.Join(args[:2], " "), code, msg)
		}
	}
	if names, _ := os.ReadDir(dir); len(names) > 0 {
		t.Errorf("du and gc of a bucket made %v in the working directory", names)
	}
}
