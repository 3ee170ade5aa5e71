package llmstage

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestPromptGoldens keeps every default template as a reviewable file
// (testdata/prompts/KIND.tmpl) and checks that each parses and renders
// with the variables of its kind.
func TestPromptGoldens(t *testing.T) {
	vars := map[string]cty.Value{}
	for name := range fields {
		vars[name] = cty.StringVal("<" + name + ">")
	}
	for _, kind := range PromptKinds() {
		t.Run(kind, func(t *testing.T) {
			src, err := PromptTemplate(kind)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "prompts", kind+".tmpl")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if src != string(want) {
				t.Errorf("template %s differs from %s (go test -update rewrites it)", kind, path)
			}
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
			if !strings.Contains(out, "<input>") || strings.Contains(out, "${") {
				t.Errorf("rendered prompt lacks the input or keeps a placeholder:\n%s", out)
			}
			if kind != "instruct" && !strings.HasSuffix(out, reasoningPrefix) {
				t.Errorf("structured prompt does not end where the reasoning starts")
			}
		})
	}
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
	v, err = f["trim_feedback"].Call([]cty.Value{cty.StringVal("abcdef"), cty.NumberIntVal(2), cty.NumberIntVal(3)})
	if err != nil || v.AsString() != "ab\n...\ndef" {
		t.Errorf("trim_feedback: %#v %v", v, err)
	}
	if _, err := f["trim_feedback"].Call([]cty.Value{cty.StringVal("x"), cty.NumberIntVal(-1), cty.NumberIntVal(3)}); err == nil {
		t.Errorf("negative front accepted")
	}
}
