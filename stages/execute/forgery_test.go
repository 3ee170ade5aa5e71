package execute

import "github.com/ccw-dev/ccw/stages/sandbox"

// forgeLib is solution code that tries every way the red team found to make
// a failing test come back as a pass: it looks for the run's nonce (or any
// 32-hex string followed by a space) through the garbage collector, the
// referents and reductions of every object, and the variables of every
// frame of every thread, then writes a forged "pass" and "done" with each
// candidate to every file descriptor. forge returns how many candidates it
// tried, for the output.
const forgeLib = `import gc, os, re, sys, threading, time
_HEX = re.compile(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
def _look(o, found, depth=0):
    try:
        if isinstance(o, (bytes, bytearray)):
            found.update(_HEX.findall(bytes(o)[:1 << 16]))
        elif isinstance(o, str) and len(o) < (1 << 16):
            found.update(x.encode() for x in re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", o))
        elif depth < 2 and isinstance(o, (tuple, list, set, frozenset)):
            for x in list(o)[:64]:
                _look(x, found, depth + 1)
        elif depth < 2 and isinstance(o, dict):
            for x in list(o.values())[:64]:
                _look(x, found, depth + 1)
    except Exception:
        pass
def candidates():
    found = set()
    for o in gc.get_objects():
        _look(o, found)
        try:
            for r in gc.get_referents(o):
                _look(r, found)
        except Exception:
            pass
        if type(o).__name__ in ("repeat", "map", "zip", "partial", "_Channel"):
            try:
                _look(repr(o), found)
                _look(o.__reduce__(), found)
            except Exception:
                pass
    frames = [sys._getframe()] + list(sys._current_frames().values())
    for f in frames:
        while f is not None:
            try:
                for v in list(f.f_locals.values()):
                    _look(v, found)
                for r in gc.get_referents(f):
                    _look(r, found)
            except Exception:
                pass
            f = f.f_back
    return found
def forge(names, found=None):
    found = candidates() if found is None else found
    lines = [b'{"t":"expect","names":%s}' % str(list(names)).replace("'", '"').encode()]
    lines += [b'{"t":"test","name":"%s","status":"pass","message":""}' % n.encode() for n in names]
    lines.append(b'{"t":"done","pids_max":0}')
    for tag in found:
        data = b"".join(tag + b" " + l + b"\n" for l in lines)
        for fd in range(0, 1024):
            try:
                os.write(fd, data)
            except OSError:
                pass
    print("forge tried", len(found), "candidates")
    return len(found)
`

