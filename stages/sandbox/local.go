package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// local runs each job in a fresh interpreter: a child process in its own
// namespaces, cgroup and process group (as far as the machine allows), as an
// unprivileged user, in a private work dir that is its cwd, HOME and TMPDIR,
// with a scrubbed environment.
type local struct {
	cfg  Config
	base string     // where work dirs are made
	iso  *isolation // nil: a plain child process (isolation = "none")

	mu      sync.Mutex
	running map[*initProc]bool // killed by close
}

func newLocal(c Config) (*local, error) {
	if _, err := os.Stat(c.Python); err != nil {
		return nil, fmt.Errorf("python interpreter: %w", err)
	}
	b := &local{cfg: c, base: workBase(), running: map[*initProc]bool{}}
	if c.Isolation != "none" {
		iso, err := openIsolation(c)
		if err != nil {
			return nil, err
		}
		b.iso = iso
	}
	return b, nil
}

// close kills the runs in flight.
func (b *local) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for p := range b.running {
		p.kill()
	}
	b.iso.release()
	return nil
}

// drainWait bounds how long the streams are read after the process ended.
const drainWait = 2 * time.Second

// pollEvery is how often a run's cgroup counters are looked at.
const pollEvery = 50 * time.Millisecond

func (b *local) run(ctx context.Context, j Job, l Limits) (Result, error) {
	start := time.Now()
	nonce := newNonce()
	dir, tmp := "", ""
	if b.iso.privateMounts() {
		// The init makes it in the run's private /tmp, which ends with the
		// run: nothing is made on the host.
		dir, tmp = "/tmp/"+workDirName(nonce), "/tmp"
	} else {
		var err error
		if dir, err = makeWorkDir(b.base); err != nil {
			return Result{}, err
		}
		defer removeWorkDir(dir)
		tmp = dir
	}
	var err error
	var group *runGroup
	if b.iso != nil && b.iso.cg != nil {
		if group, err = b.iso.cg.newGroup(l); err != nil {
			return Result{}, err
		}
		defer group.remove()
	}
	job, err := encodeJob(j, l, nonce, harnessRlimits(l, group != nil), "")
	if err != nil {
		return Result{}, err
	}
	p, err := newPipes()
	if err != nil {
		return Result{}, err
	}
	defer p.closeAll()
	proc, err := b.start(dir, tmp, l, p, group)
	if err != nil {
		return Result{}, err
	}
	p.closeChildEnds()
	m := marks{start: start, sent: time.Now()}
	b.mu.Lock()
	b.running[proc] = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.running, proc)
		b.mu.Unlock()
	}()

	w := newWatch(nonce, l, b.cfg.Fidelity)
	w.follow(p.resR, p.outR)
	go func() {
		p.jobW.Write(job) // EPIPE when the child died early: its exit tells why
		p.jobW.Close()
	}()
	waited := make(chan struct{})
	go func() { proc.cmd.Wait(); close(waited) }()
	if group != nil {
		watchCPU(ctx, group.cpu, l.Memory, waited)
	}
	// A killed process always ends: the grace is only a bound.
	sup := supervision{limits: l, watch: w, ended: waited, pidsHit: group.forkRefused, kill: proc.kill, grace: killWait}
	killedAt, err := sup.await(ctx)
	if err != nil && !errors.Is(err, errNotEnded) {
		w.stop(drainWait, p.unblock)
		return Result{}, err
	}
	proc.kill() // whatever the program left behind
	w.stop(drainWait, p.unblock)
	var end ending
	if killedAt != "" {
		end = limitEnding(killedAt, l)
	} else if end, err = proc.ending(group, l); err != nil {
		return Result{}, err
	}
	r := w.result(end)
	blamePids(&r, group.forkRefused())
	r.Output = w.out.text()
	w.coll.mark(&m)
	m.end = time.Now()
	r.Duration, r.Phases = m.end.Sub(start), m.phases()
	return r, nil
}

// start launches python for one run: through our init when the binary has
// one, otherwise as a plain child in its own process group.
func (b *local) start(dir, tmp string, l Limits, p *pipes, group *runGroup) (*initProc, error) {
	argv := []string{b.cfg.Python, "-I", "-c", harnessSource}
	if b.iso == nil || !b.iso.viaInit {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		cmd.Env = scrubbedEnv(dir, tmp)
		cmd.Stdin = p.jobR
		cmd.Stdout = p.outW
		cmd.Stderr = p.outW
		cmd.ExtraFiles = []*os.File{p.resW}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", b.cfg.Python, err)
		}
		if group != nil {
			group.add(cmd.Process.Pid)
		}
		return &initProc{cmd: cmd, group: group}, nil
	}
	iso := b.iso
	spec := initSpec{
		Argv: argv, Env: scrubbedEnv(dir, tmp), Dir: dir, UID: -1, GID: -1,
		Rlimits: initRlimits(l, group != nil), Caps: iso.caps, Seccomp: iso.seccomp,
	}
	if iso.user {
		spec.UID, spec.GID = nobody, nobody
	}
	iso.spec(&spec, l)
	return startInit(spec, iso.cloneFlags(l), iso.idmap, p.files(), group)
}

// ending is how a run ends when its process exited by itself before the
// harness sent its verdict (if it did send it, the ending is not used). An
// error means the init could not set the run up.
func (x *initProc) ending(group *runGroup, l Limits) (ending, error) {
	ws, _ := x.cmd.ProcessState.Sys().(syscall.WaitStatus)
	sig, code := ws.Signal(), ws.ExitStatus()
	if x.statusR != nil {
		st, err := x.status()
		switch {
		case err == nil && st.Error != "":
			return ending{}, fmt.Errorf("sandbox init: %s", st.Error)
		case err == nil:
			sig, code = syscall.Signal(st.Signal), st.Exit
		case ws.Signaled():
			// The init itself was killed, not by us: the OOM killer or the
			// program (when it may signal the init).
		default:
			return ending{}, err
		}
	}
	if sig < 0 { // not signalled
		sig = 0
	}
	return exitStatusEnding(code, sig, group, l), nil
}

// initRlimits are the rlimits the init sets before python starts: no core
// files, the file-size limit, and the process limit when no cgroup does it.
func initRlimits(l Limits, cgroup bool) map[string]int64 {
	m := map[string]int64{"core": 0}
	if l.FileSize > 0 {
		m["fsize"] = l.FileSize
	}
	if l.Pids > 0 && !cgroup {
		m["nproc"] = l.Pids
	}
	return m
}

// harnessRlimits are the rlimits the harness sets itself: the same as the
// init's (harmless when already set), plus the address-space cap that stands
// in for the memory limit when no cgroup enforces it.
func harnessRlimits(l Limits, cgroup bool) map[string]int64 {
	m := initRlimits(l, cgroup)
	if l.Memory > 0 && !cgroup {
		m["as"] = l.Memory
	}
	return m
}
