package pystr

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/ccw-dev/ccw/internal/testenv"
)

func TestSplitLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\n\n", []string{"a", ""}},
		{"\n", []string{""}},
		{"a\r\nb\rc\vd\fe\x1cf\x1dg\x1eh\u0085i\u2028j\u2029k", strings.Split("abcdefghijk", "")},
		{"a\r\r\nb", []string{"a", "", "b"}},
		{"x\x1fy", []string{"x\x1fy"}}, // unit separator is space, not a break
	}
	for _, tt := range tests {
		if got := SplitLines(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlices(t *testing.T) {
	tests := []struct {
		s          string
		n          int
		head, tail string
	}{
		{"abcdef", 2, "ab", "ef"},
		{"abcdef", 0, "", "abcdef"}, // s[-0:] is the whole string
		{"abcdef", 10, "abcdef", "abcdef"},
		{"abcdef", -2, "abcd", "cdef"},
		{"abcdef", -10, "", ""},
		{"äöü", 2, "äö", "öü"},
	}
	for _, tt := range tests {
		if got := Head(tt.s, tt.n); got != tt.head {
			t.Errorf("Head(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.head)
		}
		if got := Tail(tt.s, tt.n); got != tt.tail {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.tail)
		}
	}
	if Strip("\x1c\u00a0 a b\u2003\n") != "a b" || RStrip(" a \t") != " a" {
		t.Errorf("Strip/RStrip do not use Python's white space")
	}
}

// TestAgainstPython checks every function against the interpreter itself
// on strings made of all the characters that matter.
func TestAgainstPython(t *testing.T) {
	testenv.NeedPython(t)
	alphabet := []string{"a", "é", " ", "\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x1f", "\u0085", "\u00a0", "\u2028", "\u2029", "\u2003", "\t", "\u200b"}
	var inputs []string
	for i, a := range alphabet {
		for j, b := range alphabet {
			inputs = append(inputs, a+b+alphabet[(i+j)%len(alphabet)]+"x"+b, b+"x"+a+a)
		}
	}
	in, _ := json.Marshal(inputs)
	const script = `import json, sys
out = []
for s in json.load(sys.stdin):
    out.append({"lines": s.splitlines(), "strip": s.strip(), "rstrip": s.rstrip(), "len": len(s),
                "heads": [s[:n] for n in range(-6, 7)], "tails": [s[-n:] for n in range(-6, 7)]})
json.dump(out, sys.stdout)`
	cmd := exec.Command(testenv.Python, "-I", "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []struct {
		Lines  []string `json:"lines"`
		Strip  string   `json:"strip"`
		RStrip string   `json:"rstrip"`
		Len    int      `json:"len"`
		Heads  []string `json:"heads"`
		Tails  []string `json:"tails"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for i, s := range inputs {
		w := want[i]
		got := SplitLines(s)
		if len(got) != len(w.Lines) || (len(got) > 0 && !reflect.DeepEqual(got, w.Lines)) {
			t.Errorf("SplitLines(%q) = %q, python %q", s, got, w.Lines)
		}
		if Strip(s) != w.Strip || RStrip(s) != w.RStrip || Len(s) != w.Len {
			t.Errorf("%q: Strip %q RStrip %q Len %d, python %q %q %d", s, Strip(s), RStrip(s), Len(s), w.Strip, w.RStrip, w.Len)
		}
		for k, n := 0, -6; n <= 6; k, n = k+1, n+1 {
			if Head(s, n) != w.Heads[k] || Tail(s, n) != w.Tails[k] {
				t.Errorf("%q n=%d: Head %q Tail %q, python %q %q", s, n, Head(s, n), Tail(s, n), w.Heads[k], w.Tails[k])
			}
		}
	}
	t.Logf("%d strings agree with python", len(inputs))
}

// TestUpperAgainstPython compares Upper with str.upper() on every code
// point: python lists the ones it changes, all others must stay.
func TestUpperAgainstPython(t *testing.T) {
	testenv.NeedPython(t)
	const script = `import sys
for r in range(0x110000):
    if 0xD800 <= r <= 0xDFFF:
        continue
    c = chr(r)
    u = c.upper()
    if u != c:
        sys.stdout.write("%x %s\n" % (r, u.encode("utf-8").hex()))`
	raw, err := exec.Command(testenv.Python, "-I", "-c", script).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	want := map[rune]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r rune
		var hexUp string
		if _, err := fmt.Sscanf(line, "%x %s", &r, &hexUp); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		b, _ := hex.DecodeString(hexUp)
		want[r] = string(b)
	}
	if len(want) < 1000 {
		t.Fatalf("python listed only %d mappings", len(want))
	}
	bad := 0
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		w, ok := want[r]
		if !ok {
			w = string(r)
		}
		if got := Upper(string(r)); got != w && bad < 20 {
			bad++
			t.Errorf("Upper(%U) = %q, python %q", r, got, w)
		}
	}
	if got := Upper("test_straße (x='ﬁ')"); got != "TEST_STRASSE (X='FI')" {
		t.Errorf("Upper mixed: %q", got)
	}
}
