package pystr

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsSpace reports whether Python's str.isspace() holds for r: Unicode
// white space plus the separators U+001C..U+001F, which Python counts as
// white space and Go's unicode.IsSpace does not.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's s.strip() without arguments.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// RStrip is Python's s.rstrip() without arguments.
func RStrip(s string) string { return strings.TrimRightFunc(s, IsSpace) }

// isBreak reports whether r ends a line for str.splitlines(); "\r\n" is
// handled by the caller.
func isBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// SplitLines is Python's s.splitlines(): lines without their line breaks,
// where a break is any of \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, \x85,
// U+2028 and U+2029. A break at the very end makes no empty last line, and
// the empty string has no lines.
func SplitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isBreak(r) {
			i += size
			continue
		}
		lines = append(lines, s[start:i])
		i += size
		if r == '\r' && i < len(s) && s[i] == '\n' {
			i++
		}
		start = i
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// Len is Python's len(s): the number of code points.
func Len(s string) int { return utf8.RuneCountInString(s) }

// Head is Python's s[:n] over code points: the first n code points for
// n ≥ 0, all but the last -n for n < 0.
func Head(s string, n int) string {
	return s[:byteIndex(s, n)]
}

// Tail is Python's s[-n:] over code points: the last n code points for
// n > 0, the whole string for n == 0 (since -0 == 0), and all but the first
// -n code points for n < 0.
func Tail(s string, n int) string {
	if n == 0 {
		return s
	}
	return s[byteIndex(s, -n):]
}

// byteIndex turns a Python slice bound over code points (negative counts
// from the end, clamped to the string) into a byte offset.
func byteIndex(s string, i int) int {
	if i < 0 {
		i += Len(s)
		if i < 0 {
			i = 0
		}
	}
	off := 0
	for k := 0; k < i; k++ {
		if off >= len(s) {
			return len(s)
		}
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}
