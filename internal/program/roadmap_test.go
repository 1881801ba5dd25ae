package program

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func scanOf(target, scanner string, ago time.Duration, status string) store.Scan {
	return store.Scan{Target: target, Scanners: map[string]string{scanner: "1"}, FinishedAt: now.Add(-ago), Status: status}
}

func open(target, scanner, rule string, sev finding.Severity, step string) store.Record {
	r := store.Record{Target: target}
	r.Scanner, r.RuleID, r.Severity, r.Status = scanner, rule, sev, finding.StatusOpen
	if step != "" {
		r.References = []finding.Reference{{Type: finding.RefChecklist, ID: step}}
	}
	return r
}

// alertRec is a stored detection alert first seen age ago.
func alertRec(sev finding.Severity, age time.Duration, status finding.Status) store.Record {
	r := open("aws-detections", "detect", "PAL-CT-003", sev, "")
	r.Category, r.Status, r.FirstSeen = finding.Detection, status, now.Add(-age)
	return r
}

func TestEvaluateFindings(t *testing.T) {
	day := 24 * time.Hour
	siem, _ := ControlByID("aws-4-siem")
	ruleControl := Control{ID: "c", Findings: live("AWS-ACCT-001", "AWS-ACCT-002")}
	stepControl := Control{ID: "s", Findings: liveStep(stepVisibility)}
	for _, tc := range []struct {
		name    string
		control Control
		ev      withOpen
		want    State
		detail  string
	}{
		{"no scan", ruleControl, withOpen{}, NoEvidence, "no complete aws scan recorded"},
		{"scan too old", ruleControl, withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", 40*day, store.ScanCompleted)}},
			NoEvidence, "no complete aws scan in the last 30 days"},
		{"recent scan, no finding", ruleControl, withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)}},
			Met, "no open finding"},
		{"open finding of a listed rule", ruleControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open: []store.Record{open("aws:1", "aws", "AWS-ACCT-002", finding.High, ""), open("aws:1", "aws", "AWS-ACCT-002", finding.High, ""),
				open("aws:1", "aws", "AWS-ACCT-001", finding.Medium, "")}},
			NotMet, "3 open finding(s), worst high: AWS-ACCT-002 ×2, AWS-ACCT-001 ×1"},
		{"the same rule found by IaC does not count", ruleControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open:  []store.Record{open("/repo", "iac", "AWS-ACCT-001", finding.High, "")}},
			Met, ""},
		{"a fixed finding does not count", ruleControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open: []store.Record{func() store.Record {
				r := open("aws:1", "aws", "AWS-ACCT-001", finding.High, "")
				r.Status = finding.StatusFixed
				return r
			}()}},
			Met, ""},
		{"checklist step counts rules no other control lists", stepControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open:  []store.Record{open("aws:1", "aws", "AWS-S3-007", finding.Info, stepVisibility)}},
			NotMet, "AWS-S3-007 ×1"},
		{"checklist step leaves listed rules to their control", stepControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open:  []store.Record{open("aws:1", "aws", "AWS-ACCT-001", finding.High, stepVisibility)}},
			Met, ""},
		{"an expired acceptance counts as open", ruleControl, withOpen{
			Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)},
			Open: []store.Record{func() store.Record {
				r := open("aws:1", "aws", "AWS-ACCT-001", finding.High, "")
				exp := now.Add(-time.Hour)
				r.Status, r.StatusExpires = finding.StatusAccepted, &exp
				return r
			}(), func() store.Record {
				r := open("aws:1", "aws", "AWS-ACCT-002", finding.High, "")
				exp := now.Add(time.Hour)
				r.Status, r.StatusExpires = finding.StatusAccepted, &exp
				return r
			}()}},
			NotMet, "1 open finding(s), worst high: AWS-ACCT-001 ×1"},
		{"a category counts every finding of it", Control{ID: "t", Findings: &FindingsEvidence{Scan: "iac", FromScanner: "iac", Category: finding.Misconfiguration, MinSeverity: finding.High}},
			withOpen{Scans: []store.Scan{scanOf("/repo", "iac", day, store.ScanCompleted)},
				Open: []store.Record{func() store.Record {
					r := open("/repo", "iac", "AWS-S3-001", finding.High, stepS3Block)
					r.Category = finding.Misconfiguration
					return r
				}(), open("/repo", "iac", "AWS-TAG-001", finding.Low, stepOwnership)}},
			NotMet, "1 open finding(s), worst high: AWS-S3-001 ×1"},
		{"minimum severity", Control{ID: "d", Findings: &FindingsEvidence{Scan: "deps", FromScanner: "deps", Checklist: stepDeps, MinSeverity: finding.High}},
			withOpen{Scans: []store.Scan{scanOf("/repo", "deps", day, store.ScanCompleted)},
				Open: []store.Record{open("/repo", "deps", "GHSA-1", finding.Medium, stepDeps)}},
			Met, ""},
		{"organization audit needed", Control{ID: "o", Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:"}},
			withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)}},
			NoEvidence, "no complete aws scan on target aws-org:* recorded"},
		{"a partial scan is no evidence", ruleControl,
			withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanPartial)}},
			NoEvidence, "only partial aws scans recently (the last 2026-11-26 on aws:1): no open finding, but a complete scan is needed"},
		{"a partial scan's findings still fail the control", ruleControl,
			withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanPartial)},
				Open: []store.Record{open("aws:1", "aws", "AWS-ACCT-001", finding.High, "")}},
			NotMet, "AWS-ACCT-001 ×1"},
		{"complete audit found", Control{ID: "o", Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:"}},
			withOpen{Scans: []store.Scan{scanOf("aws-org:o-1", "aws", 2*day, store.ScanCompleted), scanOf("aws-org:o-1", "aws", day, store.ScanPartial)}},
			Met, "on aws-org:o-1"},
		{"control's own maximum age", Control{ID: "w", Findings: &FindingsEvidence{Scan: "aws", MaxAge: 7 * day}},
			withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", 8*day, store.ScanCompleted)}},
			NoEvidence, "no complete aws scan in the last 7 days"},

		// Detection runs are partial scans; alerts get a triage window.
		{"no detection run", siem, withOpen{Scans: []store.Scan{scanOf("aws:1", "aws", day, store.ScanCompleted)}},
			NoEvidence, "no detect scan recorded"},
		{"detection run too old", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", 8*day, store.ScanPartial)}},
			NoEvidence, "no detect scan in the last 7 days"},
		{"recent detection run, no alert", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)}},
			Met, "detect scan 2026-11-26 on aws-detections; no open finding older than 3 days (0 newer"},
		{"new alerts within the triage window", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)},
			Open: []store.Record{alertRec(finding.High, 2*day, finding.StatusOpen), alertRec(finding.Low, time.Hour, finding.StatusOpen)}},
			Met, "(2 newer, within the triage window)"},
		{"alerts left untriaged past the window", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)},
			Open: []store.Record{alertRec(finding.High, 4*day, finding.StatusOpen), alertRec(finding.Critical, 10*day, finding.StatusOpen),
				alertRec(finding.Low, time.Hour, finding.StatusOpen)}},
			NotMet, "2 finding(s) open for more than 3 days without triage, worst critical: PAL-CT-003 ×2"},
		{"old alerts triaged do not count", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)},
			Open: []store.Record{alertRec(finding.High, 30*day, finding.StatusFalsePositive), alertRec(finding.High, 30*day, finding.StatusFixed),
				alertRec(finding.High, 30*day, finding.StatusAccepted)}},
			Met, "no open finding older than 3 days"},
		{"an expired acceptance of an alert counts as untriaged", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)},
			Open: []store.Record{func() store.Record {
				r := alertRec(finding.Medium, 30*day, finding.StatusAccepted)
				exp := now.Add(-time.Hour)
				r.StatusExpires = &exp
				return r
			}()}},
			NotMet, "1 finding(s) open for more than 3 days"},
		{"posture findings do not count as alerts", siem, withOpen{Scans: []store.Scan{scanOf("aws-detections", "detect", day, store.ScanPartial)},
			Open: []store.Record{open("aws:1", "aws", "AWS-ACCT-001", finding.High, "")}},
			Met, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ev.Now = now
			controls := []Control{tc.control}
			if tc.control.ID == "s" {
				controls = append(controls, ruleControl) // lists AWS-ACCT-001
			}
			got := Evaluate(controls, gather(controls, tc.ev))[0]
			if got.State != tc.want || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s (%s), want %s containing %q", got.State, got.Detail, tc.want, tc.detail)
			}
		})
	}
}

