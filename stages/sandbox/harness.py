# ccw sandbox harness. Embedded in the ccw binary and run by Debian's python3
# with -I. It runs one job (fresh mode) or serves many (warm mode, worker.py):
# a solution and its unittest module executed as one module named __test__,
# with the observable semantics of BigCodeBench's evaluator, and reports every
# test as it finishes over a private result channel.
#
# Protocol. The job is one JSON object: on stdin (fresh mode), or on a pipe
# the warm worker hands to the child it forks without reading it. The result
# channel is fd 3 (fd 1 with argument "stdio"). Each frame is one line
#   <nonce> <json object>\n
# where the nonce is the job's: the parent ignores lines without it, and
# blank lines. Frames, in this order:
#   {"t": "expect", "names": [...] | null}   the test methods of TestCases,
#        read by Python's parser from the test source before any job code
#        runs (null: the source does not parse or defines no TestCases)
#   {"t": "phase", "p": "module" | "suite"}  what runs now
#   {"t": "start", "name": N}                 a test starts
#   {"t": "test", "name": N, "status": S, "message": M}
#        S: pass, fail, error, skip, timeout; one per test, and one per
#        failing subtest or class/module fixture error
#   {"t": "all", "message": M}                module-level failure (ALL)
#   {"t": "tampered", "what": W}              the unittest machinery or the
#        harness's own functions are not the objects it loaded
#   {"t": "note", "what": W}                  the harness could not hide its
#        channel as it should (no ctypes)
#   {"t": "done", "pids_max": N}              the job is over
# Output the program writes through sys.stdout/sys.stderr goes to fd 1 (fd 2
# with "stdio"), which the parent captures, caps and cuts.
#
# Keeping the verdict out of the job's reach. Job code runs in this process,
# so whatever Python objects it can reach it can change or use. The nonce
# therefore never sits in a Python frame or in an object the garbage
# collector lists once job code may run: the frames are written by a chain
# of C iterators, sum(map(os.write, repeat(fd), map(bytes.join,
# repeat(nonce), steps))), whose objects are untracked by the collector and
# referenced only from C. Python code only produces the lines of each step
# (the generator `steps`), without the nonce. Between tests the harness
# stops signal handlers, trace and profile hooks and the collector from
# running job code, and checks that the unittest machinery and its own
# functions are the objects it loaded. What it cannot stop in-process
# (reading its own memory, objects that compare equal to anything, patched
# assertions, machinery patched and restored within one test) is described in
# the README's security section.

import os
import sys

# At most this many tests run per job; the parent enforces its own cap too.
_MAX_TESTS = 1000
# Characters kept of one message; the parent cuts again, in bytes.
_MAX_MESSAGE = 32768
# Results kept per test (failing subtests); the rest are counted in one.
_MAX_PER_TEST = 100
# The unittest methods that decide how a test runs and reports; TestCases may
# not override them.
_PROTOCOL = ("run", "__call__", "debug", "_callSetUp", "_callTestMethod", "_callTearDown",
             "_callCleanup", "doCleanups", "subTest", "skipTest", "defaultTestResult")


def _setup_process(job):
    """Process-wide settings, done once before any user code."""
    import builtins
    import faulthandler
    import signal
    import time

    env = os.environ
    env["TZ"] = "UTC"
    time.tzset()
    env["OMP_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["TF_ENABLE_ONEDNN_OPTS"] = "0"
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    # Python ignores SIGXFSZ by default; restore the default action so that a
    # write past the file-size limit ends the run as killed by that limit.
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _apply_rlimits(limits):
    """Set the rlimits the job asks for. Address space is relative to the
    size the process already has, so that a preloaded worker is not starved."""
    if not limits:
        return
    import resource

    for name, value in limits.items():
        if value is None or value < 0:
            continue
        res = getattr(resource, "RLIMIT_" + name.upper(), None)
        if res is None:
            continue
        if name == "as":
            value += _vm_size()
        soft, hard = resource.getrlimit(res)
        if hard != resource.RLIM_INFINITY and value > hard:
            value = hard
        resource.setrlimit(res, (value, value))


def _vm_size():
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Output:
    """Buffered sink of the program's text output towards a private copy of
    fd 1. The parent counts, caps and cuts; this only batches writes."""

    def __init__(self, fd):
        import fcntl

        self._write = os.write
        self.fd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 600)
        self._buf = []
        self._size = 0

    def put(self, text):
        self._buf.append(text)
        self._size += len(text)
        if self._size >= 8192:
            self.flush()

    def flush(self):
        if not self._buf:
            return
        data = "".join(self._buf).encode("utf-8", "replace")
        self._buf = []
        self._size = 0
        try:
            while data:
                n = self._write(self.fd, data)
                data = data[n:]
        except OSError:
            pass


