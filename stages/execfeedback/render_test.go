package execfeedback

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

var (
	update   = flag.Bool("update", false, "rewrite the golden files under testdata/golden")
	newCases = flag.Bool("cases", false, "rerun the golden cases' programs in the sandbox and rewrite testdata/cases")
)

func res(status sandbox.Status, tests ...sandbox.TestResult) sandbox.Result {
	return sandbox.Result{Status: status, Tests: tests}
}

func tr(name, status, msg string) sandbox.TestResult {
	return sandbox.TestResult{Name: name, Status: status, Message: msg}
}

func TestDetails(t *testing.T) {
	tests := []struct {
		name string
		r    sandbox.Result
		want []Detail
	}{
		{"pass", res(sandbox.Pass, tr("test_a", "pass", "")), nil},
		{"failures first, then errors, each in run order",
			res(sandbox.Fail, tr("test_1", "error", "e1"), tr("test_10", "fail", "f10"), tr("test_2", "pass", ""),
				tr("test_3", "timeout", "t3"), tr("test_4", "fail", "f4"), tr("test_5", "skip", "why")),
			[]Detail{{"test_10", "f10"}, {"test_4", "f4"}, {"test_1", "e1"}, {"test_3", "t3"}}},
		{"a key twice keeps its first place and the later traceback",
			res(sandbox.Fail, tr("test_a", "fail", "assert"), tr("test_b", "error", "b"), tr("test_a", "error", "tearDown")),
			[]Detail{{"test_a", "tearDown"}, {"test_b", "b"}}},
		{"module-level failure alone",
			res(sandbox.Fail, tr("test_a", "fail", "x"), tr("ALL", "fail", "No module named 'nope'")),
			[]Detail{{"ALL", "No module named 'nope'"}}},
		{"timeout has no details", res(sandbox.Timeout, tr("test_a", "fail", "x"), tr("test_b", "timeout", "Timed out!")), nil},
		{"crash has no details", res(sandbox.Crash, tr("test_a", "error", "crashed")), nil},
		{"killed has no details", res(sandbox.Killed, tr("test_a", "error", "killed")), nil},
	}
	for _, tt := range tests {
		if got := Details(tt.r); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	mixed := res(sandbox.Fail, tr("setUp", "pass", ""), tr("test_case_1", "error", "Traceback E1\n"),
		tr("test_case_10", "fail", "Traceback F10\n"), tr("test_case_2", "fail", "Traceback F2\n"))
	// BigCodeBench/408's first three names: setUp, a helper, one test.
	visible408 := []string{"setUp", "generate_test_data_with_file", "test_case_1", "test_case_2"}
	tests := []struct {
		name     string
		r        sandbox.Result
		opt      Options
		want     string
		passed   bool
		failing  []string
		trimmed  bool
		errorHas string
	}{
		{name: "pass", r: res(sandbox.Pass), opt: DefaultOptions(Full, nil), want: Sentinel, passed: true, failing: []string{}},
		{name: "full", r: mixed, opt: DefaultOptions(Full, nil),
			want:    "TEST_CASE_10\nTraceback F10\n\n\nTEST_CASE_2\nTraceback F2\n\n\nTEST_CASE_1\nTraceback E1\n\n",
			failing: []string{"test_case_10", "test_case_2", "test_case_1"}},
		{name: "partial shows only visible among the first three", r: mixed, opt: DefaultOptions(Partial, visible408),
			want: "TEST_CASE_1\nTraceback E1\n\n", failing: []string{"test_case_1"}},
		{name: "partial with nothing visible failing is the sentinel", r: mixed,
			opt: DefaultOptions(Partial, []string{"__init__", "raise_for_status", "setUp", "test_case_1"}), want: Sentinel, passed: true, failing: []string{}},
		{name: "visible_count widens the selection", r: mixed,
			opt:  Options{Coverage: Partial, Visible: visible408, VisibleCount: 4},
			want: "TEST_CASE_2\nTraceback F2\n\n\nTEST_CASE_1\nTraceback E1\n\n", failing: []string{"test_case_2", "test_case_1"}},
		{name: "ALL alone", r: res(sandbox.Fail, tr("ALL", "fail", "invalid syntax (__test__.py, line 3)")), opt: DefaultOptions(Full, nil),
			want: "ALL\ninvalid syntax (__test__.py, line 3)\n", failing: []string{"ALL"}},
		{name: "partial hides ALL", r: res(sandbox.Fail, tr("ALL", "fail", "boom")), opt: DefaultOptions(Partial, visible408),
			want: Sentinel, passed: true, failing: []string{}},
		{name: "timeout is empty, and not passed", r: res(sandbox.Timeout, tr("test_case_1", "timeout", "Timed out!")), opt: DefaultOptions(Full, nil),
			want: "", failing: []string{}},
		{name: "partial hides a timeout", r: res(sandbox.Timeout, tr("test_case_1", "timeout", "Timed out!")), opt: DefaultOptions(Partial, visible408),
			want: Sentinel, passed: true, failing: []string{}},
		{name: "an alarm-interrupted test is an error", r: res(sandbox.Fail, tr("test_case_1", "timeout", "Timed out!\n"), tr("test_case_2", "fail", "F\n")),
			opt: DefaultOptions(Full, nil), want: "TEST_CASE_2\nF\n\n\nTEST_CASE_1\nTimed out!\n\n", failing: []string{"test_case_2", "test_case_1"}},
		{name: "keys upper-cased as Python does", r: res(sandbox.Fail, tr("test_straße (x='ﬁ')", "fail", "m")), opt: DefaultOptions(Full, nil),
			want: "TEST_STRASSE (X='FI')\nm\n", failing: []string{"test_straße (x='ﬁ')"}},
		{name: "long feedback is trimmed", r: res(sandbox.Fail, tr("test_case_1", "error", strings.Repeat("é", 8000))),
			opt: DefaultOptions(Full, nil), want: "TEST_CASE_1\n...\n" + strings.Repeat("é", 4000), failing: []string{"test_case_1"}, trimmed: true},
		{name: "trim_at is the first length trimmed", r: res(sandbox.Fail, tr("t", "fail", "abcdef")),
			opt: Options{Coverage: Full, TrimAt: 9, Front: 2, Rear: 3}, want: "T\n...\ndef", failing: []string{"t"}, trimmed: true},
		{name: "one below trim_at is not", r: res(sandbox.Fail, tr("t", "fail", "abcdef")),
			opt: Options{Coverage: Full, TrimAt: 10, Front: 2, Rear: 3}, want: "T\nabcdef\n", failing: []string{"t"}},
		{name: "bad coverage", r: mixed, opt: Options{Coverage: "some"}, errorHas: `coverage "some"`},
	}
	for _, tt := range tests {
		got, err := Render(tt.r, tt.opt)
		if tt.errorHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errorHas) {
				t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.errorHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.Text != tt.want || got.Passed != tt.passed || !reflect.DeepEqual(got.Failing, tt.failing) || got.Trimmed != tt.trimmed {
			t.Errorf("%s:\n got  %q passed=%v failing=%q trimmed=%v\n want %q passed=%v failing=%q trimmed=%v",
				tt.name, got.Text, got.Passed, got.Failing, got.Trimmed, tt.want, tt.passed, tt.failing, tt.trimmed)
		}
		if !got.Trimmed && got.Untrimmed != got.Text {
			t.Errorf("%s: untrimmed %q differs from the untrimmed text", tt.name, got.Untrimmed)
		}
	}
}

func TestTrim(t *testing.T) {
	// Real feedback: blocks of "KEY\ntraceback\n" joined by "\n", so it
	// ends in "\n\n"; Python's splitlines makes no empty line of the
	// final break.
	var blocks []string
	for i := 1; i <= 3; i++ {
		tb := fmt.Sprintf("Traceback (most recent call last):\n  File \"__test__.py\", line %d\nAssertionError: %d != 0\n", i, i)
		blocks = append(blocks, fmt.Sprintf("TEST_CASE_%d\n%s\n", i, tb))
	}
	real := strings.Join(blocks, "\n")
	tests := []struct {
		name        string
		text        string
		front, rear int
		want        string
	}{
		{"real feedback keeps the last five lines splitlines sees", real, 2000, 4000,
			"TEST_CASE_1\nTraceback (most recent call last):\n  File \"__test__.py\", line 1\nAssertionError: 1 != 0\n\n...\n" +
				"TEST_CASE_3\nTraceback (most recent call last):\n  File \"__test__.py\", line 3\nAssertionError: 3 != 0\n"},
		{"every Python line break counts", "a\r\nb\rc\x0bd\x0ce\u2028f", 100, 100, "a\nb\nc\n...\nd\ne\nf"},
		{"a trailing break makes no empty line", "a\nb\nc\nd\n", 100, 100, "a\nb\n...\nc\nd"},
		{"one line is both ends", "boom", 2, 2, "bo\n...\nom"},
		{"front cut in code points", "äöü", 2, 1, "äö\n...\nü"},
		{"rear 0 keeps the whole tail, as s[-0:] does", "abc", 0, 0, "\n...\nabc"},
		{"empty text", "", 2000, 4000, "\n...\n"},
	}
	for _, tt := range tests {
		if got := Trim(tt.text, tt.front, tt.rear); got != tt.want {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

func TestStage(t *testing.T) {
	r := res(sandbox.Fail, tr("test_case_1", "fail", "F1\n"), tr("test_case_2", "error", "E2\n"))
	v, err := New().Run(context.Background(), stages.Input{Config: stageConfig(r.Value(), "full", nil), Addr: "feedback.execution"})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Type().Equals(New().Output()) {
		t.Fatalf("type %s, want the declared output", v.Type().FriendlyName())
	}
	if v.GetAttr("text").AsString() != "TEST_CASE_1\nF1\n\n\nTEST_CASE_2\nE2\n\n" || v.GetAttr("passed").True() ||
		v.GetAttr("failing").LengthInt() != 2 || v.GetAttr("trimmed").True() {
		t.Errorf("result %#v", v)
	}
	if _, ok := New().(stages.Ephemeral); !ok {
		t.Errorf("the feedback stage must be ephemeral")
	}
	bad := []struct {
		name string
		cfg  cty.Value
		want string
	}{
		{"coverage", stageConfig(r.Value(), "most", nil), `coverage: "most" is not one of full, partial`},
		{"partial without names", stageConfig(r.Value(), "partial", nil), "partial coverage needs the test names"},
		{"null execution", stageConfig(cty.NullVal(sandbox.ResultType), "full", nil), "want an execution result, got null"},
		{"null status", stageConfig(withAttr(r.Value(), "status", cty.NullVal(cty.String)), "full", nil), "execution: status is null"},
		{"visible_count", withAttr(stageConfig(r.Value(), "full", nil), "visible_count", cty.NumberFloatVal(1.5)), "visible_count: want a whole number"},
		{"trim_at", withAttr(stageConfig(r.Value(), "full", nil), "trim_at", cty.Zero), "trim_at: want at least 1"},
	}
	for _, b := range bad {
		_, err := New().Run(context.Background(), stages.Input{Config: b.cfg, Addr: "feedback.x"})
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), "feedback.x") {
			t.Errorf("%s: error %v, want one naming feedback.x with %q", b.name, err, b.want)
		}
	}
}

func withAttr(obj cty.Value, name string, v cty.Value) cty.Value {
	m := obj.AsValueMap()
	m[name] = v
	return cty.ObjectVal(m)
}

// goldenCase is one file of testdata/cases: a real sandbox result of a
// broken program against a BigCodeBench task's tests, and how to render it.
type goldenCase struct {
	Task     string          `json:"task"`
	Why      string          `json:"why"`
	Body     string          `json:"body"`     // the body given to task_func
	Timeout  string          `json:"timeout"`  // for the sandbox run
	Coverage string          `json:"coverage"` // full | partial
	Visible  []string        `json:"visible"`  // ast.walk order, from the task's tests
	Result   *sandbox.Result `json:"result"`
}

// TestGoldens renders the cases of testdata/cases and compares with
// testdata/golden (go test -update rewrites them; -cases reruns the
// programs in the sandbox first).
func TestGoldens(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "cases", "*.json"))
	sort.Strings(paths)
	if len(paths) < 5 {
		t.Fatalf("only %d golden cases", len(paths))
	}
	if *newCases {
		regenerateCases(t, paths)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			c := readCase(t, path)
			var visible []string
			if c.Coverage == "partial" {
				visible = c.Visible
			}
			v := runStage(t, c.Result.Value(), c.Coverage, visible)
			var failing []string
			for _, f := range v.GetAttr("failing").AsValueSlice() {
				failing = append(failing, f.AsString())
			}
			got := fmt.Sprintf("task: %s (%s)\ncoverage: %s, visible: %q\nstatus: %s\npassed: %v\nfailing: %q\ntrimmed: %v\n----- text -----\n%s",
				c.Task, c.Why, c.Coverage, visible, c.Result.Status, v.GetAttr("passed").True(), failing, v.GetAttr("trimmed").True(), v.GetAttr("text").AsString())
			testenv.Golden(t, filepath.Join("testdata", "golden", name+".txt"), got, *update)
		})
	}
}

