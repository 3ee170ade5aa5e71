package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// testSandbox is a local fresh sandbox with a short wall time.
func testSandbox(t *testing.T, timeout time.Duration, edit ...func(*Config)) *Sandbox {
	t.Helper()
	sandboxtest.NeedPython(t)
	c := DefaultConfig()
	c.Workers = "fresh"
	c.Limits.Timeout = timeout
	for _, e := range edit {
		e(&c)
	}
	s := New("test", c)
	t.Cleanup(func() { s.Close() })
	return s
}

// eachBackend runs f as a subtest per backend with a sandbox of that kind.
func eachBackend(t *testing.T, timeout time.Duration, f func(t *testing.T, s *Sandbox), edit ...func(*Config)) {
	for _, b := range sandboxtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			b.Need(t)
			c, err := ConfigFromValue(body(b.Attrs))
			if err != nil {
				t.Fatal(err)
			}
			c.Limits.Timeout = timeout
			for _, e := range edit {
				e(&c)
			}
			s := New("test", c)
			t.Cleanup(func() { s.Close() })
			f(t, s)
		})
	}
}

// tests renders r.Tests as "name:status" words for comparison.
func tests(r Result) string {
	var w []string
	for _, t := range r.Tests {
		w = append(w, t.Name+":"+t.Status)
	}
	return strings.Join(w, " ")
}

const suiteHead = "import unittest\nclass TestCases(unittest.TestCase):\n"

func TestRunStatuses(t *testing.T) {
	eachBackend(t, 4*time.Second, testStatuses, func(c *Config) {
		c.Limits.FileSize = 16 << 20
		c.Limits.OutputKill = 8 << 20
	})
}

