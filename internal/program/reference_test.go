package program

// The views as they were computed before the store counted findings: from
// every stored finding, in Go. TestViewsFromCountsMatchViewsFromRecords
// holds the views computed from counts to these, on real stores.

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// refEvidence is Evidence with the findings that may count as open, as
// records.
type refEvidence struct {
	Evidence
	Open []store.Record
}

// refEvaluate is Evaluate on records: the findings controls and the
// inventory control read them; the other controls do not read findings.
func refEvaluate(controls []Control, ev refEvidence) []Result {
	if ev.MaxAge == 0 {
		ev.MaxAge = DefaultMaxAge
		ev.Evidence.MaxAge = DefaultMaxAge
	}
	listed := map[string]bool{}
	for _, c := range controls {
		if c.Findings != nil {
			for _, r := range c.Findings.Rules {
				listed[r] = true
			}
		}
	}
	byScanner := map[string][]store.Record{}
	for _, rec := range ev.Open {
		byScanner[rec.Scanner] = append(byScanner[rec.Scanner], rec)
	}
	out := make([]Result, 0, len(controls))
	for _, c := range controls {
		var r Result
		switch {
		case c.Findings != nil:
			r = refEvalFindings(c, ev, byScanner[c.Findings.FromScanner], listed)
		case c.ID == "appsec-inventory" && ev.Catalog != nil:
			ok, detail := refEveryFindingOwned(ev.Catalog, ev)
			r = Result{State: NotMet, Detail: detail}
			if ok {
				r.State = Met
			}
		default:
			r = Evaluate([]Control{c}, ev.Evidence)[0]
		}
		r.Control = c
		out = append(out, r)
	}
	return out
}

