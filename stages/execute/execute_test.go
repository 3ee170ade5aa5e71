package execute

import (
	"context"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

func openSandbox(t *testing.T, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	m := map[string]cty.Value{}
	for _, a := range sandbox.Block().Schema() {
		m[a.Name] = cty.NullVal(a.Type)
	}
	for k, v := range attrs {
		m[k] = v
	}
	r, err := sandbox.Block().Open("py", cty.ObjectVal(m))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.(*sandbox.Sandbox).Value()
}

func config(sb cty.Value, code, test string, timeout cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"sandbox": sb, "code": cty.StringVal(code), "test": cty.StringVal(test), "timeout": timeout, "rerun": cty.NullVal(cty.Number),
	})
}

const suite = "import unittest\nclass TestCases(unittest.TestCase):\n"

func TestRun(t *testing.T) {
	sandboxtest.NeedPython(t)
	sb := openSandbox(t, map[string]cty.Value{"timeout": cty.StringVal("20s")})
	cases := []struct {
		name    string
		code    string
		test    string
		timeout cty.Value
		status  string
		tests   int64
		failed  int64
		limitMS int64
	}{
		{"pass", "def f(): return 2", suite + "    def test_a(self): self.assertEqual(f(), 2)\n    def test_b(self): pass\n", cty.NullVal(cty.String), "pass", 2, 0, 20000},
		{"fail", "def f(): return 2", suite + "    def test_a(self): self.assertEqual(f(), 3)\n    def test_b(self): pass\n", cty.NullVal(cty.String), "fail", 2, 1, 20000},
		{"module error", "import nope_ccw", suite + "    def test_a(self): pass\n", cty.NullVal(cty.String), "fail", 1, 1, 20000},
		{"timeout override", "import time", suite + "    def test_a(self):\n        while True:\n            try: time.sleep(10)\n            except BaseException: pass\n", cty.StringVal("1s"), "timeout", 1, 1, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := New().Run(context.Background(), stages.Input{Config: config(sb, c.code, c.test, c.timeout), Addr: "execute.t"})
			if err != nil {
				t.Fatal(err)
			}
			if !v.Type().Equals(New().Output()) {
				t.Fatalf("type %s, want the declared output", v.Type().FriendlyName())
			}
			r := sandbox.ResultFromValue(v)
			got := []int64{int64(len(r.Tests)), failed(v), r.Limits.Timeout.Milliseconds()}
			if string(r.Status) != c.status || got[0] != c.tests || got[1] != c.failed || got[2] != c.limitMS {
				t.Fatalf("got %s %v, want %s [%d %d %d]\n%#v", r.Status, got, c.status, c.tests, c.failed, c.limitMS, r)
			}
		})
	}
}

func failed(v cty.Value) int64 {
	n, _ := v.GetAttr("tests_failed").AsBigFloat().Int64()
	return n
}

func TestRunBadConfig(t *testing.T) {
	sb := openSandbox(t, nil)
	cases := []struct {
		name string
		cfg  cty.Value
		err  string
	}{
		{"bad timeout", config(sb, "", "", cty.StringVal("soon")), `timeout: "soon" is not a positive Go duration`},
		{"null code", cty.ObjectVal(map[string]cty.Value{"sandbox": sb, "code": cty.NullVal(cty.String), "test": cty.StringVal(""), "timeout": cty.NullVal(cty.String), "rerun": cty.NullVal(cty.Number)}), "code: required"},
		{"not a sandbox", cty.ObjectVal(map[string]cty.Value{"sandbox": cty.NullVal(sandbox.Type), "code": cty.StringVal(""), "test": cty.StringVal(""), "timeout": cty.NullVal(cty.String), "rerun": cty.NullVal(cty.Number)}), "sandbox: want a sandbox block reference"},
		{"wrong shape", cty.EmptyObjectVal, "config must be a known object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New().Run(context.Background(), stages.Input{Config: c.cfg, Addr: "experiment.x.execute.run"})
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "experiment.x.execute.run: ") {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	r := New()
	if r.Kind() != "execute" || r.CacheType() != "ccw.execute.v2" {
		t.Fatalf("kind %q cache type %q", r.Kind(), r.CacheType())
	}
	for _, name := range []string{"sandbox", "code", "test"} {
		if a, ok := r.Config().Lookup(name); !ok || !a.Required {
			t.Errorf("%s must be a required attribute", name)
		}
	}
	if a, ok := r.Config().Lookup("sandbox"); !ok || !a.Type.Equals(sandbox.Block().Type()) {
		t.Errorf("sandbox attribute must have the sandbox capsule type")
	}
}
