package pytool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// Interpreter is the Python a pool's helpers run: the part of a sandbox's
// configuration that says which interpreter it is.
type Interpreter struct {
	Backend string   // "local" or "docker"
	Python  string   // path on the host (local) or in the image (docker)
	Image   string   // docker only
	Mounts  []string // docker only: read-only binds HOST:CONTAINER
}

// InterpreterOf returns the interpreter of a sandbox configuration.
func InterpreterOf(c sandbox.Config) Interpreter {
	return Interpreter{Backend: c.Backend, Python: c.Python, Image: c.Image, Mounts: append([]string(nil), c.Mounts...)}
}

func (it Interpreter) String() string {
	if it.Backend == "docker" {
		return fmt.Sprintf("%s in image %s", it.Python, it.Image)
	}
	return it.Python
}

func (it Interpreter) key() string {
	return strings.Join(append([]string{it.Backend, it.Python, it.Image}, it.Mounts...), "\x00")
}

// Pool serves requests with up to Options.Helpers helper processes of one
// interpreter. It is safe for concurrent use.
type Pool struct {
	it    Interpreter
	o     Options
	start func() (*proc, error)
	slots chan struct{}

	mu     sync.Mutex
	idle   []*proc
	closed bool
	docker *dockerStarter
}

// NewPool returns a pool for it; nothing starts before the first request.
func NewPool(it Interpreter, o Options) (*Pool, error) {
	o = o.withDefaults()
	p := &Pool{it: it, o: o, slots: make(chan struct{}, o.Helpers)}
	switch it.Backend {
	case "local":
		p.start = func() (*proc, error) { return startLocal(it.Python, o) }
	case "docker":
		p.docker = &dockerStarter{it: it, o: o}
		p.start = p.docker.start
	default:
		return nil, fmt.Errorf("backend %q: the Python helpers run on the local and docker backends only", it.Backend)
	}
	return p, nil
}

// ErrClosed is returned by requests to a closed pool.
var ErrClosed = errors.New("pytool: pool is closed")

// Close stops every helper of the pool; requests in flight fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, h := range idle {
		h.idle.Stop()
		h.stop()
	}
	if p.docker != nil {
		p.docker.close()
	}
	return nil
}

// take returns an idle helper or starts one.
func (p *Pool) take() (*proc, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		h := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if h.idle.Stop() {
			return h, nil
		}
		return p.take() // its idle timer fired and is stopping it
	}
	p.mu.Unlock()
	h, err := p.start()
	if err != nil {
		return nil, fmt.Errorf("python helper (%s): %w", p.it, err)
	}
	return h, nil
}

// put makes h idle; it stops after Options.Idle unused.
func (p *Pool) put(h *proc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go h.stop()
		return
	}
	h.idle = time.AfterFunc(p.o.Idle, func() {
		p.mu.Lock()
		for i, x := range p.idle {
			if x == h {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		h.stop()
	})
	p.idle = append(p.idle, h)
}

// Python returns the version of the pool's interpreter, starting a helper
// if none runs.
func (p *Pool) Python(ctx context.Context) (string, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-p.slots }()
	h, err := p.take()
	if err != nil {
		return "", err
	}
	p.put(h)
	return h.python, nil
}

// call sends req and decodes the answer. A helper that dies or overruns
// its deadline is replaced and the request sent once more, so that a
// helper killed from outside costs no result; when the second one fails
// too, the request is to blame and the answer is a response with Limit
// set. An error means the helper could not run at all or ctx ended.
func (p *Pool) call(ctx context.Context, req request) (response, error) {
	line, err := encode(req)
	if err != nil {
		return response{}, err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return response{}, ctx.Err()
	}
	defer func() { <-p.slots }()
	var limit string
	for try := 0; try < 2; try++ {
		h, err := p.take()
		if err != nil {
			return response{}, err
		}
		resp, lim, err := p.roundTrip(ctx, h, line)
		if err != nil {
			return response{}, err
		}
		if lim == "" {
			p.put(h)
			if resp.Error != "" {
				return resp, fmt.Errorf("python helper (%s): %s", p.it, resp.Error)
			}
			return resp, nil
		}
		limit = lim
	}
	return response{Limit: limit}, nil
}

// roundTrip sends one line to h and waits for its answer. When h fails it
// is stopped and the kind of limit it hit comes back.
func (p *Pool) roundTrip(ctx context.Context, h *proc, line []byte) (response, string, error) {
	deadline := time.NewTimer(p.o.Deadline)
	defer deadline.Stop()
	written := make(chan error, 1)
	go func() {
		_, err := h.stdin.Write(line)
		written <- err
	}()
	select {
	case out, ok := <-h.lines:
		if ok {
			var resp response
			if err := json.Unmarshal(out, &resp); err != nil {
				h.stop()
				return response{}, LimitCrash, nil
			}
			return resp, "", nil
		}
		h.stop()
		return response{}, h.limit(), nil
	case <-deadline.C:
		h.stop()
		return response{}, LimitDeadline, nil
	case <-ctx.Done():
		h.stop()
		return response{}, "", ctx.Err()
	}
}

// limit names what ended a helper that was not stopped by us.
func (h *proc) limit() string {
	<-h.done
	switch {
	case h.signal == syscall.SIGXCPU:
		return LimitCPU
	case h.signal == syscall.SIGKILL || h.oom:
		return LimitMemory // the kernel's or the container's OOM killer
	default:
		return LimitCrash
	}
}

func encode(req request) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
