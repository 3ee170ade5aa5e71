// Command ccw runs reproducible, cached, multi-turn code-generation
// benchmarks (ConvCodeWorld on BigCodeBench) declared in HCL pipeline files.
//
// This package only parses flags, calls pipelines and engine, and renders
// what they return; see README.md for usage.
package main

import (
	"os"

	"github.com/ccw-dev/ccw/stages/sandbox"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	sandbox.MaybeReexec()
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
