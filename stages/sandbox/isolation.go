package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Warnings receives the one warning per process that says which isolation
// the local backend could not get. Set it before the first Run.
var Warnings io.Writer = os.Stderr

// nobody is the unprivileged user python runs as when we may switch users.
const nobody = 65534

const allNamespaces = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET |
	syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// isolation is what the local backend can use on this machine, found once
// per process by probing (starting the init and asking it).
type isolation struct {
	viaInit bool    // the binary runs our init (MaybeReexec is wired)
	flags   uintptr // namespaces to create
	idmap   idMap   // the user namespace the namespaces hang off, if any
	user    bool    // python can run as nobody
	root    bool    // runs get a minimal root (pivot_root)
	sysfs   bool    // ... with a /sys of their own network namespace
	caps    bool    // python starts with an empty capability bounding set
	seccomp bool    // ... no_new_privs and the seccomp filter
	cg      *cgroups
	missing []string // what is missing, for the warning
}

// idMap is how a run's user namespace maps users.
type idMap int

const (
	noUserns idMap = iota
	// selfMap maps our own uid (not root) to root inside: python keeps that
	// uid, without capabilities.
	selfMap
	// rangeMap (ccw runs as root) maps uids 0-65535 inside to an unused
	// range outside: root inside is nobody on the host, and python runs as
	// 65534 inside.
	rangeMap
)

// rangeBase is the first host uid and gid of rangeMap: high, so that no
// user or subordinate range of the host owns it.
const rangeBase = 0x7f000000

// Isolation describes, for people, what the local backend uses here.
func (iso *isolation) String() string {
	var have []string
	if iso.viaInit {
		have = append(have, "init re-exec (rlimits)")
	}
	for _, ns := range []struct {
		flag uintptr
		name string
	}{{syscall.CLONE_NEWNET, "network"}, {syscall.CLONE_NEWPID, "pid"}, {syscall.CLONE_NEWNS, "mount"}, {syscall.CLONE_NEWIPC, "ipc"}, {syscall.CLONE_NEWUTS, "uts"}} {
		if iso.flags&ns.flag != 0 {
			have = append(have, ns.name+" namespace")
		}
	}
	if iso.idmap != noUserns {
		have = append(have, "user namespace")
	}
	if iso.user {
		have = append(have, "uid nobody")
	}
	for _, l := range []struct {
		on   bool
		name string
	}{{iso.root, "minimal root"}, {iso.sysfs, "own /sys"}, {iso.caps, "no capabilities"}, {iso.seccomp, "no_new_privs and seccomp"}} {
		if l.on {
			have = append(have, l.name)
		}
	}
	if iso.cg != nil {
		have = append(have, fmt.Sprintf("cgroup v%d memory+pids", iso.cg.version))
	}
	if len(have) == 0 {
		return "none"
	}
	return strings.Join(have, ", ")
}

var (
	isoOnce   sync.Once
	isoFound  *isolation
	warnOnce  sync.Once
	probeWait = 10 * time.Second
)

// detectIsolation probes once per process.
func detectIsolation() *isolation {
	isoOnce.Do(func() { isoFound = probeIsolation() })
	return isoFound
}

func probeIsolation() *isolation {
	iso := &isolation{}
	cg, why := detectCgroups()
	iso.cg = cg
	if cg == nil {
		iso.missing = append(iso.missing, "memory and process limits per run ("+why+"; falling back to rlimits)")
	}
	if os.Getenv(initEnv) != "" {
		// We are ourselves an init that fell through to main: never recurse.
		iso.missing = append(iso.missing, "namespaces (this binary does not call sandbox.MaybeReexec)")
		return iso
	}
	root := os.Geteuid() == 0
	type candidate struct {
		flags uintptr
		idmap idMap
	}
	var cands []candidate
	if root {
		cands = append(cands, candidate{allNamespaces, rangeMap}, candidate{allNamespaces, noUserns})
	} else {
		cands = append(cands, candidate{allNamespaces, selfMap})
	}
	cands = append(cands, candidate{})
	var errs []string
	for i, c := range cands {
		st, err := probe(c.flags, c.idmap, root)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		iso.viaInit, iso.flags, iso.idmap, iso.user = true, c.flags, c.idmap, st.User
		iso.root, iso.sysfs, iso.caps, iso.seccomp = st.Root, st.Sysfs, st.Caps, st.Seccomp
		if root && i > 0 && c.flags != 0 {
			iso.missing = append(iso.missing, "a user namespace ("+errs[0]+"): root in the run is root on the host, limited by the other layers")
		}
		iso.missing = append(iso.missing, st.Missing...)
		break
	}
	if !iso.viaInit {
		iso.missing = append(iso.missing, "the init re-exec ("+strings.Join(errs, "; ")+"): no namespaces, no unprivileged user")
		return iso
	}
	if iso.flags == 0 {
		iso.missing = append(iso.missing, "network, pid, mount, ipc and uts namespaces ("+errs[len(errs)-1]+"): code can reach the network, see other processes and write where this user can")
	}
	if !iso.user {
		iso.missing = append(iso.missing, "an unprivileged user (not root): code runs as this user")
	}
	return iso
}

// openIsolation is what a local backend (fresh or warm) starts with: the
// isolation found for this process, refused when c asks for "strict" and a
// layer is missing, the one warning otherwise; its cgroups are held until
// release.
func openIsolation(c Config) (*isolation, error) {
	iso := detectIsolation()
	if c.Isolation == "strict" && len(iso.missing) > 0 {
		return nil, fmt.Errorf("isolation = \"strict\" but this machine lacks %s", strings.Join(iso.missing, "; "))
	}
	iso.warn()
	if iso.cg != nil {
		if err := iso.cg.acquire(); err != nil {
			return nil, err
		}
	}
	return iso, nil
}

