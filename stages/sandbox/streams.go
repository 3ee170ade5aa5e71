package sandbox

import (
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
	coll *collector
	out  *capture
	kill chan string // a limit the streams saw broken ("output")
	wg   sync.WaitGroup
}

func newWatch(nonce string, l Limits) *watch {
	w := &watch{coll: newCollector(nonce), kill: make(chan string, 1)}
	w.out = &capture{max: l.Output, kill: l.OutputKill, over: func() {
		select {
		case w.kill <- "output":
		default:
		}
	}}
	return w
}

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
