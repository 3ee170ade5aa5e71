package pytool

import (
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// slowCode compiles for seconds and needs about 500 MB: a tuple of 700000
// constants.
var slowCode = "x = (" + strings.Repeat("1,", 700000) + ")\n"

// cpuCode compiles for about 11 CPU seconds on the machine this was written
// on (the f-string's compile time grows with the square of its 150000
// fields) in under 250 MB: far past a 1 s CPU limit on any machine, where
// slowCode needs only 0.8 s on a fast one.
var cpuCode = "x = f'" + strings.Repeat("{a}", 150000) + "'\n"

// pids records the local helpers started while a test runs.
type pids struct {
	mu   sync.Mutex
	list []int
}

func watchStarts(t *testing.T) *pids {
	p := &pids{}
	startedHook = func(pid int) {
		p.mu.Lock()
		p.list = append(p.list, pid)
		p.mu.Unlock()
	}
	t.Cleanup(func() { startedHook = nil })
	return p
}

func (p *pids) get() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.list...)
}

// alive reports whether any process of pid still exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// mustWork checks that the pool still answers a plain request.
func mustWork(t *testing.T, p *Pool) {
	t.Helper()
	r, err := p.Compile(t.Context(), "def f(:\n")
	if err != nil || r.OK || !strings.Contains(r.Feedback, "SyntaxError: invalid syntax") {
		t.Fatalf("the pool does not answer after a limit: %+v %v", r, err)
	}
}

// TestLimits sends hostile inputs under small limits: each comes back as
// a result naming the limit, and the pool answers the next request.
func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		o     Options
		code  string
		limit string
		ok    bool
	}{
		{"input", Options{MaxInput: 1 << 20}, strings.Repeat("x = 1\n", 10<<20/6), LimitInput, false},
		{"cpu", Options{CPU: time.Second}, cpuCode, LimitCPU, false},
		{"deadline", Options{Deadline: 300 * time.Millisecond}, slowCode, LimitDeadline, false},
		{"memory", Options{Memory: 300 << 20}, slowCode, LimitMemory, false},
		{"recursion", Options{}, "x = " + strings.Repeat("1+", 300000) + "1\n", LimitRecursion, false},
		{"within", Options{}, slowCode, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := localPool(t, tt.o)
			r, err := p.Compile(t.Context(), tt.code)
			if err != nil {
				t.Fatal(err)
			}
			if r.Limit != tt.limit || r.OK != tt.ok || r.Feedback == "" {
				t.Errorf("got ok=%v limit=%q feedback %.200q; want ok=%v limit=%q", r.OK, r.Limit, r.Feedback, tt.ok, tt.limit)
			}
			if tt.limit == LimitInput {
				s, err := p.Sanitize(t.Context(), SanitizeRequest{Code: tt.code, EntryPoint: "task_func"})
				if err != nil || s.Limit != LimitInput || s.Code != "" || !s.Changed {
					t.Errorf("sanitize of an input over the cap: %+v %v", s, err)
				}
			}
			mustWork(t, p)
		})
	}
}

// TestSanitizeHostile sanitizes answers built to be slow or odd.
func TestSanitizeHostile(t *testing.T) {
	p := localPool(t, Options{SearchBudget: 4 << 20})
	prose := strings.Repeat("Sure, here is some prose that is not Python at all.\n", 3000)
	tests := []struct {
		name, answer string
		limit        string
		found        bool
	}{
		{"prose_only", prose, "", false},
		{"prose_then_code", prose + "```python\ndef task_func():\n    return 1\n```\n", "", true},
		{"code_then_prose", "```python\ndef task_func():\n    return 1\n```\n" + prose, "", true},
		// Lines that more lines might complete cost O(n²) parses: past
		// the budget the best range so far is used.
		{"unclosed_calls", "def task_func():\n    return 1\n" + strings.Repeat("f(\n", 3000), LimitSearch, true},
		{"nul_bytes", "def task_func():\n    return 1\n\x00\x00\n", "", true},
		{"deep_nesting", "def task_func():\n    return " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n", "", false},
		{"huge_literal", "def task_func():\n    return '" + strings.Repeat("a", 1<<20) + "'\n", "", true},
		{"invalid_utf8", "def task_func():\n    return '\xed\xa0\x80\xff'\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.Sanitize(t.Context(), SanitizeRequest{Code: tt.answer, EntryPoint: "task_func"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Limit != tt.limit || r.Found != tt.found {
				t.Errorf("limit=%q found=%v, want %q %v; code %.200q", r.Limit, r.Found, tt.limit, tt.found, r.Code)
			}
			if r.Found {
				c, err := p.Compile(t.Context(), r.Code)
				if err != nil || !c.OK {
					t.Errorf("sanitized code does not compile: %v %.300s", err, c.Feedback)
				}
			}
		})
	}
	mustWork(t, p)
}

