package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

func TestTableColor(t *testing.T) {
	tests := []struct {
		name  string
		color bool
		want  bool
	}{
		{"colour when asked", true, true},
		{"no escape codes otherwise", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write("table", &buf, fixtureReport(), Options{Color: tt.color}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "\x1b["); got != tt.want {
				t.Errorf("escape codes present = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTableColumnsAlign(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write("table", &buf, fixtureReport(), Options{Color: color}); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(buf.String(), "\n")
		header := lines[0]
		col := strings.Index(header, "TITLE")
		for _, line := range lines[1:9] {
			visible := stripANSI(line)
			if []rune(visible)[col-1] != ' ' || []rune(visible)[col] == ' ' {
				t.Errorf("color=%v: title column does not start at %d:\n%s\n%s", color, col, header, visible)
			}
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTableTruncatesAndSanitises(t *testing.T) {
	r := emptyReport()
	r.Findings = []finding.Finding{{
		RuleID:   "R1",
		Severity: finding.High,
		Title:    "Title",
		Message:  strings.Repeat("long message ", 40) + "\x1b]0;pwned\x07 \u202etxt.exe",
		Location: finding.Location{Path: strings.Repeat("deep/", 30) + "file.go", StartLine: 9},
	}}
	var buf bytes.Buffer
	if err := Write("table", &buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	row := strings.Split(buf.String(), "\n")[1]
	if strings.ContainsAny(row, "\x1b\x07\u202e") {
		t.Errorf("control characters reached the terminal: %q", row)
	}
	if !strings.Contains(row, "  …deep/") || !strings.Contains(row, "/file.go:9  ") {
		t.Errorf("long path was not cut at its start keeping the file and line: %q", row)
	}
	if !strings.HasSuffix(row, "…") || width(row) > tableLocationWidth+tableTextWidth+20 {
		t.Errorf("long message was not truncated (%d runes): %q", width(row), row)
	}
}

func TestTableEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write("table", &buf, emptyReport(), Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No findings.\n" {
		t.Errorf("empty table = %q", buf.String())
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"whitespace collapses", "a \n\t b\r\n", "a b"},
		{"escape sequence shown", "\x1b[2J", `\x1b[2J`},
		{"bidi override shown", "a\u202eb", `a\u202eb`},
		{"invalid utf-8 shown", "a\xffb", `a\xffb`},
		{"unicode kept", "café ✓", "café ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oneLine(tt.in); got != tt.want {
				t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer sentence", 10, "a longer…"},
		{"ééééééééééé", 5, "éééé…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