func readCase(t *testing.T, path string) goldenCase {
	t.Helper()
	var c goldenCase
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// regenerateCases runs each case's program (the task's code_prompt with
// the case's body) against the task's tests in the sandbox and stores the
// result; the visible names come from the task's tests as the original
// lists them.
func regenerateCases(t *testing.T, paths []string) {
	sandboxtest.NeedLibraries(t)
	byID := map[string]sandboxtest.Task{}
	for _, task := range sandboxtest.LoadTasks(t) {
		byID[task.ID] = task
	}
	sb := openSandbox(t, map[string]cty.Value{"timeout": cty.StringVal("30s")})
	for _, path := range paths {
		c := readCase(t, path)
		task, ok := byID[c.Task]
		if !ok {
			t.Fatalf("%s: no task %s", path, c.Task)
		}
		job := sandbox.Job{Code: task.CodePrompt + c.Body, Test: task.Test}
		if c.Timeout != "" {
			d, err := time.ParseDuration(c.Timeout)
			if err != nil {
				t.Fatalf("%s: timeout: %v", path, err)
			}
			job.Timeout = d
		}
		r, err := sb.Run(context.Background(), job)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r.Output, r.Duration, r.Limits = "", 0, sandbox.Limits{}
		c.Result = &r
		c.Visible = pythonVisible(t, task.Test)
		out, _ := json.MarshalIndent(c, "", "  ")
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pythonVisible lists a test module's function definitions as the
// original's extract_methods does.
func pythonVisible(t *testing.T, test string) []string {
	t.Helper()
	cmd := exec.Command(testenv.Python, "-I", filepath.Join("testdata", "original_ef.py"), "visible")
	cmd.Stdin = strings.NewReader(test)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("original_ef.py visible: %v", err)
	}
	var names []string
	if err := json.Unmarshal(out, &names); err != nil {
		t.Fatal(err)
	}
	return names
}
