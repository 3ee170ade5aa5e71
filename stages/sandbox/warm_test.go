package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
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
