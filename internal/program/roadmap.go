// Package program turns what the scanners recorded into the views that run a
// security program. Today that is the roadmap: every step of the checklist
// in ../shared/seed as a control, evaluated from evidence (stored scans and
// findings, the files of a repository, or a person's attestation with an
// expiry), so maturity is computed, never typed in.
package program

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// State is how a control stands.
type State string

// Control states.
const (
	// Met: the evidence shows the step is done.
	Met State = "met"
	// NotMet: the evidence shows it is not (open findings, a missing file).
	NotMet State = "not_met"
	// Expired: a person attested it once, and the attestation has run out.
	Expired State = "expired"
	// NoEvidence: nothing recorded says either way (no recent scan, no
	// repository given, never attested).
	NoEvidence State = "no_evidence"
)

// DetectionTriageWindow is how long a detection alert may stay open before
// it counts as untriaged: long enough to cover a weekend for a team without
// round-the-clock on-call, short enough that an intrusion is looked at
// while its credentials and logs are still fresh.
const DetectionTriageWindow = 3 * 24 * time.Hour

// DefaultMaxAge is how recent a scan must be to count as evidence: the
// checklist asks for regular scanning, and a month-old audit says little
// about today's accounts.
const DefaultMaxAge = 30 * 24 * time.Hour

// Control is one step of the checklist and how to tell whether it is done.
// Exactly one of Findings, Repo, Catalog and Attest is set.
type Control struct {
	// ID is stable and names the control in attestations ("aws-5-sso").
	ID string
	// Section is the part of the checklist: "AppSec: ..." or "AWS N: ...".
	Section string
	// Stage is the AWS roadmap stage (1 to 11), 0 for the AppSec sections.
	Stage int
	// Step quotes the checklist; palisade's additions are marked
	// "(palisade: ...)".
	Step string

	Findings *FindingsEvidence
	Repo     *RepoEvidence
	Catalog  *CatalogEvidence
	// Attest marks a step no machine can see (training, threat modeling):
	// it is met while a person's attestation has not expired.
	Attest bool
}

// FindingsEvidence judges a control by recorded scans and open findings.
type FindingsEvidence struct {
	// Scan is the scanner that must have run within the maximum age (a
	// name in store.Scan.Scanners: "secrets", "deps", "iac", "aws", "drift",
	// "detect").
	Scan string
	// PartialRuns lets a partial scan count as a run, for scanners whose
	// runs are partial by nature: a detection run reads the logs it is
	// given, never a whole account, and never marks an alert fixed.
	PartialRuns bool
	// TriageWithin, when set, lets an open finding first seen less than
	// this long ago stand without failing the control: the time allowed to
	// triage a detection alert (DetectionTriageWindow).
	TriageWithin time.Duration
	// TargetPrefix limits the scans and findings to targets that start with
	// it ("aws-org:" for an Organization-wide audit); empty means any.
	TargetPrefix string
	// MaxAge overrides DefaultMaxAge (Evidence.MaxAge) for this control.
	MaxAge time.Duration
	// FromScanner is the finding.Scanner of the findings that count.
	FromScanner string
	// Rules lists rule ids whose open findings fail the control.
	Rules []string
	// Checklist, instead, counts open findings that reference this
	// checklist step, except rules another control lists by id.
	Checklist string
	// Category, instead, counts every open finding of this category.
	Category finding.Category
	// MinSeverity ignores open findings below it.
	MinSeverity finding.Severity
}

// RepoEvidence judges a control by the files of a repository.
type RepoEvidence struct {
	// Check looks at the repository and says whether the step is done and
	// why (the file that shows it, or what is missing).
	Check func(repo fs.FS) (bool, string, error)
}

// CatalogEvidence judges a control by the service catalog and what the
// store holds about its services.
type CatalogEvidence struct {
	// Check says whether the step is done and why.
	Check func(c *Catalog, ev Evidence) (bool, string)
}

