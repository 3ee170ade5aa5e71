// Helpers shared by the end-to-end tests of the examples: they build the
// real ccw binary once and run it as a user would.
package examples_test

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/ccw-dev/ccw/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccw-dev/ccw/schemas"
)

// ccwBin is the ccw binary built once for these tests.
var ccwBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ccw-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ccwBin = filepath.Join(dir, "ccw")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", ccwBin, "../cmd/ccw")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ccw:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needPython skips (or fails under CI) without the sandbox's interpreter.
func needPython(t testing.TB) { testenv.NeedPython(t) }

// ccw runs the binary; it returns stdout+stderr (the run's log).
func ccw(t testing.TB, env []string, wantCode int, args ...string) string {
	t.Helper()
	cmd := exec.Command(ccwBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	peak, err := runPeak(cmd)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != wantCode {
		t.Fatalf("ccw %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && testing.Verbose() {
		t.Logf("ccw %s: peak RSS %d MiB, CPU %s", args[0], peak>>20,
			time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Round(time.Millisecond))
	}
	return out.String()
}

// runPeak runs cmd and returns the process's peak
// resident size in bytes, sampled from /proc/PID/status (VmHWM, the high
// water mark of its own address space) every 10 ms. Rusage's Maxrss
// cannot serve: Linux keeps the parent's resident size in a child's across
// fork and exec, so a small ccw run would report the test's size.
func runPeak(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done, peak := make(chan struct{}), make(chan int64)
	go func() {
		var hwm int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kib int64
						fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib)
						hwm = max(hwm, kib<<10)
					}
				}
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	return <-peak, err
}

func readTurns(t testing.TB, path string) []schemas.Turn {
	t.Helper()
	rows, err := schemas.ReadRows[schemas.Turn](schemas.Turns, path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// killAfter runs ccw with args and kills it with SIGKILL as soon as done
// says so of a line of its stderr (the --json progress); it fails the
// test if the run ends first.
func killAfter(t *testing.T, args []string, done func(line []byte) bool) {
	t.Helper()
	cmd := exec.Command(ccwBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	killed := false
	for sc.Scan() {
		if done(sc.Bytes()) {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the run ended before it could be killed")
	}
}
