package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// local runs each job in a fresh interpreter: a child process in its own
// process group, in a private work dir that is its cwd, HOME and TMPDIR,
// with a scrubbed environment.
type local struct {
	cfg  Config
	base string // where work dirs are made
}

func newLocal(c Config) (*local, error) {
	if _, err := os.Stat(c.Python); err != nil {
		return nil, fmt.Errorf("python interpreter: %w", err)
	}
	return &local{cfg: c, base: os.TempDir()}, nil
}

func (b *local) close() error { return nil }

// drainWait bounds how long the streams are read after the process ended.
const drainWait = 2 * time.Second

func (b *local) run(ctx context.Context, j Job, l Limits) (Result, error) {
	start := time.Now()
	dir, err := makeWorkDir(b.base)
	if err != nil {
		return Result{}, err
	}
	defer removeWorkDir(dir)
	nonce := newNonce()
	job, err := encodeJob(j, l, nonce, true)
	if err != nil {
		return Result{}, err
	}
	p, err := newPipes()
	if err != nil {
		return Result{}, err
	}
	defer p.closeAll()

	cmd := exec.Command(b.cfg.Python, "-I", "-c", harnessSource)
	cmd.Dir = dir
	cmd.Env = scrubbedEnv(dir)
	cmd.Stdin = p.jobR
	cmd.Stdout = p.outW
	cmd.Stderr = p.outW
	cmd.ExtraFiles = []*os.File{p.resW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", b.cfg.Python, err)
	}
	p.closeChildEnds()

	w := newWatch(nonce, l)
	w.follow(p.resR, p.outR)
	go func() {
		p.jobW.Write(job) // EPIPE when the child died early: its exit tells why
		p.jobW.Close()
	}()

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	killGroup := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

	var end ending
	timer := time.NewTimer(l.Timeout)
	defer timer.Stop()
	select {
	case <-waited:
		end = exitEnding(cmd.ProcessState)
	case <-timer.C:
		end = limitEnding("wall", l)
		killGroup()
		<-waited
	case limit := <-w.kill:
		end = limitEnding(limit, l)
		killGroup()
		<-waited
	case <-ctx.Done():
		killGroup()
		<-waited
		w.stop(p, drainWait)
		return Result{}, fmt.Errorf("run cancelled: %w", ctx.Err())
	}
	killGroup() // whatever the program left running in its group
	w.stop(p, drainWait)
	r := w.coll.result(end)
	r.Output = w.out.text()
	r.Duration = time.Since(start)
	return r, nil
}

// pipes are the three channels between us and a harness process.
type pipes struct {
	jobR, jobW *os.File // the job, on the child's stdin
	outR, outW *os.File // the program's stdout and stderr
	resR, resW *os.File // the result channel (the child's fd 3)
}

func newPipes() (*pipes, error) {
	var p pipes
	var err error
	if p.jobR, p.jobW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	if p.outR, p.outW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	if p.resR, p.resW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return &p, nil
}

func (p *pipes) closeChildEnds() {
	for _, f := range []*os.File{p.jobR, p.outW, p.resW} {
		if f != nil {
			f.Close()
		}
	}
}

func (p *pipes) closeAll() {
	for _, f := range []*os.File{p.jobR, p.jobW, p.outR, p.outW, p.resR, p.resW} {
		if f != nil {
			f.Close()
		}
	}
}

// watch follows the two streams of a run: result frames and output.
type watch struct {
	coll *collector
	out  *capture
	kill chan string // a limit the streams saw broken ("output")
	wg   sync.WaitGroup
}

func newWatch(nonce string, l Limits) *watch {
	w := &watch{coll: newCollector(nonce), kill: make(chan string, 1)}
	w.out = &capture{max: l.Output, kill: l.OutputKill, over: func() {
		select {
		case w.kill <- "output":
		default:
		}
	}}
	return w
}

func (w *watch) follow(res, out *os.File) {
	w.wg.Add(2)
	go func() { defer w.wg.Done(); w.coll.read(res) }()
	go func() { defer w.wg.Done(); w.out.read(out) }()
}

// stop waits for both readers to reach EOF, but no longer than d: a process
// that escaped the kill may still hold the pipes open.
func (w *watch) stop(p *pipes, d time.Duration) {
	deadline := time.Now().Add(d)
	p.resR.SetReadDeadline(deadline)
	p.outR.SetReadDeadline(deadline)
	w.wg.Wait()
}

// limitEnding is how a run ends when we killed it at limit.
func limitEnding(limit string, l Limits) ending {
	switch limit {
	case "wall":
		return ending{Status: Timeout, Limit: "wall", Message: fmt.Sprintf("Timed out! (killed at the %s wall-time limit)", l.Timeout)}
	case "memory":
		return ending{Status: OOM, Limit: "memory", Message: fmt.Sprintf("killed: out of memory (limit %s)", FormatSize(l.Memory))}
	case "output":
		return ending{Status: Killed, Limit: "output", Message: fmt.Sprintf("killed: wrote more than %s of output", FormatSize(l.OutputKill))}
	case "pids":
		return ending{Status: Killed, Limit: "pids", Message: fmt.Sprintf("killed: reached the limit of %d processes/threads", l.Pids)}
	case "fsize":
		return ending{Status: Killed, Limit: "fsize", Message: fmt.Sprintf("killed: wrote a file larger than %s", FormatSize(l.FileSize))}
	}
	return ending{Status: Killed, Limit: limit, Message: "killed: limit " + limit}
}

// exitEnding is how a run ends when its process exited by itself before the
// harness sent its verdict (if it did send it, the ending is not used).
func exitEnding(ps *os.ProcessState) ending {
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled() && ws.Signal() == syscall.SIGXFSZ:
		return ending{Status: Killed, Limit: "fsize", Message: "killed: wrote past the file-size limit (SIGXFSZ)"}
	case ws.Signaled():
		return ending{Status: Crash, Message: fmt.Sprintf("crashed: the process died of signal %d (%s)", int(ws.Signal()), ws.Signal())}
	default:
		return ending{Status: Crash, Message: fmt.Sprintf("crashed: the process exited with status %d before the tests finished", ws.ExitStatus())}
	}
}
