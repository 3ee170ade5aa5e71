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
	return []stages.Runner{
		&runner{s: s, kind: "compile", base: "ccw.compile.v1", schema: compileSchema, output: CompileOutput, run: runCompile},
		&runner{s: s, kind: "sanitize", base: "ccw.sanitize.v1", schema: sanitizeSchema, output: SanitizeOutput, run: runSanitize},
		&runner{s: s, kind: "test_methods", base: "ccw.test_methods.v1", schema: testMethodsSchema, output: TestMethodsOutput, run: runTestMethods},
	}
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

// config is a decoded stage body: the pool of its sandbox's interpreter
// and the evaluated attributes.
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

// runner is one stage kind of the set: its schema, its result type and
// what it asks the pool.
type runner struct {
	s      *Set
	kind   string
	base   string // cache type before the helper's digest
	schema stages.Schema
	output cty.Type
	run    func(ctx context.Context, c config) (cty.Value, error)
}

func (r *runner) Kind() string          { return r.kind }
func (r *runner) CacheType() string     { return cacheType(r.base) }
func (r *runner) Config() stages.Schema { return r.schema }
func (r *runner) Output() cty.Type      { return r.output }

// Run implements stages.Runner: an outcome (a syntax error, a limit hit
// by generated code) is a value; a helper that cannot run, bad config or
// a test module that does not parse is an error naming the instance.
func (r *runner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	c, err := r.s.decode(in, r.schema)
	if err != nil {
		return cty.NilVal, err
	}
	v, err := r.run(ctx, c)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return v, nil
}

var compileSchema = stages.Schema{
	sandboxAttr,
	{Name: "code", Type: cty.String, Required: true, Doc: "The Python source to check."},
}

func runCompile(ctx context.Context, c config) (cty.Value, error) {
	res, err := c.pool.Compile(ctx, c.str("code"))
	return res.Value(), err
}

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

func runSanitize(ctx context.Context, c config) (cty.Value, error) {
	entry := c.str("entry_point")
	if entry == "" {
		return cty.NilVal, fmt.Errorf("entry_point: must not be empty")
	}
	res, err := c.pool.Sanitize(ctx, SanitizeRequest{
		Code: c.str("code"), EntryPoint: entry, Prompt: c.str("prompt"),
		Fidelity: c.cfg.GetAttr("fidelity").True(),
	})
	return res.Value(), err
}

var testMethodsSchema = stages.Schema{
	sandboxAttr,
	{Name: "test", Type: cty.String, Required: true, Doc: "The unittest module source (task.test)."},
}

func runTestMethods(ctx context.Context, c config) (cty.Value, error) {
	names, err := c.pool.TestMethods(ctx, c.str("test"))
	if err != nil {
		return cty.NilVal, err
	}
	list := cty.ListValEmpty(cty.String)
	if len(names) > 0 {
		vals := make([]cty.Value, len(names))
		for i, n := range names {
			vals[i] = cty.StringVal(n)
		}
		list = cty.ListVal(vals)
	}
	return cty.ObjectVal(map[string]cty.Value{"names": list}), nil
}
