package pytool

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// compileCases are inputs of the compile golden test; generated ones are
// hostile.
var compileCases = []struct{ name, code string }{
	{"ok", "import os\n\ndef task_func():\n    return os.sep\n"},
	{"empty", ""},
	{"crlf", "x = 1\r\ny = (x +\r\n     2)\r\n"},
	{"unclosed_paren", "def task_func(a):\n    return (a +\n"},
	{"bad_def", "def task_func(:\n    pass\n"},
	{"expected_indent", "def task_func():\nreturn 1\n"},
	{"unexpected_indent", "x = 1\n    y = 2\n"},
	{"tab_error", "def f():\n\tif 1:\n        pass\n"},
	{"return_outside", "return 5\n"},
	{"fstring", "x = f'{'\n"},
	{"unicode_quote", "print(‘hello’)\n"},
	{"nul_byte", "x = 1\x00\n"},
	{"invalid_utf8_in_string", "x = '\xed\xa0\x80'\n"}, // a UTF-8 surrogate: reaches Python as U+FFFD
	{"invalid_utf8_name", "\xff = 1\n"},
	{"int_digits", "x = " + strings.Repeat("7", 5000) + "\n"},
	{"deep_binop", "x = " + strings.Repeat("1+", 300000) + "1\n"},
	{"deep_not", "x = " + strings.Repeat("not ", 100000) + "1\n"},
	{"deep_parens", "x = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + "\n"},
	{"deep_indent", deepIndent(120)},
	{"big_string", "x = '" + strings.Repeat("a", 1<<20) + "'\n"},
}

func deepIndent(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%sif x:\n", strings.Repeat(" ", i))
	}
	return b.String() + strings.Repeat(" ", n) + "pass\n"
}

// TestCompileGolden checks the feedback of each case against
// testdata/compile/NAME.golden: the sentinel, or a traceback of the
// original's shape, or the words of a limit.
func TestCompileGolden(t *testing.T) {
	p := localPool(t, Options{})
	for _, c := range compileCases {
		t.Run(c.name, func(t *testing.T) {
			r, err := p.Compile(t.Context(), c.code)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != (r.Feedback == Sentinel) {
				t.Errorf("ok=%v with feedback %q", r.OK, r.Feedback)
			}
			if !r.OK && r.Limit == "" && !strings.HasPrefix(r.Feedback, "Traceback (most recent call last):\n  File \"ccw_check.py\", line 3, in compile_code\n    compile(code, \"tmp.py\", \"exec\")\n") {
				t.Errorf("feedback does not start with the header and the helper's frame:\n%s", r.Feedback)
			}
			golden(t, filepath.Join("compile", c.name+".golden"), fmt.Sprintf("ok=%v limit=%q\n%s", r.OK, r.Limit, r.Feedback))
		})
	}
}

// TestCompileDeterministic checks that two helpers give the same bytes.
func TestCompileDeterministic(t *testing.T) {
	a, b := localPool(t, Options{}), localPool(t, Options{})
	for _, c := range compileCases[:12] {
		ra, err := a.Compile(t.Context(), c.code)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Compile(t.Context(), c.code)
		if err != nil {
			t.Fatal(err)
		}
		if ra != rb {
			t.Errorf("%s: %q vs %q", c.name, ra.Feedback, rb.Feedback)
		}
	}
}