// TestRestartAfterCrash kills helpers from outside: an idle one, and a
// busy one in the middle of a request, which is then answered by a new
// helper as if nothing happened.
func TestRestartAfterCrash(t *testing.T) {
	started := watchStarts(t)
	p := localPool(t, Options{Helpers: 1})
	mustWork(t, p)
	first := started.get()
	if len(first) != 1 {
		t.Fatalf("%d helpers started, want 1", len(first))
	}
	syscall.Kill(first[0], syscall.SIGKILL)
	mustWork(t, p)
	if n := len(started.get()); n != 2 {
		t.Fatalf("%d helpers started after a kill, want 2", n)
	}
	done := make(chan CompileResult)
	go func() {
		r, err := p.Compile(t.Context(), slowCode)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(500 * time.Millisecond) // the second helper is compiling slowCode
	syscall.Kill(started.get()[1], syscall.SIGKILL)
	r := <-done
	if !r.OK || r.Limit != "" {
		t.Errorf("the request that lost its helper got %+v, want the real answer", r)
	}
	if n := len(started.get()); n != 3 {
		t.Errorf("%d helpers started, want 3", n)
	}
	mustWork(t, p)
	p.Close()
	for _, pid := range started.get() {
		if alive(pid) {
			// a killed child is reaped by cmd.Wait; a live one means a leak
			t.Errorf("helper %d still runs after Close", pid)
		}
	}
}

// TestConcurrency sends many mixed requests from many goroutines to a pool
// of two helpers; every answer must be the one a lone request gets.
func TestConcurrency(t *testing.T) {
	started := watchStarts(t)
	p := localPool(t, Options{Helpers: 2})
	type job struct {
		code string
		op   int
	}
	jobs := []job{
		{"x = 1\n", 0}, {"def f(:\n", 0}, {"if x:\nprint(1)\n", 0},
		{"```python\nimport os\ndef task_func():\n    return os.sep\nprint(1)\n```", 1},
		{"import math\ndef task_func(x):\n    return helper(x)\ndef helper(x):\n    return math.pi * x\n", 1},
		{"import unittest\nclass A:\n    def setUp(self): pass\nclass TestCases(unittest.TestCase):\n    def test_1(self): pass\n", 2},
	}
	do := func(j job) string {
		switch j.op {
		case 0:
			r, err := p.Compile(t.Context(), j.code)
			if err != nil {
				return err.Error()
			}
			return r.Feedback
		case 1:
			r, err := p.Sanitize(t.Context(), SanitizeRequest{Code: j.code, EntryPoint: "task_func"})
			if err != nil {
				return err.Error()
			}
			return r.Code
		default:
			r, err := p.TestMethods(t.Context(), j.code)
			if err != nil {
				return err.Error()
			}
			return strings.Join(r, ",")
		}
	}
	want := make([]string, len(jobs))
	for i, j := range jobs {
		want[i] = do(j)
	}
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				i := (g + k) % len(jobs)
				if got := do(jobs[i]); got != want[i] {
					t.Errorf("job %d: got %q, want %q", i, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
	if n := len(started.get()); n > 2 {
		t.Errorf("%d helpers started, want at most 2", n)
	}
}

// TestIdleHelpersStop checks that an unused helper ends by itself.
func TestIdleHelpersStop(t *testing.T) {
	started := watchStarts(t)
	p := localPool(t, Options{Idle: 50 * time.Millisecond})
	mustWork(t, p)
	pid := started.get()[0]
	for i := 0; alive(pid); i++ {
		if i > 400 {
			t.Fatalf("idle helper %d still runs", pid)
		}
		time.Sleep(25 * time.Millisecond)
	}
	mustWork(t, p)
}
