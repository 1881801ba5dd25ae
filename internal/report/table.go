package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Column limits of the table, in runes. A longer cell is cut with "…"; the
// location keeps its end, where the file name and line are.
const (
	tableRuleWidth     = 40
	tableLocationWidth = 60
	tableTextWidth     = 100
)

// ANSI colours of the severity column.
const ansiReset = "\x1b[0m"

var severityColors = [...]string{
	finding.Info:     "\x1b[2m",
	finding.Low:      "\x1b[36m",
	finding.Medium:   "\x1b[33m",
	finding.High:     "\x1b[31m",
	finding.Critical: "\x1b[1;31m",
}

// writeTable prints findings as aligned columns for a terminal, then a
// summary by severity and any scan errors.
func writeTable(w io.Writer, r *Report, opts Options) error {
	ew := &errWriter{w: w}
	findings := Sorted(r.Findings)
	if len(findings) == 0 {
		ew.printf("No findings.\n")
	} else {
		rows := [][4]string{{"SEVERITY", "RULE", "LOCATION", "TITLE"}}
		for _, f := range findings {
			rows = append(rows, [4]string{
				f.Severity.String(),
				truncate(oneLine(f.RuleID), tableRuleWidth),
				truncateLeft(oneLine(location(f.Location.Path, f.Location.StartLine, f.Resource)), tableLocationWidth),
				truncate(oneLine(headline(f)), tableTextWidth),
			})
		}
		var widths [3]int
		for _, row := range rows {
			for i := range widths {
				widths[i] = max(widths[i], width(row[i]))
			}
		}
		for i, row := range rows {
			sev := row[0]
			if i > 0 && opts.Color {
				sev = colorize(findings[i-1].Severity, sev)
			}
			ew.printf("%s%s  %s%s  %s%s  %s\n",
				sev, pad(row[0], widths[0]),
				row[1], pad(row[1], widths[1]),
				row[2], pad(row[2], widths[2]),
				row[3])
		}
		ew.printf("\n%s\n", tableSummary(findings, opts.Color))
	}
	if len(r.Scan.Errors) > 0 {
		ew.printf("\n%d scan %s, part of the target was not scanned:\n",
			len(r.Scan.Errors), plural(len(r.Scan.Errors), "error", "errors"))
		for _, e := range r.Scan.Errors {
			ew.printf("  %s\n", oneLine(e))
		}
	}
	return ew.err
}

// headline is the text column: the title and, when it adds something, the message.
func headline(f finding.Finding) string {
	switch {
	case f.Title == "":
		return f.Message
	case f.Message == "" || f.Message == f.Title:
		return f.Title
	default:
		return f.Title + ": " + f.Message
	}
}

// tableSummary is the closing line: "5 findings: 1 critical, 2 high, ...".
func tableSummary(findings []finding.Finding, color bool) string {
	counts := severityCounts(findings)
	parts := make([]string, 0, len(severitiesDesc))
	for _, s := range severitiesDesc {
		p := fmt.Sprintf("%d %s", counts[s], s)
		if color && counts[s] > 0 {
			p = colorize(s, p)
		}
		parts = append(parts, p)
	}
	noun := "findings"
	if len(findings) == 1 {
		noun = "finding"
	}
	return fmt.Sprintf("%d %s: %s", len(findings), noun, strings.Join(parts, ", "))
}

// colorize wraps s in the ANSI colour of severity s.
func colorize(sev finding.Severity, s string) string {
	if sev < finding.Info || sev > finding.Critical {
		return s
	}
	return severityColors[sev] + s + ansiReset
}

// pad is the spaces that bring s to width w.
func pad(s string, w int) string {
	return strings.Repeat(" ", max(0, w-width(s)))
}

// truncateLeft shortens s to at most max runes by cutting its start, for
// paths whose end matters most.
func truncateLeft(s string, max int) string {
	n := width(s)
	if max <= 1 || n <= max {
		return s
	}
	r := []rune(s)
	return "…" + string(r[n-(max-1):])
}
