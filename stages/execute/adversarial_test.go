package execute

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/ccw-dev/ccw/stages"
	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// adversary is one hostile "solution" with what the sandbox must make of it.
type adversary struct {
	name   string
	code   string // the solution module; MARKER is replaced by a unique word
	test   string // test methods (indented), after the TestCases header
	status sandbox.Status
	limit  string
	// host checks something outside the sandbox after the run.
	host func(t *testing.T, marker string)
	// peak: ccw's own peak memory during the run must stay under peakLimit.
	peak bool
	// next, when set, replaces the plain next task: test methods that run
	// with the same solution code and must pass (it finds nothing of this
	// run).
	next string
}

// peakLimit bounds the memory of the process running sandboxes (this test
// binary, as ccw) while a run floods its result channel.
const peakLimit = 256 << 20

const secretEnv = "CCW_ADVERSARY_SECRET"

var adversaries = []adversary{
	{name: "fork bomb", code: "import os",
		test:   "    def test_bomb(self):\n        while True:\n            try: os.fork()\n            except OSError: pass\n",
		status: sandbox.Killed, limit: "pids"},
	{name: "memory bomb", code: "",
		test:   "    def test_bomb(self):\n        x = []\n        while True: x.append(bytearray(32 << 20))\n",
		status: sandbox.OOM, limit: "memory"},
	{name: "infinite loop", code: "",
		test:   "    def test_loop(self):\n        while True: pass\n    def test_after(self): pass\n",
		status: sandbox.Fail}, // the suite alarm stops the loop, the suite goes on, as in BigCodeBench
	{name: "sleep past the limit", code: "import time",
		test:   "    def test_sleep(self):\n        while True:\n            try: time.sleep(100)\n            except BaseException: pass\n",
		status: sandbox.Timeout, limit: "wall"},
	{name: "filling the disk", code: "",
		test:   "    def test_fill(self):\n        i = 0\n        while True:\n            with open('f%d' % i, 'wb') as f: f.write(b'x' * (4 << 20))\n            i += 1\n",
		status: sandbox.Fail},
	{name: "writing outside the work dir", code: "import os",
		test: "    def test_write(self):\n        wrote = []\n" +
			"        for p in ['/etc/MARKER', '/usr/MARKER', '/root/MARKER', '/var/MARKER', '/MARKER', os.path.join(os.getcwd(), '..', '..', 'MARKER')]:\n" +
			"            try:\n                with open(p, 'w') as f: f.write('x')\n                wrote.append(p)\n            except OSError: pass\n" +
			"        self.assertEqual(wrote, [])\n",
		status: sandbox.Pass,
		host: func(t *testing.T, marker string) {
			for _, dir := range []string{"/etc", "/usr", "/root", "/var", "/", "/tmp", os.TempDir()} {
				if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
					os.Remove(filepath.Join(dir, marker))
					t.Errorf("the run wrote %s on the host", filepath.Join(dir, marker))
				}
			}
		}},
	{name: "reading the environment and ~/.ssh", code: "import os, glob",
		test: "    def test_read(self):\n        found = [k for k in os.environ if 'SECRET' in k]\n" +
			"        for p in glob.glob('/proc/*/environ') + glob.glob('/root/.ssh/*') + glob.glob(os.path.expanduser('~/.ssh/*')):\n" +
			"            try:\n                if b'MARKER' in open(p, 'rb').read(): found.append(p)\n            except OSError: pass\n" +
			"        self.assertEqual(found, [])\n        self.assertRaises(OSError, os.listdir, '/root/.ssh')\n",
		status: sandbox.Pass},
	// The parent is not ours to kill: an error (local: it runs as root) or
	// no effect (docker: signals to a namespace's init are dropped).
	{name: "killing the parent", code: "import os, time",
		test:   "    def test_kill(self):\n        try: os.kill(os.getppid(), 9)\n        except OSError: pass\n        time.sleep(0.2)\n",
		status: sandbox.Pass},
	// Nothing else is ours to kill: ESRCH, or only our own children die.
	{name: "killing everything", code: "import os, time",
		test:   "    def test_kill(self):\n        try: os.kill(-1, 9)\n        except ProcessLookupError: pass\n        time.sleep(0.2)\n",
		status: sandbox.Pass},
	{name: "opening a network connection", code: "import socket",
		test: "    def test_net(self):\n        self.assertRaises(OSError, socket.create_connection, ('1.1.1.1', 80), 3)\n" +
			"        self.assertRaises(OSError, socket.getaddrinfo, 'example.com', 80)\n",
		status: sandbox.Pass},
	{name: "os._exit before the tests", code: "import os\nos._exit(0)",
		test:   "    def test_a(self): pass\n",
		status: sandbox.Crash},
	{name: "closing fds 0-2", code: "import os\nfor fd in (0, 1, 2): os.close(fd)",
		test:   "    def test_a(self):\n        print('still here')\n        self.assertTrue(True)\n",
		status: sandbox.Pass},
	{name: "100 MB on stdout", code: "import sys",
		test:   "    def test_out(self):\n        for _ in range(100): sys.stdout.write('x' * (1 << 20))\n",
		status: sandbox.Killed, limit: "output"},
	{name: "double-forked daemon", code: "import os",
		test: "    def test_daemon(self):\n        if os.fork() == 0:\n            os.setsid()\n            if os.fork() == 0:\n" +
			"                os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 300; : MARKER'])\n            os._exit(0)\n        os.wait()\n",
		status: sandbox.Pass},
	{name: "ignoring SIGTERM", code: "import signal, time",
		test: "    def test_term(self):\n        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n        while True:\n" +
			"            try: time.sleep(100)\n            except BaseException: pass\n",
		status: sandbox.Timeout, limit: "wall"},
	{name: "1000 threads", code: "import threading, time",
		test: "    def test_threads(self):\n        ts = [threading.Thread(target=time.sleep, args=(2,)) for _ in range(1000)]\n" +
			"        for t in ts: t.start()\n        for t in ts: t.join()\n",
		status: sandbox.Killed, limit: "pids"},
}

