package program

import (
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

// Compute derives the metrics from every stored finding (any status) and
// the scans, over a window ending now.
func Compute(all []store.Record, scans []store.Scan, now time.Time, window time.Duration, sla SLA) Metrics {
	if sla == nil {
		sla = DefaultSLA
	}
	from := now.Add(-window)
	m := Metrics{Now: now, Open: map[string]int{}, OpenByCategory: map[string]int{}, OverSLA: map[string]int{},
		OldestOpenDays: map[string]int{}, MeanDaysToFix: map[string]int{}, MedianDaysFix: map[string]int{},
		ScansByScanner: map[string]int{}, WindowDays: int(window.Hours() / 24)}
	weeks := int((window + 7*24*time.Hour - 1) / (7 * 24 * time.Hour))
	weekStart := now.Add(-time.Duration(weeks) * 7 * 24 * time.Hour)
	m.Weeks = make([]Week, weeks)
	for i := range m.Weeks {
		m.Weeks[i].Start = weekStart.Add(time.Duration(i) * 7 * 24 * time.Hour)
	}
	weekOf := func(t time.Time) int {
		if t.Before(weekStart) || t.After(now) {
			return -1
		}
		return min(int(t.Sub(weekStart)/(7*24*time.Hour)), weeks-1)
	}
	fixDays := map[string][]float64{}
	for _, r := range all {
		sev := r.Severity.String()
		if !r.FirstSeen.Before(from) && !r.FirstSeen.After(now) {
			m.NewInWindow++
		}
		if w := weekOf(r.FirstSeen); w >= 0 {
			m.Weeks[w].New++
		}
		status := r.Status
		if status == finding.StatusAccepted && IsOpen(r, now) {
			m.AcceptExpired++
			status = finding.StatusOpen
		}
		switch status {
		case finding.StatusOpen:
			m.Open[sev]++
			m.OpenByCategory[string(r.Category)]++
			age := now.Sub(r.FirstSeen)
			if d, seen := m.OldestOpenDays[sev]; !seen || int(age.Hours()/24) > d {
				m.OldestOpenDays[sev] = int(age.Hours() / 24)
			}
			if limit, ok := sla[r.Severity]; ok && age > limit {
				m.OverSLA[sev]++
			}
			if r.Category == finding.Detection && age > DetectionTriageWindow {
				m.DetectionsUntriaged++
			}
		case finding.StatusFixed:
			if r.FixedAt != nil && !r.FixedAt.Before(from) && !r.FixedAt.After(now) {
				m.FixedInWindow++
				fixDays[sev] = append(fixDays[sev], r.FixedAt.Sub(r.FirstSeen).Hours()/24)
			}
			if r.FixedAt != nil {
				if w := weekOf(*r.FixedAt); w >= 0 {
					m.Weeks[w].Fixed++
				}
			}
		case finding.StatusAccepted:
			m.Accepted++
			if r.StatusExpires != nil && r.StatusExpires.Sub(now) <= 30*24*time.Hour {
				m.AcceptExpiring++ // still in force (IsOpen said so), for at most 30 days
			}
		case finding.StatusFalsePositive:
			m.FalsePositive++
		}
	}
	for sev, ds := range fixDays {
		sort.Float64s(ds)
		sum := 0.0
		for _, d := range ds {
			sum += d
		}
		m.MeanDaysToFix[sev] = int(sum/float64(len(ds)) + 0.5)
		mid := len(ds) / 2
		med := ds[mid]
		if len(ds)%2 == 0 {
			med = (ds[mid-1] + ds[mid]) / 2
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
