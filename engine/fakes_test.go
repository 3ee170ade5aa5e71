package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ccw-dev/ccw/engine/cache"
	"github.com/ccw-dev/ccw/pipelines"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/score"
	"github.com/zclconf/go-cty/cty"
)

// fakeTasks is an in-memory task source: tasks "t" { texts = [...] }.
type fakeTasks struct{ loads atomic.Int32 }

var fakeTaskType = cty.Object(map[string]cty.Type{"task_id": cty.String, "text": cty.String})

func (f *fakeTasks) Schema() stages.Schema {
	return stages.Schema{{Name: "texts", Type: cty.List(cty.String), Required: true}}
}
func (f *fakeTasks) Type(cty.Value) (cty.Type, error) { return fakeTaskType, nil }
func (f *fakeTasks) Load(_ context.Context, cfg cty.Value, _ bool) (*stages.TaskSet, error) {
	f.loads.Add(1)
	set := &stages.TaskSet{Source: "fake", Split: "v1", Digest: "sha256:fake", Origin: "memory"}
	i := 0
	for it := cfg.GetAttr("texts").ElementIterator(); it.Next(); i++ {
		_, v := it.Element()
		id := fmt.Sprintf("T/%d", i)
		set.IDs = append(set.IDs, id)
		set.Values = append(set.Values, cty.ObjectVal(map[string]cty.Value{"task_id": cty.StringVal(id), "text": v}))
	}
	return set, nil
}

// counting wraps a runner function and counts calls per input.
type counting struct {
	kind  string
	attrs stages.Schema
	out   cty.Type
	fn    func(cfg cty.Value) (cty.Value, error)
	mu    sync.Mutex
	calls map[string]int
	total atomic.Int32
}

func (c *counting) Kind() string          { return c.kind }
func (c *counting) CacheType() string     { return "ccw.test." + c.kind + ".v1" }
func (c *counting) Config() stages.Schema { return c.attrs }
func (c *counting) Output() cty.Type      { return c.out }
func (c *counting) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	c.total.Add(1)
	c.mu.Lock()
	c.calls[in.Addr]++
	c.mu.Unlock()
	return c.fn(in.Config)
}

var textObj = cty.Object(map[string]cty.Type{"text": cty.String})

// fakeExec is an execute stage that passes when the code contains "ok",
// fails infrastructure when it contains "infra", and blocks on "slow".
func newFakeExec() *counting {
	return &counting{kind: "execute", calls: map[string]int{},
		attrs: stages.Schema{{Name: "code", Type: cty.String, Required: true}},
		out:   sandbox.ResultType,
		fn: func(cfg cty.Value) (cty.Value, error) {
			code := cfg.GetAttr("code").AsString()
			if strings.Contains(code, "infra") {
				return cty.NilVal, errors.New("sandbox could not start")
			}
			r := sandbox.Result{Status: sandbox.Fail, Tests: []sandbox.TestResult{{Name: "test_ok", Status: "fail", Message: "AssertionError"}}}
			if strings.Contains(code, "ok") {
				r = sandbox.Result{Status: sandbox.Pass, Tests: []sandbox.TestResult{{Name: "test_ok", Status: "pass"}}}
			}
			return r.Value(), nil
		}}
}

func newUpper() *counting {
	return &counting{kind: "upper", calls: map[string]int{},
		attrs: stages.Schema{{Name: "text", Type: cty.String, Required: true}, {Name: "suffix", Type: cty.String, Default: cty.StringVal("")}},
		out:   textObj,
		fn: func(cfg cty.Value) (cty.Value, error) {
			return cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(strings.ToUpper(cfg.GetAttr("text").AsString()) + cfg.GetAttr("suffix").AsString())}), nil
		}}
}

type fixture struct {
	set   *stages.Set
	exec  *counting
	upper *counting
	tasks *fakeTasks
	cache *cache.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{set: stages.NewSet(), exec: newFakeExec(), upper: newUpper(), tasks: &fakeTasks{}}
	f.set.AddRunner(f.exec)
	f.set.AddRunner(f.upper)
	f.set.AddRunner(score.New())
	f.set.Tasks = f.tasks
	c, err := cache.Open(t.TempDir(), cache.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	f.cache = c
	return f
}

// compile loads src and compiles it, failing the test on any diagnostic.
func (f *fixture) compile(t *testing.T, src string, vars map[string]string) *Plan {
	t.Helper()
	p := pipelines.NewParser(Vocabulary(f.set))
	cfg, diags := p.LoadSource("test.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	scope, diags := p.Evaluate(cfg, vars)
	if diags.HasErrors() {
		t.Fatalf("variables: %s", diags.Error())
	}
	plan, diags := Compile(cfg, scope, f.set)
	if diags.HasErrors() {
		t.Fatalf("compile: %s", diags.Error())
	}
	return plan
}

func (f *fixture) run(t *testing.T, plan *Plan, opts RunOptions) *Result {
	t.Helper()
	opts.Cache = f.cache
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	res, err := Run(context.Background(), plan, opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
