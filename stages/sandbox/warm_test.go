package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// workerOf is solution code that names the warm worker a job ran on by
// the start time of its parent (pids repeat across namespaces).
const workerOf = "import os, ctypes\ndef worker():\n    return open('/proc/%d/stat' % os.getppid()).read().rsplit(')', 1)[1].split()[19]\n"

// warmSandbox is a warm sandbox with one slot, for tests that look at what
// one job leaves to the next on the same worker.
func warmSandbox(t *testing.T, edit ...func(*Config)) (*Sandbox, func(test string) Result) {
	t.Helper()
	s := testSandbox(t, 20*time.Second, append([]func(*Config){func(c *Config) { c.Workers = "warm"; c.Slots = 1 }}, edit...)...)
	if iso := detectIsolation(); !iso.viaInit || iso.flags == 0 {
		testenv.Missing(t, "warm workers run without namespaces here (%s)", strings.Join(iso.missing, "; "))
	}
	run := func(test string) Result {
		t.Helper()
		r, err := s.Run(context.Background(), Job{Code: workerOf, Test: suiteHead + test})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != Pass {
			t.Fatalf("%s", describe(r))
		}
		return r
	}
	return s, run
}

// TestWarmCleansAndRecycles checks that what a job leaves in its private
// /tmp, /var/tmp and /dev/shm and in its IPC namespace is gone for the next
// job on the same worker, and that a process left running replaces the
// worker.
func TestWarmCleansAndRecycles(t *testing.T) {
	_, run := warmSandbox(t)
	first := run("    def test_leave(self):\n        print(worker())\n" +
		"        open('/tmp/left', 'w').close(); open('/dev/shm/left', 'w').close(); os.mkdir('/var/tmp/d')\n" +
		"        libc = ctypes.CDLL(None, use_errno=True)\n        self.assertGreaterEqual(libc.shmget(0, 4096, 0o1600), 0)\n")
	second := run("    def test_clean(self):\n        print(worker())\n" +
		"        self.assertEqual(sorted(os.listdir('/dev/shm') + os.listdir('/var/tmp')), [])\n        self.assertFalse(os.path.exists('/tmp/left'))\n" +
		"        self.assertEqual(len(open('/proc/sysvipc/shm').readlines()), 1)\n")
	if first.Output != second.Output {
		t.Fatalf("files and an IPC object replaced the worker: %q then %q", first.Output, second.Output)
	}
	run("    def test_daemon(self):\n        if os.fork() == 0:\n            os.setsid()\n            if os.fork() == 0:\n" +
		"                import time\n                time.sleep(60)\n            os._exit(0)\n        os.wait()\n")
	third := run("    def test_after(self):\n        print(worker())\n")
	if strings.TrimSpace(third.Output) == strings.TrimSpace(second.Output) {
		t.Fatalf("a process left running did not replace the worker (%q)", third.Output)
	}
}

// TestWarmRecyclesAfterN checks that a worker serves Config.Recycle runs.
func TestWarmRecyclesAfterN(t *testing.T) {
	_, run := warmSandbox(t, func(c *Config) { c.Recycle = 2 })
	var seen []string
	for i := 0; i < 3; i++ {
		seen = append(seen, strings.TrimSpace(run("    def test_a(self): print(worker())\n").Output))
	}
	if seen[0] != seen[1] || seen[1] == seen[2] {
		t.Fatalf("worker start times %v: want the first two equal and the third new", seen)
	}
}

// stateProbe prints what a preload could change in a child, for a job whose
// imports are those of code: the warnings filters (as a set: the order of
// filters that do not overlap does not matter), the environment variables
// the libraries set, and a draw from faker's import-time generator.
const stateProbe = "    def test_state(self):\n        import warnings, os, sys\n" +
	"        print(sorted(set(repr((f[0], getattr(f[1], 'pattern', f[1]), f[2].__name__, getattr(f[3], 'pattern', f[3]))) for f in warnings.filters)))\n" +
	"        print(sorted(k for k in os.environ if k.startswith('KMP_')))\n"

// fakerProbe prints a draw from faker's import-time generator.
const fakerProbe = "    def test_draw(self):\n        import faker.generator\n        print(faker.generator.random.random())\n"

// TestWarmPreloadLooksFresh checks that a child of a worker that preloaded
// the default libraries sees the warnings filters and environment a fresh
// interpreter that imported only its job's imports sees, and that random
// generators made at import time are reseeded in every child.
func TestWarmPreloadLooksFresh(t *testing.T) {
	sandboxtest.NeedLibraries(t)
	warm, _ := warmSandbox(t)
	fresh := testSandbox(t, 20*time.Second)
	state := func(s *Sandbox, code string) string {
		return output(t, s, Job{Code: code, Test: suiteHead + stateProbe})
	}
	for _, code := range []string{
		"import os\n",
		"import numpy as np\n",
		"import pandas as pd\nimport matplotlib.pyplot as plt\n",
		"from sklearn.preprocessing import StandardScaler\n",
		"import seaborn as sns\nfrom scipy import stats\n",
	} {
		if w, f := state(warm, code), state(fresh, code); w != f {
			t.Errorf("%q: warm child\n%s\nfresh interpreter\n%s", code, w, f)
		}
	}
	draw := Job{Code: "import faker\n", Test: suiteHead + fakerProbe}
	a, b := output(t, warm, draw), output(t, warm, draw)
	if a == b {
		t.Errorf("two warm children drew the same number from faker's generator:\n%s", a)
	}
}

// output runs j on s and returns its output; j must pass.
func output(t *testing.T, s *Sandbox, j Job) string {
	t.Helper()
	r, err := s.Run(context.Background(), j)
	if err != nil || r.Status != Pass {
		t.Fatalf("%v %s", err, describe(r))
	}
	return r.Output
}

// TestWarmWorkerDiesAtStart checks that a worker that cannot start is
// reported as dead, not as not ready after the start timeout (which it
// was while ccw held the worker's end of the control socket open).
func TestWarmWorkerDiesAtStart(t *testing.T) {
	s, _ := warmSandbox(t, func(c *Config) { c.Python = "/bin/false" })
	_, err := s.Run(context.Background(), trivialJob)
	if err == nil || !strings.Contains(err.Error(), "died while starting") {
		t.Fatalf("got %v, want the worker's death", err)
	}
}

// hashProbe prints the hash of a string built at run time: it depends on
// the interpreter's hash seed.
const hashProbe = "    def test_hash(self):\n        print(hash('ccw' + str(len(self.id()))))\n"

// TestWarmHashSeed pins a documented limit (README, Security): the
// children of one warm worker share its hash seed, which CPython fixes at
// start and cannot change in a running interpreter (every cached string
// hash would go stale); a fresh interpreter per run, or recycle = 1, gives
// each run its own.
func TestWarmHashSeed(t *testing.T) {
	job := Job{Code: "", Test: suiteHead + hashProbe}
	warm, _ := warmSandbox(t)
	if a, b := output(t, warm, job), output(t, warm, job); a != b {
		t.Errorf("two runs on one warm worker saw different hash seeds (%q, %q): update the README", a, b)
	}
	for name, s := range map[string]*Sandbox{
		"fresh":       testSandbox(t, 20*time.Second),
		"recycle = 1": func() *Sandbox { s, _ := warmSandbox(t, func(c *Config) { c.Recycle = 1 }); return s }(),
	} {
		if a, b := output(t, s, job), output(t, s, job); a == b {
			t.Errorf("%s: two runs saw the same hash seed (%q)", name, a)
		}
	}
}
