package tasks

import (
	"path/filepath"
	"testing"
)

// BenchmarkReadSplit measures reading the 1140 records of v0.1.0_hf in each
// format, and the canonical digest over them.
func BenchmarkReadSplit(b *testing.B) {
	src := sharedSplit(b, "BigCodeBench-v0.1.0_hf.jsonl.gz")
	tasks, err := ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	plain := writeFile(b, dir, "split.jsonl", jsonlBytes(b, tasks))
	pq := filepath.Join(dir, "split.parquet")
	writeParquet(b, pq, taskColumns(tasks))
	for _, c := range []struct{ name, path string }{{"jsonl.gz", src}, {"jsonl", plain}, {"parquet", pq}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ReadFile(c.path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/split")
		})
	}
	b.Run("digest", func(b *testing.B) {
		for b.Loop() {
			CanonicalDigest(tasks)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/split")
	})
}
