package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cgroups finds where this process may make child cgroups for its runs, on
// cgroup v2 (one unified hierarchy with the memory and pids controllers) or
// v1 (one hierarchy per controller: memory, pids, freezer).
type cgroups struct {
	version int               // 1 or 2; 0 when none is usable
	base    map[string]string // controller ("memory", "pids", "freezer", or "" on v2) → our parent dir
	seq     atomic.Int64

	mu    sync.Mutex
	users int  // backends using the parents (acquire, release)
	gone  bool // the parents were removed; the next acquire makes them again
}

// acquire registers a backend that makes groups below our parents, making
// the parents again if the last backend removed them.
func (cg *cgroups) acquire() error {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if cg.gone {
		for _, base := range cg.base {
			if err := os.MkdirAll(base, 0o755); err != nil {
				return fmt.Errorf("cgroup: %w", err)
			}
			if cg.version == 2 {
				if err := enableControllers(base); err != nil {
					return fmt.Errorf("cgroup: %w", err)
				}
			}
		}
		cg.gone = false
	}
	cg.users++
	return nil
}

// release undoes acquire; the last backend to go removes our parents, so
// that no empty ccw-<pid> cgroup outlives the sandboxes of this process.
func (cg *cgroups) release() {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if cg.users--; cg.users > 0 {
		return
	}
	cg.users = 0
	for _, b := range cg.base {
		removeTree(b)
	}
	cg.gone = true
}

// runGroup is the cgroup (one dir per v1 controller) of one run or worker.
type runGroup struct {
	cg   *cgroups
	dirs map[string]string
}

// detectCgroups looks at /proc/self/mountinfo and /proc/self/cgroup and
// makes (or reuses) a ccw-<pid> parent under our own cgroup. It returns
// nil and why when no memory+pids limits can be set.
func detectCgroups() (*cgroups, string) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, "cannot read the mount table: " + err.Error()
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, "cannot read /proc/self/cgroup: " + err.Error()
	}
	name := "ccw-" + strconv.Itoa(os.Getpid())
	var why []string
	// v2 first: a unified hierarchy whose controllers include memory and
	// pids. Our own cgroup must hand them down (cgroup.subtree_control),
	// which v2 only allows when it holds no process: that is what a
	// delegated cgroup (systemd's Delegate=yes) gives.
	if m, ok := mounts["cgroup2"]; ok {
		if dir := filepath.Join(m, own[""]); hasControllers(dir, "memory", "pids") {
			base := filepath.Join(dir, name)
			cg := &cgroups{version: 2, base: map[string]string{"": base}}
			err := enableControllers(dir)
			if err == nil {
				if err = os.MkdirAll(base, 0o755); err == nil {
					err = enableControllers(base)
				}
			}
			if err == nil {
				err = cg.try()
			}
			if err == nil {
				cg.sweep()
				return cg, ""
			}
			cg.removeBases()
			why = append(why, "cgroup v2 memory and pids are not delegated to "+dir+" ("+err.Error()+")")
		}
	}
	var missing []string
	cg := &cgroups{version: 1, base: map[string]string{}}
	for _, ctl := range []string{"memory", "pids", "freezer", "cpuacct"} { // cpuacct: for lending (lend.go)
		m, ok := mounts[ctl]
		if !ok {
			missing = append(missing, ctl)
			continue
		}
		base := filepath.Join(m, own[ctl], name)
		if err := os.MkdirAll(base, 0o755); err != nil {
			missing = append(missing, ctl+" ("+err.Error()+")")
			continue
		}
		cg.base[ctl] = base
	}
	if cg.base["memory"] == "" || cg.base["pids"] == "" {
		cg.removeBases()
		why = append(why, "no usable cgroup v1 memory and pids controllers (missing: "+strings.Join(missing, ", ")+")")
		return nil, strings.Join(why, "; ")
	}
	if err := cg.try(); err != nil {
		cg.removeBases()
		why = append(why, "cgroup v1: "+err.Error())
		return nil, strings.Join(why, "; ")
	}
	cg.sweep()
	return cg, ""
}

// try makes and removes one group with every limit set, so that a machine
// where that fails degrades at detection instead of failing every run.
func (cg *cgroups) try() error {
	l := DefaultLimits()
	g, err := cg.newGroup(l)
	if err != nil {
		return err
	}
	g.remove()
	return nil
}

func hasControllers(dir string, want ...string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return false
	}
	have := strings.Fields(string(b))
	for _, w := range want {
		if !contains(have, w) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func enableControllers(dir string) error {
	return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +pids"), 0o644)
}

// cgroupMounts maps each v1 controller (and "cgroup2") to its mount point.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f1, f2 := strings.Fields(pre), strings.Fields(post)
		if len(f1) < 5 || len(f2) < 3 {
			continue
		}
		switch f2[0] {
		case "cgroup2":
			if _, dup := out["cgroup2"]; !dup {
				out["cgroup2"] = f1[4]
			}
		case "cgroup":
			for _, opt := range strings.Split(f2[2], ",") {
				if _, dup := out[opt]; !dup {
					out[opt] = f1[4]
				}
			}
		}
	}
	return out, sc.Err()
}

// ownCgroups maps each v1 controller (and "" for v2) to our cgroup path.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, ctl := range strings.Split(parts[1], ",") {
			out[ctl] = parts[2]
		}
	}
	return out, nil
}