def _make_stream_class(io):
    class WriteOnlyStream(io.StringIO):
        """What the program sees as stdin, stdout and stderr: a text stream
        that cannot be read (as BigCodeBench's), whose writes are captured."""

        def __init__(self, sink):
            super().__init__()
            self._sink = sink

        def write(self, s):
            if not isinstance(s, str):
                raise TypeError("string argument expected, got '%s'" % type(s).__name__)
            self._sink.put(s)
            return len(s)

        def writelines(self, lines):
            for line in lines:
                self.write(line)

        def flush(self):
            self._sink.flush()

        def read(self, *args, **kwargs):
            raise IOError

        def readline(self, *args, **kwargs):
            raise IOError

        def readlines(self, *args, **kwargs):
            raise IOError

        def readable(self, *args, **kwargs):
            return False

    return WriteOnlyStream


class TimeoutException(Exception):
    """Raised by the suite alarm inside the test that is running."""


def _patch_subprocess(subprocess):
    """Like BigCodeBench's swallow_io: child processes get pipes for stdout
    and stderr unless the caller chose otherwise."""
    base = subprocess.Popen

    class Popen(base):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("stdout", subprocess.PIPE)
            kwargs.setdefault("stderr", subprocess.PIPE)
            super().__init__(*args, **kwargs)

    subprocess.Popen = Popen


