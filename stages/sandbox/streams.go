package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// pipes are the three channels between us and a harness process.
type pipes struct {
	jobR, jobW *os.File // the job, on the child's stdin
	outR, outW *os.File // the program's stdout and stderr
	resR, resW *os.File // the result channel (the child's fd 3)
}

func newPipes() (*pipes, error) {
	var p pipes
	var err error
	if p.jobR, p.jobW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	if p.outR, p.outW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	if p.resR, p.resW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return &p, nil
}

func (p *pipes) closeChildEnds() {
	for _, f := range []*os.File{p.jobR, p.outW, p.resW} {
		if f != nil {
			f.Close()
		}
	}
}

func (p *pipes) closeAll() {
	for _, f := range []*os.File{p.jobR, p.jobW, p.outR, p.outW, p.resR, p.resW} {
		if f != nil {
			f.Close()
		}
	}
}

// watch follows the two streams of a run: result frames and output.
type watch struct {
	coll     *collector
	out      *capture
	kill     chan string // a limit the streams saw broken ("output", "tests")
	fidelity string
	wg       sync.WaitGroup
}

func newWatch(nonce string, l Limits, fidelity string) *watch {
	w := &watch{kill: make(chan string, 1), fidelity: fidelity}
	stop := func(limit string) {
		select {
		case w.kill <- limit:
		default:
		}
	}
	w.out = &capture{max: l.Output, kill: l.OutputKill, over: func() { stop("output") }}
	w.coll = newCollector(nonce, l.Output, w.out.count, stop)
	return w
}

// result is the Result of the run the watch followed (see collector.result).
func (w *watch) result(end ending) Result { return w.coll.result(end, w.fidelity) }

func (w *watch) follow(res, out io.Reader) {
	w.wg.Add(2)
	go func() { defer w.wg.Done(); w.coll.read(res) }()
	go func() { defer w.wg.Done(); w.out.read(out) }()
}

// stop waits for both readers to reach EOF, but no longer than d: after d
// it calls unblock (which must make the readers return), because a process
// that escaped the kill may still hold the streams open.
func (w *watch) stop(d time.Duration, unblock func()) {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		unblock()
		<-done
	}
}

// unblock makes reads of the run's streams return.
func (p *pipes) unblock() {
	p.resR.SetReadDeadline(time.Now())
	p.outR.SetReadDeadline(time.Now())
}

// supervision is how one run is watched until it ends.
type supervision struct {
	limits  Limits
	watch   *watch
	ended   <-chan struct{} // closed when the run's process is over
	pidsHit func() bool     // the pids limit refused a fork (nil: unknown)
	kill    func()          // ends the run from the outside
	grace   time.Duration   // how long to wait for ended after kill
}

// errNotEnded says a killed run did not end within the grace period.
var errNotEnded = errors.New("the run did not end after it was killed")

// await waits for the run to end, killing it at the wall-time limit, when
// its output passes the output limit, or when pidsHit reports the pids
// limit. It returns the limit it killed at ("" when the run ended by
// itself); an error when ctx ended first (the run is killed) or a killed
// run did not end within the grace period.
func (s supervision) await(ctx context.Context) (string, error) {
	var killedAt string
	timer := time.NewTimer(s.limits.deadline())
	defer timer.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for killedAt == "" {
		select {
		case <-s.ended:
			return "", nil
		case <-timer.C:
			killedAt = "wall"
		case limit := <-s.watch.kill:
			killedAt = limit
		case <-tick.C:
			if s.pidsHit != nil && s.pidsHit() {
				killedAt = "pids"
			}
		case <-ctx.Done():
			s.kill()
			s.wait()
			return "", fmt.Errorf("run cancelled: %w", ctx.Err())
		}
	}
	s.kill()
	if !s.wait() {
		return killedAt, errNotEnded
	}
	return killedAt, nil
}

func (s supervision) wait() bool {
	select {
	case <-s.ended:
		return true
	case <-time.After(s.grace):
		return false
	}
}
