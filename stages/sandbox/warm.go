package sandbox

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// workerStart bounds the start of a warm worker (imports included).
const workerStart = 2 * time.Minute

// warm runs each job in a child forked from a long-lived worker that has
// already imported the heavy libraries: one worker per slot, each in the
// same namespaces a fresh run gets; every child joins its own cgroup, gets
// a fresh work dir and the limits, and drops to nobody before any job code
// runs. A worker is replaced after Config.Recycle runs, when a run leaked
// anything (a file in the private /tmp, a process, an IPC object), and
// after any run it had to kill from the outside.
type warm struct {
	cfg  Config
	iso  *isolation
	idle chan *worker
	seq  atomic.Int64

	mu     sync.Mutex
	live   map[*worker]bool
	closed bool
}

var warnPreload, warnChanged sync.Once

func newWarm(c Config) (*warm, error) {
	if _, err := os.Stat(c.Python); err != nil {
		return nil, fmt.Errorf("python interpreter: %w", err)
	}
	b := &warm{cfg: c, idle: make(chan *worker, c.Slots+c.Lend), live: map[*worker]bool{}}
	b.iso = &isolation{}
	if c.Isolation != "none" {
		iso, err := openIsolation(c)
		if err != nil {
			return nil, err
		}
		b.iso = iso
	}
	return b, nil
}

// worker is one warm Python worker and the channels to it.
type worker struct {
	proc    *initProc
	ctl     *net.UnixConn
	msgs    chan workerMsg
	dead    chan struct{} // closed when the control socket ends
	group   *runGroup     // the worker's own cgroup
	out     *capture      // the worker's own stderr, for messages
	hostDir string        // a home dir made on the host (no private /tmp)
	runs    int
}

// workerMsg is one line the worker writes on its control socket.
type workerMsg struct {
	T      string   `json:"t"`
	Pid    int      `json:"pid"`
	Exit   int      `json:"exit"`
	Signal int      `json:"signal"`
	Leak   string   `json:"leak"`
	Failed []string `json:"failed"`
	// Changed names interpreter state a preload changed that children
	// cannot reset ("module: what").
	Changed []string `json:"changed"`
}

// get returns an idle worker, or starts one.
func (b *warm) get(l Limits) (*worker, error) {
	for {
		select {
		case w := <-b.idle:
			select {
			case <-w.dead:
				b.destroy(w)
				continue
			default:
				return w, nil
			}
		default:
			return b.start(l)
		}
	}
}

// put returns w to the pool, or destroys it when it must be replaced.
func (b *warm) put(w *worker, replace bool) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if replace || closed || w.runs >= b.cfg.Recycle {
		b.destroy(w)
		return
	}
	select {
	case b.idle <- w:
	default:
		b.destroy(w)
	}
}

func (b *warm) start(l Limits) (*worker, error) {
	n := b.seq.Add(1)
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ctl"), os.NewFile(uintptr(fds[1]), "ctl-worker")
	defer theirs.Close()
	fc, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	w := &worker{ctl: fc.(*net.UnixConn), msgs: make(chan workerMsg, 4), dead: make(chan struct{})}
	home := "/tmp/ccw-worker-" + strconv.FormatInt(n, 10)
	if !b.iso.privateMounts() {
		if home, err = makeWorkDir(workBase()); err != nil {
			w.ctl.Close()
			return nil, err
		}
		w.hostDir = home
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		b.destroy(w)
		return nil, err
	}
	defer devnull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		b.destroy(w)
		return nil, fmt.Errorf("pipe: %w", err)
	}
	defer outW.Close()
	w.out = &capture{max: 64 << 10}
	go func() { w.out.read(outR); outR.Close() }()
	tmp := "/tmp"
	if w.hostDir != "" {
		tmp = home
	}
	env := append(scrubbedEnv(home, tmp), "CCW_PRELOAD="+strings.Join(b.cfg.Preload, ","))
	if b.iso.user {
		env = append(env, "CCW_UID="+strconv.Itoa(nobody))
	}
	if b.iso.privateMounts() {
		env = append(env, "CCW_LEAKCHECK=1")
	}
	env = append(env, b.childHardening(l)...)
	argv := []string{b.cfg.Python, "-I", "-c", harnessSource, "worker"}
	files := initFiles{stdin: devnull, out: outW, fd3: theirs}
	if b.iso.cg != nil {
		if w.group, err = b.iso.cg.newGroup(l); err != nil {
			b.destroy(w)
			return nil, err
		}
	}
	if err := b.launch(w, argv, env, home, l, files); err != nil {
		b.destroy(w)
		return nil, err
	}
	theirs.Close() // now only the worker holds its end: its death ends the socket
	go w.readMessages()
	select {
	case m := <-w.msgs:
		if m.T != "ready" {
			b.destroy(w)
			return nil, fmt.Errorf("warm worker said %q before it was ready", m.T)
		}
		if len(m.Failed) > 0 {
			warnPreload.Do(func() {
				fmt.Fprintf(Warnings, "ccw: warning: warm sandbox workers could not preload %s; runs import them themselves\n", strings.Join(m.Failed, "; "))
			})
		}
		if len(m.Changed) > 0 {
			warnChanged.Do(func() {
				fmt.Fprintf(Warnings, "ccw: warning: preloading in warm sandbox workers changed what runs cannot reset (%s); a fresh interpreter would not have it\n", strings.Join(m.Changed, "; "))
			})
		}
	case <-w.dead:
		b.destroy(w)
		return nil, fmt.Errorf("warm worker died while starting: %s", strings.TrimSpace(w.out.text()))
	case <-time.After(workerStart):
		b.destroy(w)
		return nil, fmt.Errorf("warm worker not ready after %s", workerStart)
	}
	b.mu.Lock()
	b.live[w] = true
	b.mu.Unlock()
	return w, nil
}

