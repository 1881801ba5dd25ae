package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// MaxEventIDs caps the event ids one alert lists; EventCount keeps the total.
const MaxEventIDs = 100

// Alert is one detection result: a rule that fired on one or more events
// by one principal, with the times needed to measure time-to-identify.
type Alert struct {
	// ID is the alert's stable identity: a hash of the rule, the
	// principal, account, region and correlation group, and the first
	// event (its eventID and time). Replaying the same events raises an
	// alert with the same ID, so sinks and receivers can de-duplicate.
	ID       string           `json:"id"`
	RuleID   string           `json:"rule_id"`
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	// Source is "builtin" or "sigma"; RuleFile the Sigma rule's file.
	Source     string   `json:"source"`
	RuleFile   string   `json:"rule_file,omitempty"`
	EventIDs   []string `json:"event_ids"`
	EventCount int      `json:"event_count"`
	Principal  string   `json:"principal"`
	Account    string   `json:"account"`
	Region     string   `json:"region"`
	// Group holds the correlation group-by values, when a correlation fired.
	Group     map[string]string `json:"group,omitempty"`
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
	Attack    []string          `json:"attack"`
	Checklist string            `json:"checklist,omitempty"`
	// Remediation is the built-in detection's advice (empty for Sigma
	// rules, which carry none).
	Remediation string `json:"remediation,omitempty"`
	// EventTime is when the first event happened, IngestTime when palisade
	// read it, AlertTime when the alert was raised:
	// time-to-identify = AlertTime - EventTime.
	EventTime  time.Time `json:"event_time"`
	IngestTime time.Time `json:"ingest_time"`
	AlertTime  time.Time `json:"alert_time"`
}

// StableID returns the alert's identity (see Alert.ID): the same rule
// firing on the same first event for the same principal and group gives
// the same id, whatever the alert time.
func (a Alert) StableID() string {
	h := sha256.New()
	first := ""
	if len(a.EventIDs) > 0 {
		first = a.EventIDs[0]
	}
	names := make([]string, 0, len(a.Group))
	for n := range a.Group {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(h, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d", a.RuleID, a.Principal, a.Account, a.Region, first, a.FirstSeen.UnixNano())
	for _, n := range names {
		fmt.Fprintf(h, "\x1f%s=%s", n, a.Group[n])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// TimeToIdentify is how long after the first event the alert was raised.
func (a Alert) TimeToIdentify() time.Duration { return a.AlertTime.Sub(a.EventTime) }

// WriteJSON writes alerts as {"alerts":[...]}, indented, with an empty list
// rather than null when there are none.
func WriteJSON(w io.Writer, alerts []Alert) error {
	if alerts == nil {
		alerts = []Alert{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Alerts []Alert `json:"alerts"`
	}{alerts}); err != nil {
		return fmt.Errorf("write alerts: %w", err)
	}
	return nil
}

// Suppression silences a rule (for all principals, or those matching
// Principal, a glob) until Expires, for a written reason.
type Suppression struct {
	RuleID    string    `json:"rule_id" yaml:"rule_id"`
	Principal string    `json:"principal,omitempty" yaml:"principal"`
	Account   string    `json:"account,omitempty" yaml:"account"`
	Reason    string    `json:"reason" yaml:"reason"`
	Expires   time.Time `json:"expires" yaml:"expires"`
}

// Validate reports a suppression that lacks a rule, a reason or an expiry.
func (s Suppression) Validate() error {
	switch {
	case s.RuleID == "":
		return fmt.Errorf("suppression without rule_id")
	case s.Reason == "":
		return fmt.Errorf("suppression of %s without a reason", s.RuleID)
	case s.Expires.IsZero():
		return fmt.Errorf("suppression of %s without an expiry", s.RuleID)
	}
	return nil
}

// Covers reports whether the suppression silences alert a at time now.
func (s Suppression) Covers(a Alert, now time.Time) bool {
	if s.RuleID != a.RuleID || !now.Before(s.Expires) {
		return false
	}
	if s.Account != "" && s.Account != a.Account {
		return false
	}
	if s.Principal != "" {
		if m, _ := path.Match(s.Principal, a.Principal); !m && s.Principal != a.Principal {
			return false
		}
	}
	return true
}