def _expected_tests(source):
    """The test methods TestLoader will find in class TestCases, found by
    Python's parser in the test source alone (nothing is executed): the
    functions named test* defined in TestCases and in the classes of the
    source it derives from. None when the source does not parse or has no
    TestCases."""
    import ast

    try:
        tree = ast.parse(source)
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError, MemoryError
        return None
    nested = (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try), ast.With, ast.AsyncWith)

    def statements(body):
        for node in body:
            yield node
            if isinstance(node, nested):
                for field in ("body", "orelse", "finalbody"):
                    yield from statements(getattr(node, field, ()))
                for handler in getattr(node, "handlers", ()):
                    yield from statements(handler.body)

    classes = {}
    for node in statements(tree.body):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = node

    def methods(cls, seen):
        found = set()
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                found |= methods(classes[base.id], seen | {base.id})
        for node in statements(cls.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith("test"):
                    found.add(node.name)
                else:
                    found.discard(node.name)
        return found

    if "TestCases" not in classes:
        return None
    return sorted(methods(classes["TestCases"], {"TestCases"}))


def _record_key(ident, test, status, name, message):
    """The bytes one result record adds to the running digest of the
    records: the same expression in the result class and in _steps."""
    return b"%d\x00%b\x00%b\x00%b\x00" % (
        ident(test), status.encode("ascii"),
        str.__str__(name).encode("utf-8", "surrogatepass"),
        str.__str__(message).encode("utf-8", "surrogatepass"))


def _result_class(unittest, events, digest):
    """The TestResult the suite reports into: unittest's own, plus a record
    (test, status, name, message) per outcome in events, each also fed to
    digest, so that records can be added but not removed or changed."""
    append, update, text, ident, key = events.append, digest.update, str, id, _record_key
    counts = {}

    def record(test, status, name, message):
        if not isinstance(message, text):
            message = "<message is not text>"
        n = counts[ident(test)] = counts.get(ident(test), 0) + 1
        if n > _MAX_PER_TEST:
            if status == "pass":
                n = _MAX_PER_TEST  # the test's own outcome always counts
            else:
                return
        update(key(ident, test, status, name, message))
        append((test, status, text.__str__(name), text.__str__(message)))

    def name_of(test):
        try:
            name = test.id().split(".")[-1]
        except Exception:
            name = None
        return name if isinstance(name, text) else "<unnamed>"

    class Result(unittest.TestResult):
        def addSuccess(self, test):
            super().addSuccess(test)
            record(test, "pass", name_of(test), "")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            record(test, "fail", name_of(test), self.failures[-1][1])

        def addError(self, test, err):
            super().addError(test, err)
            status = "timeout" if err[0] is TimeoutException else "error"
            record(test, status, name_of(test), self.errors[-1][1])

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            record(test, "skip", name_of(test), str(reason))

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            record(test, "pass", name_of(test), "")

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            record(test, "pass", name_of(test), "")

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                if issubclass(err[0], test.failureException):
                    record(test, "fail", name_of(subtest), self.failures[-1][1])
                else:
                    status = "timeout" if err[0] is TimeoutException else "error"
                    record(test, status, name_of(subtest), self.errors[-1][1])

    return Result


class _Guard:
    """Keeps job code from running while the harness turns outcomes into
    lines: hold() blocks signals and sets their Python handlers aside
    (handlers run in the main thread wherever it is), removes trace and
    profile hooks (they can rewrite a frame's variables) and disables the
    collector (finalizers); restore() gives the job its settings back."""

    def __init__(self, signal, gc):
        self.signal, self.gc = signal, gc
        self.all = set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, self.all)
        self.blocked = frozenset(signal.pthread_sigmask(signal.SIG_SETMASK, old))
        self.saved = None

    def hold(self):
        """Returns "" or what the job did to resist."""
        signal, gc = self.signal, self.gc
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.all)
        trace, profile, collect = sys.gettrace(), sys.getprofile(), gc.isenabled()
        alarm = signal.getitimer(signal.ITIMER_REAL)[0] > 0
        handlers = {}
        problem = ""
        for attempt in range(4):
            # Handlers of signals that arrived before the block run at this
            # loop's backward jumps: here, where they can only do what job
            # code could do anyway. Then none is left to run.
            for sig in self.all:
                try:
                    h = signal.getsignal(sig)
                except (ValueError, OSError):
                    continue
                if callable(h):
                    handlers.setdefault(sig, h)
                    signal.signal(sig, signal.SIG_IGN)
            if sys.gettrace() is not None:
                sys.settrace(None)
            if sys.getprofile() is not None:
                sys.setprofile(None)
            gc.disable()
            now = signal.pthread_sigmask(signal.SIG_BLOCK, ())
            if self.blocked <= now and not any(callable(signal.getsignal(s)) for s in handlers):
                break
            problem = "the program kept re-arming signal handlers while the harness reported"
            signal.pthread_sigmask(signal.SIG_BLOCK, self.all)
        if self.saved is None:
            self.saved = (mask, trace, profile, collect, alarm, handlers)
        return problem

    def restore(self):
        """Gives the job its settings back; True when the suite alarm went
        off while held (a timeout outside any test)."""
        if self.saved is None:
            return False
        signal, gc = self.signal, self.gc
        mask, trace, profile, collect, alarm, handlers = self.saved
        self.saved = None
        fired = alarm and signal.getitimer(signal.ITIMER_REAL)[0] == 0
        for sig, h in handlers.items():
            try:
                signal.signal(sig, h)
            except (ValueError, OSError, TypeError):
                pass
        if collect:
            gc.enable()
        if trace is not None:
            sys.settrace(trace)
        if profile is not None:
            sys.setprofile(profile)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return fired


