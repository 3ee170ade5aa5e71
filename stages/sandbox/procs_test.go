package sandbox

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"
)

// procsWith lists the host processes whose command line contains marker.
func procsWith(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(marker)) {
			out = append(out, pid)
		}
	}
	return out
}

// waitNoProcsWith fails t unless no process with marker in its command line
// is left within a few seconds (the kill is done; only reaping may lag).
func waitNoProcsWith(t *testing.T, marker string) {
	t.Helper()
	var left []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = procsWith(marker); len(left) == 0 {
			return
		}
	}
	t.Fatalf("processes %v (%q) are still running", left, marker)
}

// watchProcs polls in the background for a process with marker in its
// command line; the returned func stops polling and says whether one ran.
func watchProcs(t *testing.T, marker string) func() bool {
	stop := make(chan struct{})
	found := make(chan bool, 1)
	go func() {
		seen := false
		for {
			select {
			case <-stop:
				found <- seen
				return
			case <-time.After(20 * time.Millisecond):
				seen = seen || len(procsWith(marker)) > 0
			}
		}
	}()
	var once bool
	var result bool
	return func() bool {
		if !once {
			once = true
			close(stop)
			result = <-found
		}
		return result
	}
}
