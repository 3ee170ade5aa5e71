package llm

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// clock is a settable time for the pool.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testPool(n int) (*pool, *clock) {
	var reps []*replica
	for i := range n {
		reps = append(reps, &replica{url: fmt.Sprint(i), lim: newLimiter(1, 0, 0)})
	}
	p := newPool(reps)
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p.now = c.now
	return p, c
}

func names(rs ...*replica) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.url)
	}
	return strings.Join(out, " ")
}

// TestPoolPolicy walks the policy step by step: fewest outstanding first,
// a failed replica rests (longer after each failure in a row) and comes
// back, and when every replica rests the one back soonest is used.
func TestPoolPolicy(t *testing.T) {
	p, c := testPool(3)
	a, b, d := p.pick(), p.pick(), p.pick()
	if got := names(a, b, d); got != "0 1 2" {
		t.Fatalf("three picks with nothing outstanding: %s, want every replica once", got)
	}
	p.done(b, healthy)
	if r := p.pick(); r.url != "1" {
		t.Fatalf("picked %s, want 1 (the only one with nothing outstanding)", r.url)
	}
	// 0 fails: it rests restBase, and the others take the calls.
	p.done(a, failed)
	for i := 0; i < 4; i++ {
		r := p.pick()
		if r.url == "0" {
			t.Fatalf("pick %d went to the resting replica", i)
		}
		p.done(r, healthy)
	}
	c.add(restBase + time.Millisecond)
	if r := p.pick(); r.url != "0" {
		t.Fatalf("after its rest, picked %s, want 0 (back, nothing outstanding)", r.url)
	} else {
		p.done(r, failed) // fails again: a longer rest
	}
	c.add(restBase + time.Millisecond)
	for i := 0; i < 3; i++ {
		if r := p.pick(); r.url == "0" {
			t.Fatal("a second failure in a row did not double the rest")
		} else {
			p.done(r, healthy)
		}
	}
	// Everyone rests: the one whose rest ends first is used anyway.
	for _, r := range p.reps {
		r.outstanding = 0
	}
	// 0 rests until 2·restBase after its second failure, 5.001 s ago; 1
	// and 2 now fail and rest restBase from now: 0 is back first.
	p.done(p.pick(), failed)
	p.done(p.pick(), failed)
	if r := p.pick(); r.url != "0" {
		t.Fatalf("with every replica resting, picked %s, want 0 (back first)", r.url)
	}
	if p.another(p.reps[1]) && p.another(p.reps[2]) {
		t.Fatal("another() found a replica up while all rest")
	}
	st, _, _ := p.stats()
	if st[0].Failures != 2 || st[0].Rests != 2 {
		t.Fatalf("stats of replica 0: %+v", st[0])
	}
}

func replicaModel(t *testing.T, srvs []*llmtest.Server, attrs map[string]cty.Value) *Model {
	t.Helper()
	var urls []cty.Value
	for _, s := range srvs {
		urls = append(urls, cty.StringVal(s.BaseURL()))
	}
	if attrs == nil {
		attrs = map[string]cty.Value{}
	}
	attrs["base_url"] = cty.TupleVal(urls)
	return open(t, nil, attrs)
}

// TestReplicasFailOver: a replica that answers 500 is taken out after one
// attempt and the calls go on at the other; once its rest is over it is
// tried again, and serves again.
func TestReplicasFailOver(t *testing.T) {
	bad, good := llmtest.New(), llmtest.New()
	defer bad.Close()
	defer good.Close()
	down := true
	var mu sync.Mutex
	bad.Script = func(int, llmtest.Request) *llmtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return &llmtest.Fault{Status: 503, Message: "replica restarting"}
		}
		return nil
	}
	m := replicaModel(t, []*llmtest.Server{bad, good}, map[string]cty.Value{"max_retries": cty.NumberIntVal(2)})
	c := &clock{t: time.Now()}
	m.pool.now = c.now
	var n notes
	for i := 0; i < 10; i++ {
		mustDo(t, m, env(nil, &n), fmt.Sprintf("task %d", i))
	}
	if bad.Requests() != 1 || good.Requests() != 10 {
		t.Fatalf("requests: failing replica %d (want 1), good replica %d (want 10)", bad.Requests(), good.Requests())
	}
	st := m.Stats()
	if st.Replicas[0].Failures != 1 || st.Replicas[0].Rests != 1 || st.Retries != 1 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(n.String(), bad.URL) {
		t.Errorf("the retry note does not say which replica failed: %v", n.String())
	}
	// Back after its rest, and healthy.
	mu.Lock()
	down = false
	mu.Unlock()
	c.add(restBase + time.Second)
	for i := 10; i < 14; i++ {
		mustDo(t, m, env(nil, nil), fmt.Sprintf("task %d", i))
	}
	if bad.Requests() < 2 {
		t.Fatalf("the replica was not tried again after its rest (%d requests)", bad.Requests())
	}
}

