package pytool

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
)

// body returns a config of schema with attrs set and the rest null.
func body(schema stages.Schema, attrs map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{}
	for _, a := range schema {
		m[a.Name] = cty.NullVal(a.Type)
		if a.Default != cty.NilVal {
			m[a.Name] = a.Default
		}
	}
	for k, v := range attrs {
		m[k] = v
	}
	return cty.ObjectVal(m)
}

func runners(t *testing.T) (map[string]stages.Runner, cty.Value) {
	testenv.NeedPython(t)
	set := New(Options{})
	t.Cleanup(func() { set.Close() })
	out := map[string]stages.Runner{}
	for _, r := range set.Runners() {
		out[r.Kind()] = r
	}
	sb := sandbox.New("py", sandbox.DefaultConfig())
	t.Cleanup(func() { sb.Close() })
	return out, sb.Value()
}

// TestStages runs each stage kind through the Runner contract: typed
// results, cache types carrying the helper's digest, errors naming the
// instance.
func TestStages(t *testing.T) {
	rs, sb := runners(t)
	tests := []struct {
		kind  string
		attrs map[string]cty.Value
		check func(v cty.Value) bool
	}{
		{"compile", map[string]cty.Value{"code": cty.StringVal("x = 1\n")},
			func(v cty.Value) bool { return v.GetAttr("ok").True() && v.GetAttr("feedback").AsString() == Sentinel }},
		{"compile", map[string]cty.Value{"code": cty.StringVal("x = (\n")},
			func(v cty.Value) bool {
				return v.GetAttr("ok").False() && strings.HasSuffix(v.GetAttr("feedback").AsString(), "SyntaxError: '(' was never closed\n")
			}},
		{"sanitize", map[string]cty.Value{"code": cty.StringVal("```python\n    return 2\n```"),
			"prompt": cty.StringVal("def task_func():\n")},
			func(v cty.Value) bool {
				return v.GetAttr("code").AsString() == "def task_func():\n    return 2" && v.GetAttr("found").True() && v.GetAttr("changed").True()
			}},
		{"sanitize", map[string]cty.Value{"code": cty.StringVal("def main():\n    pass\n"), "entry_point": cty.StringVal("main"),
			"fidelity": cty.True},
			func(v cty.Value) bool { return v.GetAttr("found").True() && v.GetAttr("changed").True() }},
		{"test_methods", map[string]cty.Value{"test": cty.StringVal("class T:\n    def setUp(self):\n        def inner(): pass\n    def test_b(self): pass\n")},
			func(v cty.Value) bool {
				return v.GetAttr("names").Equals(cty.ListVal([]cty.Value{cty.StringVal("setUp"), cty.StringVal("inner"), cty.StringVal("test_b")})).True()
			}},
		{"test_methods", map[string]cty.Value{"test": cty.StringVal("x = 1\n")},
			func(v cty.Value) bool { return v.GetAttr("names").LengthInt() == 0 }},
	}
	for _, tt := range tests {
		r := rs[tt.kind]
		if !strings.HasPrefix(r.CacheType(), "ccw."+tt.kind+".v1+"+HelperDigest[:12]) {
			t.Errorf("%s: cache type %q", tt.kind, r.CacheType())
		}
		attrs := map[string]cty.Value{"sandbox": sb}
		for k, v := range tt.attrs {
			attrs[k] = v
		}
		v, err := r.Run(t.Context(), stages.Input{Config: body(r.Config(), attrs), Addr: "stage." + tt.kind})
		if err != nil {
			t.Errorf("%s: %v", tt.kind, err)
			continue
		}
		if !v.Type().Equals(r.Output()) || !tt.check(v) {
			t.Errorf("%s %v: got %#v", tt.kind, tt.attrs, v)
		}
	}
}

// TestStageErrors checks that bad input is an error naming the instance
// and the cause.
func TestStageErrors(t *testing.T) {
	rs, sb := runners(t)
	tests := []struct {
		kind  string
		attrs map[string]cty.Value
		want  string
	}{
		{"test_methods", map[string]cty.Value{"sandbox": sb, "test": cty.StringVal("class T(:\n")}, "the test module does not parse"},
		{"sanitize", map[string]cty.Value{"sandbox": sb, "code": cty.StringVal("x"), "entry_point": cty.StringVal("")}, "entry_point: must not be empty"},
		{"compile", map[string]cty.Value{"sandbox": sb}, "code: required"},
		{"compile", map[string]cty.Value{"code": cty.StringVal("x")}, "sandbox: required"},
	}
	for _, tt := range tests {
		r := rs[tt.kind]
		_, err := r.Run(t.Context(), stages.Input{Config: body(r.Config(), tt.attrs), Addr: "experiment.x.stage.y"})
		if err == nil || !strings.Contains(err.Error(), "experiment.x.stage.y") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.kind, err, tt.want)
		}
	}
}
