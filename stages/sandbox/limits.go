package sandbox

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Limits bound one execution. A zero size or count means "no limit".
// Every field can change a result, so all of them enter Identity.
type Limits struct {
	// Timeout is the wall-time limit of a whole run (module and suite).
	Timeout time.Duration
	// Memory caps the memory of the run: cgroup memory where available,
	// otherwise the address space the program may add to its start size.
	Memory int64
	// Pids caps the number of processes and threads.
	Pids int64
	// FileSize caps the size of any one file written (RLIMIT_FSIZE).
	FileSize int64
	// Disk caps the total size of the private work dir (a tmpfs where the
	// backend can mount one).
	Disk int64
	// Output is how much stdout+stderr is kept; the rest is cut with a marker.
	Output int64
	// OutputKill ends the run as killed (limit "output") once the program has
	// written this much in all.
	OutputKill int64
	// Network allows network access; off by default.
	Network bool
}

// DefaultLimits are the limits of a sandbox block that sets none. The wall
// time is ConvCodeWorld's 121 s.
func DefaultLimits() Limits {
	return Limits{
		Timeout:    121 * time.Second,
		Memory:     4 << 30,
		Pids:       512,
		FileSize:   256 << 20,
		Disk:       1 << 30,
		Output:     1 << 20,
		OutputKill: 64 << 20,
	}
}

// Value is the cty form of l as it enters a cache key and a result row:
// sizes in bytes, the timeout in milliseconds.
func (l Limits) Value() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"timeout_ms":  cty.NumberIntVal(l.Timeout.Milliseconds()),
		"memory":      cty.NumberIntVal(l.Memory),
		"pids":        cty.NumberIntVal(l.Pids),
		"file_size":   cty.NumberIntVal(l.FileSize),
		"disk":        cty.NumberIntVal(l.Disk),
		"output":      cty.NumberIntVal(l.Output),
		"output_kill": cty.NumberIntVal(l.OutputKill),
		"network":     cty.BoolVal(l.Network),
	})
}

// String is a short human form for messages: "121s, 4GiB memory, ...".
func (l Limits) String() string {
	net := "no network"
	if l.Network {
		net = "network"
	}
	return fmt.Sprintf("%s wall, %s memory, %s pids, %s file size, %s disk, %s output kept, killed past %s output, %s",
		l.Timeout, FormatSize(l.Memory), countString(l.Pids), FormatSize(l.FileSize), FormatSize(l.Disk),
		FormatSize(l.Output), FormatSize(l.OutputKill), net)
}

func countString(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}

// alarm is when the harness's suite alarm fires, as BigCodeBench's SIGALRM
// does: at the time limit, so that a test stuck there is recorded as timed
// out ("Timed out!") and the rest of the suite may still run.
func (l Limits) alarm() time.Duration { return l.Timeout }

// killGrace is how long after the alarm the whole process tree is killed:
// BigCodeBench's parent waits the limit plus one second. A shorter grace
// turns an interrupted test into a timeout whenever the machine is busy
// (the harness's clock starts after the interpreter has).
const killGrace = time.Second

// deadline is when the run is killed, counted from its start.
func (l Limits) deadline() time.Duration { return l.Timeout + killGrace }

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"TB", 1000 * 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseSize reads a size such as "4GiB", "512MiB", "1GB" or "1048576"
// (bytes). "0" and "unlimited" mean no limit (0).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "unlimited" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB) or \"unlimited\"", s)
	}
	v := f * float64(mult)
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// FormatSize is the inverse of ParseSize for messages: 4294967296 → "4GiB".
func FormatSize(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// LimitsFromValue is the inverse of Limits.Value.
func LimitsFromValue(v cty.Value) Limits {
	n := func(name string) int64 {
		i, _ := v.GetAttr(name).AsBigFloat().Int64()
		return i
	}
	return Limits{
		Timeout:    time.Duration(n("timeout_ms")) * time.Millisecond,
		Memory:     n("memory"),
		Pids:       n("pids"),
		FileSize:   n("file_size"),
		Disk:       n("disk"),
		Output:     n("output"),
		OutputKill: n("output_kill"),
		Network:    v.GetAttr("network").True(),
	}
}
