package dag

import (
	"container/heap"
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// ID names a vertex of a Walker.
type ID int32

// VisitFunc runs one vertex. It may call Walker.Add to grow the graph
// (typically with dependencies on the vertex being visited). An error
// returned after the walk's context was cancelled counts as not run, not
// as a failure.
type VisitFunc func(ctx context.Context, id ID) error

type state uint8

const (
	waiting state = iota
	ready
	running
	done
	failed
	skipped
)

type vertex struct {
	prio    uint64
	pending int32
	lane    Lane
	state   state
	users   []ID
}

// Lane names a class of vertices with its own bound on visits in flight
// and its own ready queue, so that vertices waiting on one slow resource
// (a model endpoint) never hold back those of another (the sandbox). Lane
// 0 exists from the start.
type Lane uint16

type lane struct {
	limit   int
	queue   readyQueue
	running int
	wake    *sync.Cond // signalled when a vertex of this lane becomes ready
}

// Walker walks a growing graph of vertices concurrently. Create it with
// NewWalker, add lanes and vertices, then Run once.
type Walker struct {
	visit VisitFunc

	mu        sync.Mutex
	lanes     []*lane
	vs        []vertex
	running   int // over all lanes
	queued    int // over all lanes
	cancelled bool
	finished  bool
	errs      []VertexError
	counts    [skipped + 1]int
}

// VertexError is the error of one failed vertex.
type VertexError struct {
	ID  ID
	Err error
}

func (e VertexError) Error() string { return fmt.Sprintf("vertex %d: %v", e.ID, e.Err) }
func (e VertexError) Unwrap() error { return e.Err }

// Summary is what a walk did.
type Summary struct {
	Done, Failed, Skipped, NotRun int
	// Errors lists each failure once, in the order they happened;
	// dependents skipped because of a failure are only counted.
	Errors []VertexError
	// Cause is why the walk stopped early (context cancellation), or nil.
	Cause error
}

// NewWalker returns a Walker whose lane 0 runs at most parallelism visits
// at once.
func NewWalker(parallelism int, visit VisitFunc) *Walker {
	w := &Walker{visit: visit}
	w.AddLane(parallelism)
	return w
}

// AddLane adds a lane running at most limit visits at once. Lanes must be
// added before Run.
func (w *Walker) AddLane(limit int) Lane {
	if limit < 1 {
		limit = 1
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lanes = append(w.lanes, &lane{limit: limit, wake: sync.NewCond(&w.mu)})
	return Lane(len(w.lanes) - 1)
}

// Add adds a vertex to lane 0; see AddIn.
func (w *Walker) Add(prio uint64, deps ...ID) ID { return w.AddIn(0, prio, deps...) }

// AddIn adds a vertex to lane l that runs once every dependency is done;
// among the ready vertices of a lane, lower prio runs first. A vertex whose
// dependency failed or was skipped is skipped. AddIn may be called before
// Run and, during Run, from a VisitFunc; dependencies must already exist.
func (w *Walker) AddIn(l Lane, prio uint64, deps ...ID) ID {
	w.mu.Lock()
	defer w.mu.Unlock()
	if int(l) >= len(w.lanes) {
		panic(fmt.Sprintf("dag: lane %d does not exist", l))
	}
	id := ID(len(w.vs))
	w.vs = append(w.vs, vertex{prio: prio, lane: l})
	v := &w.vs[id]
	skip := false
	for _, d := range deps {
		dv := &w.vs[d]
		switch dv.state {
		case done:
		case failed, skipped:
			skip = true
		default:
			v.pending++
			dv.users = append(dv.users, id)
		}
	}
	if skip {
		w.skip(id)
	} else if v.pending == 0 {
		w.makeReady(id)
	}
	return id
}

// Len returns the number of vertices added so far.
func (w *Walker) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.vs)
}

