package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVarWithCommas: a list value keeps its commas (kong would split a
// repeated flag's value on them by default).
func TestVarWithCommas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.hcl")
	src := `
variable "names" {
  type = list(string)
}
tasks "t" {
  path = "x.jsonl"
}
experiment "e" {
  tasks  = tasks.t
  output = join("-", var.names)
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := Main([]string{"validate", path, "--var", `names=["a", "b", "c"]`}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	errs.Reset()
	if code := Main([]string{"validate", path, "--var", "names=abc"}, &out, &errs); code == 0 || !strings.Contains(errs.String(), `want list(string), got "abc"`) {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}
