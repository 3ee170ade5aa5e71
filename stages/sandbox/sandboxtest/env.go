package sandboxtest

import (
	"github.com/ccw-dev/ccw/internal/testenv"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Python is Debian's interpreter, the one the sandbox uses by default.
const Python = testenv.Python

// Missing skips t with why on a developer's machine and fails it where
// CI=true: in CI every prerequisite must be present.
func Missing(t testing.TB, why string) {
	t.Helper()
	testenv.Missing(t, "%s", why)
}

// NeedPython makes sure Debian's python3 exists.
func NeedPython(t testing.TB) {
	t.Helper()
	testenv.NeedPython(t)
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

// DataDir returns the shared data directory.
func DataDir(t testing.TB) string {
	t.Helper()
	return testenv.SharedData(t)
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
