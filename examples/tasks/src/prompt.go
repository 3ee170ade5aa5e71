package main

import (
	"fmt"
	"regexp"
	"strings"
)

// prompt is what the complete_prompt of a task yields.
type prompt struct {
	code string    // code_prompt
	doc  docStruct // the parsed docstring
	libs []string  // imported top-level modules, in order of appearance
}

var (
	importLine = regexp.MustCompile(`^import\s+(.+)$`)
	fromLine   = regexp.MustCompile(`^from\s+([A-Za-z_][A-Za-z0-9_.]*)\s+import\s`)
	defLine    = regexp.MustCompile(`^def task_func\(.*\):$`)
)

// parsePrompt reads the imports, constants, the one-line signature of
// task_func and its docstring, which must end the prompt.
func parsePrompt(text string) (prompt, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	def := -1
	for i, l := range lines {
		if defLine.MatchString(l) {
			def = i
			break
		}
	}
	if def < 0 {
		return prompt{}, fmt.Errorf("the prompt has no one-line `def task_func(...):`")
	}
	var p prompt
	var code []string
	for _, l := range lines[:def+1] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		code = append(code, l)
		p.libs = appendImports(p.libs, l)
	}
	p.code = strings.Join(code, "\n") + "\n"

	body := lines[def+1:]
	if len(body) < 2 || strings.TrimSpace(body[0]) != `"""` || strings.TrimSpace(body[len(body)-1]) != `"""` {
		return prompt{}, fmt.Errorf(`task_func's body in the prompt must be a docstring whose quotes """ stand on lines of their own`)
	}
	doc, err := parseDocstring(body[1 : len(body)-1])
	if err != nil {
		return prompt{}, err
	}
	p.doc = doc
	return p, nil
}

// appendImports adds the top-level modules an import line names.
func appendImports(libs []string, line string) []string {
	var mods []string
	if m := fromLine.FindStringSubmatch(line); m != nil {
		mods = []string{m[1]}
	} else if m := importLine.FindStringSubmatch(line); m != nil {
		for _, part := range strings.Split(m[1], ",") {
			mods = append(mods, strings.Fields(part)[0])
		}
	}
	for _, mod := range mods {
		top, _, _ := strings.Cut(mod, ".")
		if !contains(libs, top) {
			libs = append(libs, top)
		}
	}
	return libs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