// childHardening is what the worker's children set up for each job
// (worker.py): their own IPC and network namespaces, an empty capability
// set, and no_new_privs with the seccomp filter, as far as the probe found
// them available.
func (b *warm) childHardening(l Limits) []string {
	var env []string
	var ns []string
	if b.iso.flags&syscall.CLONE_NEWIPC != 0 {
		ns = append(ns, "ipc")
	}
	if b.iso.flags&syscall.CLONE_NEWNET != 0 && !l.Network {
		ns = append(ns, "net")
	}
	if len(ns) > 0 {
		env = append(env, "CCW_JOB_NAMESPACES="+strings.Join(ns, ","))
	}
	if b.iso.caps {
		env = append(env, "CCW_DROP_CAPS=1")
	}
	if b.iso.seccomp {
		env = append(env, "CCW_SECCOMP="+hex.EncodeToString(seccompBytes()))
	}
	return env
}

// launch starts the worker process: through our init when we have one.
func (b *warm) launch(w *worker, argv, env []string, home string, l Limits, f initFiles) error {
	if !b.iso.viaInit {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = home, env
		cmd.Stdin, cmd.Stdout, cmd.Stderr = f.stdin, f.out, f.out
		cmd.ExtraFiles = []*os.File{f.fd3}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", argv[0], err)
		}
		if w.group != nil {
			w.group.add(cmd.Process.Pid)
		}
		w.proc = &initProc{cmd: cmd, group: w.group}
		go cmd.Wait()
		return nil
	}
	// The worker stays root inside its namespaces so that it can make each
	// child's work dir, namespaces and cgroup membership; children drop
	// their capabilities, become nobody and install the seccomp filter
	// themselves (worker.py).
	spec := initSpec{Argv: argv, Env: env, Dir: home, UID: -1, GID: -1, Rlimits: map[string]int64{"core": 0}}
	b.iso.spec(&spec, l)
	p, err := startInit(spec, b.iso.cloneFlags(l), b.iso.idmap, f, w.group)
	if err != nil {
		return err
	}
	w.proc = p
	go p.cmd.Wait()
	return nil
}

func (w *worker) readMessages() {
	defer close(w.dead)
	sc := bufio.NewScanner(w.ctl)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m workerMsg
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			w.msgs <- m
		}
	}
}

// send writes one framed message, with fds attached to its first bytes.
func (w *worker) send(body []byte, fds ...*os.File) error {
	head := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	var oob []byte
	if len(fds) > 0 {
		ints := make([]int, len(fds))
		for i, f := range fds {
			ints[i] = int(f.Fd())
		}
		oob = syscall.UnixRights(ints...)
	}
	w.ctl.SetWriteDeadline(time.Now().Add(dockerOp))
	if _, _, err := w.ctl.WriteMsgUnix(head, oob, nil); err != nil {
		return fmt.Errorf("send to warm worker: %w", err)
	}
	if _, err := w.ctl.Write(body); err != nil {
		return fmt.Errorf("send to warm worker: %w", err)
	}
	return nil
}

func (b *warm) destroy(w *worker) {
	if w.proc != nil {
		w.proc.kill()
		if w.proc.statusR != nil {
			w.proc.statusR.Close()
		}
	}
	w.ctl.Close()
	if w.group != nil {
		w.group.remove()
	}
	if w.hostDir != "" {
		removeWorkDir(w.hostDir)
	}
	b.mu.Lock()
	delete(b.live, w)
	b.mu.Unlock()
}

func (b *warm) close() error {
	b.mu.Lock()
	b.closed = true
	var ws []*worker
	for w := range b.live {
		ws = append(ws, w)
	}
	b.mu.Unlock()
	for _, w := range ws {
		b.destroy(w)
	}
	b.iso.release()
	return nil
}
