# ccw sandbox warm worker: appended to harness.py when the sandbox runs in
# warm mode. The worker imports the heavy libraries once, then forks one
# child per job; the child becomes exactly what a fresh interpreter would
# be (work dir, environment, limits, unprivileged user) and runs the job
# with _serve. The worker never runs job code, and never reads it: the job
# (code, tests, nonce) reaches the child on a pipe the child reads after the
# fork, so nothing of one job is left in the worker's memory for the next.
#
# Control protocol, on the unix stream socket at fd 3:
#   parent -> worker: 4-byte big-endian length + JSON header (work dir,
#     TMPDIR, rlimits, how many cgroups), with fds attached: the job pipe,
#     the job's output pipe, its result channel, then one open cgroup.procs
#     file per cgroup the child joins; or a JSON {"t": "kill"} the same way
#     without fds.
#   worker -> parent: JSON lines
#     {"t": "ready", "failed": [modules that did not import]}
#     {"t": "started", "pid": N}
#     {"t": "exit", "exit": N, "signal": S, "leak": "what was left"}


def worker_main():
    import gc
    import json
    import shutil
    import socket
    import struct

    # What run_job imports, so that children do not pay for it.
    import ast, ctypes, fcntl, hashlib, io, itertools, random, resource, subprocess, tempfile, time, types  # noqa: F401
    import unittest, unittest.case, unittest.loader, unittest.result, unittest.suite  # noqa: F401

    failed = []
    preload = os.environ.pop("CCW_PRELOAD", "")
    uid = int(os.environ.pop("CCW_UID", "-1"))
    check_leaks = os.environ.pop("CCW_LEAKCHECK", "") == "1"
    hardening = (
        [n for n in os.environ.pop("CCW_JOB_NAMESPACES", "").split(",") if n],
        os.environ.pop("CCW_DROP_CAPS", "") == "1",
        bytes.fromhex(os.environ.pop("CCW_SECCOMP", "")),
    )
    book = _Preloads()
    for name in filter(None, preload.split(",")):
        err = book.load(name)
        if err:
            failed.append(err)
    book.done()
    # Children must not copy the worker's pages just to run the cycle
    # collector over objects they never use: move everything alive now out
    # of the collector's reach.
    gc.collect()
    gc.freeze()
    sock = socket.socket(fileno=3)
    home = os.environ.get("HOME", "/tmp")
    os.chmod(home, 0o755)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)

    def tell(obj):
        sock.sendall((json.dumps(obj) + "\n").encode())

    def receive():
        """One message: (obj, fds), or (None, []) at EOF."""
        fds = []
        head = b""
        while len(head) < 4:
            data, more, _, _ = socket.recv_fds(sock, 4 - len(head), 8)
            if not data:
                return None, fds
            head += data
            fds += more
        size = struct.unpack(">I", head)[0]
        body = b""
        while len(body) < size:
            data = sock.recv(min(size - len(body), 1 << 20))
            if not data:
                return None, fds
            body += data
        return json.loads(body), fds

    tell({"t": "ready", "failed": failed, "changed": book.changed})
    while True:
        job, fds = receive()
        if job is None:
            os._exit(0)
        if job.get("t") == "kill" or len(fds) != 3 + int(job.get("cgroups") or 0):
            for fd in fds:
                os.close(fd)
            continue
        job_fd, out_fd, chan_fd = fds[:3]
        work = job["dir"]
        os.mkdir(work, 0o700)
        if uid >= 0:
            os.chown(work, uid, uid)
        pid = os.fork()
        if pid == 0:
            try:
                sock.detach()  # fd 3 is about to become the job's channel
                book.reset(job.get("want") or ())
                _worker_child(job, fds, work, uid, hardening)
            except BaseException:
                import traceback

                _child_failed(out_fd, "start the job", traceback.format_exc())
            finally:
                os._exit(70)
        try:
            os.setpgid(pid, pid)  # also done by the child: whoever is first
        except OSError:
            pass
        for fd in fds:
            os.close(fd)
        tell({"t": "started", "pid": pid})
        status = _worker_wait(pid, sock, receive)
        # The child's process group (the run's cgroup, when there is one,
        # is emptied by the parent) must be gone before the next job.
        _kill_child(pid)
        _reap()
        shutil.rmtree(work, ignore_errors=True)
        status["t"] = "exit"
        status["leak"] = _leaks(home) if check_leaks else ""
        tell(status)


_PRELOADED_RANDOMS = []


