package pytool

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// localPool returns a pool on Debian's python3 with options o, closed at
// the end of the test.
func localPool(t testing.TB, o Options) *Pool {
	t.Helper()
	testenv.NeedPython(t)
	p, err := NewPool(Interpreter{Backend: "local", Python: testenv.Python}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// golden compares got with testdata/NAME, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