func refEvalFindings(c Control, ev refEvidence, open []store.Record, listed map[string]bool) Result {
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
	if len(fe.Rules) > 0 || fe.Checklist != "" || fe.Category != "" {
		for _, rec := range open {
			if !IsOpen(rec, ev.Now) {
				continue
			}
			if rec.Scanner != fe.FromScanner || !strings.HasPrefix(rec.Target, fe.TargetPrefix) || rec.Severity < fe.MinSeverity {
				continue
			}
			byStep := fe.Checklist != "" && !listed[rec.RuleID] && refServesStep(rec.Finding, fe.Checklist)
			byCategory := fe.Category != "" && rec.Category == fe.Category
			if !rules[rec.RuleID] && !byStep && !byCategory {
				continue
			}
			if fe.TriageWithin > 0 && ev.Now.Sub(rec.FirstSeen) <= fe.TriageWithin {
				pending++
				continue
			}
			n++
			counts[rec.RuleID]++
			worst = max(worst, rec.Severity)
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

func refServesStep(f finding.Finding, step string) bool {
	for _, r := range f.References {
		if r.Type == finding.RefChecklist && r.ID == step {
			return true
		}
	}
	return false
}

func refRank(c *Catalog, open []store.Record, now time.Time) Ranking {
	type acc struct {
		weak               float64
		counts             map[string]int
		fixable            int
		exposed, privilege map[string]bool
		targets            map[string]bool
	}
	accs := make([]acc, len(c.Services))
	for i := range accs {
		accs[i] = acc{counts: map[string]int{}, exposed: map[string]bool{}, privilege: map[string]bool{}, targets: map[string]bool{}}
	}
	unassigned := map[string]int{}
	for _, rec := range open {
		if !IsOpen(rec, now) {
			continue
		}
		claimed := false
		for i := range c.Services {
			s := &c.Services[i]
			if !s.ownsTarget(rec.Target) && !refOwnsResource(s, rec.Resource) {
				continue
			}
			claimed = true
			a := &accs[i]
			pts := severityPoints[rec.Severity]
			if rec.Category == finding.Vulnerability && len(rec.FixedVersions) > 0 {
				pts *= 1.5
				a.fixable++
			}
			a.weak += pts
			a.counts[rec.Severity.String()]++
			a.targets[rec.Target] = true
			if why, ok := exposureRules[rec.RuleID]; ok {
				a.exposed[why+" ("+rec.RuleID+" on "+short(rec.Resource)+")"] = true
			}
			if why, ok := privilegeRules[rec.RuleID]; ok {
				a.privilege[why+" ("+rec.RuleID+" on "+short(rec.Resource)+")"] = true
			}
		}
		if !claimed {
			unassigned[rec.Target]++
		}
	}
	var out Ranking
	for i, s := range c.Services {
		a := accs[i]
		r := Ranked{Service: s, Findings: a.counts}
		// Exposure.
		exp := Term{Name: "exposure"}
		switch {
		case len(a.exposed) > 0:
			exp.Points, exp.Why = exposurePoints, "shown by "+firstOf(a.exposed)
		case s.InternetFacing != nil && *s.InternetFacing:
			exp.Points, exp.Why = exposurePoints, "declared internet-facing"
		case s.InternetFacing != nil:
			exp.Why = "declared internal, and no finding shows exposure"
		default:
			exp.Why = "not declared, and no finding shows exposure"
		}
		// Data.
		data := Term{Name: "data"}
		if s.Data == "" {
			data.Points, data.Why = dataPoints[unclassified], "not classified: counted as confidential"
		} else {
			data.Points, data.Why = dataPoints[s.Data], s.Data
		}
		// Weaknesses.
		weak := Term{Name: "weaknesses", Points: min(int(a.weak+0.5), weaknessCap)}
		if len(a.counts) == 0 {
			weak.Why = "no open finding"
		} else {
			weak.Why = severitySummary(a.counts)
			if a.fixable > 0 {
				weak.Why += fmt.Sprintf("; %d with a published fix", a.fixable)
			}
			if int(a.weak+0.5) > weaknessCap {
				weak.Why += fmt.Sprintf(" (%d points, capped)", int(a.weak+0.5))
			}
		}
		// Privilege.
		priv := Term{Name: "privilege", Why: "no identity with administrative or wildcard privileges found"}
		if len(a.privilege) > 0 {
			priv.Points, priv.Why = privilegePoints, firstOf(a.privilege)
		}
		r.Terms = []Term{exp, data, weak, priv}
		for _, t := range r.Terms {
			r.Score += t.Points
		}
		for t := range a.targets {
			r.Targets = append(r.Targets, t)
		}
		sort.Strings(r.Targets)
		out.Services = append(out.Services, r)
	}
	sort.SliceStable(out.Services, func(i, j int) bool { return out.Services[i].Score > out.Services[j].Score })
	if len(unassigned) > 0 {
		out.Unassigned = unassigned
	}
	return out
}

func refEveryFindingOwned(c *Catalog, ev refEvidence) (bool, string) {
	maxAge := ev.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	recent := false
	for _, sc := range ev.Scans {
		recent = recent || sc.Status == store.ScanCompleted && ev.Now.Sub(sc.FinishedAt) <= maxAge
	}
	if !recent {
		// No finding proves nothing when nothing was looked at.
		return false, fmt.Sprintf("no complete scan in the last %s to tie to the %d services", days(maxAge), len(c.Services))
	}
	rk := refRank(c, ev.Open, ev.Now)
	if len(rk.Unassigned) == 0 {
		return true, fmt.Sprintf("%d services with owners; every open finding belongs to one", len(c.Services))
	}
	targets := make([]string, 0, len(rk.Unassigned))
	n := 0
	for t, k := range rk.Unassigned {
		targets = append(targets, t)
		n += k
	}
	sort.Strings(targets)
	if len(targets) > 3 {
		targets = append(targets[:3], fmt.Sprintf("and %d more", len(targets)-3))
	}
	return false, fmt.Sprintf("%d open finding(s) belong to no service: %s", n, strings.Join(targets, ", "))
}

func refCompute(all []store.Record, scans []store.Scan, now time.Time, window time.Duration, sla SLA) Metrics {
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

// refOwnsResource is Service.ownsResource as it was, matching every pattern
// with path.Match.
func refOwnsResource(s *Service, resource string) bool {
	if i := strings.LastIndexByte(resource, '#'); i >= 0 && alertID.MatchString(resource[i+1:]) {
		resource = resource[:i]
	}
	if resource == "" {
		return false
	}
	r := resourcePattern(resource)
	for _, p := range s.Resources {
		if ok, _ := path.Match(resourcePattern(p), r); ok {
			return true
		}
	}
	return false
}
