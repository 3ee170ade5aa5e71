package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
)

//go:generate go run . -o ../ccw-mini.jsonl

//go:embed *.py
var taskFiles embed.FS

func main() {
	out := flag.String("o", "ccw-mini.jsonl", "file to write")
	flag.Parse()
	data, err := build(taskFiles)
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccw-mini:", err)
		os.Exit(1)
	}
}

// fieldOrder is the key order of a BigCodeBench record.
var fieldOrder = []string{"task_id", "complete_prompt", "instruct_prompt", "canonical_solution",
	"code_prompt", "test", "entry_point", "doc_struct", "libs"}

const (
	solutionMarker = "# ---- canonical_solution ----"
	testMarker     = "# ---- test ----"
	idPrefix       = "CCWMini/"
)

var fileName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.py$`)

// build renders every task file of files, in name order, as JSON lines.
func build(files fs.FS) ([]byte, error) {
	names, err := fs.Glob(files, "*.py")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no task files")
	}
	var out bytes.Buffer
	seen := map[string]string{}
	for _, name := range names {
		m := fileName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return nil, fmt.Errorf("%s: want a name like 07_short_name.py", name)
		}
		n, _ := strconv.Atoi(m[1])
		id := idPrefix + strconv.Itoa(n)
		if other, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s: %s is also %s", name, id, other)
		}
		seen[id] = name
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		rec, err := parseTask(id, string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out.Write(encodeRecord(rec))
	}
	return out.Bytes(), nil
}

// parseTask splits a task file into its sections and derives the record.
func parseTask(id, src string) (map[string]string, error) {
	for i, r := range src {
		if r > 0x7e || (r < 0x20 && r != '\n') {
			return nil, fmt.Errorf("byte %d: only printable ASCII, spaces and newlines are allowed (got %q)", i, r)
		}
	}
	lines := strings.Split(src, "\n")
	start := 0
	for start < len(lines) && (strings.HasPrefix(lines[start], "#") || strings.TrimSpace(lines[start]) == "") {
		start++
	}
	sol, test := indexOf(lines, solutionMarker), indexOf(lines, testMarker)
	switch {
	case sol < 0 || test < 0:
		return nil, fmt.Errorf("want the marker lines %q and %q", solutionMarker, testMarker)
	case !(start < sol && sol < test):
		return nil, fmt.Errorf("want the prompt, then %q, then %q", solutionMarker, testMarker)
	}
	prompt := strings.Join(trimBlank(lines[start:sol]), "\n") + "\n"
	p, err := parsePrompt(prompt)
	if err != nil {
		return nil, err
	}
	rec := map[string]string{
		"task_id":            id,
		"complete_prompt":    prompt,
		"instruct_prompt":    p.doc.instruct(p.code),
		"canonical_solution": strings.Join(trimBlank(lines[sol+1:test]), "\n"),
		"code_prompt":        p.code,
		"test":               strings.Join(trimBlank(lines[test+1:]), "\n"),
		"entry_point":        "task_func",
		"doc_struct":         p.doc.json(),
		"libs":               pythonList(p.libs),
	}
	if !strings.Contains(rec["test"], "class TestCases(unittest.TestCase):") {
		return nil, fmt.Errorf("the test section has no class TestCases(unittest.TestCase)")
	}
	if strings.TrimSpace(rec["canonical_solution"]) == "" {
		return nil, fmt.Errorf("empty canonical_solution")
	}
	return rec, nil
}

func indexOf(lines []string, marker string) int {
	for i, l := range lines {
		if strings.TrimRight(l, " ") == marker {
			return i
		}
	}
	return -1
}

// trimBlank drops blank lines at both ends.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// pythonList renders names as Python's repr of a list of str.
func pythonList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// encodeRecord writes one JSON line the way Python's json.dumps does by
// default (", " and ": " separators, no HTML escaping), keys in
// BigCodeBench's order.
func encodeRecord(rec map[string]string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range fieldOrder {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonString(k))
		b.WriteString(": ")
		b.WriteString(jsonString(rec[k]))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
