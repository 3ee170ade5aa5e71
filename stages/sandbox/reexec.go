package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initArg is the hidden subcommand under which the ccw binary (or a test
// binary) runs as the init of a sandboxed run.
const initArg = "__ccw-sandbox-init"

// initEnv marks the environment of the init: a binary that does not call
// MaybeReexec and is started as an init anyway must not start sandboxes.
const initEnv = "CCW_SANDBOX_INIT"

// The init's file descriptors besides 0-2 (the job and the program's output).
const (
	initResultFD = 3 // the result channel, passed on to python as fd 3
	initSpecFD   = 4 // initSpec as JSON, until EOF
	initStatusFD = 5 // initStatus as JSON, written once at the end
)

// MaybeReexec runs the sandbox's init when this process was started as one
// (os.Args[1] is the hidden subcommand) and then exits; otherwise it returns
// at once. Call it first thing in main, and in TestMain of test binaries
// that run sandboxes: the local backend re-executes the current binary to
// set up namespaces, cgroups, rlimits and the unprivileged user before
// Python starts.
func MaybeReexec() {
	if len(os.Args) < 2 || os.Args[1] != initArg || os.Getenv(initEnv) == "" {
		return
	}
	os.Exit(initMain())
}

// initSpec tells the init what to set up and what to run. The parent puts
// the init into its cgroups before it sends the spec.
type initSpec struct {
	Argv     []string         `json:"argv"` // python and its arguments
	Env      []string         `json:"env"`
	Dir      string           `json:"dir"`      // the work dir: cwd and HOME
	Mounts   bool             `json:"mounts"`   // private tmpfs /tmp, /var/tmp, /dev/shm and work dir; read-only rest
	Root     bool             `json:"root"`     // with Mounts: a new root holding only /usr, /etc, /dev, /proc, /sys and the tmpfs dirs
	Proc     bool             `json:"proc"`     // mount a /proc of the new PID namespace
	Sysfs    bool             `json:"sysfs"`    // with Root: mount a /sys of the new network namespace
	Disk     int64            `json:"disk"`     // size of each private tmpfs
	Loopback bool             `json:"loopback"` // bring lo up in the new network namespace
	Hostname string           `json:"hostname"` // set in the new UTS namespace
	UID      int              `json:"uid"`      // run python as this uid/gid; -1 keeps ours
	GID      int              `json:"gid"`
	Rlimits  map[string]int64 `json:"rlimits"`
	// Caps empties the capability bounding set, Seccomp sets no_new_privs
	// and installs the seccomp filter, before python starts.
	Caps    bool `json:"caps"`
	Seccomp bool `json:"seccomp"`
	Probe   bool `json:"probe"` // set up, report, run nothing; layers that fail are left out
}

// initStatus is what the init reports.
type initStatus struct {
	Error  string `json:"error,omitempty"`  // set-up failed: an infrastructure error
	Exit   int    `json:"exit"`             // python's exit status
	Signal int    `json:"signal,omitempty"` // the signal that killed python
	// Probe results: what worked.
	Mounts, Root, Proc, Sysfs, Loopback, Hostname, User, Caps, Seccomp bool `json:",omitempty"`
	// Why an optional layer was left out (probe only).
	Missing []string `json:",omitempty"`
}

func initMain() int {
	// Only fds 0-3 may reach python: everything else we hold (the spec and
	// status pipes above all) closes on exec.
	closeOnExecFrom(initResultFD + 1)
	status := os.NewFile(initStatusFD, "status")
	report := func(st initStatus) int {
		b, _ := json.Marshal(st)
		status.Write(b)
		return 0
	}
	b, err := io.ReadAll(os.NewFile(initSpecFD, "spec"))
	if err != nil {
		return report(initStatus{Error: "read spec: " + err.Error()})
	}
	var spec initSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return report(initStatus{Error: "decode spec: " + err.Error()})
	}
	st, err := setUp(spec)
	if err != nil || spec.Probe {
		if err != nil {
			st.Error = err.Error()
		}
		return report(st)
	}
	pid, err := syscall.ForkExec(spec.Argv[0], spec.Argv, &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: []uintptr{0, 1, 2, initResultFD},
		Sys:   credential(spec),
	})
	if err != nil {
		return report(initStatus{Error: fmt.Sprintf("start %s: %v", spec.Argv[0], err)})
	}
	// Our copies of the streams must not keep them open after python ends.
	for _, fd := range []int{0, 1, 2, initResultFD} {
		syscall.Close(fd)
	}
	// Reap everything (orphans are re-parented to us when we are the PID
	// namespace's init) until python itself ends. Returning then ends the
	// namespace: the kernel kills whatever is left in it.
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return report(initStatus{Error: "wait: " + err.Error()})
		}
		if got != pid {
			continue
		}
		if ws.Signaled() {
			return report(initStatus{Signal: int(ws.Signal())})
		}
		return report(initStatus{Exit: ws.ExitStatus()})
	}
}

