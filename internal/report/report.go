// Package report writes scan results in the formats palisade offers: an
// aligned table for people, stable JSON for programs, SARIF 2.1.0 for code
// scanning dashboards, Markdown for pull-request comments, and a
// self-contained HTML page to attach to a ticket or keep as a CI artifact.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Version is the JSON report's format version; it changes only when a field
// is removed or changes meaning.
const Version = 1

// Report is everything a writer needs.
type Report struct {
	Version  int               `json:"version"`
	Scan     Scan              `json:"scan"`
	Findings []finding.Finding `json:"findings"`
	// Triage says why stored findings have their status, by fingerprint;
	// nil when the findings were not read from the store. Only the HTML
	// writer shows it; it is not part of the JSON format.
	Triage map[string]Triage `json:"-"`
}

// Triage is a person's reason for a stored finding's status.
type Triage struct {
	// Reason is why the finding was accepted, marked a false positive or
	// otherwise triaged by hand.
	Reason string
	// Expires, for an accepted finding, is when the acceptance lapses.
	Expires *time.Time
}

// Scan summarises the run that produced the findings.
type Scan struct {
	ID         int64     `json:"id,omitempty"`
	Target     string    `json:"target"`
	Tool       Tool      `json:"tool"`
	Scanners   []string  `json:"scanners"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Status is how the run ended: "completed", "partial" (only part of the
	// target was covered) or "failed". Only "failed" marks the SARIF
	// invocation as unsuccessful.
	Status string `json:"status"`
	// DiffBase is the git ref a --diff-base run compared against.
	DiffBase string `json:"diff_base,omitempty"`
	// Errors are problems that skipped part of the target (unreadable files).
	Errors []string `json:"errors,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Options adjust how a writer renders.
type Options struct {
	// Color enables ANSI colour in the table writer (a terminal without NO_COLOR).
	Color bool
	// MaxRows limits the rows of the Markdown findings table; the rest are
	// counted in an "and K more" line. Zero means DefaultMaxRows.
	MaxRows int
}

// DefaultMaxRows is the Markdown table's row limit when Options.MaxRows is zero:
// enough to act on, short enough for a pull-request comment.
const DefaultMaxRows = 50

// ScanFailed is the Scan.Status of a run that did not finish.
const ScanFailed = "failed"

// ErrUnknownFormat is returned by Write for a format not in Formats.
var ErrUnknownFormat = errors.New("unknown report format")

// Write renders r in the named format (one of Formats) to w. It does not
// modify r; findings are written in a fixed order (see Sort). Errors from w
// are returned.
func Write(format string, w io.Writer, r *Report, opts Options) error {
	if r == nil {
		return errors.New("write report: nil report")
	}
	var err error
	switch format {
	case "table":
		err = writeTable(w, r, opts)
	case "json":
		err = writeJSON(w, r)
	case "sarif":
		err = writeSARIF(w, r)
	case "markdown":
		err = writeMarkdown(w, r, opts)
	case "html":
		err = writeHTML(w, r)
	default:
		return fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}

// Sorted returns a copy of findings in report order: severity from critical
// down, then path, start line, rule id, resource and fingerprint, so that
// the same findings always print the same way.
func Sorted(findings []finding.Finding) []finding.Finding {
	out := slices.Clone(findings)
	slices.SortStableFunc(out, compareFindings)
	return out
}

func compareFindings(a, b finding.Finding) int {
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Path, b.Location.Path); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.StartLine, b.Location.StartLine); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Resource, b.Resource); c != 0 {
		return c
	}
	return cmp.Compare(a.Fingerprint, b.Fingerprint)
}

// severityCounts counts findings per severity, indexed by finding.Severity.
func severityCounts(findings []finding.Finding) [finding.Critical + 1]int {
	var n [finding.Critical + 1]int
	for _, f := range findings {
		if f.Severity >= finding.Info && f.Severity <= finding.Critical {
			n[f.Severity]++
		}
	}
	return n
}

// severitiesDesc lists severities from most to least urgent, the order every
// summary uses.
var severitiesDesc = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// Formats are the names accepted by --format.
var Formats = []string{"table", "json", "sarif", "markdown", "html"}