// sweep removes the parents of ccw processes that are gone (a ccw killed
// with -9 cannot clean up after itself).
func (cg *cgroups) sweep() {
	for _, base := range cg.base {
		parent := filepath.Dir(base)
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			pid, ok := strings.CutPrefix(e.Name(), "ccw-")
			n, err := strconv.Atoi(pid)
			if !ok || err != nil || n == os.Getpid() || processExists(n) {
				continue
			}
			removeTree(filepath.Join(parent, e.Name()))
		}
	}
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeTree removes a cgroup dir and its children (cgroup dirs are removed
// with rmdir, deepest first), killing what is left in them.
func removeTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	for _, pid := range readPids(dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for i := 0; i < 50; i++ {
		if err := syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (cg *cgroups) removeBases() {
	for _, b := range cg.base {
		syscall.Rmdir(b)
	}
}

// newGroup makes a cgroup for one run (or one warm worker) with l's memory
// and pids limits.
func (cg *cgroups) newGroup(l Limits) (*runGroup, error) {
	name := "run-" + strconv.FormatInt(cg.seq.Add(1), 10)
	g := &runGroup{cg: cg, dirs: map[string]string{}}
	for ctl, base := range cg.base {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			g.remove()
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		g.dirs[ctl] = dir
	}
	var err error
	set := func(ctl, file, value string) {
		if err == nil {
			if werr := os.WriteFile(filepath.Join(g.dirs[ctl], file), []byte(value), 0o644); werr != nil {
				err = fmt.Errorf("cgroup: set %s: %w", file, werr)
			}
		}
	}
	if cg.version == 2 {
		if l.Memory > 0 {
			set("", "memory.max", strconv.FormatInt(l.Memory, 10))
			set("", "memory.swap.max", "0")
		}
		if l.Pids > 0 {
			set("", "pids.max", strconv.FormatInt(l.Pids, 10))
		}
	} else {
		if l.Memory > 0 {
			set("memory", "memory.limit_in_bytes", strconv.FormatInt(l.Memory, 10))
			if _, serr := os.Stat(filepath.Join(g.dirs["memory"], "memory.memsw.limit_in_bytes")); serr == nil {
				set("memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(l.Memory, 10))
			}
		}
		if l.Pids > 0 {
			set("pids", "pids.max", strconv.FormatInt(l.Pids, 10))
		}
	}
	if err != nil {
		g.remove()
		return nil, err
	}
	return g, nil
}

// procsFiles are the cgroup.procs files a process must be written into to
// join the group.
func (g *runGroup) procsFiles() []string {
	var out []string
	for _, d := range g.dirs {
		out = append(out, filepath.Join(d, "cgroup.procs"))
	}
	return out
}

// counter reads "key N" from a flat-keyed cgroup file of controller ctl.
func (g *runGroup) counter(ctl, file, key string) int64 {
	if g.cg.version == 2 {
		ctl = ""
	}
	return readCounter(filepath.Join(g.dirs[ctl], file), key)
}

// cpu is the CPU time the group's processes used, or -1 where the
// hierarchy does not count it (cgroup v1 without cpuacct).
func (g *runGroup) cpu() time.Duration {
	if g == nil {
		return -1
	}
	if g.cg.version == 1 {
		dir, ok := g.dirs["cpuacct"]
		if !ok {
			return -1
		}
		b, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
		n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || perr != nil {
			return -1
		}
		return time.Duration(n)
	}
	b, err := os.ReadFile(filepath.Join(g.dirs[""], "cpu.stat"))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "usage_usec" {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return time.Duration(n) * time.Microsecond
			}
		}
	}
	return -1
}

// ooms counts the processes the kernel killed for lack of memory.
func (g *runGroup) ooms() int64 {
	if g.cg.version == 2 {
		return g.counter("", "memory.events", "oom_kill")
	}
	return g.counter("memory", "memory.oom_control", "oom_kill")
}

// pidsHits counts the forks refused at the pids limit.
func (g *runGroup) pidsHits() int64 { return g.counter("pids", "pids.events", "max") }

// forkRefused says whether the pids limit refused a fork; false without a
// group.
func (g *runGroup) forkRefused() bool { return g != nil && g.pidsHits() > 0 }

// pids lists the processes in the group.
func (g *runGroup) pids() []int {
	for _, ctl := range []string{"", "pids", "memory"} {
		if d, ok := g.dirs[ctl]; ok {
			return readPids(d)
		}
	}
	return nil
}

func readPids(dir string) []int {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// kill ends every process in the group, including ones that forked away
// from their parents: cgroup.kill on v2; freeze, kill, thaw on v1.
func (g *runGroup) kill() {
	if g.cg.version == 2 {
		if os.WriteFile(filepath.Join(g.dirs[""], "cgroup.kill"), []byte("1"), 0o644) == nil {
			return
		}
	}
	fz := g.dirs["freezer"]
	if fz != "" {
		os.WriteFile(filepath.Join(fz, "freezer.state"), []byte("FROZEN"), 0o644)
	}
	for i := 0; i < 100; i++ {
		pids := g.pids()
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		if fz != "" {
			// Killed tasks die only once thawed; new ones could not fork
			// while frozen, so one round usually empties the group.
			os.WriteFile(filepath.Join(fz, "freezer.state"), []byte("THAWED"), 0o644)
		}
		time.Sleep(time.Millisecond)
	}
	if fz != "" {
		os.WriteFile(filepath.Join(fz, "freezer.state"), []byte("THAWED"), 0o644)
	}
}

// remove kills what is left and removes the group's dirs.
func (g *runGroup) remove() {
	if len(g.pids()) > 0 {
		g.kill()
	}
	for _, d := range g.dirs {
		removeTree(d)
	}
}

// add moves pid into the group.
func (g *runGroup) add(pid int) error {
	for _, f := range g.procsFiles() {
		if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
	}
	return nil
}