def _refuse(event, args, watched, protected, note, kind, text, raw, ident, realpath, fsdecode):
    """The harness's audit hook (sys.addaudithook: Python code cannot remove
    it). It refuses what would let job code rewrite the harness while a test
    runs: trace and profile hooks (they can change any frame's variables),
    changes to the code, defaults and the like of the functions whose ids
    are in protected (Python audits those, not assignments to class
    attributes, which the fingerprint in _steps catches instead), and opening
    a process's memory file; note records each refusal. Its state
    lives only in its defaults tuple (set by _install_refusal), which cannot
    be changed without an audit event it refuses; closure cells could be."""
    if event not in watched:
        return
    if event == "open":
        path = args[0] if args else None
        if (kind(path) is text and "mem" in path) or (kind(path) is raw and b"mem" in path):
            real = realpath(fsdecode(path)).split("/")
            if len(real) >= 4 and real[1] == "proc" and real[-1] == "mem":
                note("the program opened a process's memory")
                raise PermissionError(13, "ccw sandbox: process memory is not readable", fsdecode(path))
        return
    if event == "sys.settrace" or event == "sys.setprofile":
        note("the program installed a trace or profile hook")
        raise RuntimeError("ccw sandbox: %s is not allowed: trace and profile hooks could rewrite the test harness" % event)
    if args and ident(args[0]) in protected:
        what = args[1] if len(args) > 1 and kind(args[1]) is text else "?"
        note("the program tried to change %s of the unittest machinery or the harness" % what)
        raise AttributeError("ccw sandbox: the unittest machinery and the harness cannot be changed")


def _install_refusal(protected, note, hide):
    """Installs _refuse as an audit hook guarding the objects whose ids are
    in protected (itself included), and hides the interpreter's list of
    hooks from the garbage collector."""
    import gc
    import os.path

    watched = frozenset(("sys.settrace", "sys.setprofile", "object.__setattr__", "object.__delattr__", "open"))
    _refuse.__defaults__ = (watched, frozenset(protected) | {id(_refuse)}, note, type, str, bytes, id,
                            os.path.realpath, os.fsdecode)
    sys.addaudithook(_refuse)
    if hide:
        hide(_refuse.__defaults__, *[o for o in gc.get_referrers(_refuse) if type(o) is list])


def _on_alarm(signum, frame):
    raise TimeoutException("Timed out!")


def _message_of(e):
    try:
        return str(e)
    except BaseException:
        return "<exception %s could not be shown>" % type(e).__name__


def _method_name(test):
    name = getattr(test, "_testMethodName", None)
    return name if type(name) is str else "<unnamed>"


def _run_module(code, test, alarm, started, result_class, guard, output):
    """Executes the module and loads the suite as BigCodeBench does.
    Returns (ALL message or None, module, TestCases, test names, suite,
    result, what the job did to resist the guard, forks the pids limit
    refused)."""
    import builtins
    import signal
    import time
    import types
    import unittest

    module = types.ModuleType("__test__")
    module.__dict__.update({
        "__builtins__": builtins,
        "__file__": "__test__.py",
        "__package__": None,
        "__doc__": None,
        "sys": sys,
        "os": os,
        "environ": os.environ,
    })
    failed, cases, names, suite, result = None, None, (), None, None
    try:
        exec(compile(code + "\n" + test, "__test__.py", "exec"), module.__dict__)
        sys.modules["__test__"] = module
        cases = getattr(module, "TestCases")
        suite = unittest.TestLoader().loadTestsFromTestCase(cases)
        names = tuple(_method_name(t) for t in suite)[:_MAX_TESTS]
        result = result_class()
        result._testRunEntered = True
        if alarm > 0:
            # The alarm counts from the start of the run, so that the
            # parent's hard deadline (a little later) always comes after it.
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, max(alarm - (time.monotonic() - started), 0.001))
    except BaseException as e:
        failed = _message_of(e)
    output.flush()
    return failed, module, cases, names, suite, result, guard.hold(), _pids_refused()


