package sandbox

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the sandbox init, as ccw's main does.
func TestMain(m *testing.M) {
	MaybeReexec()
	os.Exit(m.Run())
}
