package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Golden compares got with the golden file at path; with update it first
// (re)writes the file. A difference is reported with the place where the
// texts part.
func Golden(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\n%s", path, FirstDiff(got, string(want)))
	}
}

// FirstDiff shows where two texts part: the byte offset, both lengths and
// a little of each around it.
func FirstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(i-80, 0)
	return fmt.Sprintf("at byte %d (lengths %d, %d):\n  got  %q\n  want %q", i, len(got), len(want), got[lo:min(i+80, len(got))], want[lo:min(i+80, len(want))])
}
