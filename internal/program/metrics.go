package program

import (
	"cmp"
	"slices"
	"sort"
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

// MetricsQueries are the counts Compute reads for the window ending now:
// every finding by status, severity and category, with its first seen,
// fixed and acceptance expiry times placed among the bounds the metrics
// compare them with (the window, its weeks, the SLA and triage ages, 30 days
// ahead); and the findings fixed in the window by severity and by their
// first seen and fixed times, for the times to fix.
func MetricsQueries(now time.Time, window time.Duration, sla SLA) (counts, fixes store.TallyQuery) {
	if sla == nil {
		sla = DefaultSLA
	}
	from := now.Add(-window)
	weeks, weekStart := trend(now, window)
	seen := []time.Time{from, after(now), now.Add(-DetectionTriageWindow)}
	fixed := []time.Time{after(now)}
	for i := range weeks {
		start := weekStart.Add(time.Duration(i) * week)
		seen, fixed = append(seen, start), append(fixed, start)
	}
	for _, limit := range sla {
		seen = append(seen, now.Add(-limit))
	}
	counts = store.TallyQuery{
		By:            []store.Field{store.ByStatus, store.BySeverity, store.ByCategory},
		FirstSeenCuts: sortedCuts(seen),
		FixedCuts:     sortedCuts(fixed),
		ExpiresCuts:   []time.Time{after(now), after(now.Add(30 * 24 * time.Hour))},
	}
	fixes = store.TallyQuery{Statuses: []finding.Status{finding.StatusFixed}, FixedSince: from,
		By: []store.Field{store.BySeverity, store.ByFirstSeen, store.ByFixedAt}}
	return counts, fixes
}

const week = 7 * 24 * time.Hour

// trend is the number of whole weeks that cover the window, and when the
// first starts: the last ends now.
func trend(now time.Time, window time.Duration) (int, time.Time) {
	weeks := int((window + week - 1) / week)
	return weeks, now.Add(-time.Duration(weeks) * week)
}

// Compute derives the metrics from the counts and fixes MetricsQueries(now,
// window, sla) made, and the scans, over a window ending now.
func Compute(counts, fixes Counts, scans []store.Scan, now time.Time, window time.Duration, sla SLA) Metrics {
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
	if len(counts.Rows) > 0 {
		tallyCounts(&m, counts, now, window, sla)
	}
	// Times to fix, in days, with how many findings took each.
	type took struct {
		days float64
		n    int
	}
	fixDays := map[string][]took{}
	for _, t := range fixes.Rows {
		if t.FixedAt == nil || t.FixedAt.Before(from) || t.FixedAt.After(now) {
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

// tallyCounts adds what the counts of every finding say to m.
func tallyCounts(m *Metrics, counts Counts, now time.Time, window time.Duration, sla SLA) {
	q := counts.Query
	weeks, weekStart := trend(now, window)
	// Indexes of the cuts: a time is at or after cuts[i] exactly when its
	// cut is past i.
	seenFrom, seenAfter := cutIndex(q.FirstSeenCuts, now.Add(-window)), cutIndex(q.FirstSeenCuts, after(now))
	untriaged := cutIndex(q.FirstSeenCuts, now.Add(-DetectionTriageWindow))
	overSLA := map[finding.Severity]int{}
	for sev, limit := range sla {
		overSLA[sev] = cutIndex(q.FirstSeenCuts, now.Add(-limit))
	}
	seenWeeks, fixedWeeks := make([]int, weeks), make([]int, weeks)
	for i := range weeks {
		start := weekStart.Add(time.Duration(i) * week)
		seenWeeks[i], fixedWeeks[i] = cutIndex(q.FirstSeenCuts, start), cutIndex(q.FixedCuts, start)
	}
	fixedAfter := cutIndex(q.FixedCuts, after(now))
	lapsed, expiring := cutIndex(q.ExpiresCuts, after(now)), cutIndex(q.ExpiresCuts, after(now.Add(30*24*time.Hour)))
	// weekOf is the week of the trend a time with cut n falls in (the
	// weeks' starts are cuts too), -1 when it is before the first week or
	// after now.
	weekOf := func(n int, starts []int, afterNow int) int {
		if weeks == 0 || n <= starts[0] || n > afterNow {
			return -1
		}
		return sort.Search(weeks, func(i int) bool { return starts[i] >= n }) - 1
	}
	for _, t := range counts.Rows {
		sev := t.Severity.String()
		if t.FirstSeenCut > seenFrom && t.FirstSeenCut <= seenAfter {
			m.NewInWindow += t.Count
		}
		if w := weekOf(t.FirstSeenCut, seenWeeks, seenAfter); w >= 0 {
			m.Weeks[w].New += t.Count
		}
		status := t.Status
		if status == finding.StatusAccepted && t.ExpiresCut >= 0 && t.ExpiresCut <= lapsed {
			m.AcceptExpired += t.Count
			status = finding.StatusOpen
		}
		switch status {
		case finding.StatusOpen:
			m.Open[sev] += t.Count
			m.OpenByCategory[string(t.Category)] += t.Count
			// The oldest of the group is the oldest open finding's age.
			days := int(now.Sub(t.EarliestFirstSeen).Hours() / 24)
			if d, seen := m.OldestOpenDays[sev]; !seen || days > d {
				m.OldestOpenDays[sev] = days
			}
			// Older than the limit: first seen before now - limit.
			if i, ok := overSLA[t.Severity]; ok && t.FirstSeenCut <= i {
				m.OverSLA[sev] += t.Count
			}
			if t.Category == finding.Detection && t.FirstSeenCut <= untriaged {
				m.DetectionsUntriaged += t.Count
			}
		case finding.StatusFixed:
			if w := weekOf(t.FixedCut, fixedWeeks, fixedAfter); t.FixedCut >= 0 && w >= 0 {
				m.Weeks[w].Fixed += t.Count
			}
		case finding.StatusAccepted:
			m.Accepted += t.Count
			if t.ExpiresCut >= 0 && t.ExpiresCut <= expiring {
				m.AcceptExpiring += t.Count // still in force, for at most 30 days
			}
		case finding.StatusFalsePositive:
			m.FalsePositive += t.Count
		}
	}
}