def _run_one(suite_class, suite, cases, name, result, guard, output):
    """Runs test name of TestCases, on an instance made now, as one pass of
    TestSuite.run's loop would (fixtures included). Returns (the test,
    ALL message or None, whether the result asked to stop, what the job
    did to resist the guard, forks the pids limit refused)."""
    test, failed, stopped = None, None, False
    try:
        if guard.restore():
            raise TimeoutException("Timed out!")
        if result.shouldStop:
            stopped = True
        else:
            test = cases(name)
            suite_class._tearDownPreviousClass(suite, test, result)
            suite_class._handleModuleFixture(suite, test, result)
            suite_class._handleClassSetUp(suite, test, result)
            result._previousTestClass = test.__class__
            if not (getattr(test.__class__, "_classSetupFailed", False) or
                    getattr(result, "_moduleSetUpFailed", False)):
                test(result)
    except BaseException as e:
        failed = _message_of(e)
    output.flush()
    return test, failed, stopped, guard.hold(), _pids_refused()


def _tear_down(suite_class, suite, result, guard, output):
    """Class and module teardown after the last test, as TestSuite.run."""
    failed = None
    try:
        if guard.restore():
            raise TimeoutException("Timed out!")
        suite_class._tearDownPreviousClass(suite, None, result)
        suite_class._handleModuleTearDown(suite, result)
        result._testRunEntered = False
    except BaseException as e:
        failed = _message_of(e)
    output.flush()
    return failed, guard.hold(), _pids_refused()


