package program

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// Tallier is what the program views read from the store: counts of
// findings, never the findings themselves, so a view costs about the same
// on a store of any size. store.Store is one.
type Tallier interface {
	Tally(ctx context.Context, q store.TallyQuery) ([]store.Tally, error)
}

// Counts are tallies of stored findings with the query that made them: the
// query says what each tally's cuts mean.
type Counts struct {
	Query store.TallyQuery
	Rows  []store.Tally
}

// Count runs q on the store.
func Count(ctx context.Context, src Tallier, q store.TallyQuery) (Counts, error) {
	rows, err := src.Tally(ctx, q)
	if err != nil {
		return Counts{}, err
	}
	return Counts{Query: q, Rows: rows}, nil
}

// mayBeOpen are the statuses of findings that may count as open: open ones,
// and accepted ones whose acceptance may have lapsed (IsOpen decides).
var mayBeOpen = []finding.Status{finding.StatusOpen, finding.StatusAccepted}

// after is the first instant after t: a time is at or before t exactly when
// it is before after(t).
func after(t time.Time) time.Time { return t.Add(time.Nanosecond) }

// cutIndex is where t is among cuts (its first place when repeated): a
// tally's time is at or after t exactly when its cut is past that index.
// Counts made for another time, or other controls, lack the cut; that is a
// bug of the caller, and it panics.
func cutIndex(cuts []time.Time, t time.Time) int {
	for i, c := range cuts {
		if c.Equal(t) {
			return i
		}
	}
	panic(fmt.Sprintf("program: counts made without the cut %s: count them with this package's query for the same time and controls", t.Format(time.RFC3339Nano)))
}

// sortedCuts sorts times for a query's cuts.
func sortedCuts(ts []time.Time) []time.Time {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// openAt returns IsOpen for the tallies of c, whose query must place
// acceptance expiries at after(now) (openQuery does): open, or accepted with
// an acceptance that expired at or before now.
func (c Counts) openAt(now time.Time) func(store.Tally) bool {
	if len(c.Rows) == 0 {
		return func(store.Tally) bool { return false }
	}
	lapsed := cutIndex(c.Query.ExpiresCuts, after(now))
	return func(t store.Tally) bool {
		switch t.Status {
		case finding.StatusOpen, "":
			return true
		case finding.StatusAccepted:
			return t.ExpiresCut >= 0 && t.ExpiresCut <= lapsed
		}
		return false
	}
}

// openQuery counts the findings that may count as open at now by the given
// fields and their status, with acceptance expiries placed at now.
func openQuery(now time.Time, by ...store.Field) store.TallyQuery {
	return store.TallyQuery{Statuses: mayBeOpen, By: append(by, store.ByStatus), ExpiresCuts: []time.Time{after(now)}}
}

// FindingsQuery counts what the findings controls read: the findings that
// may count as open at now, by scanner, rule, category, severity and
// checklist steps, with the controls' target prefixes and triage windows.
func FindingsQuery(controls []Control, now time.Time) store.TallyQuery {
	q := openQuery(now, store.ByScanner, store.ByRuleID, store.ByCategory, store.BySeverity, store.ByChecklist)
	for _, c := range controls {
		fe := c.Findings
		if fe == nil {
			continue
		}
		if fe.TargetPrefix != "" && !slices.Contains(q.TargetPrefixes, fe.TargetPrefix) {
			q.TargetPrefixes = append(q.TargetPrefixes, fe.TargetPrefix)
		}
		if w := fe.TriageWithin; w > 0 && !slices.ContainsFunc(q.FirstSeenCuts, now.Add(-w).Equal) {
			q.FirstSeenCuts = append(q.FirstSeenCuts, now.Add(-w))
		}
	}
	sortedCuts(q.FirstSeenCuts)
	return q
}

// OwnershipQuery counts the findings that may count as open at now by
// target and resource: what tells whether a service claims them.
func OwnershipQuery(now time.Time) store.TallyQuery {
	return openQuery(now, store.ByTarget, store.ByResource)
}

// RankQuery counts what Rank reads: the findings that may count as open at
// now by target, resource, rule, severity, category and whether a fix is
// published.
func RankQuery(now time.Time) store.TallyQuery {
	return openQuery(now, store.ByTarget, store.ByResource, store.ByRuleID, store.BySeverity, store.ByCategory, store.ByFixable)
}

// Gather counts in the store what the controls read at ev.Now: ev.Open, and
// ev.Owned when there is a catalog.
func (ev *Evidence) Gather(ctx context.Context, src Tallier, controls []Control) error {
	var err error
	if ev.Open, err = Count(ctx, src, FindingsQuery(controls, ev.Now)); err != nil {
		return fmt.Errorf("roadmap: %w", err)
	}
	if ev.Catalog != nil {
		if ev.Owned, err = Count(ctx, src, OwnershipQuery(ev.Now)); err != nil {
			return fmt.Errorf("roadmap: %w", err)
		}
	}
	return nil
}

// RankServices ranks the catalog's services on the findings in the store
// that are open at now.
func RankServices(ctx context.Context, src Tallier, c *Catalog, now time.Time) (Ranking, error) {
	open, err := Count(ctx, src, RankQuery(now))
	if err != nil {
		return Ranking{}, fmt.Errorf("rank services: %w", err)
	}
	return Rank(c, open, now), nil
}

// Measure counts in the store what Compute reads and computes the metrics.
func Measure(ctx context.Context, src Tallier, scans []store.Scan, now time.Time, window time.Duration, sla SLA) (Metrics, error) {
	cq, fq := MetricsQueries(now, window, sla)
	counts, err := Count(ctx, src, cq)
	if err != nil {
		return Metrics{}, fmt.Errorf("metrics: %w", err)
	}
	fixes, err := Count(ctx, src, fq)
	if err != nil {
		return Metrics{}, fmt.Errorf("metrics: %w", err)
	}
	return Compute(counts, fixes, scans, now, window, sla), nil
}
