package dag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type recorder struct {
	mu    sync.Mutex
	order []ID
}

func (r *recorder) add(id ID) {
	r.mu.Lock()
	r.order = append(r.order, id)
	r.mu.Unlock()
}

func (r *recorder) pos(id ID) int {
	for i, v := range r.order {
		if v == id {
			return i
		}
	}
	return -1
}

func TestWalkOrderAndBound(t *testing.T) {
	var rec recorder
	var inFlight, peak atomic.Int32
	w := NewWalker(3, func(ctx context.Context, id ID) error {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		rec.add(id)
		inFlight.Add(-1)
		return nil
	})
	// 20 chains a -> b -> c.
	var chains [][3]ID
	for i := 0; i < 20; i++ {
		a := w.Add(uint64(i))
		b := w.Add(uint64(i), a)
		c := w.Add(uint64(i), b)
		chains = append(chains, [3]ID{a, b, c})
	}
	s := w.Run(context.Background())
	if s.Done != 60 || s.Failed+s.Skipped+s.NotRun != 0 {
		t.Fatalf("summary %+v", s)
	}
	if peak.Load() > 3 {
		t.Fatalf("%d visits ran at once, limit 3", peak.Load())
	}
	for _, c := range chains {
		if !(rec.pos(c[0]) < rec.pos(c[1]) && rec.pos(c[1]) < rec.pos(c[2])) {
			t.Fatalf("chain %v ran out of order", c)
		}
	}
}

func TestPriority(t *testing.T) {
	var rec recorder
	w := NewWalker(1, func(ctx context.Context, id ID) error { rec.add(id); return nil })
	hi := w.Add(5)
	lo := w.Add(1)
	mid := w.Add(3)
	w.Run(context.Background())
	if fmt.Sprint(rec.order) != fmt.Sprint([]ID{lo, mid, hi}) {
		t.Fatalf("order %v", rec.order)
	}
}

func TestFailureSkipsDependentsOnce(t *testing.T) {
	boom := errors.New("boom")
	var ran sync.Map
	var w *Walker
	w = NewWalker(4, func(ctx context.Context, id ID) error {
		ran.Store(id, true)
		if id == 1 {
			return boom
		}
		return nil
	})
	a := w.Add(0)       // 0 ok
	b := w.Add(0, a)    // 1 fails
	c := w.Add(0, b)    // 2 skipped
	d := w.Add(0, c, a) // 3 skipped
	e := w.Add(0, a)    // 4 ok: other branch goes on
	_ = w.Add(0, d, e)  // 5 skipped
	s := w.Run(context.Background())
	if s.Done != 2 || s.Failed != 1 || s.Skipped != 3 {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Errors) != 1 || s.Errors[0].ID != b || !errors.Is(s.Errors[0], boom) {
		t.Fatalf("errors %v", s.Errors)
	}
	for _, id := range []ID{c, d} {
		if _, ok := ran.Load(id); ok {
			t.Fatalf("skipped vertex %d ran", id)
		}
	}
}

func TestDynamicExpansion(t *testing.T) {
	// Each "turn" adds the next one until turn 5: the graph grows while it runs.
	var w *Walker
	var turns atomic.Int32
	w = NewWalker(2, func(ctx context.Context, id ID) error {
		if n := turns.Add(1); n < 5 {
			w.Add(uint64(n), id)
		}
		return nil
	})
	w.Add(0)
	w.Add(0) // a second independent root that also expands
	s := w.Run(context.Background())
	if s.Done != w.Len() || s.Done < 5 {
		t.Fatalf("summary %+v, %d vertices", s, w.Len())
	}
	// Adding after a failure skips immediately.
	w2 := NewWalker(1, func(ctx context.Context, id ID) error { return errors.New("x") })
	root := w2.Add(0)
	w2.Run(context.Background())
	w3 := w2.Add(0, root)
	_ = w3
	if w2.vs[w3].state != skipped {
		t.Fatal("vertex added after its dependency failed was not skipped")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	started := make(chan struct{}, 100)
	w := NewWalker(2, func(ctx context.Context, id ID) error {
		started <- struct{}{}
		<-ctx.Done()
		return context.Cause(ctx)
	})
	for i := 0; i < 10; i++ {
		w.Add(0)
	}
	go func() {
		<-started
		<-started
		cancel(errors.New("interrupted by user"))
	}()
	done := make(chan Summary)
	go func() { done <- w.Run(ctx) }()
	select {
	case s := <-done:
		if s.Cause == nil || !strings.Contains(s.Cause.Error(), "interrupted") {
			t.Fatalf("cause %v", s.Cause)
		}
		// The two visits cut short by the cancellation are not failures.
		if s.NotRun != 10 || s.Failed != 0 || len(s.Errors) != 0 {
			t.Fatalf("summary %+v", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("walk did not stop after cancellation")
	}
}

func TestPanicIsAnError(t *testing.T) {
	w := NewWalker(1, func(ctx context.Context, id ID) error { panic("kaboom") })
	w.Add(0)
	s := w.Run(context.Background())
	if s.Failed != 1 || !strings.Contains(s.Errors[0].Error(), "kaboom") {
		t.Fatalf("summary %+v", s)
	}
}

func TestEmpty(t *testing.T) {
	s := NewWalker(1, nil).Run(context.Background())
	if s.Done+s.Failed+s.Skipped+s.NotRun != 0 {
		t.Fatalf("%+v", s)
	}
}

// TestLanesDoNotBlockEachOther fills lane 0 with vertices that wait until
// every vertex of lane 1 has run: with a shared pool of two workers the
// walk would deadlock, with lanes it finishes.
func TestLanesDoNotBlockEachOther(t *testing.T) {
	var fast atomic.Int32
	const nFast = 10
	allFast := make(chan struct{})
	var w *Walker
	var slowLane, fastLane Lane
	w = NewWalker(2, func(ctx context.Context, id ID) error {
		if id < 2 { // lane 0: wait for lane 1
			select {
			case <-allFast:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if fast.Add(1) == nFast {
			close(allFast)
		}
		return nil
	})
	fastLane = w.AddLane(1)
	w.AddIn(slowLane, 0)
	w.AddIn(slowLane, 0)
	for i := 0; i < nFast; i++ {
		w.AddIn(fastLane, uint64(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := w.Run(ctx)
	if s.Done != 2+nFast || s.Cause != nil {
		t.Fatalf("summary %+v", s)
	}
}
