package pipelines

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

var vocab = Vocabulary{StageKinds: []string{"execute", "score"}, ResourceBlocks: []string{"sandbox"}}

func load(t *testing.T, src string) (*Config, *Parser) {
	t.Helper()
	p := NewParser(vocab)
	cfg, diags := p.LoadSource(filepath.Join(t.TempDir(), "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return cfg, p
}

func TestOverrides(t *testing.T) {
	cases := []struct {
		args    []string
		want    map[string]string
		wantErr string
	}{
		{[]string{"a=1", "b=x=y", "c="}, map[string]string{"a": "1", "b": "x=y", "c": ""}, ""},
		{[]string{"novalue"}, nil, "want NAME=VALUE"},
		{[]string{"=x"}, nil, "want NAME=VALUE"},
		{[]string{"a=1", "a=2"}, nil, "given twice"},
	}
	for _, c := range cases {
		got, err := Overrides(c.args)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v: error %v, want %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%v: %v %v", c.args, got, err)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%v: %s=%q", c.args, k, got[k])
			}
		}
	}
}

const vars = `
variable "s" {
  type    = string
  default = "x"
}
variable "n" {
  type    = number
  default = 1
}
variable "l" {
  type    = list(string)
  default = []
}
variable "req" {
  type = bool
}
variable "nullable" {
  type    = string
  default = null
}
locals {
  twice = var.n * 2
  label = "${var.s}-${local.twice}"
}
`

