package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// LabelOwner labels every container the docker backend makes; its value
// names the ccw process that owns it ("host:pid:start-time"), so that a
// later ccw can remove the containers of one that was killed.
const LabelOwner = "dev.ccw.sandbox.owner"

// dockerTmp is the tmpfs that holds the work dir (cwd and HOME) inside a
// container, and TMPDIR. The engine gives a tmpfs the mode of the image's
// directory under it, and /tmp is world-writable in every image.
const dockerTmp = "/tmp"

// dockerOp bounds each call to the engine that is not the run itself.
const dockerOp = 30 * time.Second

// docker runs each job in a fresh container through the Docker Engine API:
// no network, memory and pids limits, read-only root, tmpfs work dir,
// unprivileged user, all capabilities dropped, and removed afterwards.
type docker struct {
	cfg   Config
	cli   *client.Client
	owner string
}

func newDocker(c Config) (*docker, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("the Docker engine does not answer (is dockerd running? .ci/docker.sh starts one): %w", err)
	}
	if _, err := cli.ImageInspect(ctx, c.Image); err != nil {
		cli.Close()
		return nil, fmt.Errorf("image %q is not on this Docker engine (pull or build it first): %w", c.Image, err)
	}
	d := &docker{cfg: c, cli: cli, owner: ownerID()}
	if err := d.sweep(ctx, false); err != nil {
		cli.Close()
		return nil, err
	}
	if info, err := cli.Info(ctx, client.InfoOptions{}); err == nil {
		if missing := dockerMissing(info.Info.SecurityOptions); len(missing) > 0 {
			if c.Isolation == "strict" {
				cli.Close()
				return nil, fmt.Errorf("isolation = \"strict\" but the Docker engine runs without %s", strings.Join(missing, "; "))
			}
			dockerWarn.Do(func() {
				fmt.Fprintf(Warnings, "ccw: warning: the docker sandbox runs without %s.\n", strings.Join(missing, "; "))
			})
		}
	}
	return d, nil
}

var dockerWarn sync.Once

// dockerMissing names the layers the engine does not give its containers,
// from its security options: a user namespace (dockerd --userns-remap) and
// a seccomp profile. Containers always run as 65534 with no capabilities,
// no_new_privs and private namespaces.
func dockerMissing(opts []string) []string {
	var userns, seccomp bool
	for _, o := range opts {
		userns = userns || strings.Contains(o, "name=userns")
		seccomp = seccomp || strings.Contains(o, "name=seccomp") && !strings.Contains(o, "profile=unconfined")
	}
	var missing []string
	if !userns {
		missing = append(missing, "a user namespace (dockerd is not started with --userns-remap: root in a container would be root on the host, and the containers run as uid 65534 without capabilities)")
	}
	if !seccomp {
		missing = append(missing, "a seccomp profile (the engine has none: keyrings, ptrace, bpf and the like are open to the code, limited by the missing capabilities)")
	}
	return missing
}

// ownerID names this process across restarts: host, pid and the pid's
// start time (so that a recycled pid does not pass for us).
func ownerID() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + processStart(os.Getpid())
}

// processStart returns field 22 of /proc/PID/stat, or "" when pid is gone.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces; count from its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerGone says whether the ccw that owns a container is no longer running
// (only decidable for containers made on this host).
func ownerGone(owner string) bool {
	parts := strings.Split(owner, ":")
	host, _ := os.Hostname()
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil {
		return false
	}
	return processStart(pid) != parts[2]
}

// sweep removes labelled containers whose owner is gone, or (mine) all of ours.
func (d *docker) sweep(ctx context.Context, mine bool) error {
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", LabelOwner),
	})
	if err != nil {
		return fmt.Errorf("list sandbox containers: %w", err)
	}
	for _, c := range list.Items {
		owner := c.Labels[LabelOwner]
		if (mine && owner == d.owner) || (!mine && ownerGone(owner)) {
			d.remove(c.ID)
		}
	}
	return nil
}

func (d *docker) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	err := d.sweep(ctx, true)
	d.cli.Close()
	return err
}

// remove force-removes a container, whatever ctx the run had.
func (d *docker) remove(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	_, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	return err
}

func (d *docker) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	d.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
}

func (d *docker) create(ctx context.Context, l Limits, work string) (string, error) {
	tmpfs := "rw,exec,nosuid,nodev,mode=1777"
	if l.Disk > 0 {
		tmpfs += ",size=" + strconv.FormatInt(l.Disk, 10)
	}
	init := true
	hc := &container.HostConfig{
		NetworkMode:    "none",
		IpcMode:        "private",
		ReadonlyRootfs: true,
		Tmpfs:          map[string]string{dockerTmp: tmpfs, "/var/tmp": tmpfs},
		ShmSize:        64 << 20,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		LogConfig:      container.LogConfig{Type: "none"},
		Init:           &init, // python must not be PID 1: signals would behave otherwise
	}
	if l.Network {
		hc.NetworkMode = "bridge"
	}
	for _, m := range d.cfg.Mounts {
		if !strings.HasSuffix(m, ":ro") {
			m += ":ro"
		}
		hc.Binds = append(hc.Binds, m)
	}
	hc.Resources.Ulimits = []*container.Ulimit{{Name: "core", Soft: 0, Hard: 0}}
	if l.FileSize > 0 {
		hc.Resources.Ulimits = append(hc.Resources.Ulimits, &container.Ulimit{Name: "fsize", Soft: l.FileSize, Hard: l.FileSize})
	}
	if l.Memory > 0 {
		hc.Resources.Memory = l.Memory
		hc.Resources.MemorySwap = l.Memory
	}
	if l.Pids > 0 {
		p := l.Pids
		hc.Resources.PidsLimit = &p
	}
	cfg := &container.Config{
		Image:        d.cfg.Image,
		Cmd:          []string{d.cfg.Python, "-I", "-c", harnessSource, "stdio"},
		Entrypoint:   []string{},
		Env:          scrubbedEnv(work, dockerTmp),
		User:         "65534:65534",
		Hostname:     "ccw-sandbox",
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		OpenStdin:    true,
		StdinOnce:    true,
		Labels:       map[string]string{LabelOwner: d.owner},
	}
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		return "", fmt.Errorf("create container: %w", err)
	}
	return res.ID, nil
}

