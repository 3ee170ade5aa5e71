package sandbox

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lending: a run holds one of Config.Slots CPU slots, but a run that waits
// without using the CPU (a sleep, a socket timeout, a subprocess) lends
// its slot to the next run, up to Config.Lend extra runs at once. Many of
// BigCodeBench's longest tasks sleep most of their time; without lending
// they hold a CPU slot idle and decide the wall time.

const (
	lendAfter = time.Second           // a run lends only after running this long
	lendIdle  = 50 * time.Millisecond // and only when it used less CPU than this over the last lendAfter
	lendPoll  = 250 * time.Millisecond
)

// loan is a run's CPU slot, released once: when the run lends it or ends.
type loan struct {
	slots chan struct{}
	once  sync.Once
	lent  chan struct{} // closed when released
}

func newLoan(slots chan struct{}) *loan { return &loan{slots: slots, lent: make(chan struct{})} }

func (l *loan) release() {
	l.once.Do(func() { <-l.slots; close(l.lent) })
}

type probeKey struct{}

// withCPUProbe lets the backend report how to read the run's CPU time
// (watchCPU), so that the run can lend its slot.
func withCPUProbe(ctx context.Context, l *loan) context.Context {
	return context.WithValue(ctx, probeKey{}, l)
}

// watchCPU, called by a backend once the run's processes are in their
// cgroup, lends the run's slot when cpu (the cgroup's CPU time, or -1
// when it cannot be read) shows the run waiting and the machine has the
// memory one more run may take (need, the memory limit; 0: no limit, no
// lending). The watch ends with done.
func watchCPU(ctx context.Context, cpu func() time.Duration, need int64, done <-chan struct{}) {
	l, ok := ctx.Value(probeKey{}).(*loan)
	if !ok || cpu == nil || need <= 0 {
		return
	}
	go func() {
		type sample struct {
			at  time.Time
			cpu time.Duration
		}
		start := time.Now()
		var window []sample
		t := time.NewTicker(lendPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-l.lent:
				return
			case now := <-t.C:
				c := cpu()
				if c < 0 {
					return
				}
				window = append(window, sample{now, c})
				for len(window) > 1 && now.Sub(window[1].at) >= lendAfter {
					window = window[1:]
				}
				if now.Sub(start) >= lendAfter && now.Sub(window[0].at) >= lendAfter-lendPoll/2 && c-window[0].cpu < lendIdle &&
					memAvailable("/proc/meminfo") >= need {
					l.release()
					return
				}
			}
		}
	}()
}

// memAvailable is the kernel's estimate of the memory available for new
// work (MemAvailable in path, bytes), or 0 when it cannot be read.
func memAvailable(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0
			}
			if len(f) == 3 && f[2] == "kB" {
				n <<= 10
			}
			return n
		}
	}
	return 0
}