func TestVariablesAndLocals(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]string
		check     func(t *testing.T, s *Scope)
		wantErr   string
	}{
		{"required missing", nil, nil, "No value for required variable"},
		{"typed overrides", map[string]string{"req": "true", "n": "21", "l": `["a", "b"]`, "s": "raw text, not HCL"}, func(t *testing.T, s *Scope) {
			if !s.Vars["n"].RawEquals(cty.NumberIntVal(21)) || !s.Vars["req"].True() || s.Vars["l"].LengthInt() != 2 {
				t.Errorf("vars %#v", s.Vars)
			}
			if s.Vars["s"].AsString() != "raw text, not HCL" {
				t.Errorf("string override parsed: %#v", s.Vars["s"])
			}
			if s.Locals["label"].AsString() != "raw text, not HCL-42" {
				t.Errorf("locals %#v", s.Locals)
			}
			if !s.Vars["nullable"].IsNull() {
				t.Errorf("null default became %#v", s.Vars["nullable"])
			}
		}, ""},
		{"bad number", map[string]string{"req": "true", "n": "many"}, nil, "Invalid value for variable"},
		{"undeclared", map[string]string{"req": "true", "nn": "1"}, nil, `Did you mean "n"?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, p := load(t, vars)
			s, diags := p.Evaluate(cfg, c.overrides)
			if c.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), c.wantErr) {
					t.Fatalf("diags %v, want %q", diags, c.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			c.check(t, s)
		})
	}
}

func TestLocalsCycle(t *testing.T) {
	cfg, p := load(t, "locals {\n  a = local.b\n  b = local.a\n}\n")
	_, diags := p.Evaluate(cfg, nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "Cycle between local values") {
		t.Fatalf("diags: %v", diags)
	}
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "prompt.txt"), []byte("Solve ${name}."), 0o644)
	os.WriteFile(filepath.Join(dir, "plain.txt"), []byte("hello"), 0o644)
	t.Setenv("CCW_TEST_SET", "set")
	src := `
locals {
  a = env("CCW_TEST_SET")
  b = env("CCW_TEST_UNSET_VARIABLE", "fallback")
  c = env("CCW_TEST_UNSET_VARIABLE")
  d = file("plain.txt")
  e = templatefile("prompt.txt", { name = "it" })
  f = "${path.dir}"
}
`
	p := NewParser(vocab)
	cfg, diags := p.LoadSource(filepath.Join(dir, "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s, diags := p.Evaluate(cfg, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := map[string]cty.Value{
		"a": cty.StringVal("set"), "b": cty.StringVal("fallback"), "c": cty.NullVal(cty.String),
		"d": cty.StringVal("hello"), "e": cty.StringVal("Solve it."), "f": cty.StringVal(dir),
	}
	for k, v := range want {
		if !s.Locals[k].RawEquals(v) {
			t.Errorf("local.%s = %#v, want %#v", k, s.Locals[k], v)
		}
	}
}

func TestStageDependencies(t *testing.T) {
	cfg, _ := load(t, `
tasks "t" {}
sandbox "py" {}
experiment "e" {
  tasks = tasks.t
  stage "score" "s" {
    execution = execute.run
    code      = "${task.code}${execute.run.status}"
  }
  stage "execute" "run" {
    sandbox = sandbox.py
    code    = task.code
  }
}
`)
	e := cfg.Experiments[0]
	if got := e.Stage("score.s").Deps; len(got) != 1 || got[0] != "execute.run" {
		t.Fatalf("deps %v", got)
	}
	order, err := e.StageGraph().TopoOrder()
	if err != nil || strings.Join(order, ",") != "execute.run,score.s" {
		t.Fatalf("order %v %v", order, err)
	}
}

func TestOverrideTypeErrors(t *testing.T) {
	cases := []struct {
		raw  string
		ty   cty.Type
		want string
	}{
		{"abc", cty.Number, `want a number, got "abc"`},
		{"12x", cty.Number, `want a number, got "12x"`},
		{"yes", cty.Bool, `want a bool, got "yes"`},
		{`["a", 1`, cty.List(cty.String), `want list(string), got "[\"a\", 1"`},
		{"a", cty.List(cty.String), `want list(string), got "a"`},
	}
	for _, c := range cases {
		_, err := parseOverride(c.raw, c.ty)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s as %s: %v, want %q", c.raw, c.ty.FriendlyName(), err, c.want)
		}
	}
	if v, err := parseOverride("7", cty.Number); err != nil || !v.RawEquals(cty.NumberIntVal(7)) {
		t.Errorf("7: %#v %v", v, err)
	}
}

func TestStringAndTryFunctions(t *testing.T) {
	src := `
locals {
  a = startswith("import os\ndef f", "import os")
  b = endswith("abc", "x")
  c = strcontains("No syntax errors", "syntax")
  d = sum([1, 2, null, 4])
  e = try(local.m.missing, "fallback")
  f = can(local.m.missing)
  g = strlen("héllo")
  m = { present = 1 }
}
`
	p := NewParser(vocab)
	cfg, diags := p.LoadSource(filepath.Join(t.TempDir(), "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s, diags := p.Evaluate(cfg, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := map[string]cty.Value{"a": cty.True, "b": cty.False, "c": cty.True, "d": cty.NumberIntVal(7),
		"e": cty.StringVal("fallback"), "f": cty.False, "g": cty.NumberIntVal(5)}
	for k, v := range want {
		if !s.Locals[k].RawEquals(v) {
			t.Errorf("local.%s = %#v, want %#v", k, s.Locals[k], v)
		}
	}
}

// TestMetricsBelongsToTheProtocol: an experiment that runs a protocol
// cannot set how rows become metrics; its own body can.
func TestMetricsBelongsToTheProtocol(t *testing.T) {
	dir := t.TempDir()
	proto := `protocol "p" {
  metrics = { protocol = "static" }
  stage "execute" "run" {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.hcl"), []byte(proto), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `tasks "t" {}
experiment "e" {
  protocol = "./p.hcl"
  tasks    = tasks.t
  metrics  = { protocol = "live" }
}
`
	p := NewParser(vocab)
	_, diags := p.LoadSource(filepath.Join(dir, "e.hcl"), []byte(src))
	if !strings.Contains(diags.Error(), "Unexpected metrics") {
		t.Errorf("diagnostics: %s", diags.Error())
	}
	own := `tasks "t" {}
experiment "e" {
  tasks   = tasks.t
  metrics = { protocol = local.p }
  stage "execute" "run" {}
}
`
	cfg, diags := NewParser(vocab).LoadSource(filepath.Join(dir, "own.hcl"), []byte(own))
	if !strings.Contains(diags.Error(), `There is no local value named "p"`) {
		t.Errorf("own body: %s", diags.Error())
	}
	if cfg.Experiments[0].Body.Metrics == nil {
		t.Error("the experiment's own metrics attribute was not kept")
	}
}
