package llmstage

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// scenario is a set of realistic variable values for rendering prompts:
// BigCodeBench/408's task and ground truth, a previous solution that
// forgets to return, the real compilation and execution feedback of such
// code, and an expert's feedback (testdata/values).
type scenario struct {
	name    string
	applies func(kind string, k promptKind) bool
	change  map[string]cty.Value
}

func hasInput(name string) func(string, promptKind) bool {
	return func(_ string, k promptKind) bool { return slices.Contains(k.inputs, name) }
}

var scenarios = []scenario{
	{name: "filled", applies: func(string, promptKind) bool { return true }},
	{name: "one_line_input", applies: func(kind string, _ promptKind) bool { return kind == "generate" || kind == "instruct" },
		change: map[string]cty.Value{"input": cty.StringVal("Return the sum of the integers a and b.")}},
	{name: "null_user_feedback", applies: hasInput("user_feedback"),
		change: map[string]cty.Value{"user_feedback": cty.NullVal(cty.String)}},
	{name: "empty_execution_feedback", applies: hasInput("execution_feedback"),
		change: map[string]cty.Value{"execution_feedback": cty.StringVal("")}},
	{name: "no_syntax_errors", applies: hasInput("compilation_feedback"),
		change: map[string]cty.Value{"compilation_feedback": cty.StringVal("No syntax errors")}},
}

func baseValues(t *testing.T) map[string]cty.Value {
	t.Helper()
	files := map[string]string{
		"input": "input.txt", "previous_code": "previous_code.py", "ground_truth_code": "ground_truth_code.py",
		"compilation_feedback": "compilation_feedback.txt", "execution_feedback": "execution_feedback.txt",
		"user_feedback": "user_feedback.txt",
	}
	vars := map[string]cty.Value{}
	for name, file := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "values", file))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.HasSuffix(file, ".py") || name == "user_feedback" {
			s = strings.TrimRight(s, "\n")
		}
		vars[name] = cty.StringVal(s)
	}
	return vars
}

type rendered struct {
	style, kind, scenario string
	vars                  map[string]cty.Value
	prompt                string
}

// renderAll renders every kind in both styles in every scenario that
// applies to it.
func renderAll(t *testing.T) []rendered {
	t.Helper()
	base := baseValues(t)
	var out []rendered
	for _, style := range []string{StyleCCW, StyleDSPy} {
		for _, kind := range PromptKinds() {
			k := promptKinds[kind]
			for _, sc := range scenarios {
				if !sc.applies(kind, k) {
					continue
				}
				vars := map[string]cty.Value{}
				for n, v := range base {
					vars[n] = v
				}
				for n, v := range sc.change {
					vars[n] = v
				}
				src, err := PromptTemplateStyle(kind, style)
				if err != nil {
					t.Fatal(err)
				}
				tmpl, err := parseTemplate(src, kind)
				if err != nil {
					t.Fatal(err)
				}
				prompt, err := tmpl.render(kind, vars)
				if err != nil {
					t.Fatalf("%s %s %s: %v", style, kind, sc.name, err)
				}
				out = append(out, rendered{style, kind, sc.name, vars, prompt})
			}
		}
	}
	return out
}

// TestRenderedPromptGoldens keeps every prompt kind, rendered in both
// styles with realistic values, as a file under testdata/rendered.
func TestRenderedPromptGoldens(t *testing.T) {
	all := renderAll(t)
	if len(all) < 30 {
		t.Fatalf("only %d rendered prompts", len(all))
	}
	for _, r := range all {
		checkGolden(t, filepath.Join("testdata", "rendered", r.style, r.kind+"."+r.scenario+".txt"), r.prompt)
	}
}

// TestDSPyLayoutAgainstPython renders every dspy-style prompt with
// testdata/dspy_layout.py too, an independent Python model of dspy
// 2.4.12's Template (guidelines, query, the prompt's assembly), given the
// same instructions, fields and values: the texts must be equal.
func TestDSPyLayoutAgainstPython(t *testing.T) {
	testenv.NeedPython(t)
	type field struct {
		Prefix    string  `json:"prefix"`
		Desc      string  `json:"desc"`
		Value     *string `json:"value"`
		Reasoning bool    `json:"reasoning"`
	}
	type job struct {
		Name         string  `json:"name"`
		Instructions string  `json:"instructions"`
		Fields       []field `json:"fields"`
	}
	var jobs []job
	var want []string
	for _, r := range renderAll(t) {
		if r.style != StyleDSPy || r.kind == "instruct" {
			continue
		}
		spec := promptKinds[r.kind].dspySpec(r.kind)
		j := job{Name: r.kind + "." + r.scenario, Instructions: spec.instructions}
		for _, f := range spec.fields {
			pf := field{Prefix: f.prefix, Desc: f.desc, Reasoning: f.reasoning}
			if v, ok := r.vars[f.name]; ok && f.name != "" && !v.IsNull() {
				s := v.AsString()
				if f.fenced {
					s = "```\n" + s + "\n```"
				}
				pf.Value = &s
			}
			j.Fields = append(j.Fields, pf)
		}
		jobs = append(jobs, j)
		want = append(want, r.prompt)
	}
	in, _ := json.Marshal(jobs)
	cmd := exec.Command(testenv.Python, "-I", filepath.Join("testdata", "dspy_layout.py"))
	cmd.Stdin = strings.NewReader(string(in))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dspy_layout.py: %v", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(jobs) {
		t.Fatalf("python rendered %d prompts for %d", len(got), len(jobs))
	}
	for i := range jobs {
		if got[i] != want[i] {
			t.Errorf("%s: the template renders differently from dspy's layout\n--- template ---\n%s\n--- dspy ---\n%s", jobs[i].Name, want[i], got[i])
		}
	}
	t.Logf("%d dspy-style prompts equal to the Python model", len(jobs))
}
