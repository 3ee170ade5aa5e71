package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite golden files")

var errorMarker = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// expectedErrors reads the `# ERROR: <summary>` markers of a fixture.
func expectedErrors(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := errorMarker.FindStringSubmatch(sc.Text()); m != nil {
			want[fmt.Sprintf("%d: %s", line, m[1])] = true
		}
	}
	return want
}

// TestErrorFiles checks that every fixture reports exactly the errors its
// markers name, on the marked lines, in one pass, and that the rendered
// diagnostics match the golden file.
func TestErrorFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/error-files/*.hcl")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := expectedErrors(t, path)
			l, diags := compileFile(path, nil, t.TempDir())
			got := map[string]bool{}
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				if d.Subject == nil {
					t.Errorf("diagnostic without a location: %s: %s", d.Summary, d.Detail)
					continue
				}
				got[fmt.Sprintf("%d: %s", d.Subject.Start.Line, d.Summary)] = true
			}
			for k := range want {
				if !got[k] {
					t.Errorf("missing error %q", k)
				}
			}
			for k := range got {
				if !want[k] {
					t.Errorf("unexpected error %q", k)
				}
			}
			if t.Failed() {
				t.Logf("all diagnostics:\n%s", strings.Join(sortedLines(got), "\n"))
			}
			var buf bytes.Buffer
			l.printDiags(&buf, diags)
			golden(t, strings.TrimSuffix(path, ".hcl")+".golden", relativise(buf.String()))
		})
	}
}

func TestValidFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-files/*.hcl")
	examples, _ := filepath.Glob("../../examples/*.hcl")
	// Variables some examples require.
	vars := map[string]map[string]string{"convcodeworld.hcl": {"coder_model": "validate-only"},
		"convcodebench.hcl": {"coder_model": "validate-only", "reference": "results/reference"}}
	for _, path := range append(files, examples...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			l, diags := compileFile(path, vars[filepath.Base(path)], t.TempDir())
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			l.plan.Close()
		})
	}
}

func sortedLines(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// relativise removes the machine-specific working directory from output.
func relativise(s string) string {
	wd, _ := os.Getwd()
	return strings.ReplaceAll(s, wd+string(filepath.Separator), "")
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got ---\n%s", path, got)
	}
}