// adversarySandbox has limits small enough for the bombs to hit quickly.
var adversaryLimits = map[string]cty.Value{
	"timeout":   cty.StringVal("8s"),
	"memory":    cty.StringVal("384MiB"),
	"pids":      cty.NumberIntVal(64),
	"disk":      cty.StringVal("64MiB"),
	"file_size": cty.StringVal("32MiB"),
	"slots":     cty.NumberIntVal(1),
}

// TestAdversaries runs every hostile solution through the execute stage on
// every backend, and checks its status, that the next task runs normally,
// and that nothing is left behind on the host.
func TestAdversaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about fifty sandboxed programs")
	}
	t.Setenv(secretEnv, "MARKER-IN-PARENT")
	for _, b := range sandboxtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			b.Need(t)
			attrs := sandboxtest.Body(sandbox.Block().Schema().ObjectType().AttributeTypes(), b.Attrs, adversaryLimits)
			res, err := sandbox.Block().Open("adversary", attrs)
			if err != nil {
				t.Fatal(err)
			}
			sb := res.(*sandbox.Sandbox).Value()
			// Start the backend (a warm worker) before counting.
			if r := execute(t, sb, "", "    def test_ok(self): pass\n"); r.Status != sandbox.Pass {
				t.Fatalf("a trivial task: %s %v", r.Status, r.Details())
			}
			if b.Name == "local-warm" {
				// The idle warm worker is ours: proof that the count sees our processes.
				if n := sandboxtest.CountLeftovers(""); len(n.Ours) == 0 {
					t.Fatalf("the warm worker is not counted: %s", n)
				}
			}
			all := append(append(append([]adversary(nil), adversaries...), forgeries...), isolationAttacks...)
			for _, a := range all {
				t.Run(a.name, func(t *testing.T) {
					marker := "ccwadv" + strings.ReplaceAll(t.Name(), "/", "")[len("TestAdversaries"):]
					marker = strings.Map(func(r rune) rune {
						if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
							return r
						}
						return -1
					}, marker)
					os.Setenv(secretEnv, marker)
					before := sandboxtest.CountLeftovers(marker)
					hostDir, _ := os.Getwd()
					fill := strings.NewReplacer("MARKER", marker, "HOSTDIR", hostDir)
					code, test := fill.Replace(a.code), fill.Replace(a.test)
					if a.peak {
						sandboxtest.ResetPeakMemory(t)
					}
					r := execute(t, sb, code, test)
					if r.Status != a.status || r.Limit != a.limit {
						t.Errorf("status %s limit %q reason %q, want %s limit %q; %s", r.Status, r.Limit, r.Reason, a.status, a.limit, brief(r))
					}
					if a.peak {
						peak := sandboxtest.PeakMemory(t)
						t.Logf("peak memory of this process during the run: %d MiB", peak>>20)
						if peak > peakLimit {
							t.Errorf("peak memory %d MiB, want under %d MiB", peak>>20, peakLimit>>20)
						}
					}
					nextCode, nextTest := "def f(): return 41 + 1", "    def test_f(self): self.assertEqual(f(), 42)\n"
					if a.next != "" {
						nextCode, nextTest = code, fill.Replace(a.next)
					}
					if next := execute(t, sb, nextCode, nextTest); next.Status != sandbox.Pass {
						t.Errorf("the next task: %s %q; %s", next.Status, next.Reason, brief(next))
					}
					if a.host != nil {
						a.host(t, marker)
					}
					sandboxtest.WaitNoLeftovers(t, before, marker)
				})
			}
			res.Close()
			after := sandboxtest.CountLeftovers("")
			if len(after.Ours) > 0 || after.Containers > 0 || after.WorkDirs > 0 || after.Cgroups > 0 || after.Parents > 0 {
				t.Errorf("after Close: %s", after)
			}
		})
	}
}

// execute runs one job through the execute stage.
func execute(t *testing.T, sb cty.Value, code, methods string) sandbox.Result {
	t.Helper()
	v, err := New().Run(context.Background(), stages.Input{
		Config: config(sb, code, suite+methods, cty.NullVal(cty.String)),
		Addr:   "execute.adversary",
	})
	if err != nil {
		t.Fatalf("infrastructure error: %v", err)
	}
	return sandbox.ResultFromValue(v)
}

// brief renders r's tests and the start of their messages, for a failure.
func brief(r sandbox.Result) string {
	var b strings.Builder
	for i, t := range r.Tests {
		if i == 20 {
			fmt.Fprintf(&b, " ... %d more", len(r.Tests)-i)
			break
		}
		m := t.Message
		if len(m) > 200 {
			m = m[:200] + "..."
		}
		fmt.Fprintf(&b, "\n  %s: %s %q", t.Name, t.Status, m)
	}
	out := r.Output
	if len(out) > 300 {
		out = out[:300] + "..."
	}
	return fmt.Sprintf("tests:%s\noutput: %q", b.String(), out)
}
