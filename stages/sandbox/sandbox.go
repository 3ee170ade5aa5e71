package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

// Sandbox is an opened sandbox block: it runs jobs on its backend, at most
// Config.Slots at a time. It is safe for concurrent use.
type Sandbox struct {
	name  string
	cfg   Config
	slots chan struct{} // a token per run using the CPU
	runs  chan struct{} // a token per run: slots plus what may be lent

	mu      sync.Mutex
	be      backend
	closed  bool
	startFn func(Config) (backend, error)
}

var _ stages.Resource = (*Sandbox)(nil)

// backend runs one job under the given limits on whatever isolation it has.
type backend interface {
	run(ctx context.Context, j Job, l Limits) (Result, error)
	close() error
}

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("sandbox is closed")

// New returns a sandbox for cfg (a validated Config, as ConfigFromValue
// returns). Nothing starts until the first Run.
func New(name string, cfg Config) *Sandbox {
	return &Sandbox{name: name, cfg: cfg, slots: make(chan struct{}, cfg.Slots), runs: make(chan struct{}, cfg.Slots+cfg.Lend),
		startFn: startBackend}
}

// Name is the block's label.
func (s *Sandbox) Name() string { return s.name }

// Config returns the decoded configuration.
func (s *Sandbox) Config() Config { return s.cfg }

// Value returns the capsule value expressions see for this sandbox.
func (s *Sandbox) Value() cty.Value { return cty.CapsuleVal(Type, s) }

// Identity implements stages.Resource: what can change a result (backend,
// image, interpreter, harness, limits, fidelity), and not slots, workers or
// the name.
func (s *Sandbox) Identity() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"backend":  cty.StringVal(s.cfg.Backend),
		"python":   cty.StringVal(s.cfg.Python),
		"image":    cty.StringVal(s.cfg.Image),
		"mounts":   stringList(s.cfg.Mounts),
		"harness":  cty.StringVal(HarnessDigest),
		"limits":   s.cfg.Limits.Value(),
		"fidelity": cty.StringVal(s.cfg.Fidelity),
	})
}

// Run executes one job, holding one slot while it runs. The Result is the
// outcome (cache it); an error is an infrastructure failure (the interpreter
// or the Docker engine is missing, ctx was cancelled) and must not be cached.
func (s *Sandbox) Run(ctx context.Context, j Job) (Result, error) {
	select {
	case s.runs <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-s.runs }()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	slot := newLoan(s.slots)
	defer slot.release()
	if s.cfg.Lend > 0 {
		ctx = withCPUProbe(ctx, slot)
	}
	be, err := s.backend()
	if err != nil {
		return Result{}, err
	}
	l := s.cfg.Limits
	if j.Timeout > 0 {
		l.Timeout = j.Timeout
	}
	r, err := be.run(ctx, j, l)
	if err != nil {
		return Result{}, fmt.Errorf("sandbox %q: %w", s.name, err)
	}
	r.Limits = l
	return r, nil
}

func (s *Sandbox) backend() (backend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.be == nil {
		be, err := s.startFn(s.cfg)
		if err != nil {
			return nil, fmt.Errorf("sandbox %q: start %s backend: %w", s.name, s.cfg.Backend, err)
		}
		s.be = be
	}
	return s.be, nil
}

// Close implements stages.Resource: it stops workers and removes whatever
// the backend still holds. Runs in flight are killed.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.be == nil {
		return nil
	}
	err := s.be.close()
	s.be = nil
	return err
}

func startBackend(c Config) (backend, error) {
	switch c.Backend {
	case "local":
		if c.Workers == "warm" {
			return newWarm(c)
		}
		return newLocal(c)
	case "docker":
		return newDocker(c)
	default:
		return nil, fmt.Errorf("backend %q is not available in this build", c.Backend)
	}
}

func stringList(ss []string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vs := make([]cty.Value, len(ss))
	for i, s := range ss {
		vs[i] = cty.StringVal(s)
	}
	return cty.ListVal(vs)
}
