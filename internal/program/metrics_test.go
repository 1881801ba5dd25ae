package program

import (
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

func TestComputeMetrics(t *testing.T) {
	day := 24 * time.Hour
	at := func(d int) time.Time { return now.Add(-time.Duration(d) * day) }
	fixed := func(sev finding.Severity, seen, fixedDaysAgo int) store.Record {
		r := rec("t", "", "r", sev)
		r.Status, r.FirstSeen = finding.StatusFixed, at(seen)
		f := at(fixedDaysAgo)
		r.FixedAt = &f
		return r
	}
	openRec := func(sev finding.Severity, seen int, cat finding.Category) store.Record {
		r := rec("t", "", "r", sev)
		r.FirstSeen, r.Category = at(seen), cat
		return r
	}
	accepted := func(expiresIn int) store.Record {
		r := rec("t", "", "r", finding.Medium)
		r.Status, r.FirstSeen = finding.StatusAccepted, at(100)
		e := now.Add(time.Duration(expiresIn) * day)
		r.StatusExpires = &e
		return r
	}
	fp := rec("t", "", "r", finding.Low)
	fp.Status, fp.FirstSeen = finding.StatusFalsePositive, at(5)
	all := []store.Record{
		openRec(finding.Critical, 10, finding.Secret),    // over the 7-day SLA
		openRec(finding.Critical, 3, finding.Secret),     // within it
		openRec(finding.High, 45, finding.Vulnerability), // over 30
		openRec(finding.Medium, 200, finding.Posture),    // over 90, outside the window
		openRec(finding.Info, 400, finding.Posture),      // no SLA
		fixed(finding.High, 20, 10),                      // 10 days to fix
		fixed(finding.High, 30, 26),                      // 4 days
		fixed(finding.High, 60, 1),                       // 59 days
		fixed(finding.Critical, 200, 150),                // fixed before the window
		accepted(10), accepted(90), accepted(-2), fp,
	}
	scans := []store.Scan{
		{Scanners: map[string]string{"secrets": "1", "deps": "1"}, FinishedAt: at(1)},
		{Scanners: map[string]string{"aws": "1"}, FinishedAt: at(2)},
		{Scanners: map[string]string{"aws": "1"}, FinishedAt: at(100)},
	}
	m := computeRecords(all, scans, now, 90*day, nil)
	checks := []struct {
		what      string
		got, want int
	}{
		{"open critical", m.Open["critical"], 2},
		{"open high", m.Open["high"], 1},
		{"open info", m.Open["info"], 1},
		{"open secrets", m.OpenByCategory["secret"], 2},
		{"critical over SLA", m.OverSLA["critical"], 1},
		{"high over SLA", m.OverSLA["high"], 1},
		{"medium over SLA (one an expired acceptance)", m.OverSLA["medium"], 2},
		{"info over SLA", m.OverSLA["info"], 0},
		{"oldest critical", m.OldestOpenDays["critical"], 10},
		{"fixed in window", m.FixedInWindow, 3},
		{"mean days to fix high", m.MeanDaysToFix["high"], 24},
		{"median days to fix high", m.MedianDaysFix["high"], 10},
		{"no critical fixed in window", len(m.MeanDaysToFix), 1},
		{"new in window", m.NewInWindow, 7},
		{"accepted", m.Accepted, 2},
		{"accepted expiring", m.AcceptExpiring, 1},
		{"accepted expired", m.AcceptExpired, 1},
		{"the expired acceptance is open", m.Open["medium"], 2},
		{"false positives", m.FalsePositive, 1},
		{"aws scans in window", m.ScansByScanner["aws"], 1},
		{"secrets scans", m.ScansByScanner["secrets"], 1},
		{"weeks", len(m.Weeks), 13},
		{"new in the last week", m.Weeks[12].New, 2},
		{"fixed in the last week", m.Weeks[12].Fixed, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
}

// TestComputeDetectionMetrics counts detection alerts by how long they have
// waited for triage.
func TestComputeDetectionMetrics(t *testing.T) {
	day := 24 * time.Hour
	alert := func(age time.Duration, status finding.Status) store.Record {
		r := rec("aws-detections", "arn:aws:iam::1:user/bob#0", "PAL-CT-003", finding.High)
		r.Category, r.Status, r.FirstSeen = finding.Detection, status, now.Add(-age)
		return r
	}
	posture := rec("aws:1", "arn:aws:iam::1:root", "AWS-IAM-001", finding.High)
	posture.Category, posture.FirstSeen = finding.Posture, now.Add(-10*day)
	all := []store.Record{
		alert(time.Hour, finding.StatusOpen),             // within the window
		alert(5*day, finding.StatusOpen),                 // untriaged
		alert(10*day, finding.StatusFalsePositive),       // triaged
		alert(10*day, finding.StatusFixed),               // triaged
		alert(DetectionTriageWindow, finding.StatusOpen), // exactly at the window: not yet late
		posture,
	}
	scans := []store.Scan{{Target: "aws-detections", Scanners: map[string]string{"detect": "1"}, FinishedAt: now.Add(-day), Status: store.ScanPartial}}
	m := computeRecords(all, scans, now, 90*day, nil)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"open detection alerts", m.OpenByCategory["detection"], 3},
		{"untriaged past the window", m.DetectionsUntriaged, 1},
		{"false positives", m.FalsePositive, 1},
		{"detection runs", m.ScansByScanner["detect"], 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.what, c.got, c.want)
		}
	}
}
