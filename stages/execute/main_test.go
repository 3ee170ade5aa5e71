package execute

import (
	"os"
	"testing"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// TestMain lets the test binary serve as the sandbox init, as ccw's main does.
func TestMain(m *testing.M) {
	sandbox.MaybeReexec()
	os.Exit(m.Run())
}
