package pytool

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one running helper process, wherever it runs.
type proc struct {
	stdin  io.WriteCloser
	lines  chan []byte // response lines; closed at end of output
	stderr *tail
	kill   func()
	done   chan struct{} // closed once the process has ended
	ending string        // after done: how it ended, in words
	signal syscall.Signal
	oom    bool
	python string // version from the hello line
	pid    int    // local helpers: the process id (tests kill it)
	idle   *time.Timer
}

// startedHook, when set (by tests), learns the pid of every local helper.
var startedHook func(pid int)

// startupTimeout bounds the wait for a new helper's hello line.
const startupTimeout = 30 * time.Second

// errTooLong is a response line over the bound.
var errTooLong = errors.New("response line too long")

// readLines sends every line of r to p.lines, and closes it at the end, at
// a read error or at a line longer than max.
func (p *proc) readLines(r io.Reader, max int) {
	defer close(p.lines)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		var line []byte
		for {
			chunk, err := br.ReadSlice('\n')
			line = append(line, chunk...)
			if len(line) > max {
				p.kill()
				return
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return
			}
			break
		}
		p.lines <- line
	}
}

// handshake waits for the hello line.
func (p *proc) handshake() error {
	t := time.NewTimer(startupTimeout)
	defer t.Stop()
	select {
	case line, ok := <-p.lines:
		var h hello
		if ok && json.Unmarshal(line, &h) == nil && h.Ready {
			p.python = h.Python
			return nil
		}
		p.kill()
		<-p.done
		return fmt.Errorf("the helper did not start (%s): %s", p.ending, p.stderr.String())
	case <-t.C:
		p.kill()
		<-p.done
		return fmt.Errorf("the helper sent nothing in %s: %s", startupTimeout, p.stderr.String())
	}
}

// stop ends the process: stdin closed (the helper exits at end of input),
// then killed, and waits for it.
func (p *proc) stop() {
	p.stdin.Close()
	p.kill()
	<-p.done
}

// startLocal runs the helper with the interpreter at python on this host:
// isolated mode without site (-I -S), an empty environment, cwd /, its own
// process group.
func startLocal(python string, o Options) (*proc, error) {
	cmd := exec.Command(python, append([]string{"-I", "-S", "-c", helperSource}, o.args()...)...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{stdin: stdin, lines: make(chan []byte, 1), stderr: &tail{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", python, err)
	}
	p.pid = cmd.Process.Pid
	if startedHook != nil {
		startedHook(p.pid)
	}
	var once sync.Once
	p.kill = func() {
		once.Do(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	}
	go p.readLines(stdout, o.maxLine())
	go func() {
		err := cmd.Wait()
		p.ending = "exited"
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.ending = ee.Error()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.signal = ws.Signal()
			}
		}
		close(p.done)
	}()
	if err := p.handshake(); err != nil {
		return nil, fmt.Errorf("%s: %w", python, err)
	}
	return p, nil
}

// tail keeps the last max bytes written to it (a helper's stderr).
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(bytes.TrimSpace(t.buf))
	if s == "" {
		return "no output on stderr"
	}
	return s
}
