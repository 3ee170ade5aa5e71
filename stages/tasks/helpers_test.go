package tasks

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot is the directory holding go.mod, found by walking up from the
// package directory.
func repoRoot(t testing.TB) string {
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
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

// sharedData returns $CCW_SHARED_DATA or ../shared/data next to the repo
// root. Without it the test is skipped, or fails when CI=true.
func sharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CCW_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "bigcodebench")); err != nil {
		unavailable(t, "shared data not found (set CCW_SHARED_DATA): %v", err)
	}
	return dir
}

// sharedSplit is the path of a split file in the shared data.
func sharedSplit(t testing.TB, name string) string {
	return filepath.Join(sharedData(t), "bigcodebench", name)
}

// unavailable skips the test, or fails it when CI=true: CI must have
// everything the tests need.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
