package sandbox

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// TestIsolationInside checks, from inside a run, each isolation the probe
// says this machine has.
func TestIsolationInside(t *testing.T) {
	iso := detectIsolation()
	t.Logf("isolation here: %s; missing: %v", iso, iso.missing)
	s := testSandbox(t, 20*time.Second)
	type check struct {
		name, test string
		on         bool
	}
	checks := []check{
		{"uid nobody", "    def test_uid(self): self.assertEqual(os.getuid(), 65534)\n", iso.user},
		{"pid namespace", "    def test_pid(self): self.assertLess(os.getpid(), 50); self.assertEqual(os.getppid(), 1)\n", iso.flags&syscall.CLONE_NEWPID != 0},
		{"uts namespace", "    def test_uts(self): self.assertEqual(socket.gethostname(), 'ccw-sandbox')\n", iso.flags&syscall.CLONE_NEWUTS != 0},
		{"network namespace", "    def test_net(self):\n        self.assertEqual(sorted(n for _, n in socket.if_nameindex()), ['lo'])\n" +
			"        s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n        c = socket.create_connection(s.getsockname(), timeout=2); c.close()\n", iso.flags&syscall.CLONE_NEWNET != 0},
		{"private tmp", "    def test_tmp(self): self.assertEqual(sorted(os.listdir('/tmp')), [os.path.basename(os.getcwd())])\n", iso.flags&syscall.CLONE_NEWNS != 0},
		{"cgroup", "    def test_cg(self): self.assertIn('/ccw-', open('/proc/self/cgroup').read())\n", iso.cg != nil},
	}
	var test strings.Builder
	want := 0
	test.WriteString(suiteHead)
	for _, c := range checks {
		if c.on {
			test.WriteString(c.test)
			want++
		} else {
			t.Logf("not checked (not available here): %s", c.name)
		}
	}
	if want == 0 {
		testenv.Missing(t, "no isolation available on this machine: %s", strings.Join(iso.missing, "; "))
	}
	r, err := s.Run(context.Background(), Job{Code: "import os, socket", Test: test.String()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Pass || len(r.Tests) != want {
		t.Fatal(describe(r))
	}
}
