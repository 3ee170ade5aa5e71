package llm

import (
	"context"
	"math"
	"sync"
	"time"
)

// limiter paces the calls to one endpoint for the whole run: at most
// `limit` requests in flight, where limit moves between 1 and the
// configured concurrency by additive increase (one slot per `limit`
// successes) and multiplicative decrease (halved on a 429, once per
// window); a pause after a Retry-After; and requests- and tokens-per-minute
// buckets.
type limiter struct {
	mu       sync.Mutex
	max      float64
	limit    float64
	inflight int
	waiters  []chan struct{}
	// pausedUntil holds back every new request after a 429 that named a
	// Retry-After: the endpoint asked all of us to wait, not just one call.
	pausedUntil time.Time
	// epoch counts decreases. A request remembers the epoch it started
	// in; only a 429 to a request of the current epoch halves the limit,
	// so a burst of 429s sent under the old limit halves it once (as TCP
	// halves once per round trip).
	epoch     uint64
	throttles int

	rpm, tpm *bucket
	now      func() time.Time
}

func newLimiter(concurrency, rpm, tpm int) *limiter {
	l := &limiter{max: float64(concurrency), limit: float64(concurrency), now: time.Now}
	if rpm > 0 {
		l.rpm = newBucket(float64(rpm))
	}
	if tpm > 0 {
		l.tpm = newBucket(float64(tpm))
	}
	return l
}

// acquire waits for a slot, the end of a pause and the rate buckets, in
// that order. tokens is the estimate charged to the tokens bucket. It
// returns the epoch to pass to throttled.
func (l *limiter) acquire(ctx context.Context, tokens float64) (uint64, error) {
	if err := l.slot(ctx); err != nil {
		return 0, err
	}
	var epoch uint64
	for {
		l.mu.Lock()
		wait := l.pausedUntil.Sub(l.now())
		epoch = l.epoch
		l.mu.Unlock()
		if wait <= 0 {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			l.release()
			return 0, err
		}
	}
	for _, b := range []struct {
		b *bucket
		n float64
	}{{l.rpm, 1}, {l.tpm, tokens}} {
		if b.b == nil {
			continue
		}
		if err := b.b.take(ctx, b.n); err != nil {
			l.release()
			return 0, err
		}
	}
	return epoch, nil
}

func (l *limiter) slot(ctx context.Context) error {
	l.mu.Lock()
	if l.inflight < l.cap() && len(l.waiters) == 0 {
		l.inflight++
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return nil // the slot was handed over by wake
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.waiters {
			if w == ch {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				return context.Cause(ctx)
			}
		}
		// wake handed us a slot just as we gave up: give it back.
		l.inflight--
		l.wakeLocked()
		return context.Cause(ctx)
	}
}

func (l *limiter) cap() int { return int(math.Max(1, math.Floor(l.limit))) }

// wakeLocked hands free slots to waiters in arrival order.
func (l *limiter) wakeLocked() {
	for len(l.waiters) > 0 && l.inflight < l.cap() {
		ch := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.inflight++
		close(ch)
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	l.inflight--
	l.wakeLocked()
	l.mu.Unlock()
}

// success raises the limit additively: +1 per `limit` successes.
func (l *limiter) success() {
	l.mu.Lock()
	if l.limit < l.max {
		l.limit = math.Min(l.max, l.limit+1/l.limit)
		l.wakeLocked()
	}
	l.mu.Unlock()
}

// throttled halves the limit when the 429 answers a request of the
// current epoch, and pauses everybody for retryAfter when the endpoint
// named one.
func (l *limiter) throttled(epoch uint64, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.throttles++
	if epoch == l.epoch {
		l.limit = math.Max(1, l.limit/2)
		l.epoch++
	}
	if until := now.Add(retryAfter); retryAfter > 0 && until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// used corrects the tokens bucket once the real usage is known.
func (l *limiter) used(estimate, actual float64) {
	if l.tpm != nil {
		l.tpm.refund(estimate - actual)
	}
}

// state returns the current limit and the number of 429s seen.
func (l *limiter) state() (limit float64, throttles int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.throttles
}

// bucket is a token bucket refilled continuously at perMinute/60 per
// second, holding at most perMinute. A request larger than the bucket is
// let through when the bucket is full, then leaves it in debt.
type bucket struct {
	mu       sync.Mutex
	capacity float64
	tokens   float64
	rate     float64 // per second
	last     time.Time
}

func newBucket(perMinute float64) *bucket {
	return &bucket{capacity: perMinute, tokens: perMinute, rate: perMinute / 60, last: time.Now()}
}

func (b *bucket) refill(now time.Time) {
	b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

func (b *bucket) take(ctx context.Context, n float64) error {
	for {
		wait, ok := b.tryTake(time.Now(), n)
		if ok {
			return nil
		}
		if err := sleep(ctx, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}

// tryTake takes n tokens at time now when the bucket holds them (or is
// full, for requests larger than the bucket); otherwise it says how long
// until it will.
func (b *bucket) tryTake(now time.Time, n float64) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	need := math.Min(n, b.capacity)
	if b.tokens >= need {
		b.tokens -= n
		return 0, true
	}
	return time.Duration((need - b.tokens) / b.rate * float64(time.Second)), false
}

func (b *bucket) refund(n float64) {
	b.mu.Lock()
	b.refill(time.Now())
	b.tokens = math.Min(b.capacity, b.tokens+n)
	b.mu.Unlock()
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
