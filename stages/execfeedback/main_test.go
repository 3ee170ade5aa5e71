package execfeedback

import (
	"os"
	"testing"

	"github.com/ccw-dev/ccw/stages/sandbox"
	"github.com/ccw-dev/ccw/stages/sandbox/sandboxtest"
)

// TestMain lets the test binary serve as the sandbox init, as ccw's main does.
func TestMain(m *testing.M) {
	sandbox.MaybeReexec()
	cleanup := sandboxtest.PrivateTempDir()
	code := m.Run()
	cleanup()
	os.Exit(code)
}
