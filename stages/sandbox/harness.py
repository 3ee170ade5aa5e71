# ccw sandbox harness. Embedded in the ccw binary and run by Debian's python3
# with -I. It runs one job (fresh mode) or serves many (warm mode): a solution
# and its unittest module executed as one module named __test__, with the
# observable semantics of BigCodeBench's evaluator, and reports every test as
# it finishes over a private result channel.
#
# Protocol. The parent writes one JSON job object on stdin (fresh mode). The
# result channel is fd 3 (fd 1 with argument "stdio"); the harness moves it
# to a high, close-on-exec fd before any user code runs. Each frame is one line:
#   <nonce> <json object>\n
# with the per-run random nonce from the job, so lines written to the channel
# by anyone who does not know the nonce are ignored by the parent. Frames:
#   {"t": "phase", "p": "module"|"suite"}      what runs now
#   {"t": "start", "name": N}                  a test started
#   {"t": "test", "name": N, "status": S, "message": M}
#   {"t": "all", "message": M}                 module-level failure (ALL)
#   {"t": "done", "pids_max": N}               the job is over
# Output the program writes through sys.stdout/sys.stderr goes to fd 1 (fd 2
# with "stdio"), which the parent captures, caps and cuts.

import os
import sys


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


class _Channel:
    """The result channel: framed, nonce-tagged JSON lines on a private fd."""

    def __init__(self, fd, nonce):
        import fcntl
        import json

        self._write = os.write
        self._encode = json.JSONEncoder(ensure_ascii=True).encode
        self.fd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 700 + int(nonce[:4], 16) % 200)
        os.close(fd)
        self._prefix = nonce.encode("ascii") + b" "
        self.broken = False

    def send(self, obj):
        if self.broken:
            return
        data = self._prefix + self._encode(obj).encode("ascii") + b"\n"
        try:
            while data:
                n = self._write(self.fd, data)
                data = data[n:]
        except OSError:
            self.broken = True


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


def _result_class(unittest, channel):
    def name_of(test):
        return test.id().split(".")[-1]

    class StreamingResult(unittest.TestResult):
        """A plain TestResult that also reports each outcome as it happens."""

        def startTest(self, test):
            super().startTest(test)
            channel.send({"t": "start", "name": name_of(test)})

        def _report(self, test, status, message):
            channel.send({"t": "test", "name": name_of(test), "status": status, "message": message})

        def addSuccess(self, test):
            super().addSuccess(test)
            self._report(test, "pass", "")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            self._report(test, "fail", self.failures[-1][1])

        def addError(self, test, err):
            super().addError(test, err)
            status = "timeout" if err[0] is TimeoutException else "error"
            self._report(test, status, self.errors[-1][1])

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            self._report(test, "skip", str(reason))

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            self._report(test, "pass", "")

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            self._report(test, "pass", "")

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                if issubclass(err[0], test.failureException):
                    self._report(subtest, "fail", self.failures[-1][1])
                else:
                    status = "timeout" if err[0] is TimeoutException else "error"
                    self._report(subtest, status, self.errors[-1][1])

    return StreamingResult


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


def run_job(job, channel, output):
    """Run one job in this process. Never returns normally: the process ends
    with os._exit so that threads and atexit hooks of the program cannot hold
    it up after the verdict is sent."""
    import builtins
    import io
    import signal
    import subprocess
    import time
    import types
    import unittest

    send = channel.send
    _exit = os._exit
    _setup_process(job)
    _patch_subprocess(subprocess)
    stream = _make_stream_class(io)(output)
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
    alarm = float(job.get("alarm") or 0)
    started = job.get("_started") or time.monotonic()

    def on_alarm(signum, frame):
        raise TimeoutException("Timed out!")

    sys.stdout = sys.stderr = sys.stdin = stream
    try:
        send({"t": "phase", "p": "module"})
        exec(compile(job["code"] + "\n" + job["test"], "__test__.py", "exec"), module.__dict__)
        sys.modules["__test__"] = module
        cases = getattr(module, "TestCases")
        suite = unittest.TestLoader().loadTestsFromTestCase(cases)
        result = _result_class(unittest, channel)()
        send({"t": "phase", "p": "suite"})
        if alarm > 0:
            # The alarm counts from the start of the run, so that the parent's
            # hard deadline (a little later) always comes after it.
            signal.setitimer(signal.ITIMER_REAL, max(alarm - (time.monotonic() - started), 0.001))
            signal.signal(signal.SIGALRM, on_alarm)
        try:
            suite.run(result)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as e:
        try:
            message = str(e)
        except BaseException:
            message = "<exception %s could not be shown>" % type(e).__name__
        send({"t": "all", "message": message})
    output.flush()
    send({"t": "done", "pids_max": _pids_refused()})
    _exit(0)


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


def fresh_main():
    """Fresh mode. With argument "stdio" (the docker backend, which cannot
    pass an extra fd) the result channel is fd 1 and the program's output
    goes to fd 2; otherwise the channel is fd 3 and the output fd 1."""
    import time

    started = time.monotonic()
    job = _read_job(0)
    job["_started"] = started
    if sys.argv[1:] == ["stdio"]:
        channel = _Channel(1, job["nonce"])
        os.dup2(2, 1)
    else:
        channel = _Channel(3, job["nonce"])
    output = _Output(1)
    if job.get("cwd"):
        os.makedirs(job["cwd"], 0o700, exist_ok=True)
        os.chdir(job["cwd"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    _apply_rlimits(job.get("rlimits"))
    run_job(job, channel, output)