def _steps(job, output, note, hide):
    """The lines of every step of the job, without the nonce: one tuple of
    encoded frames per step, each starting with b"" (bytes.join puts the
    nonce before every element after the first).

    Job code can see this generator's variables through frames but cannot
    rebind them, and runs only inside _run_module, _run_one and _tear_down,
    which hold the guard before they return. Everything used after job code
    ran is therefore bound here first, and at the top of every step the
    machinery is checked against what it was before any job code ran."""
    import gc
    import hashlib
    import json
    import signal
    import types
    import unittest
    import unittest.case
    import unittest.loader
    import unittest.result
    import unittest.suite

    encode = getattr(json.encoder, "c_encode_basestring_ascii", None) or json.encoder.encode_basestring_ascii
    getpid, exit_, kind, text, ident, hashf, tuplef, lenf = os.getpid, os._exit, type, str, id, hash, tuple, len
    listf, setf, dictf, instance_of, objectf, no_value = list, set, dict, isinstance, object, ValueError
    base_error, integer = BaseException, int
    static, klass, prop, func, is_callable = staticmethod, classmethod, property, types.FunctionType, callable
    dict_of, mro_of, sha256 = type.__dict__["__dict__"].__get__, type.__dict__["__mro__"].__get__, hashlib.sha256
    protocol, most = _PROTOCOL, _MAX_MESSAGE
    TestCase, TestSuite = unittest.TestCase, unittest.TestSuite
    base = dict_of(TestCase)
    instance_dict = base["__dict__"].__get__
    test_methods = frozenset(k for k, v in base.items() if kind(k) is text and callable(v))
    events, digest = [], sha256()
    Result = _result_class(unittest, events, digest)
    methods = frozenset(k for c in mro_of(Result) for k, v in dict_of(c).items() if kind(k) is text and callable(v))
    guard = _Guard(signal, gc)
    run_module, run_one, tear_down = _run_module, _run_one, _tear_down
    targets = (TestCase, TestSuite, unittest.suite.BaseTestSuite, unittest.TestLoader, unittest.TestResult,
               unittest.case._Outcome, unittest.case._SubTest, unittest.suite._ErrorHolder, Result, _Guard,
               unittest.case.__dict__, unittest.suite.__dict__, unittest.result.__dict__,
               unittest.loader.__dict__, globals())
    pid = getpid()
    expected = _expected_tests(job.get("test") or "")
    code, test_source = job.get("code") or "", job.get("test") or ""
    alarm, started = float(job.get("alarm") or 0), job.get("_started") or 0.0

    def frame(*parts):
        return ("".join(parts) + "\n").encode("ascii")

    def message(s):
        s = text.__str__(s) if instance_of(s, text) else "<not text>"
        if lenf(s) > most:
            s = s[:most] + "\n[ccw: message cut]"
        return encode(s)

    frame_code, message_code = frame.__code__, message.__code__
    refused = []
    fingerprint = cases_print = None
    phase, index, failed, stopped, pids = 0, 0, None, False, 0
    module = cases = suite = result = None
    names = ()
    while True:
        # The check: everything the verdict relies on is what it was.
        problems = []
        while refused:
            problems.append(refused.pop(0))
        if frame.__code__ is not frame_code or message.__code__ is not message_code:
            problems.append("the harness's encoders were replaced")
            frame.__code__, message.__code__ = frame_code, message_code
        acc, todo, seen = [], listf(targets), setf()
        while todo:
            t = todo.pop()
            k = kind(t)
            if k is func:
                acc.append(ident(t.__code__))
                acc.append(ident(t.__defaults__))
                acc.append(ident(t.__kwdefaults__))
                for c in t.__closure__ or ():
                    try:
                        v = c.cell_contents
                    except no_value:
                        acc.append(0)
                        continue
                    acc.append(ident(v))
                    if kind(v) is func and ident(v) not in seen:
                        seen.add(ident(v))
                        todo.append(v)
                continue
            if k is dictf:
                items = t.items()
            elif k is type:
                items = dict_of(t).items()
            else:
                acc.append(-1)
                continue
            for key, value in items:
                k = kind(value)
                if not (is_callable(value) or k is static or k is klass or k is prop):
                    continue  # data, such as TestCase.maxDiff or __warningregistry__
                acc.append(ident(key))
                acc.append(ident(value))
                if k is static or k is klass:
                    value = value.__func__
                    k = kind(value)
                    acc.append(ident(value))
                if k is func and ident(value) not in seen:
                    seen.add(ident(value))
                    todo.append(value)
        now = hashf(tuplef(acc))
        if phase == 0:
            # Before any job code: what the walk reached, and the encoders,
            # may not be changed from now on. The fingerprint is taken at
            # the next step, still before job code, with the hook in place.
            _install_refusal(seen | {ident(frame), ident(message)}, refused.append, hide)
        elif fingerprint is None:
            fingerprint = now
        elif now != fingerprint:
            problems.append("the unittest machinery or the harness was replaced")
            fingerprint = now
        if cases is not None:
            acc, overrides = [], []
            for c in (mro_of(cases) if kind(cases) is type else (cases,)):
                if kind(c) is not type:
                    acc.append(-1)
                    continue
                if c is TestCase or c is objectf:
                    continue
                for key, value in dict_of(c).items():
                    k = kind(value)
                    if k is static or k is klass:
                        value = value.__func__
                        k = kind(value)
                    if k is func:
                        acc.append(ident(key))
                        acc.append(ident(value))
                        acc.append(ident(value.__code__))
                    if kind(key) is text and key in protocol and key in base and value is not base[key]:
                        overrides.append(key)
            now = hashf(tuplef(acc))
            if cases_print is None:
                cases_print = now
                for o in overrides:
                    problems.append("TestCases overrides unittest's " + o)
            elif now != cases_print:
                problems.append("the test methods of TestCases were replaced")
                cases_print = now
        if result is not None:
            if kind(result) is not Result:
                problems.append("the test result object was replaced")
            else:
                for key in result.__dict__:
                    if kind(key) is not text or key in methods:
                        problems.append("a method of the test result object was replaced")
                        break
        check = sha256()
        for ev in events:
            if kind(ev) is not tuple or lenf(ev) != 4 or kind(ev[1]) is not text or kind(ev[2]) is not text or kind(ev[3]) is not text:
                problems.append("a result record is not the harness's")
                break
            check.update(b"%d\x00%b\x00%b\x00%b\x00" % (ident(ev[0]), ev[1].encode("ascii"),
                         ev[2].encode("utf-8", "surrogatepass"), ev[3].encode("utf-8", "surrogatepass")))
        if check.digest() != digest.digest():
            problems.append("the result records were changed")
            digest = sha256()
            for ev in events:
                digest.update(b"-")
        if problems:
            yield tuplef([b""] + [frame('{"t":"tampered","what":', encode(w), "}") for w in problems])

        out = [b""]
        try:
            if phase == 0:
                # Before any job code runs: what is expected.
                names_json = "null" if expected is None else "[" + ",".join(encode(n) for n in expected) + "]"
                out.append(frame('{"t":"expect","names":', names_json, "}"))
                if note:
                    out.append(frame('{"t":"note","what":', encode(note), "}"))
                out.append(frame('{"t":"phase","p":"module"}'))
                phase = 1
            elif phase == 1:
                failed, module, cases, names, suite, result, problem, pids = run_module(
                    code, test_source, alarm, started, Result, guard, output)
                if getpid() != pid:
                    exit_(0)  # a fork of the job came back into the harness: it reports nothing
                if kind(names) is not tuplef or any(kind(n) is not text for n in names):
                    raise TypeError("test names")
                if problem:
                    out.append(frame('{"t":"tampered","what":', encode(problem), "}"))
                if failed is not None:
                    out.append(frame('{"t":"all","message":', message(failed), "}"))
                    phase = 4
                else:
                    out.append(frame('{"t":"phase","p":"suite"}'))
                    if names:
                        out.append(frame('{"t":"start","name":', encode(names[0]), "}"))
                    phase = 2
            elif phase == 2:
                if index >= lenf(names) or stopped:
                    phase = 3
                    continue
                name = names[index]
                index += 1
                before = lenf(events)
                test, failed, stopped, problem, pids = run_one(TestSuite, suite, cases, name, result, guard, output)
                if getpid() != pid:
                    exit_(0)
                if problem:
                    out.append(frame('{"t":"tampered","what":', encode(problem), "}"))
                own, other = 0, 0
                for ev in events[before:]:
                    if kind(ev) is not tuple or lenf(ev) != 4:
                        continue
                    owner, status, ev_name, ev_message = ev
                    if status not in ("pass", "fail", "error", "skip", "timeout"):
                        continue
                    if test is not None and owner is test:
                        if status == "pass":
                            own += 1
                            ev_name = name  # the name it was loaded under
                        else:
                            other += 1
                    elif status == "pass":
                        continue  # another test's pass proves nothing here
                    out.append(frame('{"t":"test","name":', message(ev_name), ',"status":"', status,
                                     '","message":', message(ev_message), "}"))
                shadowed = ""
                if test is not None:
                    for c in mro_of(kind(test)):
                        if c is TestCase:
                            for key in instance_dict(test):
                                if kind(key) is not text or key in test_methods:
                                    shadowed = key if kind(key) is text else "?"
                                    break
                            break
                if shadowed:
                    out.append(frame('{"t":"tampered","what":', encode("the test's %s was replaced on its instance" % shadowed), "}"))
                if own > 1 or (own and other):
                    out.append(frame('{"t":"tampered","what":', encode("test %s reported %d outcomes" % (name, own + other)), "}"))
                if failed is not None:
                    out.append(frame('{"t":"all","message":', message(failed), "}"))
                    phase = 4
                elif index < lenf(names) and not stopped:
                    out.append(frame('{"t":"start","name":', encode(names[index]), "}"))
            elif phase == 3:
                failed, problem, pids = tear_down(TestSuite, suite, result, guard, output)
                if getpid() != pid:
                    exit_(0)
                if problem:
                    out.append(frame('{"t":"tampered","what":', encode(problem), "}"))
                if failed is not None:
                    out.append(frame('{"t":"all","message":', message(failed), "}"))
                phase = 4
            elif phase == 4:
                out.append(frame('{"t":"done","pids_max":', text(pids if kind(pids) is integer else 0), "}"))
                phase = 5
            else:
                return
        except base_error as e:
            # The steps broke after job code ran: whatever the job did to
            # them, the run is not a pass.
            what = kind(e).__name__ if kind(kind(e)) is type else "?"
            out = [b"", frame('{"t":"tampered","what":', encode("the harness could not go on after the job ran (%s)" % what), "}")]
            phase, pids = 4, 0
        yield tuplef(out)


