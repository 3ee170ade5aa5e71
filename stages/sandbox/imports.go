package sandbox

import (
	"slices"
	"sort"
	"strings"
)

// Imports returns the absolute modules src names in its import statements,
// read without running it: "import a.b as c, d" gives a.b and d, "from a.b
// import c, d" gives a.b, a.b.c and a.b.d (c may be a submodule). Strings
// and comments are skipped, relative imports ignored; imports a program
// builds at run time (__import__, importlib) are not seen. The result is
// sorted and without duplicates; invalid Python gives what could be read.
func Imports(src string) []string {
	seen := map[string]bool{}
	for _, stmt := range logicalLines(src) {
		for _, part := range strings.Split(stmt, ";") {
			addImports(strings.Fields(part), seen)
		}
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// addImports adds the modules of one simple statement, split into words.
func addImports(w []string, seen map[string]bool) {
	if len(w) < 2 {
		return
	}
	switch w[0] {
	case "import":
		for _, item := range strings.Split(strings.Join(w[1:], " "), ",") {
			if f := strings.Fields(item); len(f) > 0 && dotted(f[0]) {
				seen[f[0]] = true
			}
		}
	case "from":
		mod := w[1]
		if !dotted(mod) || len(w) < 4 || w[2] != "import" {
			return
		}
		seen[mod] = true
		names := strings.Trim(strings.Join(w[3:], " "), "() ")
		for _, item := range strings.Split(names, ",") {
			if f := strings.Fields(strings.Trim(item, "() ")); len(f) > 0 && f[0] != "*" && dotted(f[0]) {
				seen[mod+"."+f[0]] = true
			}
		}
	}
}

// dotted reports whether s is an absolute dotted module name.
func dotted(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// logicalLines splits Python source into logical lines with strings and
// comments replaced by a space: brackets and backslashes join physical
// lines, as the tokenizer does.
func logicalLines(src string) []string {
	var lines []string
	var cur strings.Builder
	depth := 0
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			lines = append(lines, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case c == '\'' || c == '"':
			i = skipString(src, i) - 1
			cur.WriteByte(' ')
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i++
			cur.WriteByte(' ')
		case c == '\n':
			if depth > 0 {
				cur.WriteByte(' ')
			} else {
				flush()
			}
		case c == '(' || c == '[' || c == '{':
			depth++
			cur.WriteByte(c)
		case c == ')' || c == ']' || c == '}':
			depth = max(depth-1, 0)
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return lines
}

// skipString returns the index just past the string literal that starts
// with the quote at src[i] (a prefix such as r or f was already written as
// part of a word, which is harmless).
func skipString(src string, i int) int {
	q := src[i]
	// A backslash keeps the next character in the string, raw or not.
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		end := string([]byte{q, q, q})
		for j := i + 3; j < len(src); j++ {
			if src[j] == '\\' {
				j++
				continue
			}
			if strings.HasPrefix(src[j:], end) {
				return j + 3
			}
		}
		return len(src)
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case q:
			return j + 1
		case '\n':
			return j // unterminated: the line ends it
		}
	}
	return len(src)
}

// topLevel returns the distinct top-level packages of sorted modules.
func topLevel(mods []string) []string {
	var out []string
	for _, m := range mods {
		top, _, _ := strings.Cut(m, ".")
		if !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	return out
}
