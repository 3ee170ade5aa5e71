package llm

import (
	"sync"
	"time"
)

// A model block may name several base URLs: replicas that serve the same
// model (vLLM on several GPUs or nodes). Each replica has its own HTTP
// client and its own limiter, so concurrency, rpm and tpm are budgets per
// endpoint, as each server's capacity is. A call goes to the replica with
// the fewest requests outstanding; a replica whose attempt fails (no
// connection, 5xx, a timeout) rests for a while — restBase, doubling with
// each failure in a row up to restMax — and is tried again afterwards. A
// 429 is not a failure of the replica: its limiter slows down instead.

// Rest periods of a failing replica.
const (
	restBase = 5 * time.Second
	restMax  = 2 * time.Minute
)

// replica is one endpoint of a model.
type replica struct {
	url  string // redacted, for messages
	base string // the configured URL, for the provider
	prov provider
	lim  *limiter

	// Guarded by the pool's mutex.
	outstanding int       // picked and not yet done
	failures    int       // failed attempts in a row
	restUntil   time.Time // not picked before this, unless every replica rests
	stats       ReplicaStats
}

// ReplicaStats is the accounting of one replica in a run.
type ReplicaStats struct {
	URL      string // base URL without credentials
	Attempts int    // requests started
	Failures int    // attempts that failed (retryable failures)
	Rests    int    // times it was taken out
}

// pool spreads the attempts of one model over its replicas.
type pool struct {
	mu    sync.Mutex
	reps  []*replica
	next  int // rotates ties, so that idle replicas share the first calls
	now   func() time.Time
	base  time.Duration
	limit time.Duration
}

func newPool(reps []*replica) *pool {
	return &pool{reps: reps, now: time.Now, base: restBase, limit: restMax}
}

// pick returns the replica for the next attempt, counted outstanding until
// done: the one with the fewest outstanding requests among those not
// resting, or, when every one rests, the one whose rest ends first.
func (p *pool) pick() *replica {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var best *replica
	n := len(p.reps)
	for i := range n {
		r := p.reps[(p.next+i)%n]
		if r.restUntil.After(now) {
			continue
		}
		if best == nil || r.outstanding < best.outstanding {
			best = r
		}
	}
	if best == nil {
		for _, r := range p.reps {
			if best == nil || r.restUntil.Before(best.restUntil) {
				best = r
			}
		}
	}
	p.next = (p.next + 1) % n
	best.outstanding++
	best.stats.Attempts++
	return best
}

// outcome of an attempt, for done.
type outcome int

const (
	neutral outcome = iota // the replica said nothing about its health (cancelled, 429, refused key)
	healthy                // it answered
	failed                 // it failed in a way another replica may not
)

// done ends an attempt on r.
func (p *pool) done(r *replica, o outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.outstanding--
	switch o {
	case healthy:
		r.failures = 0
	case failed:
		r.failures++
		r.stats.Failures++
		p.restLocked(r)
	}
}

// rest takes r out (a failed preflight).
func (p *pool) rest(r *replica) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.failures++
	p.restLocked(r)
}

func (p *pool) restLocked(r *replica) {
	if len(p.reps) == 1 {
		return // nowhere else to go: the back-off between retries paces it
	}
	d := p.base
	for i := 1; i < r.failures && d < p.limit; i++ {
		d *= 2
	}
	r.restUntil = p.now().Add(min(d, p.limit))
	r.stats.Rests++
}

// another reports whether a replica other than r is not resting: a retry
// can go there at once instead of backing off.
func (p *pool) another(r *replica) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, o := range p.reps {
		if o != r && !o.restUntil.After(now) {
			return true
		}
	}
	return false
}

// stats returns each replica's accounting, and the sums of the limiters'
// concurrency limits and 429s.
func (p *pool) stats() (reps []ReplicaStats, limit float64, throttles int) {
	p.mu.Lock()
	for _, r := range p.reps {
		reps = append(reps, r.stats)
	}
	p.mu.Unlock()
	for _, r := range p.reps {
		l, t := r.lim.state()
		limit += l
		throttles += t
	}
	return reps, limit, throttles
}
