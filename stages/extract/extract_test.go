package extract

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGolden runs every answer under testdata/answers through both
// parsers; testdata/golden/NAME.golden holds what each found.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/answers/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no answers: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, fid := range []bool{false, true} {
				r := Code(string(in), fid)
				fmt.Fprintf(&b, "== fidelity=%v method=%s has_code=%v\n%s\n", fid, r.Method, r.HasCode, r.Code)
			}
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

// TestProperties pins the behaviours the goldens illustrate.
func TestProperties(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/answers/" + name + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		answer   string
		fidelity bool
		method   Method
		contains string
		absent   string
	}{
		{"python_fence", false, FencedPython, "def count_vowels", "Code:"},
		{"inline_backticks", false, FencedPython, "x = 1", "inline"},
		{"shell_then_python", false, FencedPython, "np.sum", "pip install"},
		{"double_blank", false, FencedPython, "return helper()", ""},
		{"double_blank", true, WholeText, "import os", "helper"}, // the original's truncation
		{"unclosed", false, Unclosed, "total += i", ""},
		{"no_code", false, None, "", ""},
		{"raw_code", false, None, "", ""},
		{"raw_code", true, WholeText, "return 1", ""},
		{"separator", false, FencedPython, "return 42", "print(1)"},
		{"stray_python_line", true, WholeText, "python\ndef task_func", ""},
		{"empty_block", false, None, "", ""},
		{"other_language", false, FencedBare, "console.log", ""},
		{"tilde_fence", false, FencedPython, "tilde", "~~~"},
	}
	for _, tt := range tests {
		r := Code(read(tt.answer), tt.fidelity)
		if r.Method != tt.method || r.HasCode != (tt.method != None) {
			t.Errorf("%s fidelity=%v: method %s has_code %v, want %s", tt.answer, tt.fidelity, r.Method, r.HasCode, tt.method)
		}
		if !strings.Contains(r.Code, tt.contains) || (tt.absent != "" && strings.Contains(r.Code, tt.absent)) {
			t.Errorf("%s fidelity=%v: code %q, want %q and not %q", tt.answer, tt.fidelity, r.Code, tt.contains, tt.absent)
		}
	}
}

func TestField(t *testing.T) {
	tests := []struct{ text, prefix, want string }{
		{"Reasoning: a\n\nCode: ```python\nx\n```", "Code:", "```python\nx\n```"},
		{"Code:  y", "Code:", "y"},
		{"no field here", "Code:", "no field here"},
		{"Reasoning: a Code: inline is not a field", "Code:", "Reasoning: a Code: inline is not a field"},
		{"anything", "", "anything"},
	}
	for _, tt := range tests {
		if got, _ := Field(tt.text, tt.prefix); got != tt.want {
			t.Errorf("Field(%q, %q) = %q, want %q", tt.text, tt.prefix, got, tt.want)
		}
	}
}

func TestStage(t *testing.T) {
	r := New()
	cfg := func(text string, field string, fid bool) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(text), "field": cty.StringVal(field),
			"prefix": cty.StringVal(""), "fidelity": cty.BoolVal(fid)})
	}
	v, err := r.Run(t.Context(), stages.Input{Config: cfg("Reasoning: use ```python blocks```\nCode: ```python\nok = 1\n```", "Code:", false)})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Type().Equals(r.Output()) || v.GetAttr("code").AsString() != "ok = 1" || v.GetAttr("has_code").False() {
		t.Errorf("result %#v", v)
	}
	v, _ = r.Run(t.Context(), stages.Input{Config: cfg("no code at all", "", false)})
	if v.GetAttr("has_code").True() || v.GetAttr("method").AsString() != "none" {
		t.Errorf("no code gave %#v", v)
	}
	v, _ = r.Run(t.Context(), stages.Input{Config: cfg("Reasoning: easy.\nCode: def task_func():\n    return 3", "Code:", false)})
	if v.GetAttr("code").AsString() != "def task_func():\n    return 3" || v.GetAttr("method").AsString() != "field_text" {
		t.Errorf("unfenced field gave %#v", v)
	}
	prefixed := cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("return 2\n"), "field": cty.StringVal(""),
		"prefix": cty.StringVal("```python\n"), "fidelity": cty.False})
	v, _ = r.Run(t.Context(), stages.Input{Config: prefixed})
	if v.GetAttr("code").AsString() != "return 2\n" || v.GetAttr("method").AsString() != "unclosed" {
		t.Errorf("prefix gave %#v", v)
	}
	if _, err := r.Run(t.Context(), stages.Input{Addr: "extract.x", Config: cty.ObjectVal(map[string]cty.Value{
		"text": cty.NullVal(cty.String)})}); err == nil || !strings.Contains(err.Error(), "extract.x") {
		t.Errorf("null text: %v", err)
	}
}
