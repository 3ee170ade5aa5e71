// Package testenv owns what ccw's tests need to know about the machine
// they run on: where the shared BigCodeBench data is, whether Debian's
// python3 is there, and the rule for a missing prerequisite (skip on a
// developer's machine, fail where CI=true, since CI must have everything).
// It is imported by tests only.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Python is Debian's interpreter, the one the sandbox uses by default.
const Python = "/usr/bin/python3"

// Missing skips t on a developer's machine and fails it where CI=true.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s", why)
	}
	t.Skip(why)
}

// NeedPython makes sure Debian's python3 exists.
func NeedPython(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		Missing(t, "Debian's %s is not installed: %v", Python, err)
	}
}

// RepoRoot is the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// SharedData returns the shared data directory: $CCW_SHARED_DATA, or
// ../shared/data beside the repository root.
func SharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CCW_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "bigcodebench")); err != nil {
		Missing(t, "shared data not found (set CCW_SHARED_DATA): %v", err)
	}
	return dir
}