// forgeries are the attacks on the verdict the issue names (and variants):
// each makes a failing or incomplete suite look passed, and must come back
// as something other than a pass, except the last two, which are the
// documented limits of any in-process harness (README, Security).
var forgeries = []adversary{
	{name: "finding the channel through gc", code: forgeLib,
		test:   "    def test_a(self):\n        forge(['test_a'])\n        self.fail('real')\n",
		status: sandbox.Fail},
	{name: "finding the nonce through the frames of every thread", code: forgeLib,
		test: "    def test_a(self):\n        f, seen = sys._getframe(), set()\n        while f is not None:\n" +
			"            for k, v in list(f.f_locals.items()):\n                if k in ('channel', 'job', 'nonce', 'tag'): _look(v, seen)\n            f = f.f_back\n" +
			"        forge(['test_a'], seen | candidates())\n        self.fail('real')\n",
		status: sandbox.Fail},
	{name: "a thread hunting the nonce while the harness reports", code: forgeLib,
		test: "    def test_a(self):\n        stop = []\n        def hunt():\n            while not stop:\n                forge(['test_a', 'test_b'])\n                time.sleep(0.01)\n" +
			"        threading.Thread(target=hunt, daemon=True).start()\n        time.sleep(0.3)\n        self.fail('real')\n" +
			"    def test_b(self):\n        time.sleep(0.3)\n        self.fail('real')\n",
		status: sandbox.Fail},
	{name: "a setsid child writing after the harness ended", code: forgeLib,
		test: "    def test_a(self):\n        if os.fork() == 0:\n            os.setsid()\n            found = candidates()\n            time.sleep(1)\n" +
			"            forge(['test_a'], found)\n            os._exit(0)\n        self.fail('real')\n",
		status: sandbox.Fail},
	{name: "patching the harness's functions", code: "import __main__, types\n" +
		"for _n, _v in list(vars(__main__).items()):\n    if isinstance(_v, types.FunctionType) and _n.startswith('_') and _n not in ('_on_alarm',):\n" +
		"        setattr(__main__, _n, lambda *a, **k: (None, None, False, '', 0))\n",
		test:   "    def test_a(self):\n        self.fail('real')\n",
		status: sandbox.Tampered},
	{name: "swapping the code of the harness's functions", code: "import gc, types\n" +
		"def _pass(*a, **k):\n    return None\n" +
		"for _o in gc.get_objects():\n    if isinstance(_o, types.FunctionType) and _o.__code__.co_filename == '<string>' and _o.__name__ in ('_run_one', 'message', 'frame', 'record'):\n" +
		"        try: _o.__code__ = _pass.__code__\n        except ValueError: pass\n",
		test:   "    def test_a(self):\n        self.fail('real')\n",
		status: sandbox.Tampered},
	{name: "raising SkipTest", code: "import unittest",
		test:   "    def test_a(self):\n        raise unittest.SkipTest('not today')\n    def test_b(self): pass\n",
		status: sandbox.Skipped},
	{name: "stopping the result", code: "import sys\ndef stop():\n    f = sys._getframe()\n    while f is not None:\n" +
		"        r = f.f_locals.get('result')\n        if r is not None and hasattr(r, 'stop'): r.stop()\n        f = f.f_back\n",
		test:   "    def test_a(self):\n        stop()\n    def test_b(self):\n        self.fail('real')\n",
		status: sandbox.Incomplete},
	{name: "an empty test loader", code: "import unittest\nunittest.TestLoader.loadTestsFromTestCase = lambda s, c: unittest.TestSuite()\n",
		test:   "    def test_a(self):\n        self.fail('real')\n",
		status: sandbox.Tampered},
	{name: "a patched TestCase.run", code: "import unittest\nunittest.TestCase.run = lambda self, result=None: result\n",
		test:   "    def test_a(self):\n        self.fail('real')\n",
		status: sandbox.Tampered},
	{name: "a patched assertEqual on TestCase", code: "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\ndef f(): return 1\n",
		test:   "    def test_a(self):\n        self.assertEqual(f(), 2)\n",
		status: sandbox.Tampered},
	{name: "rewriting the result records", code: "import gc\ndef rewrite():\n    for o in gc.get_objects():\n" +
		"        if isinstance(o, list) and o and all(isinstance(x, tuple) and len(x) == 4 for x in o):\n" +
		"            o[:] = [(x[0], 'pass', x[2], '') for x in o]\n",
		test:   "    def test_a(self):\n        self.fail('real')\n    def test_b(self):\n        rewrite()\n",
		status: sandbox.Tampered},
	{name: "replacing a later test method", code: "import sys\ndef f():\n    sys.modules['__test__'].TestCases.test_b = lambda self: None\n    return 1\n",
		test:   "    def test_a(self):\n        self.assertEqual(f(), 1)\n    def test_b(self):\n        self.fail('real')\n",
		status: sandbox.Tampered},
	{name: "a profile hook rewriting the harness's variables", code: "import sys\ndef hook(frame, event, arg):\n" +
		"    try:\n        for k, v in list(frame.f_locals.items()):\n            if v in ('fail', 'error'): frame.f_locals[k] = 'pass'\n            if k in ('failed', 'problem', 'problems'): frame.f_locals[k] = None\n" +
		"    except Exception: pass\n    return hook\ndef install():\n    sys.setprofile(hook)\n    sys.settrace(hook)\n    sys._getframe().f_back.f_trace = hook\n",
		test:   "    def test_a(self):\n        install()\n        self.fail('real')\n    def test_b(self):\n        install()\n        self.fail('real')\n",
		status: sandbox.Tampered},
	// Floods of the result channel: the harness keeps 100 results per test,
	// the parent counts every channel byte toward output_kill and keeps at
	// most 1000 results; ccw's memory stays bounded.
	{name: "a flood of failing subtests", code: "",
		test:   "    def test_a(self):\n        for i in range(4000):\n            with self.subTest(i=i):\n                self.fail('x' * 65000)\n",
		status: sandbox.Fail, peak: true},
	{name: "a flood of long messages", code: "",
		test: "    pass\ndef _many(self):\n    for i in range(110):\n        with self.subTest(i=i): self.fail('\\u00e9' * 33000)\n" +
			"for _i in range(10):\n    setattr(TestCases, 'test_%02d' % _i, _many)\n",
		status: sandbox.Killed, limit: "output", peak: true},
	{name: "more results than the cap", code: "",
		test: "    pass\ndef _two(self):\n    for i in range(2):\n        with self.subTest(i=i): self.fail('x')\n" +
			"for _i in range(1000):\n    setattr(TestCases, 'test_%04d' % _i, _two)\n",
		status: sandbox.Killed, limit: "tests", peak: true},
	// The documented limits: in-process assertions cannot be protected.
	{name: "an object equal to everything (documented limit)", code: "class _Any:\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\ndef f(): return _Any()\n",
		test:   "    def test_a(self):\n        self.assertEqual(f(), 42)\n",
		status: sandbox.Pass},
	{name: "an assertEqual patched on the test instance", code: "import sys\ndef f():\n    sys._getframe(1).f_locals['self'].assertEqual = lambda *a, **k: None\n    return 1\n",
		test:   "    def test_a(self):\n        r = f()\n        self.assertEqual(r, 2)\n",
		status: sandbox.Tampered},
	{name: "an assertEqual patched and restored within the test (documented limit)", code: "import sys\ndef f():\n    t = sys._getframe(1).f_locals['self']\n" +
		"    t.assertEqual = lambda *a, **k: None\n    t.addCleanup(lambda: t.__dict__.pop('assertEqual'))\n    return 1\n",
		test:   "    def test_a(self):\n        r = f()\n        self.assertEqual(r, 2)\n",
		status: sandbox.Pass},
}
