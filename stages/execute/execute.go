package execute

import (
	"context"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// CacheType leads the cache key of every execute instance. Bump it when Run
// changes behaviour for the same configuration.
const CacheType = "ccw.execute.v2"

// Runner is the execute stage: stage "execute" "NAME" { sandbox = sandbox.py
// code = ... test = ... }.
type Runner struct{}

var (
	_ stages.Runner = (*Runner)(nil)
	_ stages.Timed  = (*Runner)(nil)
)

// New returns the execute runner.
func New() *Runner { return &Runner{} }

// Kind implements stages.Runner.
func (*Runner) Kind() string { return "execute" }

// CacheType implements stages.Runner.
func (*Runner) CacheType() string { return CacheType }

// Config implements stages.Runner.
func (*Runner) Config() stages.Schema { return schema }

var schema = stages.Schema{
	{Name: "sandbox", Type: sandbox.Type, Required: true,
		Doc: "The sandbox block to run in, for example sandbox.py."},
	{Name: "code", Type: cty.String, Required: true,
		Doc: "The solution module source (for BigCodeBench: the prompt's imports plus the function)."},
	{Name: "test", Type: cty.String, Required: true,
		Doc: "The unittest module source defining class TestCases."},
	{Name: "timeout", Type: cty.String,
		Doc: `Overrides the sandbox's wall-time limit for this stage, a Go duration such as "30s".`},
	{Name: "rerun", Type: cty.Number,
		Doc: `Makes an execution of identical code distinct (for example rerun = turn.index re-executes solved code every turn, as the original does); it only enters the cache key.`},
}

// Output implements stages.Runner.
func (*Runner) Output() cty.Type { return sandbox.ResultType }

// Run implements stages.Runner. A sandbox outcome of any status is a value;
// only a sandbox that cannot run at all is an error.
func (*Runner) Run(ctx context.Context, in stages.Input) (cty.Value, error) {
	job, sb, err := decode(in.Config)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	r, err := sb.Run(ctx, job)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return r.Value(), nil
}

// Took implements stages.Timed: the sandbox's wall time for the run.
func (*Runner) Took(result cty.Value) (time.Duration, bool) {
	if result.IsNull() || !result.IsKnown() || !result.Type().IsObjectType() || !result.Type().HasAttribute("duration_ms") {
		return 0, false
	}
	ms := result.GetAttr("duration_ms")
	if ms.IsNull() || !ms.IsKnown() {
		return 0, false
	}
	f, _ := ms.AsBigFloat().Float64()
	return time.Duration(f * float64(time.Millisecond)), true
}

func decode(cfg cty.Value) (sandbox.Job, *sandbox.Sandbox, error) {
	var job sandbox.Job
	if cfg.IsNull() || !cfg.IsWhollyKnown() || !cfg.Type().Equals(schema.ObjectType()) {
		return job, nil, fmt.Errorf("config must be a known object of type %s", schema.ObjectType().FriendlyName())
	}
	sv := cfg.GetAttr("sandbox")
	sb, ok := stages.ResourceOf(sv).(*sandbox.Sandbox)
	if !ok || sb == nil {
		return job, nil, fmt.Errorf("sandbox: want a sandbox block reference such as sandbox.py")
	}
	for _, name := range []string{"code", "test"} {
		if cfg.GetAttr(name).IsNull() {
			return job, nil, fmt.Errorf("%s: required", name)
		}
	}
	job.Code = cfg.GetAttr("code").AsString()
	job.Test = cfg.GetAttr("test").AsString()
	if t := cfg.GetAttr("timeout"); !t.IsNull() {
		d, err := time.ParseDuration(t.AsString())
		if err != nil || d <= 0 {
			return job, nil, fmt.Errorf("timeout: %q is not a positive Go duration such as \"30s\"", t.AsString())
		}
		job.Timeout = d
	}
	return job, sb, nil
}
