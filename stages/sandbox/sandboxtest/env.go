package sandboxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Python is Debian's interpreter, the one the sandbox uses by default.
const Python = "/usr/bin/python3"

// Missing skips t with why on a developer's machine and fails it where
// CI=true: in CI every prerequisite must be present.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", why)
	}
	t.Skip(why)
}

// NeedPython makes sure Debian's python3 exists.
func NeedPython(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		Missing(t, "Debian's "+Python+" is not installed: "+err.Error())
	}
}

var libsOnce sync.Once
var libsErr error

// NeedLibraries makes sure python3 can import the main BigCodeBench
// libraries (installed from Debian's python3-* packages by .ci/run).
func NeedLibraries(t testing.TB) {
	t.Helper()
	NeedPython(t)
	libsOnce.Do(func() {
		out, err := exec.Command(Python, "-I", "-c", "import numpy, pandas, matplotlib, scipy, sklearn").CombinedOutput()
		if err != nil {
			libsErr = &libError{err: err, out: string(out)}
		}
	})
	if libsErr != nil {
		Missing(t, "the BigCodeBench Python libraries are not installed: "+libsErr.Error())
	}
}

type libError struct {
	err error
	out string
}

// Error implements error.
func (e *libError) Error() string { return e.err.Error() + ": " + e.out }

// DataDir returns the shared data directory: $CCW_SHARED_DATA, or
// ../shared/data beside the module root (the directory holding go.mod).
func DataDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CCW_SHARED_DATA"); d != "" {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("CCW_SHARED_DATA=%s: %v", d, err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			Missing(t, "no go.mod above the test directory, so no ../shared/data")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(d); err != nil {
		Missing(t, "shared data not found (set CCW_SHARED_DATA): "+err.Error())
	}
	return d
}

// DockerImage is the test image .ci/docker.sh builds.
const DockerImage = "ccw-sandbox-test:latest"

// NeedDocker makes sure a Docker engine answers and has DockerImage.
func NeedDocker(t testing.TB) {
	t.Helper()
	out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", DockerImage).CombinedOutput()
	if err != nil {
		Missing(t, "no Docker engine with image "+DockerImage+" (run .ci/docker.sh): "+strings.TrimSpace(string(out)))
	}
}