func (d *docker) run(ctx context.Context, j Job, l Limits) (Result, error) {
	start := time.Now()
	nonce := newNonce()
	// The engine would make a WorkingDir on the tmpfs with mode 0755, owned
	// by root: the harness changes into the work dir itself.
	work := dockerTmp + "/" + workDirName(nonce)
	job, err := encodeJob(j, l, nonce, harnessRlimits(l, true), work)
	if err != nil {
		return Result{}, err
	}
	id, err := d.create(ctx, l, work)
	if err != nil {
		return Result{}, err
	}
	defer d.remove(id)
	att, err := d.cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return Result{}, fmt.Errorf("attach container: %w", err)
	}
	defer att.Close()
	wait := d.cli.ContainerWait(context.WithoutCancel(ctx), id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return Result{}, fmt.Errorf("start container: %w", err)
	}
	dm := marks{start: start, sent: time.Now()}
	go func() {
		att.Conn.Write(job)
		att.CloseWrite()
	}()
	w := newWatch(nonce, l, d.cfg.Fidelity)
	frames, framesW := io.Pipe()
	output, outputW := io.Pipe()
	w.follow(frames, output)
	go func() {
		_, err := stdcopy.StdCopy(framesW, outputW, att.Reader)
		framesW.CloseWithError(err)
		outputW.CloseWithError(err)
	}()
	events := d.pidsEvents(id)
	exit := int64(-1)
	ended := make(chan struct{})
	var waitErr error
	go func() {
		select {
		case r := <-wait.Result:
			exit = r.StatusCode
		case waitErr = <-wait.Error:
		}
		close(ended)
	}()
	sup := supervision{limits: l, watch: w, ended: ended, kill: func() { d.kill(id) }, grace: dockerOp,
		pidsHit: func() bool { return events != "" && readCounter(events, "max") > 0 }}
	killedAt, err := sup.await(ctx)
	if err == nil && killedAt == "" && waitErr != nil {
		err = fmt.Errorf("wait for container: %w", waitErr)
	}
	if err != nil && !errors.Is(err, errNotEnded) {
		w.stop(drainWait, att.Close)
		return Result{}, err
	}
	w.stop(drainWait, att.Close)
	var end ending
	if killedAt != "" {
		end = limitEnding(killedAt, l)
	} else if end, err = d.ending(id, exit, l); err != nil {
		return Result{}, err
	}
	r := w.result(end)
	blamePids(&r, w.coll.pidsRefused() || events != "" && readCounter(events, "max") > 0)
	r.Output = w.out.text()
	dm.end = time.Now()
	w.coll.mark(&dm)
	r.Duration, r.Phases = dm.end.Sub(start), dm.phases()
	return r, nil
}

// ending tells why a container ended before its harness gave a verdict.
func (d *docker) ending(id string, exit int64, l Limits) (ending, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerOp)
	defer cancel()
	info, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return ending{}, fmt.Errorf("inspect container: %w", err)
	}
	st := info.Container.State
	switch {
	case st.OOMKilled:
		return limitEnding("memory", l), nil
	case st.Error != "":
		return ending{}, fmt.Errorf("container failed: %s", st.Error)
	case exit == 127 || exit == 126:
		return ending{}, fmt.Errorf("the image cannot run %s (exit status %d)", d.cfg.Python, exit)
	case exit > 128 && exit < 128+65:
		return exitStatusEnding(-1, syscall.Signal(exit-128), nil, l), nil
	default:
		return exitStatusEnding(int(exit), 0, nil, l), nil
	}
}

// pidsEvents finds the pids.events file of a container's cgroup on this
// host, when the engine is local and uses a layout we know; "" otherwise.
func (d *docker) pidsEvents(id string) string {
	mounts, err := cgroupMounts()
	if err != nil {
		return ""
	}
	var cands []string
	if m := mounts["pids"]; m != "" {
		cands = append(cands, filepath.Join(m, "docker", id, "pids.events"))
	}
	if m := mounts["cgroup2"]; m != "" {
		cands = append(cands, filepath.Join(m, "system.slice", "docker-"+id+".scope", "pids.events"),
			filepath.Join(m, "docker", id, "pids.events"))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

// readCounter reads "key N" from a flat-keyed cgroup file.
func readCounter(file, key string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}
