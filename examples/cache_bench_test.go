package examples_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/engine"
	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/engine/cache/blobstore"
	"github.com/ccw-dev/ccw/internal/s3test"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages/builtin"
)

// BenchmarkCacheBackends measures, in one run, cache hits and a cached
// walk of the quickstart sweep (17 tasks × 9 combinations × 10 turns)
// from a local directory and from a bucket on a loopback S3 server
// (versitygw), whose read-through copy is either empty (every hit is a
// GET) or warm (a second walk on the same machine). Ratios are against the
// local directory.
//
//	go test -run '^$' -bench CacheBackends -benchtime 1x ./examples
func BenchmarkCacheBackends(b *testing.B) {
	needPython(b)
	s := s3test.Start(b)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	ctx := context.Background()
	open := func(loc string) cache.Backend {
		c, err := blobstore.Open(ctx, loc, blobstore.Options{Local: b.TempDir(), Cache: cache.Options{NoSync: true}})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	dir := b.TempDir()
	bucket := s.URL("bench")

	// Hits: 2000 entries of 1 KiB (inline) and 200 of 64 KiB (CAS blobs).
	keys := make([][32]byte, 0, 2200)
	fill := func(c cache.Backend) {
		for i := 0; i < cap(keys); i++ {
			size := 1 << 10
			if i%11 == 0 {
				size = 64 << 10
			}
			data := make([]byte, size)
			copy(data, fmt.Sprint(i))
			k := sha256.Sum256([]byte(fmt.Sprint("bench", i)))
			if len(keys) < cap(keys) {
				keys = append(keys, k)
			}
			if err := c.Put(k, "bench", data, [32]byte{}); err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
	}
	fill(open(dir))
	fill(open(bucket))
	type hitResult struct{ latency, throughput float64 } // µs per hit sequentially; hits/s with 16 goroutines
	hits := func(loc string, warm bool) hitResult {
		c := open(loc)
		defer c.Close()
		if warm { // a second pass: the bucket's local copy is filled, the directory's pages cached
			for _, k := range keys {
				c.Lookup(k)
			}
		}
		start := time.Now()
		for _, k := range keys[:len(keys)/2] {
			if _, ok, err := c.Lookup(k); !ok || err != nil {
				b.Fatalf("miss: %v", err)
			}
		}
		lat := float64(time.Since(start).Microseconds()) / float64(len(keys)/2)
		var next atomic.Int64
		var wg sync.WaitGroup
		start = time.Now()
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := len(keys) / 2; ; {
					i = len(keys)/2 + int(next.Add(1)) - 1
					if i >= len(keys) {
						return
					}
					if _, ok, _ := c.Lookup(keys[i]); !ok {
						b.Error("miss")
						return
					}
				}
			}()
		}
		wg.Wait()
		return hitResult{lat, float64(len(keys)/2) / time.Since(start).Seconds()}
	}

	// The quickstart sweep, filled once into each, then walked cached.
	walk := func(c cache.Backend) (time.Duration, engine.Result) {
		set := builtin.Registry(builtin.Options{DatasetDir: b.TempDir()})
		p := pipelines.NewParser(engine.Vocabulary(set))
		cfg, diags := p.LoadFile("quickstart.hcl")
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		scope, diags := p.Evaluate(cfg, nil)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		plan, diags := engine.Compile(cfg, scope, set)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		defer plan.Close()
		start := time.Now()
		res, err := engine.Run(ctx, plan, engine.RunOptions{Cache: c, Out: b.TempDir()})
		if err != nil || len(res.Errors) > 0 {
			b.Fatalf("walk: %v %v", err, res.Errors)
		}
		return time.Since(start), *res
	}
	walkDir, walkBucket := b.TempDir(), s.URL("walk")
	for _, loc := range []string{walkDir, walkBucket} {
		c := open(loc)
		walk(c)
		c.Close()
	}
	cachedWalk := func(loc string, warm bool) time.Duration {
		c := open(loc)
		defer c.Close()
		if warm {
			walk(c)
		}
		d, res := walk(c)
		if res.Summary.Ran != 0 {
			b.Fatalf("the cached walk ran %d stages", res.Summary.Ran)
		}
		return d
	}

	b.ResetTimer()
	hDir, hCold, hWarm := hits(dir, true), hits(bucket, false), hits(bucket, true)
	// Each walk twice, interleaved, keeping the faster: the first walks of
	// a process pay for warming up what the later ones reuse.
	best := func(d *time.Duration, v time.Duration) {
		if *d == 0 || v < *d {
			*d = v
		}
	}
	var wDir, wCold, wWarm time.Duration
	for range 2 {
		best(&wDir, cachedWalk(walkDir, false))
		best(&wCold, cachedWalk(walkBucket, false))
		best(&wWarm, cachedWalk(walkBucket, true))
	}
	b.StopTimer()

	b.ReportMetric(hDir.latency, "dir-hit-µs")
	b.ReportMetric(hCold.latency, "bucket-hit-µs")
	b.ReportMetric(wDir.Seconds(), "dir-walk-s")
	b.ReportMetric(wCold.Seconds(), "bucket-walk-s")
	b.Logf("cache hits (%d entries, 1 in 11 a 64 KiB blob):", len(keys))
	b.Logf("  %-32s %9.1f µs/hit   %9.0f hits/s (16 goroutines)", "local directory (warm)", hDir.latency, hDir.throughput)
	b.Logf("  %-32s %9.1f µs/hit   %9.0f hits/s   latency ×%.1f, throughput ×%.2f", "bucket, empty local copy", hCold.latency, hCold.throughput, hCold.latency/hDir.latency, hCold.throughput/hDir.throughput)
	b.Logf("  %-32s %9.1f µs/hit   %9.0f hits/s   latency ×%.1f, throughput ×%.2f", "bucket, warm local copy", hWarm.latency, hWarm.throughput, hWarm.latency/hDir.latency, hWarm.throughput/hDir.throughput)
	b.Logf("cached walk of the quickstart sweep:")
	b.Logf("  %-32s %9s", "local directory", wDir.Round(time.Millisecond))
	b.Logf("  %-32s %9s   ×%.2f", "bucket, empty local copy", wCold.Round(time.Millisecond), wCold.Seconds()/wDir.Seconds())
	b.Logf("  %-32s %9s   ×%.2f", "bucket, warm local copy", wWarm.Round(time.Millisecond), wWarm.Seconds()/wDir.Seconds())
}
