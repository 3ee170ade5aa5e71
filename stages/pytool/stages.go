package pytool

import (
	"context"
	"fmt"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// Set holds the helper pools of every interpreter its stage kinds meet,
// and makes the three stage kinds that share them.
type Set struct {
	o     Options
	mu    sync.Mutex
	pools map[string]*Pool
}

// New returns a Set whose helpers run under o (zero fields: defaults).
func New(o Options) *Set { return &Set{o: o.withDefaults(), pools: map[string]*Pool{}} }

// Runners returns the compile, sanitize and test_methods stage kinds.
func (s *Set) Runners() []stages.Runner {
	return []stages.Runner{&compileRunner{s}, &sanitizeRunner{s}, &testMethodsRunner{s}}
}

// Pool returns the pool of the interpreter it, made on first use.
func (s *Set) Pool(it Interpreter) (*Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pools[it.key()]; ok {
		return p, nil
	}
	p, err := NewPool(it, s.o)
	if err != nil {
		return nil, err
	}
	s.pools[it.key()] = p
	return p, nil
}

// Close stops the helpers of every pool.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.pools {
		p.Close()
		delete(s.pools, k)
	}
	return nil
}

// Options returns the options the set's helpers run under.
func (s *Set) Options() Options { return s.o }

// cacheType is the versioned type of a kind followed by the helper's
// digest: a changed helper.py gives new keys by itself.
func cacheType(base string) string { return base + "+" + HelperDigest[:12] }

var sandboxAttr = stages.Attr{Name: "sandbox", Type: sandbox.Type, Required: true,
	Doc: "The sandbox whose Python reads the code, for example sandbox.py."}

// CompileOutput is the result type of a compile stage.
var CompileOutput = cty.Object(map[string]cty.Type{
	"ok": cty.Bool, "feedback": cty.String, "limit": cty.String,
})

// SanitizeOutput is the result type of a sanitize stage.
var SanitizeOutput = cty.Object(map[string]cty.Type{
	"code": cty.String, "changed": cty.Bool, "found": cty.Bool, "limit": cty.String,
})

// TestMethodsOutput is the result type of a test_methods stage.
var TestMethodsOutput = cty.Object(map[string]cty.Type{"names": cty.List(cty.String)})

// config reads a known object config: the sandbox's pool and the strings
// named (each required unless listed in optional).
type config struct {
	pool *Pool
	cfg  cty.Value
}

func (s *Set) decode(in stages.Input, schema stages.Schema) (config, error) {
	cfg := in.Config
	if cfg.IsNull() || !cfg.IsWhollyKnown() || !cfg.Type().Equals(schema.ObjectType()) {
		return config{}, fmt.Errorf("%s: config must be a known object of type %s", in.Addr, schema.ObjectType().FriendlyName())
	}
	for _, a := range schema {
		if a.Required && cfg.GetAttr(a.Name).IsNull() {
			return config{}, fmt.Errorf("%s: %s: required", in.Addr, a.Name)
		}
	}
	sb, ok := stages.ResourceOf(cfg.GetAttr("sandbox")).(*sandbox.Sandbox)
	if !ok || sb == nil {
		return config{}, fmt.Errorf("%s: sandbox: want a sandbox block reference such as sandbox.py", in.Addr)
	}
	p, err := s.Pool(InterpreterOf(sb.Config()))
	if err != nil {
		return config{}, fmt.Errorf("%s: sandbox %q: %w", in.Addr, sb.Name(), err)
	}
	return config{pool: p, cfg: cfg}, nil
}

func (c config) str(name string) string {
	v := c.cfg.GetAttr(name)
	if v.IsNull() {
		return ""
	}
	return v.AsString()
}

// ---------------------------------------------------------------- compile

type compileRunner struct{ s *Set }

var compileSchema = stages.Schema{
	sandboxAttr,
	{Name: "code", Type: cty.String, Required: true, Doc: "The Python source to check."},
}

func (*compileRunner) Kind() string          { return "compile" }
func (*compileRunner) CacheType() string     { return cacheType("ccw.compile.v1") }
func (*compileRunner) Config() stages.Schema { return compileSchema }
func (*compileRunner) Output() cty.Type      { return CompileOutput }
func (r *compileRunner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	c, err := r.s.decode(in, compileSchema)
	if err != nil {
		return cty.NilVal, err
	}
	res, err := c.pool.Compile(ctx, c.str("code"))
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return res.Value(), nil
}

// --------------------------------------------------------------- sanitize

type sanitizeRunner struct{ s *Set }

var sanitizeSchema = stages.Schema{
	sandboxAttr,
	{Name: "code", Type: cty.String, Required: true,
		Doc: "The model's answer (prose and fences allowed) or code."},
	{Name: "entry_point", Type: cty.String, Default: cty.StringVal("task_func"),
		Doc: "The function whose definitions are kept (task.entry_point)."},
	{Name: "prompt", Type: cty.String,
		Doc: "Calibration as BigCodeBench's --calibrate: every \"```python\\n    \" (an indented body right after a fence) gets this text (task.complete_prompt) spliced in before the body."},
	{Name: "fidelity", Type: cty.Bool, Default: cty.False,
		Doc: "Reproduce the original's output: imports first, one line per kept statement, decorated definitions and __future__ imports dropped, the first of two same-named definitions kept. Default: the answer with what is not kept removed."},
}

func (*sanitizeRunner) Kind() string          { return "sanitize" }
func (*sanitizeRunner) CacheType() string     { return cacheType("ccw.sanitize.v1") }
func (*sanitizeRunner) Config() stages.Schema { return sanitizeSchema }
func (*sanitizeRunner) Output() cty.Type      { return SanitizeOutput }
func (r *sanitizeRunner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	c, err := r.s.decode(in, sanitizeSchema)
	if err != nil {
		return cty.NilVal, err
	}
	entry := c.str("entry_point")
	if entry == "" {
		return cty.NilVal, fmt.Errorf("%s: entry_point: must not be empty", in.Addr)
	}
	res, err := c.pool.Sanitize(ctx, SanitizeRequest{
		Code: c.str("code"), EntryPoint: entry, Prompt: c.str("prompt"),
		Fidelity: c.cfg.GetAttr("fidelity").True(),
	})
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return res.Value(), nil
}

// ----------------------------------------------------------- test_methods

type testMethodsRunner struct{ s *Set }

var testMethodsSchema = stages.Schema{
	sandboxAttr,
	{Name: "test", Type: cty.String, Required: true, Doc: "The unittest module source (task.test)."},
}

func (*testMethodsRunner) Kind() string          { return "test_methods" }
func (*testMethodsRunner) CacheType() string     { return cacheType("ccw.test_methods.v1") }
func (*testMethodsRunner) Config() stages.Schema { return testMethodsSchema }
func (*testMethodsRunner) Output() cty.Type      { return TestMethodsOutput }
func (r *testMethodsRunner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	c, err := r.s.decode(in, testMethodsSchema)
	if err != nil {
		return cty.NilVal, err
	}
	names, err := c.pool.TestMethods(ctx, c.str("test"))
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	vals := make([]cty.Value, len(names))
	for i, n := range names {
		vals[i] = cty.StringVal(n)
	}
	list := cty.ListValEmpty(cty.String)
	if len(vals) > 0 {
		list = cty.ListVal(vals)
	}
	return cty.ObjectVal(map[string]cty.Value{"names": list}), nil
}
