package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWarmCleansAndRecycles checks that files a run leaves in the private
// /tmp are gone for the next run on the same worker, and that a leak that
// cannot be cleaned (a System V shared memory segment) replaces the worker.
func TestWarmCleansAndRecycles(t *testing.T) {
	s := testSandbox(t, 20*time.Second, func(c *Config) { c.Workers = "warm"; c.Slots = 1 })
	if !detectIsolation().viaInit || detectIsolation().flags == 0 {
		t.Skip("needs private /tmp (namespaces)")
	}
	// The parent's start time names the worker (pids repeat across namespaces).
	const worker = "def worker():\n    return open('/proc/%d/stat' % os.getppid()).read().rsplit(')', 1)[1].split()[19]\n"
	run := func(test string) Result {
		t.Helper()
		r, err := s.Run(context.Background(), Job{Code: "import os, ctypes\n" + worker, Test: suiteHead + test})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != Pass {
			t.Fatalf("%s", describe(r))
		}
		return r
	}
	first := run("    def test_leave(self):\n        print(worker())\n        open('/tmp/left', 'w').close(); open('/dev/shm/left', 'w').close(); os.mkdir('/var/tmp/d')\n")
	second := run("    def test_clean(self):\n        print(worker())\n        self.assertEqual(sorted(os.listdir('/dev/shm') + os.listdir('/var/tmp')), [])\n        self.assertFalse(os.path.exists('/tmp/left'))\n")
	if first.Output != second.Output {
		t.Fatalf("cleanable files replaced the worker: %q then %q", first.Output, second.Output)
	}
	run("    def test_shm(self):\n        libc = ctypes.CDLL(None, use_errno=True)\n        self.assertGreaterEqual(libc.shmget(0, 4096, 0o1600), 0)\n")
	third := run("    def test_after(self):\n        print(worker())\n        self.assertEqual(len(open('/proc/sysvipc/shm').readlines()), 1)\n")
	if strings.TrimSpace(third.Output) == strings.TrimSpace(second.Output) {
		t.Fatalf("a System V segment did not replace the worker (%q)", third.Output)
	}
}

// TestWarmRecyclesAfterN checks that a worker serves Config.Recycle runs.
func TestWarmRecyclesAfterN(t *testing.T) {
	s := testSandbox(t, 20*time.Second, func(c *Config) { c.Workers = "warm"; c.Slots = 1; c.Recycle = 2 })
	var seen []string
	for i := 0; i < 3; i++ {
		r, err := s.Run(context.Background(), Job{Code: "import os", Test: suiteHead +
			"    def test_a(self): print(open('/proc/%d/stat' % os.getppid()).read().rsplit(')', 1)[1].split()[19])\n"})
		if err != nil || r.Status != Pass {
			t.Fatalf("%v %s", err, describe(r))
		}
		seen = append(seen, strings.TrimSpace(r.Output))
	}
	if seen[0] != seen[1] || seen[1] == seen[2] {
		t.Fatalf("worker start times %v: want the first two equal and the third new", seen)
	}
}