class _Preloads:
    """What preloading changed in the worker's interpreter, so that each
    child can look like a fresh interpreter that imported only what its job
    imports. Every import statement a module runs at its top level while
    preloading is recorded as an edge between top-level packages (importer
    -> imported, even of modules already loaded), so that the packages a job's imports reach in a fresh
    interpreter are known. Warnings filters are attributed to the package
    that added them and environment variables to the module whose import
    set them; a child keeps only those of the packages its job reaches
    (reset). Random generators created at import time are reseeded in
    every child (_PRELOADED_RANDOMS). What cannot be undone (signal
    handlers, threads, logging handlers, the locale, numpy's error state,
    the recursion limit, the umask) is compared before and after each
    import and reported in `changed`. Atexit hooks are not: a child ends
    with os._exit, as a fresh run does (_serve)."""

    def __init__(self):
        import builtins
        import warnings

        self.edges = {}  # package -> packages it imports
        self.owner = {}  # id(filter entry) -> package that added it
        self.env = {}  # variable -> (value before preloading, package)
        self.changed = []
        self.base_env = dict(os.environ)
        self.base_filters = list(warnings.filters)
        self._import = builtins.__import__
        self._add_filter = warnings._add_filter
        self._root = None
        stdlib = set(sys.stdlib_module_names) | {"__main__"}

        def record_import(name, globals=None, locals=None, fromlist=(), level=0):
            # Only a module's own top-level imports count: a function of
            # one package that another calls while it initializes (numpy's
            # for scipy, say) does not make the first import the second.
            if level == 0 and name and sys._getframe(1).f_code.co_name == "<module>":
                src = ((globals or {}).get("__name__") or self._root or "").split(".")[0]
                # The standard library imports no preloaded package at
                # import time; edges from it (importlib's machinery, for
                # one) would join every package to every other.
                if src and src not in stdlib:
                    self.edges.setdefault(src, set()).add(name.split(".")[0])
            return self._import(name, globals, locals, fromlist, level)

        def record_filter(*item, append):
            self._add_filter(*item, append=append)
            caller = sys._getframe(2).f_globals.get("__name__") or self._root or ""
            for f in warnings.filters:
                if f is item or f == item:
                    self.owner.setdefault(id(f), caller.split(".")[0])

        builtins.__import__ = record_import
        warnings._add_filter = record_filter

    def load(self, name):
        """Imports name; returns why it failed, or None."""
        import warnings

        self._root = name
        before_env = dict(os.environ)
        before = self._state()
        try:
            __import__(name)
        except BaseException as e:  # a module that cannot import is not fatal
            return "%s: %s" % (name, e)
        finally:
            top = name.split(".")[0]
            for f in warnings.filters:  # added without _add_filter
                self.owner.setdefault(id(f), top)
            for k in set(before_env) | set(os.environ):
                if before_env.get(k) != os.environ.get(k) and k not in self.env:
                    self.env[k] = (self.base_env.get(k), top)
            after = self._state()
            for k in sorted(set(after) & set(before)):
                if after[k] != before[k]:
                    self.changed.append("%s: %s" % (name, k))
            self._root = None
        return None

    def done(self):
        """Stops recording and remembers the random generators made."""
        import builtins
        import gc
        import random
        import warnings

        builtins.__import__ = self._import
        warnings._add_filter = self._add_filter
        for f in self.base_filters:
            self.owner.pop(id(f), None)
        self.filters = list(warnings.filters)  # keeps the ids valid
        _PRELOADED_RANDOMS[:] = [o for o in gc.get_objects() if isinstance(o, random.Random) and o is not random._inst]

    def reach(self, want):
        """The top-level packages importing want reaches."""
        seen = set()
        todo = [m.split(".")[0] for m in want]
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(self.edges.get(p, ()))
        return seen

    def reset(self, want):
        """Makes this (child) interpreter's warnings filters and environment
        those of a fresh one that imported want."""
        import warnings

        reached = self.reach(want)
        warnings.filters[:] = [f for f in self.filters if self.owner.get(id(f), "") in reached or id(f) not in self.owner]
        warnings._filters_mutated()
        for k, (value, pkg) in self.env.items():
            if pkg in reached:
                continue
            if value is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = value

    @staticmethod
    def _state():
        import locale
        import logging
        import signal
        import threading

        state = {
            "threads": threading.active_count(),
            "logging handlers": len(logging.getLogger().handlers),
            "locale": locale.setlocale(locale.LC_ALL, None),
            "recursion limit": sys.getrecursionlimit(),
            "umask": os.umask(os.umask(0o22)),
        }
        for n in range(1, signal.NSIG):
            try:
                state["signal %d" % n] = signal.getsignal(n)
            except (ValueError, OSError):
                pass
        if "numpy" in sys.modules:
            state["numpy error state"] = sorted(sys.modules["numpy"].geterr().items())
        return state


def _worker_wait(pid, sock, receive):
    """Wait for the child, obeying kill messages meanwhile."""
    import select

    pidfd = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([pidfd, sock], [], [])
            if sock in ready:
                msg, fds = receive()
                for fd in fds:
                    os.close(fd)
                if msg is None:
                    os._exit(0)
                if msg.get("t") == "kill":
                    _kill_child(pid)
            if pidfd in ready:
                _, ws = os.waitpid(pid, 0)
                if os.WIFSIGNALED(ws):
                    return {"exit": -1, "signal": os.WTERMSIG(ws)}
                return {"exit": os.WEXITSTATUS(ws), "signal": 0}
    finally:
        os.close(pidfd)


