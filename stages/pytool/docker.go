package pytool

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// LabelHelper labels the containers that run a helper; its value is
// "pid@host" of the ccw that started them. A container ends by itself when
// that ccw goes away: its stdin closes, the helper exits and the engine
// removes it.
const LabelHelper = "dev.ccw.pytool.helper"

// dockerOp bounds each call to the engine.
const dockerOp = 30 * time.Second

// dockerStarter starts helper containers of one image.
type dockerStarter struct {
	it  Interpreter
	o   Options
	mu  sync.Mutex
	cli *client.Client
}

func (d *dockerStarter) client(ctx context.Context) (*client.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli != nil {
		return d.cli, nil
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("the Docker engine does not answer: %w", err)
	}
	if _, err := cli.ImageInspect(ctx, d.it.Image); err != nil {
		cli.Close()
		return nil, fmt.Errorf("image %q is not on this Docker engine: %w", d.it.Image, err)
	}
	d.cli = cli
	return cli, nil
}

func (d *dockerStarter) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli != nil {
		d.cli.Close()
		d.cli = nil
	}
}

// containerConfig is the helper's container: no network, read-only root,
// no capabilities, nobody, the memory limit and a handful of pids, stdin
// kept open for requests, removed by the engine when it ends.
func (d *dockerStarter) containerConfig() (*container.Config, *container.HostConfig) {
	init := true
	pids := int64(16)
	hc := &container.HostConfig{
		NetworkMode:    "none",
		ReadonlyRootfs: true,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		LogConfig:      container.LogConfig{Type: "none"},
		AutoRemove:     true,
		Init:           &init,
	}
	hc.Resources.Memory = d.o.Memory + 64<<20 // the address-space limit inside acts first
	hc.Resources.MemorySwap = hc.Resources.Memory
	hc.Resources.PidsLimit = &pids
	hc.Resources.Ulimits = []*container.Ulimit{{Name: "core", Soft: 0, Hard: 0}}
	for _, m := range d.it.Mounts {
		if !strings.HasSuffix(m, ":ro") {
			m += ":ro"
		}
		hc.Binds = append(hc.Binds, m)
	}
	host, _ := os.Hostname()
	cfg := &container.Config{
		Image:        d.it.Image,
		Cmd:          append([]string{d.it.Python, "-I", "-S", "-c", helperSource}, d.o.args()...),
		Entrypoint:   []string{},
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		WorkingDir:   "/",
		User:         "65534:65534",
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		OpenStdin:    true,
		StdinOnce:    true,
		Labels:       map[string]string{LabelHelper: strconv.Itoa(os.Getpid()) + "@" + host},
	}
	return cfg, hc
}

// start creates, attaches and starts one helper container.
func (d *dockerStarter) start() (*proc, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	cli, err := d.client(ctx)
	if err != nil {
		return nil, err
	}
	cfg, hc := d.containerConfig()
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return nil, fmt.Errorf("create helper container: %w", err)
	}
	id := res.ID
	remove := func() {
		ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
		defer cancel()
		cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	}
	att, err := cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		remove()
		return nil, fmt.Errorf("attach helper container: %w", err)
	}
	wait := cli.ContainerWait(context.Background(), id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		att.Close()
		remove()
		return nil, fmt.Errorf("start helper container: %w", err)
	}
	p := &proc{stdin: &attachedStdin{&att}, lines: make(chan []byte, 1), stderr: &tail{max: 8 << 10}, done: make(chan struct{})}
	var once sync.Once
	p.kill = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
			defer cancel()
			cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
		})
	}
	stdout, stdoutW := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(stdoutW, p.stderr, att.Reader)
		stdoutW.CloseWithError(err)
	}()
	go p.readLines(stdout, d.o.maxLine())
	go func() {
		select {
		case r := <-wait.Result:
			p.ending = "exit status " + strconv.FormatInt(r.StatusCode, 10)
			if r.StatusCode > 128 && r.StatusCode < 128+65 {
				p.signal = syscall.Signal(r.StatusCode - 128)
				p.ending = "killed by " + p.signal.String()
			}
		case err := <-wait.Error:
			p.ending = "lost: " + err.Error()
		}
		att.Close()
		close(p.done)
	}()
	if err := p.handshake(); err != nil {
		return nil, fmt.Errorf("image %s, %s: %w", d.it.Image, d.it.Python, err)
	}
	return p, nil
}

// attachedStdin writes to a container's attached stdin; Close half-closes.
type attachedStdin struct{ att *client.ContainerAttachResult }

func (a *attachedStdin) Write(b []byte) (int, error) { return a.att.Conn.Write(b) }
func (a *attachedStdin) Close() error                { return a.att.CloseWrite() }
