package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

func TestMarkdownText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is unchanged", "S3 bucket is public", "S3 bucket is public"},
		{"pipe cannot end the cell", "a | b", `a \| b`},
		{"backtick cannot open code", "use `rm -rf`", "use \\`rm -rf\\`"},
		{"html tag is literal", "<img src=x onerror=alert(1)>", `\<img src=x onerror=alert(1)\>`},
		{"details cannot be closed", "</details>", `\</details\>`},
		{"link syntax is literal", "[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"image syntax is literal", "![x](y)", `\!\[x\](y)`},
		{"emphasis is literal", "**bold** _it_ ~~del~~", `\*\*bold\*\* \_it\_ \~\~del\~\~`},
		{"entity is literal", "&lt;", `\&lt;`},
		{"mention is escaped", "@octocat", `\@octocat`},
		{"math is literal", "$x$", `\$x\$`},
		{"backslash before pipe stays escaped", `a\|b`, `a\\\|b`},
		{"newlines cannot start a new row", "a\n| x | y |\nb", `a \| x \| y \| b`},
		{"control characters are shown", "a\x1b[31mb", `a\\x1b\[31mb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MarkdownText(tt.in); got != tt.want {
				t.Errorf("MarkdownText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// hostileReport has a finding whose every user-controlled field tries to
// break the Markdown table or inject markup.
func hostileReport() *Report {
	r := emptyReport()
	r.Findings = []finding.Finding{{
		RuleID:      "R|1`x`",
		Category:    finding.Code,
		Severity:    finding.High,
		Title:       "title | with `code` and <b>html</b>\n| injected | row |",
		Remediation: "fix </details> then [link](http://x) |",
		Location:    finding.Location{Path: "dir/we`ird|na\\me\n.go", StartLine: 3},
	}}
	r.Scan.Errors = []string{"x</details><script>alert(1)</script>"}
	return r
}

func TestMarkdownHostileTextKeepsTableShape(t *testing.T) {
	var buf bytes.Buffer
	if err := Write("markdown", &buf, hostileReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "|") {
			rows = append(rows, line)
		}
	}
	if len(rows) != 3 {
		t.Fatalf("got %d table lines, want header, separator and one row:\n%s", len(rows), out)
	}
	// GitHub splits a row at every pipe not escaped by a backslash; count them
	// the same way: a backslash escapes the character after it.
	if got := cellCount(rows[2]); got != cellCount(rows[0]) {
		t.Errorf("row has %d cells, header %d:\n%s", got, cellCount(rows[0]), rows[2])
	}
	for _, bad := range []string{"<b>", "</details><script>", " [link](", "`code`"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains unescaped %q:\n%s", bad, out)
		}
	}
	if n := strings.Count(out, "</details>"); n != strings.Count(out, "<details>") {
		t.Errorf("%d </details> for %d <details>: user text closed a section", n, strings.Count(out, "<details>"))
	}
}

// cellCount counts the cells of a Markdown table row, treating a backslash
// as escaping the next character.
func cellCount(row string) int {
	pipes := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			pipes++
		}
	}
	return pipes - 1
}

func TestMarkdownRowLimit(t *testing.T) {
	tests := []struct {
		name     string
		findings int
		maxRows  int
		rows     int
		more     string
	}{
		{"under the limit shows all", 5, 10, 5, ""},
		{"at the limit shows all", 10, 10, 10, ""},
		{"over the limit counts the rest", 12, 10, 10, "_and 2 more findings not shown._"},
		{"one over uses singular", 11, 10, 10, "_and 1 more finding not shown._"},
		{"zero means the default", DefaultMaxRows + 3, 0, DefaultMaxRows, "_and 3 more findings not shown._"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := emptyReport()
			for i := range tt.findings {
				r.Findings = append(r.Findings, finding.Finding{
					RuleID: fmt.Sprintf("R%03d", i), Severity: finding.Low, Title: "t",
					Remediation: "fix it", Location: finding.Location{Path: "a.go", StartLine: i + 1},
				})
			}
			var buf bytes.Buffer
			if err := Write("markdown", &buf, r, Options{MaxRows: tt.maxRows}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if got := strings.Count(out, "\n| 🔵 low |"); got != tt.rows {
				t.Errorf("got %d rows, want %d", got, tt.rows)
			}
			if tt.more != "" && !strings.Contains(out, tt.more) {
				t.Errorf("output lacks %q", tt.more)
			}
			if tt.more == "" && strings.Contains(out, "more") {
				t.Errorf("output has a 'more' line with every row shown")
			}
			if got := strings.Count(out, "\n- **R"); got != tt.rows {
				t.Errorf("remediation lists %d rules, want the %d in the table", got, tt.rows)
			}
		})
	}
}

// FuzzMarkdownText checks that no text, however hostile, can leave its table
// cell: the escaped form is one line, splits into exactly one cell, and has
// no character that starts markup without a backslash before it.
func FuzzMarkdownText(f *testing.F) {
	for _, seed := range []string{"a | b", "`x`", `\|`, "<details>", "a\nb", "\\", "[x](y)", "\x1b[31m", "é\u202e"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := MarkdownText(s)
		if strings.ContainsAny(out, "\n\r") {
			t.Fatalf("escaped text spans lines: %q", out)
		}
		if n := cellCount("| " + out + " |"); n != 1 {
			t.Fatalf("escaped text %q makes %d cells", out, n)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("`*_[]<>|~&#!@$", out[i]) >= 0 {
				t.Fatalf("unescaped %q at %d in %q", out[i], i, out)
			}
		}
	})
}
