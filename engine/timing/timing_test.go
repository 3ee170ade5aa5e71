package timing

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestBookPersistsAndAverages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c", FileName)
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	k := Key("bigcodebench", "v0.1.0_hf", "BigCodeBench/13")
	if _, ok := b.Estimate(k); ok {
		t.Fatal("an empty history has an estimate")
	}
	var wg sync.WaitGroup
	for _, d := range []time.Duration{time.Second, 3 * time.Second} {
		wg.Add(1)
		go func() { defer wg.Done(); b.Record(k, d) }()
	}
	wg.Wait()
	b.Record(Key("bigcodebench", "v0.1.0_hf", "BigCodeBench/14"), 500*time.Millisecond)
	b.Close()
	// A torn last line, as a kill leaves it, and lines of another format.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("garbage\nx\t-1\t.\n" + k + "\t12")
	f.Close()

	b, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, c := range []struct {
		id   string
		want time.Duration
	}{{"BigCodeBench/13", 2 * time.Second}, {"BigCodeBench/14", 500 * time.Millisecond}} {
		got, ok := b.Estimate(Key("bigcodebench", "v0.1.0_hf", c.id))
		if !ok || got != c.want {
			t.Errorf("%s: estimate %v %v, want %v", c.id, got, ok, c.want)
		}
	}
}

func TestNilBook(t *testing.T) {
	var b *Book
	if err := b.Record("k", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Estimate("k"); ok {
		t.Fatal("a nil book has an estimate")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
