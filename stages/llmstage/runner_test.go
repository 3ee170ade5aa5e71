package llmstage

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/llm"
	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

func openModel(t *testing.T, srv *llmtest.Server, extra map[string]cty.Value) cty.Value {
	t.Helper()
	attrs := map[string]cty.Value{
		"provider": cty.StringVal("vllm"), "name": cty.StringVal("coder-7b"),
		"retry_base": cty.StringVal("5ms"), "retry_max": cty.StringVal("20ms"), "timeout": cty.StringVal("2s"),
	}
	if srv != nil {
		attrs["base_url"] = cty.StringVal(srv.BaseURL())
	}
	for k, v := range extra {
		attrs[k] = v
	}
	r, err := llm.Block().Open("coder", llmtest.Body(llm.Block().Schema(), attrs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return cty.CapsuleVal(llm.ModelType, r.(*llm.Model))
}

func strMap(m map[string]string) cty.Value {
	vals := map[string]cty.Value{}
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

func run(t *testing.T, r stages.Runner, attrs map[string]cty.Value, store stages.SubStore, offline bool, notes *llmtest.Notes) (cty.Value, error) {
	t.Helper()
	in := stages.Input{Config: llmtest.Body(r.Config(), attrs), Addr: r.Kind() + `.x["BigCodeBench/7"]`, Store: store, Offline: offline}
	if notes != nil {
		in.Notes = notes.Add
	}
	v, err := r.Run(context.Background(), in)
	if err == nil {
		if _, cerr := convert.Convert(v, r.Output()); cerr != nil || !v.Type().Equals(r.Output()) {
			t.Fatalf("result type %s does not match Output %s", v.Type().FriendlyName(), r.Output().FriendlyName())
		}
	}
	return v, err
}

func refineAttrs(model cty.Value, ef string) map[string]cty.Value {
	tmpl, _ := PromptTemplate("refine_from_execution_feedback")
	return map[string]cty.Value{"model": model, "template": cty.StringVal(tmpl), "vars": strMap(map[string]string{
		"input": "Sort a list.", "previous_code": "def task_func(x):\n    return x", "execution_feedback": ef})}
}

func longFeedback(lines, width int) string {
	var b strings.Builder
	for i := range lines {
		b.WriteString("  File \"__test__.py\", line 10, in test_case_1 ")
		b.WriteString(strings.Repeat("x", width))
		if i < lines-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestGenerate(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	tmpl, _ := PromptTemplate("instruct")
	v, err := run(t, NewGenerate(), map[string]cty.Value{"model": openModel(t, srv, nil), "template": cty.StringVal(tmpl),
		"system": cty.StringVal("You write Python for ${input}."), "vars": strMap(map[string]string{"input": "sorting"})}, nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := srv.Log()[0]
	if req.Messages[0].Content != "You write Python for sorting." || !strings.HasSuffix(req.Messages[1].Content, "\n\nsorting\n") {
		t.Errorf("messages = %+v", req.Messages)
	}
	if !strings.Contains(v.GetAttr("text").AsString(), "def task_func") || v.GetAttr("error").AsString() != "" {
		t.Errorf("result %#v", v)
	}
	calls := v.GetAttr("calls")
	if calls.LengthInt() != 1 || calls.Index(cty.NumberIntVal(0)).GetAttr("role").AsString() != "coder" {
		t.Errorf("calls %#v", calls)
	}
}

// TestRefineShortensFeedback: the endpoint refuses long prompts; the stage
// trims the execution feedback step by step until the prompt fits, and a
// rerun pays for nothing.
func TestRefineShortensFeedback(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.MaxPromptChars = 4000
	store := llmtest.NewMemStore()
	var notes llmtest.Notes
	model := openModel(t, srv, nil)
	v, err := run(t, NewRefine(), refineAttrs(model, longFeedback(40, 120)), store, false, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if v.GetAttr("error").AsString() != "" || !strings.Contains(v.GetAttr("text").AsString(), "task_func") {
		t.Fatalf("result %#v", v)
	}
	// The schedule stops at the first setting whose prompt fits.
	trim := v.GetAttr("trim").AsString()
	calls := v.GetAttr("calls")
	n := calls.LengthInt()
	if trim == "" || n < 2 {
		t.Fatalf("trim %q after %d calls", trim, n)
	}
	for i := range n - 1 {
		if e := calls.Index(cty.NumberIntVal(int64(i))).GetAttr("error").AsString(); e != "context_length_exceeded" {
			t.Errorf("call %d error %q", i, e)
		}
	}
	if !strings.Contains(notes.String(), "trimming execution_feedback to 2000+4000 characters") {
		t.Errorf("notes: %s", notes.String())
	}
	if len(v.GetAttr("prompt").AsString()) > srv.MaxPromptChars {
		t.Errorf("answered prompt is longer than the limit")
	}
	reqs, conns := srv.Requests(), srv.Connections()
	if reqs != int64(n) {
		t.Errorf("%d requests for %d calls", reqs, n)
	}
	// Rerun offline: every attempt, refused or answered, comes from the store.
	again, err := run(t, NewRefine(), refineAttrs(openModel(t, srv, nil), longFeedback(40, 120)), store, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Requests() != reqs || srv.Connections() != conns {
		t.Errorf("offline rerun reached the server")
	}
	if again.GetAttr("text").AsString() != v.GetAttr("text").AsString() || again.GetAttr("trim").AsString() != trim {
		t.Errorf("offline rerun differs")
	}
}

func TestRefineGivesUp(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.MaxPromptChars = 50 // even the instructions do not fit
	// Lines of 1000 characters: every step of the schedule renders a
	// different prompt.
	v, err := run(t, NewRefine(), refineAttrs(openModel(t, srv, nil), longFeedback(40, 1000)), llmtest.NewMemStore(), false, nil)
	if err != nil {
		t.Fatalf("a prompt that never fits is an outcome, not an error: %v", err)
	}
	if v.GetAttr("error").AsString() != "context_length_exceeded" || v.GetAttr("text").AsString() != "" || v.GetAttr("trim").AsString() != "0/0" {
		t.Errorf("result %#v", v)
	}
	// Full, then 2000/4000 … 0/0: eight prompts, all distinct.
	if n := v.GetAttr("calls").LengthInt(); n != 8 || srv.Requests() != 8 {
		t.Errorf("%d calls, %d requests; want 8 and 8", n, srv.Requests())
	}
	// Without feedback to shorten there is nothing to try.
	srv2 := llmtest.New()
	defer srv2.Close()
	srv2.MaxPromptChars = 50
	v, err = run(t, NewRefine(), refineAttrs(openModel(t, srv2, nil), ""), nil, false, nil)
	if err != nil || v.GetAttr("error").AsString() != "context_length_exceeded" || srv2.Requests() != 1 {
		t.Errorf("empty feedback: %v %#v, %d requests", err, v, srv2.Requests())
	}
}

// TestStageAfterFaults: a stage result after transient faults equals a
// clean run's, apart from the retry counts in its records.
func TestStageAfterFaults(t *testing.T) {
	clean := llmtest.New()
	defer clean.Close()
	want, err := run(t, NewRefine(), refineAttrs(openModel(t, clean, nil), "TEST_CASE_1\nAssertionError"), nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.New()
	defer srv.Close()
	srv.Push(llmtest.Fault429, llmtest.Fault500, llmtest.FaultCut, llmtest.FaultMalform)
	got, err := run(t, NewRefine(), refineAttrs(openModel(t, srv, nil), "TEST_CASE_1\nAssertionError"), nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"text", "prompt", "trim", "error"} {
		if !got.GetAttr(a).RawEquals(want.GetAttr(a)) {
			t.Errorf("%s differs after faults", a)
		}
	}
	if r := got.GetAttr("calls").Index(cty.NumberIntVal(0)).GetAttr("retries"); !r.RawEquals(cty.NumberIntVal(4)) {
		t.Errorf("retries recorded %#v, want 4", r)
	}
}

func TestSimulate(t *testing.T) {
	srv := llmtest.New()
	defer srv.Close()
	srv.Answer = func(llmtest.Request) string {
		return " find where it differs.\nUser Feedback: The loop skips capitals.\n```python\ndef count(): ...\n```\nMore.\n\n---\n\nExample Input: x"
	}
	tmpl, _ := PromptTemplate("simulate_user_feedback")
	vars := strMap(map[string]string{"input": "Count vowels.", "ground_truth_code": "def f(): return 1", "previous_code": "def f(): return 2"})
	for _, tt := range []struct {
		persona  string
		fidelity bool
		want     string
		guarded  bool
	}{
		{"expert", false, "The loop skips capitals.\nMore.", true},
		{"expert", true, "The loop skips capitals.", true},
		{"novice", false, "The loop skips capitals.\n```python\ndef count(): ...\n```\nMore.", false},
		{"novice", true, "The loop skips capitals.\n```python\ndef count(): ...\n```\nMore.\n\n", false},
	} {
		v, err := run(t, NewSimulate(), map[string]cty.Value{"model": openModel(t, srv, nil), "template": cty.StringVal(tmpl),
			"vars": vars, "persona": cty.StringVal(tt.persona), "fidelity": cty.BoolVal(tt.fidelity)}, nil, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.GetAttr("feedback").AsString(); got != tt.want || v.GetAttr("leak_guarded").True() != tt.guarded {
			t.Errorf("%s (fidelity %v): feedback %q (guarded %v), want %q", tt.persona, tt.fidelity, got, v.GetAttr("leak_guarded").True(), tt.want)
		}
		if role := v.GetAttr("calls").Index(cty.NumberIntVal(0)).GetAttr("role").AsString(); role != "simulator" {
			t.Errorf("role %q", role)
		}
	}
	prompt := srv.Log()[0].Messages[0].Content
	if !strings.Contains(prompt, "Ground Truth Code: ```\ndef f(): return 1\n```") {
		t.Errorf("ground truth not fenced in the prompt")
	}
}

func TestStageConfigErrors(t *testing.T) {
	model := openModel(t, nil, map[string]cty.Value{"provider": cty.StringVal("mock"), "mock_default": cty.StringVal("x")})
	tests := []struct {
		r     stages.Runner
		attrs map[string]cty.Value
		want  string
	}{
		{NewRefine(), map[string]cty.Value{"model": model, "template": cty.StringVal("${input} ${oops}"),
			"vars": strMap(map[string]string{"input": "a"})}, `refers to ${oops}, but vars has no "oops" (it has: input)`},
		{NewRefine(), map[string]cty.Value{"model": model, "template": cty.StringVal("${input")}, "template"},
		{NewSimulate(), map[string]cty.Value{"model": model, "template": cty.StringVal("x"), "persona": cty.StringVal("guru")},
			`persona: "guru" is not one of expert, novice`},
		{NewGenerate(), map[string]cty.Value{"model": model, "template": cty.StringVal("x"), "sample": cty.NumberFloatVal(1.5)},
			"sample: want a whole number"},
	}
	for _, tt := range tests {
		_, err := run(t, tt.r, tt.attrs, nil, false, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `.x["BigCodeBench/7"]`) {
			t.Errorf("err = %v, want %q naming the stage", err, tt.want)
		}
	}
}

func TestMockNullVarsAndSample(t *testing.T) {
	model := openModel(t, nil, map[string]cty.Value{"provider": cty.StringVal("mock"), "mock_default": cty.StringVal("```python\nx = 1\n```")})
	vars := cty.MapVal(map[string]cty.Value{"input": cty.StringVal("a"), "user_feedback": cty.NullVal(cty.String)})
	v, err := run(t, NewRefine(), map[string]cty.Value{"model": model, "template": cty.StringVal("${input}|${user_feedback}|"),
		"vars": vars, "sample": cty.NumberIntVal(3)}, nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := v.GetAttr("calls").Index(cty.NumberIntVal(0))
	if v.GetAttr("prompt").AsString() != "a||" || !c.GetAttr("mock").True() || !c.GetAttr("sample").RawEquals(cty.NumberIntVal(3)) {
		t.Errorf("result %#v", v)
	}
}

// TestRefineShortensFromUntrimmed: with shorten_from, every retry trims
// the untrimmed feedback, as the original re-renders it each time; the
// first setting reproduces the already trimmed text, so it is not asked
// again.
func TestRefineShortensFromUntrimmed(t *testing.T) {
	// A first line longer than the head keeps: trimming the trimmed text
	// again would pull "..." and tail lines into the head.
	var lines []string
	lines = append(lines, "TEST_CASE_1 "+strings.Repeat("h", 3000))
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("  line %02d %s", i, strings.Repeat("t", 1200)))
	}
	raw := strings.Join(lines, "\n") + "\n\n"
	shown := TrimFeedback(raw, 2000, 4000)
	if TrimFeedback(shown, 2000, 3000) == TrimFeedback(raw, 2000, 3000) {
		t.Fatal("the case does not tell the two sources apart")
	}
	tmpl, _ := PromptTemplate("refine_from_execution_feedback")
	parsed, err := parseTemplate(tmpl, "t")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]cty.Value{"input": cty.StringVal("Sort a list."), "previous_code": cty.StringVal("def task_func(x):\n    return x")}
	vars["execution_feedback"] = cty.StringVal(TrimFeedback(raw, 2000, 3000))
	want, err := parsed.render("t", vars)
	if err != nil {
		t.Fatal(err)
	}
	srv := llmtest.New()
	defer srv.Close()
	srv.MaxPromptChars = len(want)
	attrs := refineAttrs(openModel(t, srv, nil), shown)
	attrs["shorten_from"] = cty.StringVal(raw)
	v, err := run(t, NewRefine(), attrs, nil, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.GetAttr("prompt").AsString(); got != want {
		t.Errorf("answered prompt is not the untrimmed feedback trimmed to 2000/3000\n%s", got[len(got)-200:])
	}
	if v.GetAttr("trim").AsString() != "2000/3000" || srv.Requests() != 2 {
		t.Errorf("trim %q after %d requests; want 2000/3000 after 2 (the 2000/4000 prompt was the refused one)", v.GetAttr("trim").AsString(), srv.Requests())
	}
}
