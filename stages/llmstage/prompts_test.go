package llmstage

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestPromptGoldens keeps every template as a reviewable file
// (testdata/prompts/KIND.tmpl for the ccw style, testdata/prompts/dspy/
// KIND.tmpl for the dspy style) and checks that each parses and renders
// with the variables of its kind.
func TestPromptGoldens(t *testing.T) {
	vars := map[string]cty.Value{}
	for name := range fields {
		vars[name] = cty.StringVal("<" + name + ">")
	}
	for _, style := range []string{StyleCCW, StyleDSPy} {
		for _, kind := range PromptKinds() {
			t.Run(style+"/"+kind, func(t *testing.T) {
				src, err := PromptTemplateStyle(kind, style)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "prompts", kind+".tmpl")
				if style == StyleDSPy {
					path = filepath.Join("testdata", "prompts", "dspy", kind+".tmpl")
				}
				checkGolden(t, path, src)
				tmpl, err := parseTemplate(src, kind)
				if err != nil {
					t.Fatal(err)
				}
				if err := tmpl.check(kind, vars); err != nil {
					t.Fatal(err)
				}
				out, err := tmpl.render(kind, vars)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out, "<input>") || strings.Contains(out, "${") && style == StyleCCW {
					t.Errorf("rendered prompt lacks the input or keeps a placeholder:\n%s", out)
				}
				if kind != "instruct" && !strings.HasSuffix(out, reasoningPrefix) {
					t.Errorf("structured prompt does not end where the reasoning starts")
				}
			})
		}
	}
	if _, err := PromptTemplateStyle("generate", "chatml"); err == nil || !strings.Contains(err.Error(), "ccw, dspy") {
		t.Errorf("unknown style: %v", err)
	}
}

// checkGolden compares got with the file at path (go test -update
// rewrites it).
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	testenv.Golden(t, path, got, *update)
}

func TestPromptStructure(t *testing.T) {
	for kind, k := range promptKinds {
		src, _ := PromptTemplate(kind)
		for _, in := range k.inputs {
			if !strings.Contains(src, "${"+in+"}") {
				t.Errorf("%s does not use %s", kind, in)
			}
		}
		if k.simulate {
			// The refiner never sees the ground truth; the novice never does either.
			if k.persona == "novice" && strings.Contains(src, "Ground Truth Code:") {
				t.Errorf("%s shows ground truth to a novice", kind)
			}
			if !strings.Contains(src, "Example Input:") || !strings.Contains(src, "User Feedback: ") {
				t.Errorf("%s has no few-shot example", kind)
			}
			if strings.Contains(src, "Previous Code: ${previous_code}") {
				t.Errorf("%s shows the simulator unfenced code", kind)
			}
		} else if strings.Contains(src, "ground_truth") {
			t.Errorf("%s leaks ground truth to the coder", kind)
		}
	}
	if _, err := PromptTemplate("nope"); err == nil || !strings.Contains(err.Error(), "refine_from_user_feedback") {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestFunctions(t *testing.T) {
	f := Functions()
	v, err := f["prompt_template"].Call([]cty.Value{cty.StringVal("generate")})
	if err != nil || !strings.Contains(v.AsString(), "${input}") {
		t.Errorf("prompt_template: %v %v", v, err)
	}
	if _, err := f["prompt_template"].Call([]cty.Value{cty.StringVal("bogus")}); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("prompt_template bogus: %v", err)
	}
	v, err = f["prompt_template"].Call([]cty.Value{cty.StringVal("refine_from_execution_feedback"), cty.StringVal("dspy")})
	if err != nil || !strings.Contains(v.AsString(), "dspy_query(") || !strings.Contains(v.AsString(), "formatted as markdown") {
		t.Errorf("prompt_template dspy: %v %v", v, err)
	}
	if _, err := f["prompt_template"].Call([]cty.Value{cty.StringVal("generate"), cty.StringVal("chatml")}); err == nil || !strings.Contains(err.Error(), "no prompt style") {
		t.Errorf("prompt_template bad style: %v", err)
	}
	if _, err := f["prompt_template"].Call([]cty.Value{cty.StringVal("generate"), cty.StringVal("ccw"), cty.StringVal("dspy")}); err == nil {
		t.Errorf("prompt_template with two styles accepted")
	}
	v, err = f["trim_feedback"].Call([]cty.Value{cty.StringVal("abcdef"), cty.NumberIntVal(2), cty.NumberIntVal(3)})
	if err != nil || v.AsString() != "ab\n...\ndef" {
		t.Errorf("trim_feedback: %#v %v", v, err)
	}
	if _, err := f["trim_feedback"].Call([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(-1), cty.NumberIntVal(3)}); err == nil {
		t.Errorf("negative front accepted")
	}
}

func TestDSPyQuery(t *testing.T) {
	vars := map[string]cty.Value{"a": cty.StringVal("one\ntwo"), "b": cty.NullVal(cty.String), "c": cty.StringVal(""), "d": cty.StringVal("x")}
	tests := []struct {
		src, want, err string
	}{
		{src: `${dspy_query("\n", ["A:", a], ["B:", b], ["R:", null])}`, want: "A:\none\ntwo\nB:"},
		{src: `${dspy_query("\n", ["A:", a], ["C:", c], ["D:", d], ["R:", null])}`, want: "A:\none\ntwo\nC: \nD: x\nR:"},
		{src: `${dspy_query("\n", ["B:", b], ["D:", d], ["R:", null])}`, want: "D: x\nR:"},
		{src: `${dspy_query("\n\n", ["B:", b], ["C:", c], ["R:", null])}`, want: "B: \n\nC:"}, // no value at all: the first field is shown
		{src: `${dspy_query("\n", ["B:", "[${b}]"], ["D:", d])}`, want: "D: x"},               // text built from a null value is missing too
		{src: `${dspy_query("\n", "A:")}`, err: "want a pair"},
		{src: `${dspy_query("\n", ["A:", ["x"]])}`, err: "value of A: is not text"},
	}
	for _, tt := range tests {
		tmpl, err := parseTemplate(tt.src, "t")
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.render("t", vars)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.src, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q (%v), want %q", tt.src, got, err, tt.want)
		}
	}
}