// TestReplicasSpreadAndBudgets: concurrent calls spread over the replicas,
// and each replica keeps its own concurrency limit (the servers answer 429
// past it, which would show as throttles).
func TestReplicasSpreadAndBudgets(t *testing.T) {
	var srvs []*llmtest.Server
	for range 3 {
		s := llmtest.New()
		s.Latency = 30 * time.Millisecond
		s.MaxInflight = 2
		defer s.Close()
		srvs = append(srvs, s)
	}
	m := replicaModel(t, srvs, map[string]cty.Value{"concurrency": cty.NumberIntVal(2)})
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Do(context.Background(), env(nil, nil), Call{Role: RoleCoder, Prompt: fmt.Sprintf("p%d", i)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := m.Stats()
	for i, s := range srvs {
		if s.Peak() > 2 {
			t.Errorf("replica %d had %d requests in flight, over its concurrency of 2", i, s.Peak())
		}
		if s.Requests() < 5 {
			t.Errorf("replica %d answered %d of 30 calls: the load is not spread (%v)", i, s.Requests(), st.Replicas)
		}
	}
	if st.Throttles != 0 || st.Limit != 6 {
		t.Errorf("throttles %d, summed limit %v (want 0 and 3×2)", st.Throttles, st.Limit)
	}
}

func TestReplicasPreflight(t *testing.T) {
	up, gone := llmtest.New(), llmtest.New()
	defer up.Close()
	gone.Close()
	m := replicaModel(t, []*llmtest.Server{gone, up}, nil)
	if err := m.Preflight(context.Background(), false); err != nil {
		t.Fatalf("one replica up: %v", err)
	}
	mustDo(t, m, env(nil, nil), "x")
	if up.Requests() != 1 {
		t.Fatal("the first call went to the replica that failed its preflight")
	}
	other := llmtest.New()
	other.Close()
	m = replicaModel(t, []*llmtest.Server{gone, other}, nil)
	err := m.Preflight(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "cannot reach any of its 2 endpoints") {
		t.Fatalf("all down: %v", err)
	}
}

func TestBaseURLList(t *testing.T) {
	cases := []struct {
		name string
		v    cty.Value
		err  string
		n    int
	}{
		{"one", cty.StringVal("http://a:8000/v1"), "", 1},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("http://a:8000/v1"), cty.StringVal("http://b:8000/v1")}), "", 2},
		{"tuple", cty.TupleVal([]cty.Value{cty.StringVal("http://a/v1"), cty.StringVal("http://b/v1")}), "", 2},
		{"empty", cty.ListValEmpty(cty.String), "non-empty list", 0},
		{"twice", cty.TupleVal([]cty.Value{cty.StringVal("http://a/v1"), cty.StringVal("http://a/v1")}), "listed twice", 0},
		{"not a URL", cty.TupleVal([]cty.Value{cty.StringVal("http://a/v1"), cty.StringVal("a:b")}), "want an http(s) URL", 0},
		{"number", cty.NumberIntVal(3), "want a URL or a non-empty list", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := llmtest.Body(Block().Schema(), map[string]cty.Value{
				"provider": cty.StringVal("vllm"), "name": cty.StringVal("m"), "base_url": c.v})
			r, err := Block().Open("coder", body)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(r.(*Model).pool.reps); got != c.n {
				t.Fatalf("%d replicas, want %d", got, c.n)
			}
		})
	}
}