func TestEvaluateAttestations(t *testing.T) {
	c := Control{ID: "training-policies", Attest: true}
	att := func(id int64, by string, at, expires time.Time) store.Attestation {
		return store.Attestation{ID: id, ControlID: c.ID, By: by, Note: "slides in the wiki", At: at, Expires: expires}
	}
	for _, tc := range []struct {
		name   string
		atts   []store.Attestation
		want   State
		detail string
	}{
		{"never attested", nil, NoEvidence, "palisade roadmap attest training-policies"},
		{"another control's attestation", []store.Attestation{{ControlID: "x", By: "a", At: now, Expires: now.Add(time.Hour)}}, NoEvidence, "not attested"},
		{"valid", []store.Attestation{att(1, "ana", now.AddDate(0, -1, 0), now.AddDate(0, 11, 0))}, Met, "attested by ana 2026-10-27 through 2027-10-27: slides in the wiki"},
		{"expired", []store.Attestation{att(1, "ana", now.AddDate(-1, 0, 0), now.AddDate(0, 0, -1))}, Expired, "expired 2026-11-26"},
		{"expires exactly now", []store.Attestation{att(1, "ana", now.AddDate(-1, 0, 0), now)}, Expired, ""},
		{"the newest one counts", []store.Attestation{
			att(2, "bo", now.AddDate(0, 0, -2), now.AddDate(0, 0, -1)),
			att(1, "ana", now.AddDate(0, 0, -3), now.AddDate(1, 0, 0)),
		}, Expired, "attested by bo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate([]Control{c}, Evidence{Attestations: tc.atts, Now: now})[0]
			if got.State != tc.want || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s (%s), want %s containing %q", got.State, got.Detail, tc.want, tc.detail)
			}
		})
	}
}

