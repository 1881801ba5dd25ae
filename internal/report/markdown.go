package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

// markdownTextWidth limits a title in the Markdown table, in runes.
const markdownTextWidth = 120

// severityEmoji marks each severity in the Markdown table, beside its name.
var severityEmoji = [...]string{
	finding.Info:     "⚪",
	finding.Low:      "🔵",
	finding.Medium:   "🟡",
	finding.High:     "🟠",
	finding.Critical: "🔴",
}

// writeMarkdown writes a pull-request comment: a heading with counts by
// severity, a table of at most opts.MaxRows findings, and a collapsed section
// with the remediation of each rule in the table. Every piece of text that
// comes from a finding is escaped so that it shows as written and cannot
// break the table or add markup.
func writeMarkdown(w io.Writer, r *Report, opts Options) error {
	ew := &errWriter{w: w}
	findings := Sorted(r.Findings)
	if len(findings) == 0 {
		ew.printf("### palisade: no findings\n\nNo findings.\n")
		writeMarkdownScanErrors(ew, r.Scan.Errors)
		return ew.err
	}

	counts := severityCounts(findings)
	parts := make([]string, 0, len(severitiesDesc))
	for _, s := range severitiesDesc {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	noun := "findings"
	if len(findings) == 1 {
		noun = "finding"
	}
	ew.printf("### palisade: %d %s (%s)\n\n", len(findings), noun, strings.Join(parts, ", "))

	limit := opts.MaxRows
	if limit <= 0 {
		limit = DefaultMaxRows
	}
	shown := findings[:min(limit, len(findings))]
	ew.printf("| Severity | Rule | Location | Title |\n| --- | --- | --- | --- |\n")
	for _, f := range shown {
		title := f.Title
		if title == "" {
			title = f.Message
		}
		loc := "-"
		if f.Location.Path != "" || f.Resource != "" {
			loc = markdownCode(location(f.Location.Path, f.Location.StartLine, f.Resource))
		}
		ew.printf("| %s | %s | %s | %s |\n",
			markdownSeverity(f.Severity),
			MarkdownText(f.RuleID),
			loc,
			MarkdownText(truncate(oneLine(title), markdownTextWidth)))
	}
	if rest := len(findings) - len(shown); rest > 0 {
		ew.printf("\n_and %d more %s not shown._\n", rest, plural(rest, "finding", "findings"))
	}

	writeMarkdownRemediation(ew, shown)
	writeMarkdownScanErrors(ew, r.Scan.Errors)
	return ew.err
}

// writeMarkdownRemediation writes a collapsed list with one entry per rule
// of the table that has remediation text, in table order.
func writeMarkdownRemediation(ew *errWriter, shown []finding.Finding) {
	seen := map[string]bool{}
	var items []string
	for _, f := range shown {
		if seen[f.RuleID] || f.Remediation == "" {
			continue
		}
		seen[f.RuleID] = true
		items = append(items, fmt.Sprintf("- **%s** %s: %s",
			MarkdownText(f.RuleID), MarkdownText(oneLine(f.Title)), MarkdownText(oneLine(f.Remediation))))
	}
	if len(items) == 0 {
		return
	}
	ew.printf("\n<details>\n<summary>How to fix (%d %s)</summary>\n\n%s\n\n</details>\n",
		len(items), plural(len(items), "rule", "rules"), strings.Join(items, "\n"))
}

// writeMarkdownScanErrors notes the parts of the target that were skipped.
func writeMarkdownScanErrors(ew *errWriter, errs []string) {
	if len(errs) == 0 {
		return
	}
	ew.printf("\n<details>\n<summary>⚠️ %d scan %s: part of the target was not scanned</summary>\n\n",
		len(errs), plural(len(errs), "error", "errors"))
	for _, e := range errs {
		ew.printf("- %s\n", MarkdownText(oneLine(e)))
	}
	ew.printf("\n</details>\n")
}

// markdownSeverity is the severity cell: an emoji and the name.
func markdownSeverity(s finding.Severity) string {
	if s < finding.Info || s > finding.Critical {
		return s.String()
	}
	return severityEmoji[s] + " " + s.String()
}

// MarkdownText escapes user-controlled text for a Markdown table cell or a
// list item: it is put on one line, and every character with a meaning in
// GitHub Markdown (emphasis, code, links, HTML, entities, table pipes,
// mentions) gets a backslash, so it renders as the literal character.
func MarkdownText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~&#!@$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// markdownCode shows user-controlled text in code font. It uses a <code>
// element around escaped text rather than a backtick code span, because a
// code span cannot escape a backtick or a backslash before a table pipe.
func markdownCode(s string) string {
	return "<code>" + MarkdownText(s) + "</code>"
}

// plural picks the singular or plural noun for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
