package llm

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// BenchmarkThroughput: a loopback server answering every request after a
// fixed 200 ms, and a model with concurrency = 64. The ceiling is
// 64 / 0.2 s = 320 calls/s; pct_of_ceiling is what we reach (target ≥ 90).
func BenchmarkThroughput(b *testing.B) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Latency = 200 * time.Millisecond
	m := open(b, srv, map[string]cty.Value{"concurrency": cty.NumberIntVal(64)})
	const calls = 640
	b.ResetTimer()
	start := time.Now()
	for it := 0; it < b.N; it++ {
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					if _, err := m.Do(context.Background(), Env{}, Call{Role: RoleCoder, Prompt: fmt.Sprintf("iteration %d call %d", it, j)}); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for j := range calls {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
	}
	perSec := float64(calls*b.N) / time.Since(start).Seconds()
	b.ReportMetric(perSec, "calls/s")
	b.ReportMetric(100*perSec/320, "pct_of_ceiling")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkOverhead: sequential calls to a loopback server that answers at
// once, through Model.Do (store, key, limiter, go-openai, decoding) and as
// a bare HTTP POST of the same body, interleaved in one run; the
// difference per call is the client's overhead.
func BenchmarkOverhead(b *testing.B) {
	srv := llmtest.New()
	defer srv.Close()
	m := open(b, srv, nil)
	store := llmtest.NewMemStore()
	body := []byte(`{"model":"deepseek-coder-6.7b","messages":[{"role":"user","content":"write task_func"}],"temperature":0,"n":1,"stream":false}`)
	client := &http.Client{}
	raw := func() {
		resp, err := client.Post(srv.BaseURL()+"/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
	}
	const batch = 200
	var tRaw, tModel time.Duration
	n := 0
	for j := range 50 { // warm both paths: connections, server goroutines
		raw()
		if _, err := m.Do(context.Background(), Env{}, Call{Role: RoleCoder, Prompt: fmt.Sprintf("warm %d", j)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		t0 := time.Now()
		for range batch {
			raw()
		}
		t1 := time.Now()
		for j := range batch {
			if _, err := m.Do(context.Background(), Env{Store: store}, Call{Role: RoleCoder, Prompt: fmt.Sprintf("write task_func %d/%d", it, j)}); err != nil {
				b.Fatal(err)
			}
		}
		tRaw, tModel, n = tRaw+t1.Sub(t0), tModel+time.Since(t1), n+batch
	}
	b.ReportMetric(float64(tRaw.Microseconds())/float64(n), "raw_us/call")
	b.ReportMetric(float64(tModel.Microseconds())/float64(n), "model_us/call")
	b.ReportMetric(float64((tModel-tRaw).Microseconds())/float64(n), "overhead_us/call")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkCached100k: 100k answers recorded in an in-memory store, then
// served by a fresh model from the store alone. Reports the bytes the
// store holds, the heap the model retains after serving them (it keeps
// nothing per call), allocation and time per cached call.
func BenchmarkCached100k(b *testing.B) {
	const calls = 100_000
	mockAttrs := map[string]cty.Value{"provider": cty.StringVal("mock"), "name": cty.StringVal("bench"),
		"mock_default": cty.StringVal("```python\ndef task_func(x):\n    return sorted(x)\n```")}
	store := llmtest.NewMemStore()
	rec := open(b, nil, mockAttrs)
	for j := range calls {
		if _, err := rec.Do(context.Background(), Env{Store: store}, Call{Role: RoleCoder, Prompt: fmt.Sprintf("task %d: sort the list", j)}); err != nil {
			b.Fatal(err)
		}
	}
	storeBytes := len(store.Bytes())
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		m := open(b, nil, mockAttrs)
		env := Env{Store: store, Offline: true}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		for j := range calls {
			r, err := m.Do(context.Background(), env, Call{Role: RoleCoder, Prompt: fmt.Sprintf("task %d: sort the list", j)})
			if err != nil || !r.Record.Cached {
				b.Fatalf("call %d: cached=%v err=%v", j, r.Record.Cached, err)
			}
		}
		elapsed := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(storeBytes)/(1<<20), "store_MB")
		b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/(1<<20), "heap_retained_MB")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/calls/1024, "alloc_KB/call")
		b.ReportMetric(float64(elapsed.Microseconds())/calls, "us/cached_call")
		runtime.KeepAlive(m)
	}
	b.ReportMetric(0, "ns/op")
}