// Run walks until every vertex is done, failed or skipped, or ctx is
// cancelled; then it waits for visits in flight and returns. Visits run on
// a fixed pool of worker goroutines, whose stacks stay warm across visits.
func (w *Walker) Run(ctx context.Context) Summary {
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.cancelled = true
		w.wakeAll()
		w.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	w.mu.Lock()
	lanes := w.lanes
	w.mu.Unlock()
	for _, ln := range lanes {
		for i := 0; i < ln.limit; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.work(ctx, ln)
			}()
		}
	}
	wg.Wait()

	w.mu.Lock()
	defer w.mu.Unlock()
	s := Summary{Done: w.counts[done], Failed: w.counts[failed], Skipped: w.counts[skipped], Errors: w.errs}
	s.NotRun = len(w.vs) - s.Done - s.Failed - s.Skipped
	if w.cancelled {
		s.Cause = context.Cause(ctx)
	}
	return s
}

// work is one worker of lane ln: it takes the lane's best ready vertex,
// visits it, and records the outcome, until the walk has nothing ready or
// running in any lane.
func (w *Walker) work(ctx context.Context, ln *lane) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for ln.queue.Len() == 0 && !w.cancelled && !w.finished {
			if w.running == 0 && w.queued == 0 {
				w.finished = true
				w.wakeAll()
				break
			}
			ln.wake.Wait()
		}
		if w.cancelled || w.finished {
			if w.running == 0 {
				w.wakeAll()
			}
			return
		}
		id := heap.Pop(&ln.queue).(qitem).id
		w.queued--
		w.vs[id].state = running
		w.running++
		ln.running++
		w.mu.Unlock()
		err := w.safeVisit(ctx, id)
		w.mu.Lock()
		w.running--
		ln.running--
		if err != nil && ctx.Err() != nil {
			// Cut short by the cancellation: not a failure of the vertex.
			w.vs[id].state = waiting
			w.cancelled = true
			w.wakeAll()
			continue
		}
		w.complete(id, err)
		if ctx.Err() != nil {
			w.cancelled = true
			w.wakeAll()
		}
		if w.running == 0 && w.queued == 0 {
			w.wakeAll() // idle workers of other lanes must see the end
		}
	}
}

// wakeAll wakes every waiting worker. Called with mu held.
func (w *Walker) wakeAll() {
	for _, ln := range w.lanes {
		ln.wake.Broadcast()
	}
}

func (w *Walker) makeReady(id ID) {
	v := &w.vs[id]
	v.state = ready
	ln := w.lanes[v.lane]
	heap.Push(&ln.queue, qitem{id: id, prio: v.prio})
	w.queued++
	ln.wake.Signal()
}

// complete records the outcome of a visit. Called with mu held.
func (w *Walker) complete(id ID, err error) {
	if err != nil {
		w.vs[id].state = failed
		w.counts[failed]++
		w.errs = append(w.errs, VertexError{ID: id, Err: err})
		for _, u := range w.vs[id].users {
			w.skip(u)
		}
	} else {
		w.vs[id].state = done
		w.counts[done]++
		for _, u := range w.vs[id].users {
			uv := &w.vs[u]
			if uv.state != waiting {
				continue
			}
			if uv.pending--; uv.pending == 0 {
				w.makeReady(u)
			}
		}
	}
	w.vs[id].users = nil
}

func (w *Walker) safeVisit(ctx context.Context, id ID) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (a bug in ccw, please report it): %v\n%s", r, debug.Stack())
		}
	}()
	return w.visit(ctx, id)
}

// skip marks id and everything depending on it as skipped.
func (w *Walker) skip(id ID) {
	stack := []ID{id}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		vv := &w.vs[v]
		if vv.state != waiting {
			continue
		}
		vv.state = skipped
		w.counts[skipped]++
		stack = append(stack, vv.users...)
		vv.users = nil
	}
}

type qitem struct {
	id   ID
	prio uint64
}

type readyQueue []qitem

func (q readyQueue) Len() int { return len(q) }
func (q readyQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio < q[j].prio
	}
	return q[i].id < q[j].id
}
func (q readyQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)   { *q = append(*q, x.(qitem)) }
func (q *readyQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
