package execute

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// isolationAttacks are the leaks the red team found besides the verdict:
// each test passes only if the attack is contained, and next (when set)
// is the following job, which must find nothing of this one.
var isolationAttacks = []adversary{
	{name: "a key in the user keyring", code: "import ctypes, platform\n" +
		"NR = {'x86_64': (248, 250), 'aarch64': (217, 219)}[platform.machine()]\n" +
		"libc = ctypes.CDLL(None, use_errno=True)\n" +
		"def add_key():\n    return libc.syscall(NR[0], b'user', b'MARKER', b'secret', 6, -4)  # KEY_SPEC_USER_KEYRING\n" +
		"def search():\n    return libc.syscall(NR[1], 10, -4, b'user', b'MARKER', 0)  # KEYCTL_SEARCH\n",
		test:   "    def test_key(self):\n        self.assertEqual(add_key(), -1)\n",
		next:   "    def test_no_key(self):\n        self.assertEqual(search(), -1)\n",
		status: sandbox.Pass,
		host: func(t *testing.T, marker string) {
			if id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", marker, 0); err == nil {
				t.Errorf("key %d %q is in the host's user keyring", id, marker)
			}
		}},
	{name: "a setuid binary", code: "import os, subprocess\n",
		test: "    def test_setuid(self):\n        r = subprocess.run(['/usr/bin/passwd', '-S', 'root'], capture_output=True)\n" +
			"        self.assertNotEqual(r.returncode, 0, r.stdout)\n        self.assertNotEqual(os.geteuid(), 0)\n" +
			"        caps = dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if l.startswith('Cap'))\n" +
			"        self.assertEqual((caps['CapEff'], caps['CapPrm']), ('0000000000000000', '0000000000000000'))\n" +
			"        self.assertEqual(open('/proc/self/status').read().count('NoNewPrivs:\\t1'), 1)\n",
		status: sandbox.Pass},
	{name: "reading the host's files and cgroups", code: "import os\n",
		test: "    def test_host(self):\n        for d in ('HOSTDIR', '/root', '/home/MARKER'):\n            self.assertFalse(os.path.exists(d), d)\n" +
			"        self.assertFalse(os.path.isdir('/work') and os.listdir('/work'))\n" +
			"        self.assertFalse(os.path.isdir('/home') and os.listdir('/home'))\n" +
			"        for root, dirs, files in os.walk('/sys/fs/cgroup'):\n            self.assertFalse([d for d in dirs if d.startswith('ccw-')], root)\n" +
			"        self.assertEqual(sorted(os.listdir('/sys/class/net')), ['lo'])\n",
		status: sandbox.Pass},
	{name: "a POSIX message queue left for the next job", code: "import ctypes\n" +
		"libc = ctypes.CDLL(None, use_errno=True)\n" +
		"def mq_open(flags):\n    return libc.mq_open(b'/MARKER', flags, 0o666, None)\n",
		test:   "    def test_leave(self):\n        self.assertGreaterEqual(mq_open(0o100 | 2), 0)  # O_CREAT | O_RDWR\n",
		next:   "    def test_gone(self):\n        self.assertEqual(mq_open(0), -1)\n",
		status: sandbox.Pass},
	{name: "a TIME_WAIT port left for the next job", code: "import socket, zlib\n" +
		"PORT = 20000 + zlib.crc32(b'MARKER') % 20000\n",
		test: "    def test_leave(self):\n        s = socket.socket(); s.bind(('127.0.0.1', PORT)); s.listen()\n" +
			"        c = socket.create_connection(('127.0.0.1', PORT)); a, _ = s.accept()\n        a.close(); c.close(); s.close()\n",
		next:   "    def test_free(self):\n        s = socket.socket(); s.bind(('127.0.0.1', PORT)); s.close()\n",
		status: sandbox.Pass},
	// The needle is searched for in two halves, so that the scanning job
	// never holds the whole of it: only the previous job's source can.
	{name: "the previous job's test source in memory", code: "import ctypes\n" +
		"def seen(head, tail):\n    for line in open('/proc/self/maps'):\n        f = line.split()\n" +
		"        if 'r' not in f[1] or (len(f) > 5 and f[5].startswith('[v')):\n            continue\n" +
		"        lo, hi = (int(x, 16) for x in f[0].split('-'))\n" +
		"        for at in range(lo, hi, 1 << 24):\n            try:\n                chunk = ctypes.string_at(at, min(1 << 24, hi - at))\n" +
		"            except Exception:\n                continue\n            i = chunk.find(head)\n" +
		"            while i >= 0:\n                if chunk[i + len(head):i + len(head) + len(tail)] == tail:\n                    return True\n" +
		"                i = chunk.find(head, i + 1)\n    return False\n",
		test:   "    def test_secret(self):\n        pass  # SECRET-MARKER-TEST\n",
		next:   "    def test_not_seen(self):\n        self.assertFalse(seen(b'SECRET-', b'MARKER-TEST'))\n",
		status: sandbox.Pass},
}
