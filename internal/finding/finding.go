// Package finding holds the one result type every palisade scanner emits: a
// Finding with its severity, category, location, redacted evidence,
// references and a stable fingerprint. Storage, lifecycle and reports know
// nothing about scanners; they only know this package.
package finding

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Severity ranks how urgent a finding is. The zero value is Info so that an
// unset severity never escalates anything.
type Severity int

// Severities from least to most urgent; order matters for --fail-on.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

// ErrUnknownSeverity is returned by ParseSeverity for a name it does not know.
var ErrUnknownSeverity = errors.New("unknown severity")

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name used in every output format.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("%w %q (want one of %s)", ErrUnknownSeverity, name, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name so JSON and YAML carry words, not numbers.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SecurityScore maps a severity to the 0-10 "security-severity" scale GitHub
// code scanning uses to rank SARIF results.
func (s Severity) SecurityScore() float64 {
	switch s {
	case Critical:
		return 9.5
	case High:
		return 8.0
	case Medium:
		return 5.5
	case Low:
		return 3.0
	default:
		return 0.0
	}
}

// Category says what kind of weakness a finding is; it also selects how the
// fingerprint is computed.
type Category string

// The categories palisade knows.
const (
	Secret           Category = "secret"
	Vulnerability    Category = "vulnerability"
	Misconfiguration Category = "misconfiguration"
	Posture          Category = "posture"
	Detection        Category = "detection"
	Code             Category = "code"
	// ScanError reports a file or source a scanner could not read; it keeps a
	// scan going while telling the user what was skipped.
	ScanError Category = "scan-error"
)

// Categories lists every valid category, for allowlist validation of input.
var Categories = []Category{Secret, Vulnerability, Misconfiguration, Posture, Detection, Code, ScanError}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Location is where in a source tree a finding was seen. Lines and columns are
// 1-based; zero means unknown.
type Location struct {
	Path        string `json:"path"`
	StartLine   int    `json:"start_line,omitempty"`
	EndLine     int    `json:"end_line,omitempty"`
	StartColumn int    `json:"start_column,omitempty"`
	EndColumn   int    `json:"end_column,omitempty"`
	// Commit is the git commit that introduced the content, for history scans.
	Commit string `json:"commit,omitempty"`
}

// Package identifies a dependency, for vulnerability findings.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl"`
}

// Reference types. A reference ties a finding to a weakness class, a benchmark
// control or a step of the checklist palisade implements.
const (
	RefCWE       = "cwe"
	RefCIS       = "cis"
	RefChecklist = "checklist"
	RefAttack    = "attack"
	RefURL       = "url"
	RefAdvisory  = "advisory"
)

// Reference is one external identifier a finding relates to.
type Reference struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	URL  string `json:"url,omitempty"`
}

// Finding is one weakness found by one rule at one place.
type Finding struct {
	RuleID      string      `json:"rule_id"`
	Scanner     string      `json:"scanner"`
	Category    Category    `json:"category"`
	Severity    Severity    `json:"severity"`
	Title       string      `json:"title"`
	Message     string      `json:"message"`
	Location    Location    `json:"location"`
	Resource    string      `json:"resource,omitempty"`
	Evidence    string      `json:"evidence,omitempty"`
	Remediation string      `json:"remediation,omitempty"`
	References  []Reference `json:"references,omitempty"`
	Fingerprint string      `json:"fingerprint"`

	// Secret findings.
	SecretHash   string `json:"secret_hash,omitempty"`
	Verification string `json:"verification,omitempty"`

	// Vulnerability findings.
	Package         *Package `json:"package,omitempty"`
	VulnerabilityID string   `json:"vulnerability_id,omitempty"`
	Aliases         []string `json:"aliases,omitempty"`
	FixedVersions   []string `json:"fixed_versions,omitempty"`
	// Published is when the advisory was first published, so the age of a
	// known vulnerability can be tracked against an SLA.
	Published *time.Time `json:"published,omitempty"`

	// ObservedAt is when the activity a finding reports last happened (a
	// detection's last event), nil for findings about state. The store
	// reopens a fixed finding it sees again only when it was observed after
	// the fix, so replaying old logs does not reopen a closed alert.
	ObservedAt *time.Time `json:"observed_at,omitempty"`

	// Status is the lifecycle state from the store; empty for a finding that was
	// never stored (a --no-store run), which reports treat as open.
	Status Status `json:"status,omitempty"`
}

// Status is a finding's lifecycle state.
type Status string

// Lifecycle states.
const (
	StatusOpen          Status = "open"
	StatusFixed         Status = "fixed"
	StatusAccepted      Status = "accepted"
	StatusFalsePositive Status = "false_positive"
)

// Statuses lists every valid lifecycle state.
var Statuses = []Status{StatusOpen, StatusFixed, StatusAccepted, StatusFalsePositive}

// ParseStatus validates a lifecycle state name.
func ParseStatus(s string) (Status, error) {
	for _, k := range Statuses {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown status %q (want one of open, fixed, accepted, false_positive)", s)
}

// IsOpen reports whether the finding still needs action: stored as open, or
// never stored at all.
func (f *Finding) IsOpen() bool { return f.Status == "" || f.Status == StatusOpen }

// Ref appends a reference and returns the finding, for compact construction.
func (f *Finding) Ref(typ, id string) *Finding {
	f.References = append(f.References, Reference{Type: typ, ID: id})
	return f
}

// UnsafeRune reports characters that must not reach a terminal or a report
// from user or file text: C0 and C1 controls (escape sequences, newlines)
// and Unicode bidirectional controls, which can reorder what is shown.
func UnsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f
}
