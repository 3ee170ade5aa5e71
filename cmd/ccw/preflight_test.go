package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/stages/llm/llmtest"
)

// TestPreflightOnce: with stages that name their resources directly
// (model = model.coder) and through a protocol, a sandbox whose python does not exist and an endpoint
// that refuses connections are each reported once, at their block, and
// no task is scheduled (no per-task failure, no results).
func TestPreflightOnce(t *testing.T) {
	// A loopback port with nothing listening: bind one, close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()
	srv := llmtest.New() // a working endpoint, for the sandbox's case
	defer srv.Close()
	for _, experiment := range []string{"direct", "protocol"} {
		t.Run(experiment, func(t *testing.T) { preflightCases(t, experiment, srv.BaseURL(), closed) })
	}
}

func preflightCases(t *testing.T, experiment, working, closed string) {
	file := filepath.Join("testdata", "preflight", "preflight.hcl")
	for _, tc := range []struct {
		name  string
		vars  []string
		block string
	}{
		{"missing python", []string{"python=/nonexistent/python3", "base_url=" + working}, `sandbox "py"`},
		{"endpoint refuses", []string{"base_url=" + closed}, `model "coder"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"run", file, "--experiment", experiment, "--cache", filepath.Join(dir, "cache"), "--out", filepath.Join(dir, "out")}
			for _, v := range tc.vars {
				args = append(args, "--var", v)
			}
			var out, errb bytes.Buffer
			if code := Main(args, &out, &errb); code != exitFailure {
				t.Fatalf("exit %d\n%s", code, errb.String())
			}
			msg := errb.String()
			if !strings.Contains(msg, tc.block) || strings.Count(msg, "Error:") != 1 {
				t.Errorf("want one error at %s:\n%s", tc.block, msg)
			}
			if strings.Contains(msg, "CCWMini/") {
				t.Errorf("tasks were scheduled:\n%s", msg)
			}
		})
	}
}
