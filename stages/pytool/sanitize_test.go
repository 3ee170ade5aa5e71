package pytool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

// calibrationPrompts are the complete_prompt of the answers that are
// sanitized with calibration.
var calibrationPrompts = map[string]string{
	"calibrate": "import math\n\ndef task_func(n):\n    \"\"\"Return n!.\"\"\"\n",
}

// TestSanitizeGolden sanitizes every answer under testdata/sanitize in
// both layouts; NAME.golden holds the results.
func TestSanitizeGolden(t *testing.T) {
	p := localPool(t, Options{})
	files, err := filepath.Glob("testdata/sanitize/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no answers: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, fid := range []bool{false, true} {
				r, err := p.Sanitize(t.Context(), SanitizeRequest{Code: string(in), EntryPoint: "task_func",
					Prompt: calibrationPrompts[name], Fidelity: fid})
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "== fidelity=%v changed=%v found=%v limit=%q\n%s\n", fid, r.Changed, r.Found, r.Limit, r.Code)
				if r.Found {
					c, err := p.Compile(t.Context(), r.Code)
					if err != nil || !c.OK {
						t.Errorf("fidelity=%v: sanitized code does not compile: %v %s", fid, err, c.Feedback)
					}
				}
			}
			golden(t, filepath.Join("sanitize", name+".golden"), b.String())
		})
	}
}

// TestLongestCodeMatchesPlainRule checks on random texts that the pruned
// search for the longest parsing range gives what trying every range in
// order gives (testdata/longest_code_check.py).
func TestLongestCodeMatchesPlainRule(t *testing.T) {
	testenv.NeedPython(t)
	out, err := exec.Command(testenv.Python, "-I", "testdata/longest_code_check.py", "helper.py", "1", "3000").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok 3000") {
		t.Fatalf("%v: %s", err, out)
	}
}