def _pids_refused():
    """How often this container's pids limit refused a fork, when the
    container's own cgroup is mounted where Docker puts it (v1 or v2); the
    parent cannot ask once the engine has removed the cgroup."""
    for path in ("/sys/fs/cgroup/pids/pids.events", "/sys/fs/cgroup/pids.events"):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "max":
                        return int(value)
        except (OSError, ValueError):
            pass
    return 0


def _hider():
    """A function that takes objects out of the garbage collector's lists,
    so that gc.get_objects and gc.get_referrers cannot find them, and keeps
    them alive for good (a deallocation may assume they are tracked); None
    without ctypes."""
    try:
        import ctypes
        import gc

        api = ctypes.pythonapi
        untrack, incref = api.PyObject_GC_UnTrack, api.Py_IncRef
        for f in (untrack, incref):
            f.argtypes = [ctypes.py_object]
            f.restype = None
    except Exception:
        return None
    tracked = gc.is_tracked

    def hide(*objs):
        for o in objs:
            incref(o)
            if tracked(o):
                untrack(o)

    return hide


def _chain(fd, tag, steps, hide):
    """The iterator that writes each step's lines with the nonce before
    every line, made of C objects only and hidden from the collector: no
    Python frame holds the nonce while job code may run."""
    import gc
    import itertools

    joined = map(bytes.join, itertools.repeat(tag), steps)
    written = map(os.write, itertools.repeat(fd), joined)
    if hide:
        for m in (joined, written):
            inner = [r for r in gc.get_referents(m) if type(r) is tuple]
            hide(m, *inner)
            for t in inner:
                hide(*[r for r in t if type(r) is itertools.repeat])
    return written