// Evidence is everything the controls are judged on.
type Evidence struct {
	Scans []store.Scan
	// Open counts the findings that may count as open, as FindingsQuery
	// made them for the same controls and Now; Owned counts them by target
	// and resource, as RankQuery made them, for the catalog controls.
	// Gather fills both.
	Open, Owned  Counts
	Attestations []store.Attestation
	// Repo is the repository to check, nil when none was given.
	Repo fs.FS
	// Catalog is the service catalog, nil when there is none.
	Catalog *Catalog
	Now     time.Time
	// MaxAge is how recent a scan must be; zero means DefaultMaxAge.
	MaxAge time.Duration
}

// Result is one control's state and the reason for it.
type Result struct {
	Control Control
	State   State
	// Detail says why, in a sentence a reader can act on.
	Detail string
	// Findings counts the open findings that fail the control.
	Findings int
}

// Evaluate judges every control on the evidence, in the order given.
func Evaluate(controls []Control, ev Evidence) []Result {
	if ev.MaxAge == 0 {
		ev.MaxAge = DefaultMaxAge
	}
	listed := map[string]bool{}
	for _, c := range controls {
		if c.Findings != nil {
			for _, r := range c.Findings.Rules {
				listed[r] = true
			}
		}
	}
	// Each findings control reads only its scanner's findings: index them
	// once instead of walking every group for every control.
	byScanner := map[string][]store.Tally{}
	for _, t := range ev.Open.Rows {
		byScanner[t.Scanner] = append(byScanner[t.Scanner], t)
	}
	out := make([]Result, 0, len(controls))
	for _, c := range controls {
		var r Result
		switch {
		case c.Findings != nil:
			r = evalFindings(c, ev, byScanner[c.Findings.FromScanner], listed)
		case c.Repo != nil:
			r = evalRepo(c, ev)
		case c.Catalog != nil:
			r = evalCatalog(c, ev)
		case c.Attest:
			r = evalAttest(c, ev)
		default:
			r = Result{State: NoEvidence, Detail: "the control names no evidence"}
		}
		r.Control = c
		out = append(out, r)
	}
	return out
}

func evalFindings(c Control, ev Evidence, open []store.Tally, listed map[string]bool) Result {
	fe := c.Findings
	maxAge := ev.MaxAge
	if fe.MaxAge != 0 {
		maxAge = fe.MaxAge
	}
	// The newest complete and the newest partial scan (stopped early, some
	// regions, a diff): a partial scan proves nothing about what it did not
	// read.
	var last, partial *store.Scan
	for i := range ev.Scans {
		s := &ev.Scans[i]
		if _, ok := s.Scanners[fe.Scan]; !ok || !strings.HasPrefix(s.Target, fe.TargetPrefix) {
			continue
		}
		if s.Status != store.ScanCompleted && !fe.PartialRuns {
			if partial == nil || s.FinishedAt.After(partial.FinishedAt) {
				partial = s
			}
			continue
		}
		if last == nil || s.FinishedAt.After(last.FinishedAt) {
			last = s
		}
	}
	what := fe.Scan + " scan"
	if fe.TargetPrefix != "" {
		what += " on target " + fe.TargetPrefix + "*"
	}
	complete := "complete "
	if fe.PartialRuns {
		complete = ""
	}
	// Open findings prove a step is not done whatever the scan covered;
	// their absence proves it done only after a complete, recent scan.
	if last == nil && partial == nil {
		return Result{State: NoEvidence, Detail: "no " + complete + what + " recorded"}
	}
	if last != nil && ev.Now.Sub(last.FinishedAt) > maxAge {
		last = nil
	}
	if partial != nil && ev.Now.Sub(partial.FinishedAt) > maxAge {
		partial = nil
	}
	if last == nil && partial == nil {
		return Result{State: NoEvidence, Detail: fmt.Sprintf("no %s%s in the last %s", complete, what, days(maxAge))}
	}
	rules := map[string]bool{}
	for _, r := range fe.Rules {
		rules[r] = true
	}
	counts := map[string]int{}
	worst := finding.Info
	n, pending := 0, 0
	if (len(fe.Rules) > 0 || fe.Checklist != "" || fe.Category != "") && len(open) > 0 {
		if fe.TargetPrefix != "" && !slices.Contains(ev.Open.Query.TargetPrefixes, fe.TargetPrefix) {
			panic("program: open findings counted without the target prefix of control " + c.ID + ": count them with FindingsQuery for the same controls")
		}
		// Findings first seen at or after now - TriageWithin are within the
		// triage window: now - first seen <= TriageWithin.
		pendingOf := func(store.Tally) int { return 0 }
		if fe.TriageWithin > 0 {
			pendingOf = since(ev.Open.Query, ev.Now.Add(-fe.TriageWithin))
		}
		for _, t := range open {
			if !tallyOpen(t, ev.Now) {
				continue
			}
			// The group's target prefix is the longest of the query's
			// prefixes that its target starts with, so the target starts
			// with the control's prefix exactly when the group's prefix does.
			if t.Scanner != fe.FromScanner || !strings.HasPrefix(t.TargetPrefix, fe.TargetPrefix) || t.Severity < fe.MinSeverity {
				continue
			}
			byStep := fe.Checklist != "" && !listed[t.RuleID] && slices.Contains(t.Checklist, fe.Checklist)
			byCategory := fe.Category != "" && t.Category == fe.Category
			if !rules[t.RuleID] && !byStep && !byCategory {
				continue
			}
			p := pendingOf(t)
			pending += p
			if late := t.Count - p; late > 0 {
				n += late
				counts[t.RuleID] += late
				worst = max(worst, t.Severity)
			}
		}
	}
	if n == 0 {
		if last == nil {
			return Result{State: NoEvidence, Detail: fmt.Sprintf("only partial %ss recently (the last %s on %s): no open finding, but a complete scan is needed", what, day(partial.FinishedAt), partial.Target)}
		}
		seen := fmt.Sprintf("%s %s on %s", what, day(last.FinishedAt), last.Target)
		if len(fe.Rules) == 0 && fe.Checklist == "" && fe.Category == "" {
			return Result{State: Met, Detail: seen}
		}
		if fe.TriageWithin > 0 {
			return Result{State: Met, Detail: fmt.Sprintf("%s; no open finding older than %s (%d newer, within the triage window)", seen, days(fe.TriageWithin), pending)}
		}
		return Result{State: Met, Detail: seen + "; no open finding"}
	}
	if fe.TriageWithin > 0 {
		return Result{State: NotMet, Findings: n, Detail: fmt.Sprintf("%d finding(s) open for more than %s without triage, worst %s: %s", n, days(fe.TriageWithin), worst, ruleCounts(counts))}
	}
	return Result{State: NotMet, Findings: n, Detail: fmt.Sprintf("%d open finding(s), worst %s: %s", n, worst, ruleCounts(counts))}
}

