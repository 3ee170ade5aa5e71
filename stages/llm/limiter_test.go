package llm

import (
	"context"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBucket(60) // one per second, at most 60
	b.last = t0
	steps := []struct {
		at     time.Duration
		n      float64
		ok     bool
		wait   time.Duration
		tokens float64
	}{
		{0, 60, true, 0, 0},
		{0, 1, false, time.Second, 0},
		{time.Second, 1, true, 0, 0},
		{30 * time.Second, 100, false, 31 * time.Second, 29}, // larger than the bucket: waits until full
		{61 * time.Second, 100, true, 0, -40},                // then goes into debt
		{61 * time.Second, 1, false, 41 * time.Second, -40},
	}
	for i, s := range steps {
		wait, ok := b.tryTake(t0.Add(s.at), s.n)
		if ok != s.ok || wait != s.wait || b.tokens != s.tokens {
			t.Errorf("step %d: ok %v wait %s tokens %v; want %v %s %v", i, ok, wait, b.tokens, s.ok, s.wait, s.tokens)
		}
	}
}

func TestLimiterAIMD(t *testing.T) {
	l := newLimiter(16, 0, 0)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	e1, _ := l.acquire(context.Background(), 0)
	e2, _ := l.acquire(context.Background(), 0)
	l.release()
	l.release()
	l.throttled(e1, 0)
	l.throttled(e2, 0) // same window: no second halving
	if lim, n := l.state(); lim != 8 || n != 2 {
		t.Errorf("after two 429s of one window: limit %v throttles %d, want 8 and 2", lim, n)
	}
	e3, _ := l.acquire(context.Background(), 0)
	l.release()
	l.throttled(e3, 2*time.Second) // a new window halves again and pauses everybody
	if lim, _ := l.state(); lim != 4 || !l.pausedUntil.Equal(now.Add(2*time.Second)) {
		t.Errorf("limit %v paused until %s", lim, l.pausedUntil)
	}
	for range 200 { // +1/limit each: about 114 successes from 4 to 16
		l.success()
	}
	if lim, _ := l.state(); lim != 16 {
		t.Errorf("additive increase stopped at %v, want the configured 16", lim)
	}
	if l.cap() != 16 {
		t.Errorf("cap %d", l.cap())
	}
}

func TestLimiterSlots(t *testing.T) {
	l := newLimiter(2, 0, 0)
	ctx := context.Background()
	for range 2 {
		if _, err := l.acquire(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan struct{})
	go func() {
		if _, err := l.acquire(ctx, 0); err == nil {
			close(got)
		}
	}()
	select {
	case <-got:
		t.Fatal("a third request got a slot of two")
	case <-time.After(20 * time.Millisecond):
	}
	l.release()
	<-got // handed over on release
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(cctx, 0); err == nil {
		t.Error("acquire with a cancelled context succeeded while full")
	}
	if l.inflight != 2 || len(l.waiters) != 0 {
		t.Errorf("inflight %d waiters %d", l.inflight, len(l.waiters))
	}
}
