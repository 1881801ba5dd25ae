package program

import (
	"cmp"
	"slices"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// SLA is how long a finding of each severity may stay open. The defaults
// follow common practice for a SaaS (and the spirit of PCI DSS and FedRAMP
// remediation windows): a week for critical, a month for high, a quarter
// for medium, half a year for low. Info findings have none.
type SLA map[finding.Severity]time.Duration

// DefaultSLA is the remediation window per severity.
var DefaultSLA = SLA{
	finding.Critical: 7 * 24 * time.Hour,
	finding.High:     30 * 24 * time.Hour,
	finding.Medium:   90 * 24 * time.Hour,
	finding.Low:      180 * 24 * time.Hour,
}

// Metrics are the numbers a security program reports on: what is open,
// what is late, how fast things get fixed, and the trend.
type Metrics struct {
	Now time.Time `json:"now"`
	// Open counts open findings by severity, and by category.
	Open           map[string]int `json:"open"`
	OpenByCategory map[string]int `json:"open_by_category"`
	// OverSLA counts open findings older than their severity's window.
	OverSLA map[string]int `json:"over_sla"`
	// OldestOpenDays is the age of the oldest open finding per severity.
	OldestOpenDays map[string]int `json:"oldest_open_days"`
	// Fixed are the findings fixed in the window; time to fix is from
	// first seen to fixed, in days.
	FixedInWindow  int            `json:"fixed_in_window"`
	MeanDaysToFix  map[string]int `json:"mean_days_to_fix"`
	MedianDaysFix  map[string]int `json:"median_days_to_fix"`
	NewInWindow    int            `json:"new_in_window"`
	Accepted       int            `json:"accepted"`
	AcceptExpiring int            `json:"accepted_expiring_within_30_days"`
	// AcceptExpired are acceptances past their expiry: counted as open
	// (the next scan of their target reopens them).
	AcceptExpired int `json:"accepted_expired"`
	FalsePositive int `json:"false_positive"`
	// DetectionsUntriaged counts open detection alerts first seen more
	// than DetectionTriageWindow ago: alerts nobody has looked at in time
	// (the time-to-triage target of the aws-4-siem control).
	DetectionsUntriaged int `json:"detections_untriaged"`
	// Weeks is the trend: findings first seen and fixed per week, over the
	// whole weeks that cover the window (13 for 90 days), newest last.
	Weeks []Week `json:"weeks"`
	// ScansByScanner counts scans in the window per scanner.
	ScansByScanner map[string]int `json:"scans_by_scanner"`
	WindowDays     int            `json:"window_days"`
}

// Week is one week of the trend.
type Week struct {
	Start time.Time `json:"start"`
	New   int       `json:"new"`
	Fixed int       `json:"fixed"`
}

// MetricsCounts are the counts of stored findings Compute reads.
type MetricsCounts struct {
	// Statuses counts the open, accepted and false positive findings by
	// status, severity, category and acceptance expiry (and the fields the
	// index they are read from orders them by), with their earliest first
	// seen time and how many were first seen within the SLA and triage
	// ages.
	Statuses Counts
	// Seen counts every finding first seen since the trend's first week by
	// the time it was first seen.
	Seen Counts
	// Fixed counts the findings fixed since the trend's first week by the
	// time they were fixed, severity, the time they were first seen and
	// status (fixed, unless a status change left a fixed time behind).
	Fixed Counts
}

// metricsQueries are the queries of MetricsCounts for the window ending
// now. Only the open, accepted and false positive findings are read whole;
// new and fixed findings are read from the trend's first week on, through
// indexes on those times.
func metricsQueries(now time.Time, window time.Duration, sla SLA) [3]store.TallyQuery {
	if sla == nil {
		sla = DefaultSLA
	}
	_, weekStart := trend(now, window)
	ages := []time.Time{now.Add(-DetectionTriageWindow)}
	for _, limit := range sla {
		ages = append(ages, now.Add(-limit))
	}
	return [3]store.TallyQuery{
		{Statuses: []finding.Status{finding.StatusOpen, finding.StatusAccepted, finding.StatusFalsePositive},
			By: openFields, SeenSince: ages, Earliest: true},
		{FirstSeenSince: weekStart, By: []store.Field{store.ByFirstSeen}},
		// By status rather than for status fixed only: SQLite then reads
		// the fixed times from findings_fixed_at, not every fixed finding.
		{FixedSince: weekStart, By: []store.Field{store.ByFixedAt, store.BySeverity, store.ByFirstSeen, store.ByStatus}},
	}
}

const week = 7 * 24 * time.Hour

// trend is the number of whole weeks that cover the window, and when the
// first starts: the last ends now.
func trend(now time.Time, window time.Duration) (int, time.Time) {
	weeks := int((window + week - 1) / week)
	return weeks, now.Add(-time.Duration(weeks) * week)
}

// Compute derives the metrics from the counts Measure makes for the same
// now, window and SLA, and the scans, over a window ending now.
func Compute(mc MetricsCounts, scans []store.Scan, now time.Time, window time.Duration, sla SLA) Metrics {
	if sla == nil {
		sla = DefaultSLA
	}
	from := now.Add(-window)
	m := Metrics{Now: now, Open: map[string]int{}, OpenByCategory: map[string]int{}, OverSLA: map[string]int{},
		OldestOpenDays: map[string]int{}, MeanDaysToFix: map[string]int{}, MedianDaysFix: map[string]int{},
		ScansByScanner: map[string]int{}, WindowDays: int(window.Hours() / 24)}
	weeks, weekStart := trend(now, window)
	m.Weeks = make([]Week, weeks)
	for i := range m.Weeks {
		m.Weeks[i].Start = weekStart.Add(time.Duration(i) * week)
	}
	weekOf := func(t time.Time) int {
		if t.Before(weekStart) || t.After(now) {
			return -1
		}
		return min(int(t.Sub(weekStart)/week), weeks-1)
	}
	for _, t := range mc.Seen.Rows {
		if !t.FirstSeen.Before(from) && !t.FirstSeen.After(now) {
			m.NewInWindow += t.Count
		}
		if w := weekOf(t.FirstSeen); w >= 0 {
			m.Weeks[w].New += t.Count
		}
	}
	if len(mc.Statuses.Rows) > 0 {
		countStatuses(&m, mc.Statuses, now, sla)
	}
	// Times to fix, in days, with how many findings took each.
	type took struct {
		days float64
		n    int
	}
	fixDays := map[string][]took{}
	for _, t := range mc.Fixed.Rows {
		if t.Status != finding.StatusFixed || t.FixedAt == nil {
			continue
		}
		if w := weekOf(*t.FixedAt); w >= 0 {
			m.Weeks[w].Fixed += t.Count
		}
		if t.FixedAt.Before(from) || t.FixedAt.After(now) {
			continue
		}
		m.FixedInWindow += t.Count
		sev := t.Severity.String()
		fixDays[sev] = append(fixDays[sev], took{t.FixedAt.Sub(t.FirstSeen).Hours() / 24, t.Count})
	}
	for sev, ds := range fixDays {
		slices.SortFunc(ds, func(a, b took) int { return cmp.Compare(a.days, b.days) })
		// Added one by one in ascending order, as a sorted list of every
		// finding's time would be, so the sum is the same to the last bit.
		sum, total := 0.0, 0
		for _, d := range ds {
			for range d.n {
				sum += d.days
			}
			total += d.n
		}
		m.MeanDaysToFix[sev] = int(sum/float64(total) + 0.5)
		// nth is the n-th smallest time (from 0).
		nth := func(n int) float64 {
			for _, d := range ds {
				if n < d.n {
					return d.days
				}
				n -= d.n
			}
			return 0
		}
		mid := total / 2
		med := nth(mid)
		if total%2 == 0 {
			med = (nth(mid-1) + nth(mid)) / 2
		}
		m.MedianDaysFix[sev] = int(med + 0.5)
	}
	for _, s := range scans {
		if s.FinishedAt.Before(from) || s.FinishedAt.After(now) {
			continue
		}
		for name := range s.Scanners {
			m.ScansByScanner[name]++
		}
	}
	return m
}

// countStatuses adds what the counts of open, accepted and false positive
// findings say to m.
func countStatuses(m *Metrics, counts Counts, now time.Time, sla SLA) {
	// Findings first seen before now - limit are older than the limit:
	// all but those seen since.
	recent := since(counts.Query, now.Add(-DetectionTriageWindow))
	withinSLA := map[finding.Severity]func(store.Tally) int{}
	for sev, limit := range sla {
		withinSLA[sev] = since(counts.Query, now.Add(-limit))
	}
	for _, t := range counts.Rows {
		sev := t.Severity.String()
		status := t.Status
		if status == finding.StatusAccepted && tallyOpen(t, now) {
			m.AcceptExpired += t.Count
			status = finding.StatusOpen
		}
		switch status {
		case finding.StatusOpen:
			m.Open[sev] += t.Count
			m.OpenByCategory[string(t.Category)] += t.Count
			// The group's oldest finding is the oldest of them all.
			age := now.Sub(t.EarliestFirstSeen)
			if d, seen := m.OldestOpenDays[sev]; !seen || int(age.Hours()/24) > d {
				m.OldestOpenDays[sev] = int(age.Hours() / 24)
			}
			if within, ok := withinSLA[t.Severity]; ok {
				if n := t.Count - within(t); n > 0 {
					m.OverSLA[sev] += n
				}
			}
			if t.Category == finding.Detection {
				m.DetectionsUntriaged += t.Count - recent(t)
			}
		case finding.StatusAccepted:
			m.Accepted += t.Count
			if t.Expires != nil && t.Expires.Sub(now) <= 30*24*time.Hour {
				m.AcceptExpiring += t.Count // still in force (tallyOpen said so), for at most 30 days
			}
		case finding.StatusFalsePositive:
			m.FalsePositive += t.Count
		}
	}
}