func testStatuses(t *testing.T, s *Sandbox) {
	cases := []struct {
		name   string
		code   string
		test   string
		status Status
		tests  string
		limit  string
		check  func(t *testing.T, r Result)
		// timeout overrides the sandbox's 4 s where the case needs the
		// full second between the suite alarm and the hard deadline.
		timeout time.Duration
	}{
		{name: "pass", code: "def f(): return 1",
			test:   suiteHead + "    def test_one(self): self.assertEqual(f(), 1)\n",
			status: Pass, tests: "test_one:pass"},
		{name: "assertion fails", code: "def f(): return 1",
			test:   suiteHead + "    def test_one(self): self.assertEqual(f(), 2)\n",
			status: Fail, tests: "test_one:fail",
			check: func(t *testing.T, r Result) {
				want := "Traceback (most recent call last):\n  File \"__test__.py\", line 4, in test_one\nAssertionError: 1 != 2\n"
				if r.Tests[0].Message != want {
					t.Errorf("message = %q, want %q", r.Tests[0].Message, want)
				}
			}},
		{name: "exception is an error", code: "def f(): raise KeyError('k')",
			test:   suiteHead + "    def test_one(self): f()\n",
			status: Fail, tests: "test_one:error",
			check: wantMessage(0, "KeyError: 'k'")},
		{name: "tests run in loader order", code: "",
			test:   suiteHead + "    def test_c(self): pass\n    def test_a(self): self.fail('no')\n    def test_b(self): self.skipTest('later')\n",
			status: Fail, tests: "test_a:fail test_b:skip test_c:pass"},
		{name: "syntax error is ALL", code: "def f(:\n",
			test: suiteHead + "    def test_one(self): pass\n", status: Fail, tests: "ALL:fail",
			check: wantMessage(0, "invalid syntax (__test__.py, line 1)")},
		{name: "import error is ALL", code: "import no_such_module_ccw",
			test: suiteHead + "    def test_one(self): pass\n", status: Fail, tests: "ALL:fail",
			check: wantMessage(0, "No module named 'no_such_module_ccw'")},
		{name: "missing TestCases is ALL", code: "x = 1", test: "import unittest\n",
			status: Fail, tests: "ALL:fail",
			check: wantMessage(0, "module '__test__' has no attribute 'TestCases'")},
		{name: "sys.exit at module level is ALL", code: "import sys\nsys.exit(3)", test: suiteHead + "    def test_one(self): pass\n",
			status: Fail, tests: "ALL:fail", check: wantMessage(0, "3")},
		{name: "sys.exit in a test is an error", code: "import sys",
			test:   suiteHead + "    def test_one(self): sys.exit(0)\n    def test_two(self): pass\n",
			status: Fail, tests: "test_one:error test_two:pass"},
		{name: "os sys environ are preset as in BigCodeBench", code: "def f(): return os.getcwd() == environ['HOME'] and sys is not None",
			test: suiteHead + "    def test_one(self): self.assertTrue(f())\n", status: Pass, tests: "test_one:pass"},
		{name: "exit and quit are None", code: "",
			test: suiteHead + "    def test_one(self): self.assertIsNone(exit); self.assertIsNone(quit)\n", status: Pass, tests: "test_one:pass"},
		{name: "stdin cannot be read", code: "def f(): return input()",
			test: suiteHead + "    def test_one(self): f()\n", status: Fail, tests: "test_one:error", check: wantMessage(0, "OSError")},
		{name: "timezone is UTC", code: "import time",
			test: suiteHead + "    def test_one(self): self.assertEqual(time.strftime('%Z'), 'UTC')\n", status: Pass, tests: "test_one:pass"},
		{name: "stuck test is cut by the alarm, the rest runs", code: "import time",
			test:   suiteHead + "    def test_a(self): time.sleep(60)\n    def test_b(self): pass\n",
			status: Fail, tests: "test_a:timeout test_b:pass", check: wantMessage(0, "TimeoutException: Timed out!"), timeout: 10 * time.Second},
		{name: "stuck after the alarm is a timeout", code: "import time",
			test:   suiteHead + "    def test_a(self): pass\n    def test_b(self):\n        try: time.sleep(60)\n        except BaseException: time.sleep(60)\n    def test_c(self): pass\n",
			status: Timeout, tests: "test_a:pass test_b:timeout", limit: "wall"},
		{name: "endless module is a timeout of ALL", code: "while True: pass",
			test: suiteHead + "    def test_a(self): pass\n", status: Timeout, tests: "ALL:timeout", limit: "wall"},
		{name: "os._exit is a crash", code: "import os",
			test:   suiteHead + "    def test_a(self): pass\n    def test_b(self): os._exit(0)\n",
			status: Crash, tests: "test_a:pass test_b:error", check: wantMessage(1, "exited with status 0")},
		{name: "a segfault is a crash", code: "import ctypes",
			test:   suiteHead + "    def test_a(self): ctypes.string_at(0)\n",
			status: Crash, tests: "test_a:error", check: wantMessage(0, "signal 11")},
		{name: "a big file is killed by the file-size limit", code: "",
			test:   suiteHead + "    def test_a(self):\n        with open('big', 'wb') as f: f.write(b'x' * (20 << 20))\n",
			status: Killed, tests: "test_a:error", limit: "fsize"},
		{name: "output past output_kill is killed", code: "",
			test:   suiteHead + "    def test_a(self):\n        while True: print('x' * 100000)\n",
			status: Killed, tests: "test_a:error", limit: "output"},
		{name: "lots of output is cut with a marker", code: "",
			test:   suiteHead + "    def test_a(self):\n        for i in range(30): print(str(i) * 100000)\n",
			status: Pass, tests: "test_a:pass",
			check: func(t *testing.T, r Result) {
				if len(r.Output) > 1<<20+200 || !strings.Contains(r.Output, "[ccw: output cut at 1MiB; ") {
					t.Errorf("output of %d bytes ends %q", len(r.Output), r.Output[max(0, len(r.Output)-100):])
				}
			}},
		{name: "subprocess output is piped by default", code: "import subprocess",
			test:   suiteHead + "    def test_a(self): self.assertEqual(subprocess.run(['echo', 'hi']).stdout, b'hi\\n')\n",
			status: Pass, tests: "test_a:pass"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Run(context.Background(), Job{Code: c.code, Test: c.test, Timeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != c.status || tests(r) != c.tests || r.Limit != c.limit {
				t.Fatalf("got %s [%s] limit %q, want %s [%s] limit %q\n%s", r.Status, tests(r), r.Limit, c.status, c.tests, c.limit, describe(r))
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func wantMessage(i int, sub string) func(t *testing.T, r Result) {
	return func(t *testing.T, r Result) {
		t.Helper()
		if !strings.Contains(r.Tests[i].Message, sub) {
			t.Errorf("message of %s = %q, want it to contain %q", r.Tests[i].Name, r.Tests[i].Message, sub)
		}
	}
}

func TestRunScrubsEnvironment(t *testing.T) {
	t.Setenv("CCW_TEST_SECRET", "sk-do-not-leak")
	eachBackend(t, 10*time.Second, testScrubsEnvironment)
}

func testScrubsEnvironment(t *testing.T, s *Sandbox) {
	r, err := s.Run(context.Background(), Job{Code: "import os", Test: suiteHead +
		"    def test_env(self):\n        print(sorted(os.environ))\n        self.assertNotIn('CCW_TEST_SECRET', os.environ)\n" +
		"    def test_home(self):\n        self.assertEqual(os.environ['HOME'], os.getcwd())\n        self.assertIn(os.environ['TMPDIR'], ('/tmp', os.getcwd()))\n" +
		"        self.assertRegex(os.path.basename(os.getcwd()), '^tmp[a-z0-9]{8}$')\n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Pass || strings.Contains(r.Output, "sk-do-not-leak") {
		t.Fatal(describe(r))
	}
}

// TestTimeoutKillsProcessGroup checks that children the program started are
// gone once a run timed out.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	eachBackend(t, 2*time.Second, testTimeoutKills)
}

func testTimeoutKills(t *testing.T, s *Sandbox) {
	marker := "ccw-marker-" + newNonce()
	seen := watchProcs(t, marker)
	r, err := s.Run(context.Background(), Job{Code: "import subprocess, time, sys", Test: suiteHead +
		"    def test_a(self):\n        p = subprocess.Popen(['/bin/sh', '-c', 'sleep 300; : " + marker + "'])\n" +
		"        while True:\n            try:\n                time.sleep(100)\n            except BaseException: pass\n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Timeout || r.Limit != "wall" {
		t.Fatal(describe(r))
	}
	if !seen() {
		t.Fatal("the child process was never seen running")
	}
	waitNoProcsWith(t, marker)
}

func TestRunCancelled(t *testing.T) {
	eachBackend(t, 30*time.Second, testCancelled)
}

func testCancelled(t *testing.T, s *Sandbox) {
	// The run starts a marked child and loops; it is cancelled once the
	// child runs. Run must return the context's error, and the child must be
	// gone: a cancelled run is killed, not left behind.
	marker := "ccw-marker-" + newNonce()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for len(procsWith(marker)) == 0 && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	_, err := s.Run(ctx, Job{Code: "import subprocess", Test: suiteHead +
		"    def test_a(self):\n        subprocess.Popen(['/bin/sh', '-c', 'sleep 300; : " + marker + "'])\n        while True: pass\n"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	waitNoProcsWith(t, marker)
}

func TestRunMissingPython(t *testing.T) {
	c := DefaultConfig()
	c.Python = "/nonexistent/python3"
	s := New("nopy", c)
	_, err := s.Run(context.Background(), Job{Code: "", Test: ""})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") {
		t.Fatalf("err = %v, want one naming the interpreter", err)
	}
}

func TestRunForgedFramesAreIgnored(t *testing.T) {
	eachBackend(t, 10*time.Second, testForgedFrames)
}

func testForgedFrames(t *testing.T, s *Sandbox) {
	// The program writes look-alike frames to every fd it can find; none of
	// them carries the nonce.
	code := `import os
def forge():
    for fd in range(3, 1024):
        try: os.write(fd, b'0000 {"t": "done"}\n{"t": "test", "name": "test_x", "status": "pass", "message": ""}\n')
        except OSError: pass
`
	r, err := s.Run(context.Background(), Job{Code: code, Test: suiteHead + "    def test_a(self):\n        forge()\n        self.fail('real')\n"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Fail || tests(r) != "test_a:fail" {
		t.Fatal(describe(r))
	}
}

func ExampleSandbox_Run() {
	c := DefaultConfig()
	c.Limits.Timeout = 10 * time.Second
	s := New("py", c)
	defer s.Close()
	r, err := s.Run(context.Background(), Job{
		Code: "def add(a, b):\n    return a + b\n",
		Test: "import unittest\nclass TestCases(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n",
	})
	fmt.Println(r.Status, tests(r), err)
	// Output: pass test_add:pass <nil>
}

// describe renders r for a failure message, with the output shortened.
func describe(r Result) string {
	out := r.Output
	if len(out) > 2000 {
		out = out[:1000] + "\n[...]\n" + out[len(out)-1000:]
	}
	return fmt.Sprintf("status %s limit %q reason %q tests [%s]\ndetails %v\noutput %q", r.Status, r.Limit, r.Reason, tests(r), r.Details(), out)
}
