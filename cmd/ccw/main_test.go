package main

import (
	"os"
	"testing"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// asCCW set in the environment makes the test binary act as ccw, so that
// tests can run it as a child process (under a pty, on a pipe, with
// signals) without building it.
const asCCW = "CCW_TEST_AS_CCW"

func TestMain(m *testing.M) {
	sandbox.MaybeReexec() // the local sandbox re-executes this binary
	if os.Getenv(asCCW) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