// closeOnExecFrom marks every open fd ≥ low close-on-exec.
func closeOnExecFrom(low int) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		for fd := low; fd < 1024; fd++ {
			syscall.CloseOnExec(fd)
		}
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= low {
			syscall.CloseOnExec(fd)
		}
	}
}

func credential(spec initSpec) *syscall.SysProcAttr {
	if spec.UID < 0 {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(spec.UID), Gid: uint32(spec.GID), Groups: []uint32{}}}
}

// setUp does everything the spec asks, in order, before python starts. In
// a probe, the optional layers (the new root, /sys, the hardening) that
// fail are left out and named in Missing; in a run every layer asked for
// must work.
func setUp(spec initSpec) (initStatus, error) {
	var st initStatus
	optional := func(layer string, err error) error {
		if err == nil || !spec.Probe {
			return err
		}
		st.Missing = append(st.Missing, layer+" ("+err.Error()+")")
		return nil
	}
	if spec.Mounts && spec.Root {
		sysErr, err := minimalRoot(spec)
		switch {
		case err != nil && !spec.Probe:
			return st, err
		case err != nil:
			st.Missing = append(st.Missing, "a minimal root ("+err.Error()+")")
		default:
			st.Root, st.Mounts, st.Proc = true, true, spec.Proc
			if spec.Sysfs {
				st.Sysfs = sysErr == nil
				if err := optional("a /sys of its own", sysErr); err != nil {
					return st, err
				}
			}
		}
	}
	if spec.Mounts && !st.Root {
		if err := privateMounts(spec); err != nil {
			return st, err
		}
		st.Mounts = true
	}
	if spec.Proc && !st.Proc {
		if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
			return st, fmt.Errorf("mount /proc: %w", err)
		}
		st.Proc = true
	}
	if spec.Loopback {
		if err := loopbackUp(); err != nil {
			return st, err
		}
		st.Loopback = true
	}
	if spec.Hostname != "" {
		if err := syscall.Sethostname([]byte(spec.Hostname)); err != nil {
			return st, fmt.Errorf("set hostname: %w", err)
		}
		st.Hostname = true
	}
	if spec.Dir != "" && spec.UID >= 0 {
		if err := os.Chown(spec.Dir, spec.UID, spec.GID); err != nil {
			return st, fmt.Errorf("give the work dir to uid %d: %w", spec.UID, err)
		}
	}
	if err := setRlimits(spec.Rlimits); err != nil {
		return st, err
	}
	if spec.Caps {
		err := dropBoundingSet()
		st.Caps = err == nil
		if err := optional("an empty capability set", err); err != nil {
			return st, err
		}
	}
	if spec.Seccomp {
		err := installSeccomp()
		st.Seccomp = err == nil
		if err := optional("no_new_privs and a seccomp filter", err); err != nil {
			return st, err
		}
	}
	if spec.Probe && spec.UID >= 0 {
		// Dropping privileges ends what this process may do; the probe does
		// it last, only to learn whether it works.
		if err := syscall.Setgroups(nil); err == nil {
			if err := syscall.Setgid(spec.GID); err == nil {
				st.User = syscall.Setuid(spec.UID) == nil
			}
		}
	}
	return st, nil
}

// dropBoundingSet empties the capability bounding set and the ambient set:
// whatever python and its children execute, no capability comes back (a
// process that stays uid 0 in its user namespace gets only what the bounding
// set allows at exec).
func dropBoundingSet() error {
	last := 40
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

// loopbackUp brings lo up, so that programs can talk to themselves over
// 127.0.0.1 in a network namespace that has nothing else.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: set up: %w", err)
	}
	return nil
}

var rlimitResources = map[string]int{
	"core":  unix.RLIMIT_CORE,
	"fsize": unix.RLIMIT_FSIZE,
	"nproc": unix.RLIMIT_NPROC,
	"as":    unix.RLIMIT_AS,
	"stack": unix.RLIMIT_STACK,
}

// setRlimits applies rlimits by name; python inherits them.
func setRlimits(m map[string]int64) error {
	for name, v := range m {
		res, ok := rlimitResources[name]
		if !ok {
			return fmt.Errorf("rlimit %q: unknown", name)
		}
		if v < 0 {
			continue
		}
		lim := unix.Rlimit{Cur: uint64(v), Max: uint64(v)}
		if err := unix.Setrlimit(res, &lim); err != nil {
			return fmt.Errorf("rlimit %s=%d: %w", name, v, err)
		}
	}
	return nil
}