// IsOpen reports whether a stored finding counts as open now: open, or
// accepted with an acceptance that has expired (the store reopens those at
// the next scan of their target; until then they are open all the same).
func IsOpen(r store.Record, now time.Time) bool {
	switch r.Status {
	case finding.StatusOpen, "":
		return true
	case finding.StatusAccepted:
		return r.StatusExpires != nil && !now.Before(*r.StatusExpires)
	}
	return false
}

// ruleCounts lists rule ids with their counts, most frequent first.
func ruleCounts(counts map[string]int) string {
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if counts[ids[i]] != counts[ids[j]] {
			return counts[ids[i]] > counts[ids[j]]
		}
		return ids[i] < ids[j]
	})
	parts := make([]string, 0, len(ids))
	for i, id := range ids {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more rule(s)", len(ids)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", id, counts[id]))
	}
	return strings.Join(parts, ", ")
}

func evalRepo(c Control, ev Evidence) Result {
	if ev.Repo == nil {
		return Result{State: NoEvidence, Detail: "no repository given (--repo)"}
	}
	ok, detail, err := c.Repo.Check(ev.Repo)
	if err != nil {
		return Result{State: NoEvidence, Detail: err.Error()}
	}
	if ok {
		return Result{State: Met, Detail: detail}
	}
	return Result{State: NotMet, Detail: detail}
}

func evalCatalog(c Control, ev Evidence) Result {
	if ev.Catalog == nil {
		return Result{State: NoEvidence, Detail: "no service catalog (services.yaml, --catalog)"}
	}
	ok, detail := c.Catalog.Check(ev.Catalog, ev)
	if ok {
		return Result{State: Met, Detail: detail}
	}
	return Result{State: NotMet, Detail: detail}
}