// release lets go of what openIsolation held: the last backend of this
// process removes its cgroup parents.
func (iso *isolation) release() {
	if iso != nil && iso.cg != nil {
		iso.cg.release()
	}
}

// privateMounts says whether runs get a mount namespace, and with it a
// private /tmp, from our init.
func (iso *isolation) privateMounts() bool {
	return iso != nil && iso.viaInit && iso.flags&syscall.CLONE_NEWNS != 0
}

// spec fills in what every init of a run or worker sets up: the mounts,
// /proc, loopback, hostname and the layers the probe found.
func (iso *isolation) spec(s *initSpec, l Limits) {
	if iso.flags != 0 {
		s.Mounts, s.Root, s.Proc, s.Loopback, s.Hostname, s.Disk = true, iso.root, true, !l.Network, "ccw-sandbox", l.Disk
		s.Sysfs = iso.sysfs && !l.Network
	}
}

// cloneFlags are the namespaces of a run with limits l.
func (iso *isolation) cloneFlags(l Limits) uintptr {
	if l.Network {
		return iso.flags &^ syscall.CLONE_NEWNET
	}
	return iso.flags
}

// warn prints the single warning about missing isolation.
func (iso *isolation) warn() {
	if len(iso.missing) == 0 {
		return
	}
	warnOnce.Do(func() {
		fmt.Fprintf(Warnings, "ccw: warning: the local sandbox runs without %s. It uses: %s. Use the docker backend for stronger isolation.\n",
			strings.Join(iso.missing, "; "), iso.String())
	})
}

// probe starts the init in probe mode with the given namespaces, asking
// for every layer.
func probe(flags uintptr, idmap idMap, root bool) (initStatus, error) {
	dir, err := makeWorkDir(workBase())
	if err != nil {
		return initStatus{}, err
	}
	defer removeWorkDir(dir)
	spec := initSpec{Dir: dir, UID: -1, Probe: true, Caps: true, Seccomp: true}
	if flags != 0 {
		spec.Dir = "/tmp/" + filepath.Base(dir)
		spec.Mounts, spec.Root, spec.Sysfs, spec.Proc, spec.Loopback, spec.Hostname = true, true, true, true, true, "ccw-sandbox"
	}
	if root && idmap != selfMap {
		spec.UID, spec.GID = nobody, nobody
	}
	p, err := newPipes()
	if err != nil {
		return initStatus{}, err
	}
	defer p.closeAll()
	x, err := startInit(spec, flags, idmap, p.files(), nil)
	if err != nil {
		return initStatus{}, err
	}
	p.closeChildEnds()
	done := make(chan error, 1)
	go func() { done <- x.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(probeWait):
		x.kill()
		<-done
		return initStatus{}, fmt.Errorf("the init did not answer in %s", probeWait)
	}
	st, err := x.status()
	if err != nil {
		return st, err
	}
	if st.Error != "" {
		return st, fmt.Errorf("%s", st.Error)
	}
	return st, nil
}

// initProc is a started init and the channels to it.
type initProc struct {
	cmd     *exec.Cmd
	statusR *os.File
	group   *runGroup
}

// initFiles are what the init (and python after it) gets as fds 0-3.
type initFiles struct {
	stdin, out, fd3 *os.File
}

// files are the child's ends of p.
func (p *pipes) files() initFiles { return initFiles{stdin: p.jobR, out: p.outW, fd3: p.resW} }

// startInit re-executes this binary as the init of one run with the given
// namespaces, puts it into group, and sends it spec. The caller closes its
// copies of f.
func startInit(spec initSpec, flags uintptr, idmap idMap, f initFiles, group *runGroup) (*initProc, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	defer specR.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		specW.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	defer statusW.Close()
	cmd := exec.Command("/proc/self/exe", initArg)
	cmd.Env = []string{initEnv + "=1"}
	cmd.Stdin = f.stdin
	cmd.Stdout = f.out
	cmd.Stderr = f.out
	cmd.ExtraFiles = []*os.File{f.fd3, specR, statusW}
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Cloneflags: flags}
	switch idmap {
	case selfMap:
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	case rangeMap:
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: rangeBase, Size: 65536}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: rangeBase, Size: 65536}}
		attr.GidMappingsEnableSetgroups = true
		// Host root is not mapped: the init must become root inside (the
		// host's rangeBase) to keep its capabilities over its namespaces.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		specW.Close()
		statusR.Close()
		return nil, fmt.Errorf("start the sandbox init: %w", err)
	}
	if group != nil {
		// Before it reads its spec, and so before anything it starts.
		if err := group.add(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			specW.Close()
			statusR.Close()
			return nil, err
		}
	}
	b, _ := json.Marshal(spec)
	go func() {
		specW.Write(b)
		specW.Close()
	}()
	return &initProc{cmd: cmd, statusR: statusR, group: group}, nil
}

// kill ends the run: the init (which ends its PID namespace), its process
// group, and everything in its cgroup.
func (x *initProc) kill() {
	if x.cmd.Process != nil {
		syscall.Kill(-x.cmd.Process.Pid, syscall.SIGKILL)
		x.cmd.Process.Kill()
	}
	if x.group != nil {
		x.group.kill()
	}
}

// status reads what the init reported (after it exited).
func (x *initProc) status() (initStatus, error) {
	defer x.statusR.Close()
	x.statusR.SetReadDeadline(time.Now().Add(time.Second))
	b, _ := io.ReadAll(x.statusR)
	var st initStatus
	if len(b) == 0 {
		return st, fmt.Errorf("the sandbox init reported nothing (%s); does main call sandbox.MaybeReexec first?", x.cmd.ProcessState)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("the sandbox init reported %q: %w", b, err)
	}
	return st, nil
}
