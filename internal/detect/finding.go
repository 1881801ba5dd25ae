package detect

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// ScannerName is the finding.Scanner of detection findings and the name a
// detection run has in store.Scan.Scanners, so the program views can tell
// detection runs and alerts from other scans.
const ScannerName = "detect"

// maxEvidenceIDs caps the event ids a finding's evidence lists; the
// message keeps the total.
const maxEvidenceIDs = 10

// attackTechnique matches ATT&CK technique and sub-technique ids, the ones
// with a page at attack.mitre.org/techniques/.
var attackTechnique = regexp.MustCompile(`^T(\d{4})(?:\.(\d{3}))?$`)

// Finding turns the alert into a finding of category detection, so that it
// is stored, triaged and counted by the program views like any other
// finding.
//
// Its identity is the alert's: the fingerprint of a detection hashes the
// rule and the resource, and Resource is the principal with the alert's
// StableID as a fragment ("arn:aws:iam::111122223333:user/bob#3f2a…").
// StableID covers the rule, principal, account, region, correlation group
// and first event, so replaying the same logs gives the same finding, and
// events merged into the alert later (within the dedup window) update it.
// The same rule firing again for the same principal after the window is a
// new alert and a new finding: a verdict on one incident (false_positive,
// accepted) does not hide the next one. A benign pattern that keeps
// firing is silenced with a suppression, which has a reason and an expiry.
// The principal in front lets a service catalog's resource patterns claim
// alerts by principal.
//
// ObservedAt is the alert's last event, so a fixed alert reopens only when
// activity after the fix joins it. Text from the logs is stripped of
// control and bidirectional characters; the evidence lists event ids, never
// request or response content.
func (a Alert) Finding() finding.Finding {
	principal, account, region := clean(a.Principal), clean(a.Account), clean(a.Region)
	id := a.StableID()
	subject := principal
	if subject == "" {
		subject = "account " + orUnknown(account)
	}
	f := finding.Finding{
		RuleID:      a.RuleID,
		Scanner:     ScannerName,
		Category:    finding.Detection,
		Severity:    a.Severity,
		Title:       clean(a.Title) + " by " + subject,
		Message:     a.message(principal, account, region),
		Resource:    orUnknown(principal) + "#" + id,
		Evidence:    a.evidence(),
		Remediation: a.remediation(principal, account, region),
	}
	if principal == "" {
		f.Title = clean(a.Title) + " in " + subject
		f.Resource = "account:" + orUnknown(account) + "#" + id
	}
	if !a.LastSeen.IsZero() {
		last := a.LastSeen.UTC()
		f.ObservedAt = &last
	}
	for _, t := range a.Attack {
		f.References = append(f.References, attackRef(clean(t)))
	}
	if a.Checklist != "" {
		f.References = append(f.References, finding.Reference{Type: finding.RefChecklist, ID: a.Checklist})
	}
	finding.SetFingerprint(&f)
	return f
}

// message names who did what where and when, in one sentence.
func (a Alert) message(principal, account, region string) string {
	var b strings.Builder
	n := max(a.EventCount, len(a.EventIDs))
	fmt.Fprintf(&b, "%d event(s) by %s in account %s, region %s, first %s, last %s",
		n, orUnknown(principal), orUnknown(account), orUnknown(region), stamp(a.FirstSeen), stamp(a.LastSeen))
	if len(a.Group) > 0 {
		names := make([]string, 0, len(a.Group))
		for k := range a.Group {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, 0, len(names))
		for _, k := range names {
			parts = append(parts, clean(k)+"="+clean(a.Group[k]))
		}
		fmt.Fprintf(&b, "; correlated on %s", strings.Join(parts, ", "))
	}
	switch {
	case a.Source == "sigma" && a.RuleFile != "":
		fmt.Fprintf(&b, "; Sigma rule %s", clean(a.RuleFile))
	case a.Source != "":
		fmt.Fprintf(&b, "; %s detection", clean(a.Source))
	}
	b.WriteString(".")
	return b.String()
}

// evidence lists the first event ids (CloudTrail eventID or GuardDuty
// finding id), which find the events again in the logs or the event index.
func (a Alert) evidence() string {
	ids := a.EventIDs
	more := max(a.EventCount, len(ids)) - min(len(ids), maxEvidenceIDs)
	if len(ids) > maxEvidenceIDs {
		ids = ids[:maxEvidenceIDs]
	}
	cleaned := make([]string, len(ids))
	for i, id := range ids {
		cleaned[i] = clean(id)
	}
	s := "event ids: " + strings.Join(cleaned, ", ")
	if more > 0 {
		s += fmt.Sprintf(" (and %d more)", more)
	}
	return s
}

// remediation is the built-in detection's advice, when it has some,
// followed by how to review the principal's activity around the alert.
func (a Alert) remediation(principal, account, region string) string {
	var investigate string
	if principal != "" {
		investigate = fmt.Sprintf("Investigate the principal's activity around the alert: palisade events search --principal %s --from %s --to %s (after palisade events index or ingest of the same logs), and if it was not expected, contain the principal: revoke its sessions and rotate its credentials.",
			shellQuote(principal), stamp(a.FirstSeen.Add(-time.Hour)), stamp(a.LastSeen.Add(time.Hour)))
	} else {
		investigate = fmt.Sprintf("Investigate the activity in account %s, region %s, around %s, and contain whatever principal caused it.",
			orUnknown(account), orUnknown(region), stamp(a.FirstSeen))
	}
	if a.Remediation == "" {
		return investigate
	}
	return a.Remediation + " " + investigate
}

// attackRef is the reference to an ATT&CK id, with the technique's page
// when it is a technique id.
func attackRef(id string) finding.Reference {
	ref := finding.Reference{Type: finding.RefAttack, ID: id}
	if m := attackTechnique.FindStringSubmatch(id); m != nil {
		ref.URL = "https://attack.mitre.org/techniques/T" + m[1] + "/"
		if m[2] != "" {
			ref.URL += m[2] + "/"
		}
	}
	return ref
}

// clean drops the characters that must not reach a terminal or a report
// (finding.UnsafeRune) from text read from logs.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if finding.UnsafeRune(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// stamp formats a time for messages and commands; "unknown" when unset.
func stamp(t time.Time) string {
	if t.IsZero() || t.Year() < 2 {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// shellQuote quotes s for a POSIX shell unless it is made of characters
// that need none (those of ARNs and access key ids).
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":/_+=,.@-", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