def _serve(job, fd, output):
    """Runs one job in this process, then ends it with os._exit so that
    threads and atexit hooks of the program cannot hold it up after the
    verdict is sent."""
    import builtins
    import io
    import subprocess

    _setup_process(job)
    _patch_subprocess(subprocess)
    stream = _make_stream_class(io)(output)
    hide = _hider()
    note = "" if hide else "ctypes is missing: the result channel is not hidden from the garbage collector"
    steps = _steps(job, output, note, hide)
    total = builtins.sum
    sys.stdout = sys.stderr = sys.stdin = stream
    try:
        # The nonce goes from the job straight into the chain that writes.
        total(_chain(fd, job.pop("nonce").encode("ascii") + b" ", steps, hide))
    except BaseException:
        pass
    os._exit(0)


def _read_job(fd):
    import json

    chunks = []
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            break
        chunks.append(b)
    return json.loads(b"".join(chunks))


def main():
    """Runs the mode named by the first argument: "worker" (warm mode, see
    worker.py), or one job (fresh mode)."""
    if sys.argv[1:] == ["worker"]:
        worker_main()
    else:
        fresh_main()


def _channel_fd(fd):
    """Moves the result channel to a high, close-on-exec fd."""
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 700)
    os.close(fd)
    return high


def fresh_main():
    """Fresh mode. With argument "stdio" (the docker backend, which cannot
    pass an extra fd) the result channel is fd 1 and the program's output
    goes to fd 2; otherwise the channel is fd 3 and the output fd 1."""
    import time

    started = time.monotonic()
    job = _read_job(0)
    job["_started"] = started
    if sys.argv[1:] == ["stdio"]:
        fd = _channel_fd(1)
        os.dup2(2, 1)
    else:
        fd = _channel_fd(3)
    output = _Output(1)
    if job.get("cwd"):
        os.makedirs(job["cwd"], 0o700, exist_ok=True)
        os.chdir(job["cwd"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _apply_rlimits(job.get("rlimits"))
    _serve(job, fd, output)
