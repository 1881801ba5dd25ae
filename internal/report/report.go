// Package report writes scan results in the formats palisade offers: an
// aligned table for people, stable JSON for programs, SARIF 2.1.0 for code
// scanning dashboards, and Markdown for pull-request comments.
package report

import (
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
}

// Scan summarises the run that produced the findings.
type Scan struct {
	ID         int64     `json:"id,omitempty"`
	Target     string    `json:"target"`
	Tool       Tool      `json:"tool"`
	Scanners   []string  `json:"scanners"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     string    `json:"status"`
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
}

// Formats are the names accepted by --format.
var Formats = []string{"table", "json", "sarif", "markdown"}