func evalAttest(c Control, ev Evidence) Result {
	var last *store.Attestation
	for i := range ev.Attestations {
		a := &ev.Attestations[i]
		if a.ControlID == c.ID && (last == nil || a.At.After(last.At) || a.At.Equal(last.At) && a.ID > last.ID) {
			last = a
		}
	}
	if last == nil {
		return Result{State: NoEvidence, Detail: "not attested (palisade roadmap attest " + c.ID + ")"}
	}
	if !ev.Now.Before(last.Expires) {
		return Result{State: Expired, Detail: fmt.Sprintf("attested by %s %s, expired %s", last.By, day(last.At), day(last.Expires))}
	}
	return Result{State: Met, Detail: fmt.Sprintf("attested by %s %s through %s: %s", last.By, day(last.At), day(last.Expires.Add(-time.Nanosecond)), last.Note)}
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func days(d time.Duration) string { return fmt.Sprintf("%d days", int(d.Hours()/24)) }

// EvidenceKind names the kind of evidence a control is judged on:
// findings, repository, catalog or attestation.
func (c Control) EvidenceKind() string {
	switch {
	case c.Findings != nil:
		return "findings"
	case c.Repo != nil:
		return "repository"
	case c.Catalog != nil:
		return "catalog"
	}
	return "attestation"
}

// View is a control's result in the stable JSON form the CLI and the API
// both write.
type View struct {
	ID       string `json:"id"`
	Section  string `json:"section"`
	Stage    int    `json:"stage,omitempty"`
	Step     string `json:"step"`
	Evidence string `json:"evidence"`
	State    State  `json:"state"`
	Detail   string `json:"detail"`
	Findings int    `json:"open_findings,omitempty"`
}

// Views turns results into their JSON form.
func Views(results []Result) []View {
	out := make([]View, 0, len(results))
	for _, r := range results {
		out = append(out, View{ID: r.Control.ID, Section: r.Control.Section, Stage: r.Control.Stage, Step: r.Control.Step,
			Evidence: r.Control.EvidenceKind(), State: r.State, Detail: r.Detail, Findings: r.Findings})
	}
	return out
}

// Summary is the roadmap at a glance.
type Summary struct {
	// Level is the highest AWS roadmap stage N such that every control of
	// stages 1 to N is met: the Summit Route roadmap is climbed in order.
	Level int `json:"level"`
	// NextStage is the first stage with a control not met (0 when all are).
	NextStage int              `json:"next_stage"`
	Met       int              `json:"met"`
	Total     int              `json:"total"`
	Sections  []SectionSummary `json:"sections"`
}

// SectionSummary counts one section's controls by state.
type SectionSummary struct {
	Section    string `json:"section"`
	Stage      int    `json:"stage,omitempty"`
	Met        int    `json:"met"`
	NotMet     int    `json:"not_met"`
	Expired    int    `json:"expired"`
	NoEvidence int    `json:"no_evidence"`
	Total      int    `json:"total"`
}

// Summarize counts results per section, in the order sections first appear,
// and computes the AWS maturity level.
func Summarize(results []Result) Summary {
	var s Summary
	index := map[string]int{}
	stageDone := map[int]bool{}
	maxStage := 0
	for _, r := range results {
		i, ok := index[r.Control.Section]
		if !ok {
			i = len(s.Sections)
			index[r.Control.Section] = i
			s.Sections = append(s.Sections, SectionSummary{Section: r.Control.Section, Stage: r.Control.Stage})
		}
		sec := &s.Sections[i]
		sec.Total++
		s.Total++
		switch r.State {
		case Met:
			sec.Met++
			s.Met++
		case NotMet:
			sec.NotMet++
		case Expired:
			sec.Expired++
		default:
			sec.NoEvidence++
		}
		if st := r.Control.Stage; st > 0 {
			maxStage = max(maxStage, st)
			if _, seen := stageDone[st]; !seen {
				stageDone[st] = true
			}
			if r.State != Met {
				stageDone[st] = false
			}
		}
	}
	// A stage the checklist leaves empty (8, "Enhance detection") does not
	// hold the climb back.
	for st := 1; st <= maxStage; st++ {
		if done, ok := stageDone[st]; ok && !done {
			s.NextStage = st
			break
		}
		s.Level = st
	}
	return s
}
