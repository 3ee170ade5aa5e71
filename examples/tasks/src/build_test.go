package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite ../ccw-mini.jsonl from the task files")

const committed = "../ccw-mini.jsonl"

// TestCommittedJSONLIsCurrent checks that ccw-mini.jsonl is what the task
// files generate; `go test ./examples/tasks/src -update` rewrites it.
func TestCommittedJSONLIsCurrent(t *testing.T) {
	want, err := build(taskFiles)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run `go generate ./examples/tasks/src` (or go test -update)", committed)
	}
}

const sample = `# notes: not part of the task
# more notes

import re
from collections import Counter, deque
import os.path as p, json
LIMIT = 3

def task_func(text, n=LIMIT):
    """
    Do a thing
    in two lines.

    Parameters:
    - text (str): The text.

    Returns:
    - list: The result,
            continued.

    Raises:
    - ValueError: If n is negative.

    Note:
    - Mind the gap.

    Requirements:
    - re

    Example:
    >>> task_func("a")
    []
    """

# ---- canonical_solution ----
    return []

# ---- test ----
import unittest
class TestCases(unittest.TestCase):
    def test_a(self):
        self.assertEqual(task_func("a"), [])
`

func TestParseTaskDerivesFields(t *testing.T) {
	rec, err := parseTask("CCWMini/7", sample)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"task_id":            "CCWMini/7",
		"code_prompt":        "import re\nfrom collections import Counter, deque\nimport os.path as p, json\nLIMIT = 3\ndef task_func(text, n=LIMIT):\n",
		"canonical_solution": "    return []",
		"test":               "import unittest\nclass TestCases(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(task_func(\"a\"), [])",
		"entry_point":        "task_func",
		"libs":               "['re', 'collections', 'os', 'json']",
		"doc_struct": `{"description": ["Do a thing", "in two lines."], "notes": ["Mind the gap."], ` +
			`"params": ["text (str): The text."], "returns": ["list: The result,", "continued."], "reqs": ["re"], ` +
			`"raises": ["ValueError: If n is negative."], "examples": [">>> task_func(\"a\")", "[]"]}`,
		"instruct_prompt": "Do a thing in two lines.\nNote that: Mind the gap.\n" +
			"The function should raise the exception for: ValueError: If n is negative.\n" +
			"The function should output with:\n    list: The result,\n    continued.\n" +
			"You should write self-contained code starting with:\n```\nimport re\nfrom collections import Counter, deque\n" +
			"import os.path as p, json\nLIMIT = 3\ndef task_func(text, n=LIMIT):\n```",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s =\n%q\nwant\n%q", k, rec[k], v)
		}
	}
	if !strings.HasPrefix(rec["complete_prompt"], "import re\n") || !strings.HasSuffix(rec["complete_prompt"], "    \"\"\"\n") {
		t.Errorf("complete_prompt = %q", rec["complete_prompt"])
	}
}

func TestParseTaskErrors(t *testing.T) {
	cases := []struct {
		name, src, wantErr string
	}{
		{"no markers", "def task_func():\n    \"\"\"\n    x\n    \"\"\"\n", "want the marker lines"},
		{"markers swapped", strings.NewReplacer("# ---- test ----", "# ---- canonical_solution ----",
			"# ---- canonical_solution ----", "# ---- test ----").Replace(sample), "want the prompt, then"},
		{"no def", strings.Replace(sample, "def task_func(text, n=LIMIT):", "def other():", 1), "no one-line `def task_func"},
		{"multi-line signature", strings.Replace(sample, "def task_func(text, n=LIMIT):", "def task_func(text,\n        n=LIMIT):", 1), "no one-line"},
		{"code after the docstring", strings.Replace(sample, "    []\n    \"\"\"\n", "    []\n    \"\"\"\n    pass\n", 1), "must be a docstring"},
		{"no returns", strings.Replace(sample, "Returns:", "Gives:", 1), "no Returns: section"},
		{"no example", strings.Replace(sample, "Example:", "Sample:", 1), "no Example: section"},
		{"section twice", strings.Replace(sample, "Requirements:", "Raises:", 1), `section "Raises:" twice`},
		{"no TestCases", strings.Replace(sample, "class TestCases", "class Tests", 1), "no class TestCases"},
		{"non-ASCII", strings.Replace(sample, "Do a thing", "Do a th\u00efng", 1), "only printable ASCII"},
		{"tab", strings.Replace(sample, "    return []", "\treturn []", 1), "only printable ASCII"},
		{"empty solution", strings.Replace(sample, "    return []", "", 1), "empty canonical_solution"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseTask("CCWMini/0", c.src)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v; want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	file := &fstest.MapFile{Data: []byte(sample)}
	cases := []struct {
		name    string
		files   fstest.MapFS
		wantErr string
	}{
		{"empty", fstest.MapFS{}, "no task files"},
		{"bad name", fstest.MapFS{"Task.py": file}, "Task.py: want a name like"},
		{"same number", fstest.MapFS{"3_a.py": file, "03_b.py": file}, "CCWMini/3 is also"},
		{"names the file", fstest.MapFS{"04_x.py": &fstest.MapFile{Data: []byte("x = 1\n")}}, "04_x.py: want the marker lines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := build(c.files)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v; want one containing %q", err, c.wantErr)
			}
		})
	}
}
