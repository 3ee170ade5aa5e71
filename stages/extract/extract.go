package extract

import (
	"regexp"
	"strings"
)

// Method says how Code found the code.
type Method string

// Methods of Code.
const (
	FencedPython Method = "fenced_python" // a complete ```python (or py, python3) block
	FencedBare   Method = "fenced"        // a complete block with no or another language
	Unclosed     Method = "unclosed"      // an opening fence the answer never closed (cut by a stop or max_tokens)
	WholeText    Method = "whole_text"    // fidelity: no fence, the whole text
	FieldText    Method = "field_text"    // no fence, but the output field held text: taken as code
	None         Method = "none"          // no code in the answer
)

// Result is the code found in an answer.
type Result struct {
	Code    string
	HasCode bool
	Method  Method
}

// Field returns the text after the first occurrence of prefix at the start
// of a line (a dspy-style output field such as "Code:"), with the blank
// after the prefix removed; the whole text when prefix is empty or absent.
func Field(text, prefix string) (string, bool) {
	if prefix == "" {
		return text, false
	}
	i := -1
	if strings.HasPrefix(text, prefix) {
		i = 0
	} else if j := strings.Index(text, "\n"+prefix); j >= 0 {
		i = j + 1
	}
	if i < 0 {
		return text, false
	}
	return strings.TrimLeft(text[i+len(prefix):], " \t"), true
}

// Code extracts code from an answer. Without fidelity it takes the first
// complete fenced block whose language is Python or empty, else the first
// complete block of any language, else an opening fence up to the end;
// without any fence there is no code. With fidelity it follows the
// original parser step by step (see Fidelity).
func Code(text string, fidelity bool) Result {
	if fidelity {
		return Fidelity(text)
	}
	blocks, open := fences(text)
	for _, b := range blocks {
		if b.python || b.lang == "" {
			return result(b.body, methodOf(b))
		}
	}
	if len(blocks) > 0 {
		return result(blocks[0].body, FencedBare)
	}
	if open != nil {
		return result(open.body, Unclosed)
	}
	return Result{Method: None}
}

func methodOf(b block) Method {
	if b.python {
		return FencedPython
	}
	return FencedBare
}

func result(code string, m Method) Result {
	if strings.TrimSpace(code) == "" {
		return Result{Method: None}
	}
	return Result{Code: code, HasCode: true, Method: m}
}

type block struct {
	lang   string
	python bool
	body   string
}

// fenceRE finds an opening fence: anywhere on a line (models write
// "Code: ```python"), followed only by an optional language.
var fenceRE = regexp.MustCompile("(`{3,}|~{3,})[ \t]*([^`~\\s]*)[ \t]*$")

// Fence is one fenced block of a text split into lines (see Fences).
type Fence struct {
	Open  int    // index of the line with the opening fence
	At    int    // byte offset of the fence in that line: text before it is prose
	Close int    // index of the line with the closing fence; len(lines) when never closed
	Lang  string // the language after the opening fence, lower-cased
}

// Closed reports whether the block has a closing fence.
func (f Fence) Closed(lines []string) bool { return f.Close < len(lines) }

// Fences finds the fenced blocks of lines, in order. An opening fence may
// follow text on its line (models write "Code: ```python") and be
// followed only by a language; a closing fence stands alone on its line,
// with any indentation, of the same character and at least as long. When
// the text ends inside a block, that block comes last with Close ==
// len(lines).
func Fences(lines []string) []Fence {
	var out []Fence
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatchIndex(lines[i])
		if m == nil || strings.ContainsAny(lines[i][:m[0]], "`~") {
			continue // no fence, or the end of inline code ("use `x` or ```y``` here")
		}
		fence := lines[i][m[2]:m[3]]
		f := Fence{Open: i, At: m[0], Lang: strings.ToLower(lines[i][m[4]:m[5]])}
		j := i + 1
		for j < len(lines) && !closes(lines[j], fence) {
			j++
		}
		f.Close = j
		out = append(out, f)
		i = j
	}
	return out
}

// fences scans fenced blocks: complete ones in order, and the first
// opening fence that is never closed.
func fences(text string) (blocks []block, open *block) {
	lines := strings.Split(text, "\n")
	for _, f := range Fences(lines) {
		b := block{lang: f.Lang, python: f.Lang == "python" || f.Lang == "py" || f.Lang == "python3"}
		b.body = strings.Join(lines[f.Open+1:min(f.Close, len(lines))], "\n")
		if !f.Closed(lines) {
			return blocks, &b
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// closes reports whether line closes a block opened by fence: the same
// character, at least as long, nothing else on the line but blanks.
func closes(line, fence string) bool {
	t := strings.TrimLeft(line, " \t")
	n := 0
	for n < len(t) && t[n] == fence[0] {
		n++
	}
	return n >= len(fence) && strings.TrimSpace(t[n:]) == ""
}

var (
	fidelityPython = regexp.MustCompile("(?s)```python[ \n](.*?)[ \n]```?")
	fidelityBare   = regexp.MustCompile("(?s)```[ \n](.*?)[ \n]```?")
)

// Fidelity is the original parser (protocol.md §2.4): cut at the first
// "\n\n---\n\n", then at the first "\n\n\n" (so code with two consecutive
// blank lines is truncated), then take a ```python fence, else a bare
// fence, else the whole text, and finally delete every remaining "```".
// When the cut removed the closing fence, the whole-text fallback leaves a
// stray "python" line at the top, as the original does.
func Fidelity(text string) Result {
	text, _, _ = strings.Cut(text, "\n\n---\n\n")
	text, _, _ = strings.Cut(text, "\n\n\n")
	method := WholeText
	code := text
	if m := fidelityPython.FindStringSubmatch(text); m != nil {
		code, method = m[1], FencedPython
	} else if m := fidelityBare.FindStringSubmatch(text); m != nil {
		code, method = m[1], FencedBare
	}
	return result(strings.ReplaceAll(code, "```", ""), method)
}
