package execfeedback

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// Runner is the `feedback` stage kind: the execution feedback of one
// execution.
//
//	stage "feedback" "execution" {
//	  execution     = prev.execute.solution     # a sandbox result
//	  coverage      = "partial"                 # "full" | "partial"
//	  visible       = python.methods.names      # test-class function names, ast.walk order
//	  visible_count = 3
//	}
//
// Its result is {text, untrimmed, passed, failing, trimmed}. It is
// ephemeral: recomputed on every walk from its inputs, never cached.
type Runner struct{}

var (
	_ stages.Runner    = Runner{}
	_ stages.Ephemeral = Runner{}
)

// New returns the feedback stage kind.
func New() stages.Runner { return Runner{} }

// OutputType is the result type of a feedback stage.
var OutputType = cty.Object(map[string]cty.Type{
	"text":      cty.String,           // the feedback the model is shown
	"untrimmed": cty.String,           // text before trimming (for refine's shorten_from)
	"passed":    cty.Bool,             // nothing visible failed: text is the sentinel
	"failing":   cty.List(cty.String), // keys of the rendered blocks, in order
	"trimmed":   cty.Bool,             // text was trimmed
})

// Kind implements stages.Runner.
func (Runner) Kind() string { return "feedback" }

// CacheType implements stages.Runner.
func (Runner) CacheType() string { return "ccw.feedback.v1" }

// Ephemeral implements stages.Ephemeral: rendering is cheaper than storing.
func (Runner) Ephemeral() bool { return true }

// Output implements stages.Runner.
func (Runner) Output() cty.Type { return OutputType }

// Config implements stages.Runner.
func (Runner) Config() stages.Schema {
	return stages.Schema{
		{Name: "execution", Type: sandbox.ResultType, Required: true, Doc: "the execution whose feedback is rendered, e.g. prev.execute.solution"},
		{Name: "coverage", Type: cty.String, Required: true, Doc: `"full" (every failing test) or "partial" (only the first visible_count names of visible)`},
		{Name: "visible", Type: cty.List(cty.String), Default: cty.NullVal(cty.List(cty.String)),
			Doc: "partial: the function definitions of the test module's classes in Python's ast.walk order (setUp and helpers included, as the original counts them); required for partial"},
		{Name: "visible_count", Type: cty.Number, Default: cty.NumberIntVal(VisibleCount), Doc: "partial: how many names of visible are shown"},
		{Name: "trim_at", Type: cty.Number, Default: cty.NumberIntVal(TrimAt), Doc: "feedback of at least this many code points is trimmed"},
		{Name: "front", Type: cty.Number, Default: cty.NumberIntVal(Front), Doc: "code points of the head a trimmed feedback keeps"},
		{Name: "rear", Type: cty.Number, Default: cty.NumberIntVal(Rear), Doc: "code points of the tail a trimmed feedback keeps"},
	}
}

// Run implements stages.Runner.
func (Runner) Run(_ context.Context, in stages.Input) (cty.Value, error) {
	opt, r, err := decode(in)
	if err != nil {
		return cty.NilVal, err
	}
	fb, err := Render(r, opt)
	if err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w", in.Addr, err)
	}
	return fb.Value(), nil
}

func decode(in stages.Input) (Options, sandbox.Result, error) {
	attr := in.Attr
	exec, err := attr("execution", sandbox.ResultType)
	if err != nil {
		return Options{}, sandbox.Result{}, err
	}
	if exec.IsNull() {
		return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute execution: want an execution result, got null", in.Addr)
	}
	cov, err := attr("coverage", cty.String)
	if err != nil {
		return Options{}, sandbox.Result{}, err
	}
	opt := DefaultOptions("", nil)
	if !cov.IsNull() {
		opt.Coverage = Coverage(cov.AsString())
	}
	if opt.Coverage != Full && opt.Coverage != Partial {
		return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute coverage: %q is not one of full, partial", in.Addr, opt.Coverage)
	}
	vis, err := attr("visible", cty.List(cty.String))
	if err != nil {
		return Options{}, sandbox.Result{}, err
	}
	if vis.IsNull() {
		if opt.Coverage == Partial {
			return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute visible: partial coverage needs the test names (the function definitions of the test module's classes in ast.walk order)", in.Addr)
		}
	} else {
		opt.Visible = []string{}
		for it := vis.ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() {
				return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute visible: a name is null", in.Addr)
			}
			opt.Visible = append(opt.Visible, v.AsString())
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"visible_count", &opt.VisibleCount}, {"trim_at", &opt.TrimAt}, {"front", &opt.Front}, {"rear", &opt.Rear}} {
		v, err := attr(n.name, cty.Number)
		if err != nil {
			return Options{}, sandbox.Result{}, err
		}
		if v.IsNull() {
			continue
		}
		bf := v.AsBigFloat()
		i, acc := bf.Int64()
		if !bf.IsInt() || acc != 0 || i < 0 || i > 1<<31 {
			return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute %s: want a whole number of at least 0, got %s", in.Addr, n.name, bf.String())
		}
		*n.dst = int(i)
	}
	if opt.TrimAt == 0 {
		return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute trim_at: want at least 1", in.Addr)
	}
	r, err := resultOf(exec)
	if err != nil {
		return Options{}, sandbox.Result{}, fmt.Errorf("%s: attribute execution: %w", in.Addr, err)
	}
	return opt, r, nil
}

// resultOf takes what rendering needs (status and tests) from an
// execution value, with an error instead of a panic for null parts of a
// hand-built value.
func resultOf(v cty.Value) (sandbox.Result, error) {
	str := func(obj cty.Value, name string) (string, error) {
		a := obj.GetAttr(name)
		if a.IsNull() {
			return "", fmt.Errorf("%s is null", name)
		}
		return a.AsString(), nil
	}
	var r sandbox.Result
	status, err := str(v, "status")
	if err != nil {
		return r, err
	}
	r.Status = sandbox.Status(status)
	tests := v.GetAttr("tests")
	if tests.IsNull() {
		return r, fmt.Errorf("tests is null")
	}
	for it := tests.ElementIterator(); it.Next(); {
		i, t := it.Element()
		if t.IsNull() {
			return r, fmt.Errorf("tests[%s] is null", i.AsBigFloat().String())
		}
		var tr sandbox.TestResult
		for _, f := range []struct {
			name string
			dst  *string
		}{{"name", &tr.Name}, {"status", &tr.Status}, {"message", &tr.Message}} {
			if *f.dst, err = str(t, f.name); err != nil {
				return r, fmt.Errorf("tests[%s].%w", i.AsBigFloat().String(), err)
			}
		}
		r.Tests = append(r.Tests, tr)
	}
	return r, nil
}

// Value converts f to OutputType.
func (f Feedback) Value() cty.Value {
	failing := cty.ListValEmpty(cty.String)
	if len(f.Failing) > 0 {
		vals := make([]cty.Value, len(f.Failing))
		for i, k := range f.Failing {
			vals[i] = cty.StringVal(k)
		}
		failing = cty.ListVal(vals)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"text":      cty.StringVal(f.Text),
		"untrimmed": cty.StringVal(f.Untrimmed),
		"passed":    cty.BoolVal(f.Passed),
		"failing":   failing,
		"trimmed":   cty.BoolVal(f.Trimmed),
	})
}
