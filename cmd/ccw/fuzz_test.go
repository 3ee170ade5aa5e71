package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary pipeline text through the whole loader: parse,
// variables, references, compile against the built-in kinds. It must
// neither panic nor hang; errors are fine. Seeded with every fixture and
// example.
//
//	go test -run '^$' -fuzz FuzzLoad -fuzztime 60s ./cmd/ccw
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.hcl")
	examples, _ := filepath.Glob("../../examples/*.hcl")
	for _, p := range append(seeds, examples...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(dir, "fuzz.hcl")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			l, diags := compileFile(path, nil, filepath.Join(dir, "datasets"))
			if !diags.HasErrors() && l.plan != nil {
				l.plan.Close()
			}
			_ = sortedDiags(diags)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("loading did not finish in 10s:\n%s", src)
		}
	})
}