func TestEvaluateRepo(t *testing.T) {
	c := Control{ID: "r", Repo: &RepoEvidence{Check: dependencyUpdates}}
	if got := Evaluate([]Control{c}, Evidence{Now: now})[0]; got.State != NoEvidence || !strings.Contains(got.Detail, "--repo") {
		t.Errorf("without a repository: %s (%s)", got.State, got.Detail)
	}
	broken := Control{ID: "b", Repo: &RepoEvidence{Check: func(fs.FS) (bool, string, error) { return false, "", errors.New("x.yaml:3: bad") }}}
	if got := Evaluate([]Control{broken}, Evidence{Repo: fstest.MapFS{}, Now: now})[0]; got.State != NoEvidence || got.Detail != "x.yaml:3: bad" {
		t.Errorf("a check that fails to read: %s (%s), want no evidence naming the file", got.State, got.Detail)
	}
}

func TestSummarizeLevel(t *testing.T) {
	res := func(stage int, st State) Result {
		return Result{Control: Control{Section: "s" + string(rune('0'+stage)), Stage: stage}, State: st}
	}
	for _, tc := range []struct {
		name      string
		results   []Result
		level     int
		nextStage int
	}{
		{"nothing met", []Result{res(1, NoEvidence), res(2, Met)}, 0, 1},
		{"first two stages", []Result{res(1, Met), res(1, Met), res(2, Met), res(3, NotMet), res(4, Met)}, 2, 3},
		{"an empty stage does not hold the climb back", []Result{res(7, Met), res(9, Met), res(10, Expired), res(1, Met), res(2, Met), res(3, Met), res(4, Met), res(5, Met), res(6, Met)}, 9, 10},
		{"everything", []Result{res(1, Met), res(2, Met), {State: NotMet}}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.results)
			if s.Level != tc.level || s.NextStage != tc.nextStage {
				t.Errorf("level %d next %d, want %d and %d", s.Level, s.NextStage, tc.level, tc.nextStage)
			}
		})
	}
	s := Summarize([]Result{res(1, Met), res(1, NotMet), res(1, Expired), res(1, NoEvidence), {Control: Control{Section: "AppSec"}, State: Met}})
	if s.Met != 2 || s.Total != 5 || len(s.Sections) != 2 || s.Sections[0] != (SectionSummary{Section: "s1", Stage: 1, Met: 1, NotMet: 1, Expired: 1, NoEvidence: 1, Total: 4}) {
		t.Errorf("counts: %+v", s)
	}
}
