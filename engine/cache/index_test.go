package cache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestIndexServesAndHeals(t *testing.T) {
	dir := t.TempDir()
	s := openWith(t, dir, Options{NoSync: true})
	for i := 0; i < 100; i++ {
		if err := s.Put(key(fmt.Sprint(i)), "t", []byte(fmt.Sprint("value", i)), [32]byte{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	// A new store finds everything through the index, even with the
	// per-key files gone (the index holds verified copies).
	os.RemoveAll(filepath.Join(dir, acDir))
	s2 := openWith(t, dir, Options{})
	for i := 0; i < 100; i++ {
		e, ok := s2.Get(key(fmt.Sprint(i)))
		if !ok || string(e.Data) != fmt.Sprint("value", i) {
			t.Fatalf("entry %d: %q %v", i, e.Data, ok)
		}
	}
	s2.Close()

	// Damaging the index data is detected: those entries fall back to
	// their own files (absent here, so they miss) and never return garbage.
	dats, _ := filepath.Glob(filepath.Join(dir, indexDir, "*.dat"))
	for _, p := range dats {
		b, _ := os.ReadFile(p)
		for i := 20; i < len(b); i += 50 {
			b[i] ^= 0x55
		}
		os.WriteFile(p, b, 0o644)
	}
	s3 := openWith(t, dir, Options{})
	for i := 0; i < 100; i++ {
		if e, ok := s3.Get(key(fmt.Sprint(i))); ok && string(e.Data) != fmt.Sprint("value", i) {
			t.Fatalf("damaged index returned %q for %d", e.Data, i)
		}
	}
}

func TestIndexTornTailAndDeletion(t *testing.T) {
	dir := t.TempDir()
	s := openWith(t, dir, Options{NoSync: true})
	for i := 0; i < 10; i++ {
		s.Put(key(fmt.Sprint(i)), "t", []byte{byte(i)}, [32]byte{})
	}
	s.Close()
	idxs, _ := filepath.Glob(filepath.Join(dir, indexDir, "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("segments: %v", idxs)
	}
	st, _ := os.Stat(idxs[0])
	os.Truncate(idxs[0], st.Size()-7) // a record cut in half
	s2 := openWith(t, dir, Options{})
	if got := len(s2.ix.locs); got != 9 {
		t.Fatalf("indexed %d entries after a torn tail, want 9", got)
	}
	for i := 0; i < 10; i++ { // the per-key file still serves the 10th
		if e, ok := s2.Get(key(fmt.Sprint(i))); !ok || !bytes.Equal(e.Data, []byte{byte(i)}) {
			t.Fatalf("entry %d lost", i)
		}
	}
	s2.Close()
	os.RemoveAll(filepath.Join(dir, indexDir)) // the index is only an accelerator
	s3 := openWith(t, dir, Options{})
	if _, ok := s3.Get(key("3")); !ok {
		t.Fatal("deleting the index lost an entry")
	}
}

func TestIndexCompaction(t *testing.T) {
	dir := t.TempDir()
	for run := 0; run < compactAbove+4; run++ {
		s := openWith(t, dir, Options{NoSync: true})
		s.Put(key(fmt.Sprint("run", run)), "t", []byte(fmt.Sprint(run)), [32]byte{})
		s.Close()
	}
	s := openWith(t, dir, Options{})
	idxs, _ := filepath.Glob(filepath.Join(dir, indexDir, "*.idx"))
	if len(idxs) > compactAbove {
		t.Fatalf("%d segments after compaction", len(idxs))
	}
	os.RemoveAll(filepath.Join(dir, acDir))
	for run := 0; run < compactAbove+4; run++ {
		if e, ok := s.Get(key(fmt.Sprint("run", run))); !ok || string(e.Data) != fmt.Sprint(run) {
			t.Fatalf("run %d lost by compaction", run)
		}
	}
}
