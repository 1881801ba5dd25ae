package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// oneLine makes user-controlled text safe to print on one line of a terminal
// or a Markdown table: runs of whitespace (newlines, tabs) become one space,
// and control characters, bidirectional overrides and invalid UTF-8 are shown
// as escapes (\x1b, \u202e) instead of acting on the reader's screen.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			space = false
			fmt.Fprintf(&b, `\x%02x`, s[i-1])
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
		case unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF':
			space = false
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			space = false
			b.WriteRune(r)
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// isBidiControl reports the Unicode formatting characters that reorder text
// (the "Trojan Source" characters), which could make a path or message read
// differently from what it is.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// truncate shortens s to at most max runes, ending in "…" when it cut.
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}

// width is the number of runes in s, the column width the table writer pads to.
func width(s string) int { return utf8.RuneCountInString(s) }

// errWriter remembers the first error of w so a writer can print many lines
// and check once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

// printf writes a formatted string unless an earlier write failed.
func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// location is a finding's place for people: path:line, the path alone, the
// resource when there is no path, or "-".
func location(path string, line int, resource string) string {
	switch {
	case path != "" && line > 0:
		return fmt.Sprintf("%s:%d", path, line)
	case path != "":
		return path
	case resource != "":
		return resource
	default:
		return "-"
	}
}
