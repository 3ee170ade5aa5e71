package sandboxtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ContainerLabel is the label the docker backend puts on its containers
// (sandbox.LabelOwner; a test in package sandbox keeps the two equal).
const ContainerLabel = "dev.ccw.sandbox.owner"

// Leftovers counts what runs of this process could leave behind on the
// host. Other processes on the machine may run sandboxes too, so only what
// is provably ours is counted: processes in our cgroups (sandboxed code
// cannot leave its cgroup), work dirs in our temp dir (see PrivateTempDir),
// containers we own, and processes carrying a marker.
type Leftovers struct {
	Ours       []int // live processes in cgroups below ccw-<our pid> (warm workers included)
	Marked     []int // processes whose command line holds the marker
	WorkDirs   int   // entries in the temp dir (make it ours with PrivateTempDir)
	Cgroups    int   // cgroup dirs below this process's ccw-<pid> parents
	Parents    int   // the ccw-<pid> parents themselves (gone once every sandbox is closed)
	Containers int   // containers labelled by the docker backend as ours
}

// String is for failure messages.
func (l Leftovers) String() string {
	return fmt.Sprintf("our processes %v, marked processes %v, work dirs %d, cgroups %d (in %d parents), containers %d",
		l.Ours, l.Marked, l.WorkDirs, l.Cgroups, l.Parents, l.Containers)
}

func (l Leftovers) same(o Leftovers) bool {
	return len(l.Ours) == len(o.Ours) && len(l.Marked) == len(o.Marked) && l.WorkDirs == o.WorkDirs &&
		l.Cgroups == o.Cgroups && l.Containers == o.Containers
}

// CountLeftovers looks at the host now. marker may be "".
func CountLeftovers(marker string) Leftovers {
	var l Leftovers
	ours := []byte("/ccw-" + strconv.Itoa(os.Getpid()) + "/")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := "/proc/" + e.Name()
		if cg, err := os.ReadFile(dir + "/cgroup"); err == nil && bytes.Contains(cg, ours) {
			if st, err := os.ReadFile(dir + "/status"); err == nil && !zombie(st) {
				l.Ours = append(l.Ours, pid)
			}
		}
		if marker != "" {
			if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil && bytes.Contains(cmd, []byte(marker)) {
				l.Marked = append(l.Marked, pid)
			}
		}
	}
	tmp, _ := os.ReadDir(os.TempDir())
	l.WorkDirs = len(tmp)
	name := "ccw-" + strconv.Itoa(os.Getpid())
	for _, pattern := range []string{"/sys/fs/cgroup/*/" + name, "/sys/fs/cgroup/*/*/" + name, "/sys/fs/cgroup/*/*/*/" + name, "/sys/fs/cgroup/" + name} {
		bases, _ := filepath.Glob(pattern)
		l.Parents += len(bases)
		for _, b := range bases {
			subs, _ := os.ReadDir(b)
			for _, s := range subs {
				if s.IsDir() {
					l.Cgroups++
				}
			}
		}
	}
	if out, err := exec.Command("docker", "ps", "-a", "--format", "{{.Label \""+ContainerLabel+"\"}}", "--filter", "label="+ContainerLabel).Output(); err == nil {
		me := ":" + strconv.Itoa(os.Getpid()) + ":"
		for _, owner := range strings.Fields(string(out)) {
			if strings.Contains(owner, me) {
				l.Containers++
			}
		}
	}
	return l
}

// PrivateTempDir points os.TempDir (and so the sandbox's work dirs) at a
// new directory for this test binary, so that CountLeftovers sees only our
// work dirs. Call it from TestMain; call the returned func at the end.
func PrivateTempDir() (cleanup func()) {
	dir, err := os.MkdirTemp("", "ccw-test-")
	if err != nil {
		return func() {}
	}
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	return func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
		os.RemoveAll(dir)
	}
}

func zombie(status []byte) bool {
	return bytes.Contains(status, []byte("\nState:\tZ"))
}

// WaitNoLeftovers fails t unless, within a few seconds, the host is back to
// before and no marked process runs.
func WaitNoLeftovers(t testing.TB, before Leftovers, marker string) {
	t.Helper()
	var now Leftovers
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		now = CountLeftovers(marker)
		if now.same(before) && len(now.Marked) == 0 {
			return
		}
	}
	t.Fatalf("left behind: before %s; after %s", before, now)
}