def _kill_child(pid):
    import signal

    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap():
    """Collect any other finished children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _leaks(home):
    """What a job left behind in the worker's namespace that could reach the
    next job; "" when nothing. Files in the private /tmp, /var/tmp and
    /dev/shm are removed (the next job then finds what a fresh run would);
    what cannot be removed, live processes and System V IPC objects are
    reported, and the parent replaces the worker. Only meaningful where the
    worker has a private /tmp and /proc (the parent only asks then)."""
    import shutil

    found = []
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            names = [n for n in os.listdir(d) if os.path.join(d, n) != home]
        except OSError:
            continue
        for n in names:
            p = os.path.join(d, n)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.remove(p)
            except OSError:
                found.append(p)
    me = str(os.getpid())
    try:
        others = [p for p in os.listdir("/proc") if p.isdigit() and p not in (me, "1")]
    except OSError:
        others = []
    if others:
        found.append("processes: " + ", ".join(others[:5]))
    for kind in ("shm", "sem", "msg"):
        try:
            with open("/proc/sysvipc/" + kind) as f:
                if len(f.readlines()) > 1:
                    found.append("System V " + kind)
        except OSError:
            pass
    return "; ".join(found[:10])


def _worker_child(head, fds, work, uid, hardening):
    """Become the process a fresh run would have been, then read the job and
    run it."""
    import random
    import tempfile

    job_fd, out_fd, chan_fd = fds[:3]
    os.setpgid(0, 0)
    for fd in fds[3:]:
        os.write(fd, b"0")  # "the writing process": this child joins the run's cgroup
        os.close(fd)
    namespaces, drop_caps, seccomp = hardening
    try:
        _own_namespaces(namespaces)
    except OSError as e:
        _child_failed(out_fd, "make the job's namespaces", e)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.dup2(chan_fd, 3)
    os.dup2(job_fd, 4)
    os.closerange(5, 1 << 16)
    os.chdir(work)
    os.environ["HOME"] = work
    os.environ["TMPDIR"] = head.get("tmp") or work
    tempfile.tempdir = None
    sys.argv = ["-c"]
    _apply_rlimits(head.get("rlimits"))
    try:
        libc = _libc() if (drop_caps or seccomp) else None
        if drop_caps:
            _drop_bounding_set(libc)
        if uid >= 0:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        elif drop_caps:
            _clear_capabilities(libc)
        if seccomp:
            _install_seccomp(libc, seccomp)
    except OSError as e:
        _child_failed(1, "drop privileges", e)
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    for r in _PRELOADED_RANDOMS:
        r.seed()
    import time

    started = time.monotonic()
    job = _read_job(4)
    os.close(4)
    job["_started"] = started
    fd = _channel_fd(3)
    output = _Output(1)
    _serve(job, fd, output)


def _child_failed(fd, what, e):
    """A child that cannot set itself up says so on the job's output and
    exits with 71 (the parent reports a crash with that output)."""
    try:
        os.write(fd, ("ccw sandbox: a warm worker's child could not %s: %s\n" % (what, e)).encode())
    finally:
        os._exit(71)


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(libc, result, what):
    import ctypes

    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def _own_namespaces(names):
    """Moves this child into new IPC and network namespaces (with loopback
    up), so that no message queue, semaphore or socket state of one job
    reaches the next."""
    if not names:
        return
    import fcntl
    import socket
    import struct

    flags = 0
    if "ipc" in names:
        flags |= 0x08000000  # CLONE_NEWIPC
    if "net" in names:
        flags |= 0x40000000  # CLONE_NEWNET
    libc = _libc()
    _check(libc, libc.unshare(flags), "unshare")
    if "net" in names:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            req = struct.pack("16sH22x", b"lo", 0)
            got = struct.unpack("16sH22x", fcntl.ioctl(s, 0x8913, req))[1]  # SIOCGIFFLAGS
            fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", got | 0x1 | 0x40))  # SIOCSIFFLAGS: UP, RUNNING


def _drop_bounding_set(libc):
    """Empties the capability bounding and ambient sets, as the init does
    for a fresh run."""
    import ctypes

    last = 40
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        pass
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    for cap in range(last + 1):
        _check(libc, prctl(24, cap, 0, 0, 0), "drop capability %d" % cap)  # PR_CAPBSET_DROP
    prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL


def _clear_capabilities(libc):
    """Clears this process's own capabilities, for a child that stays root
    in its user namespace (ccw not run as root)."""
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    _check(libc, libc.capset(ctypes.byref(header), data), "capset")


def _install_seccomp(libc, program):
    """Sets no_new_privs and installs the sandbox's seccomp filter (the
    struct sock_filter array the parent built)."""
    import ctypes

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(program, len(program))
    prog = Fprog(len(program) // 8, ctypes.addressof(buf))
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _check(libc, prctl(38, 1, 0, 0, 0), "no_new_privs")  # PR_SET_NO_NEW_PRIVS
    _check(libc, prctl(22, 2, ctypes.addressof(prog), 0, 0), "seccomp")  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
