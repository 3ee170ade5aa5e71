package sandboxtest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// ResetPeakMemory resets this process's peak resident size (VmHWM), so
// that PeakMemory reports the peak since now.
func ResetPeakMemory(t testing.TB) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		Missing(t, "cannot reset the peak memory of this process: "+err.Error())
	}
}

// PeakMemory returns this process's peak resident size in bytes (VmHWM)
// since it started or since ResetPeakMemory.
func PeakMemory(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n << 10
				}
			}
		}
	}
	t.Fatalf("no VmHWM in /proc/self/status")
	return 0
}
