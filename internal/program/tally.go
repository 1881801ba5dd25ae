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
// findings grouped by the few fields a view needs, never the findings'
// text. store.Store is one.
type Tallier interface {
	Tally(ctx context.Context, q store.TallyQuery) ([]store.Tally, error)
}

// Counts are tallies of stored findings with the query that made them: the
// query says which times each tally's SeenSince counts are for.
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

// since returns, from a query's SeenSince, how many findings of a group
// were first seen at or after t. Counts made for another time, or other
// controls, lack t; that is a bug of the caller, and it panics.
func since(q store.TallyQuery, t time.Time) func(store.Tally) int {
	for i, c := range q.SeenSince {
		if c.Equal(t) {
			return func(g store.Tally) int { return g.SeenSince[i] }
		}
	}
	panic(fmt.Sprintf("program: counts made without first seen since %s: count them with this package's query for the same time and controls", t.Format(time.RFC3339Nano)))
}

// tallyOpen is IsOpen for a group of findings counted by status and
// acceptance expiry.
func tallyOpen(t store.Tally, now time.Time) bool {
	var r store.Record
	r.Status, r.StatusExpires = t.Status, t.Expires
	return IsOpen(r, now)
}

// openFields group findings by what the findings controls read and the
// acceptance expiry (for tallyOpen), in the order of the index
// findings_open_tally, so that SQLite counts them without sorting.
var openFields = []store.Field{store.ByStatus, store.BySeverity, store.ByScanner, store.ByRuleID, store.ByCategory,
	store.ByChecklist, store.ByExpires}

// FindingsQuery counts what the findings controls read: the findings that
// may count as open at now, by scanner, rule, category, severity and
// checklist steps, with the target prefixes and triage windows of the
// controls that count findings.
func FindingsQuery(controls []Control, now time.Time) store.TallyQuery {
	q := store.TallyQuery{Statuses: mayBeOpen, By: openFields}
	for _, c := range controls {
		fe := c.Findings
		if fe == nil || len(fe.Rules) == 0 && fe.Checklist == "" && fe.Category == "" {
			continue
		}
		if fe.TargetPrefix != "" && !slices.Contains(q.TargetPrefixes, fe.TargetPrefix) {
			q.TargetPrefixes = append(q.TargetPrefixes, fe.TargetPrefix)
		}
		if w := fe.TriageWithin; w > 0 && !slices.ContainsFunc(q.SeenSince, now.Add(-w).Equal) {
			q.SeenSince = append(q.SeenSince, now.Add(-w))
		}
	}
	return q
}

// RankQuery counts what Rank and the inventory control read: the findings
// that may count as open by target, resource, rule, severity, category and
// whether a fix is published (and, to keep to the index's order, scanner
// and checklist steps).
func RankQuery() store.TallyQuery {
	return store.TallyQuery{Statuses: mayBeOpen, By: append(slices.Clone(openFields), store.ByTarget, store.ByResource, store.ByFixable)}
}

// Gather counts in the store what the controls read at ev.Now: ev.Open, and
// ev.Owned when there is a catalog.
func (ev *Evidence) Gather(ctx context.Context, src Tallier, controls []Control) error {
	var err error
	if ev.Open, err = Count(ctx, src, FindingsQuery(controls, ev.Now)); err != nil {
		return fmt.Errorf("roadmap: %w", err)
	}
	if ev.Catalog != nil {
		if ev.Owned, err = Count(ctx, src, RankQuery()); err != nil {
			return fmt.Errorf("roadmap: %w", err)
		}
	}
	return nil
}

// RankServices ranks the catalog's services on the findings in the store
// that are open at now.
func RankServices(ctx context.Context, src Tallier, c *Catalog, now time.Time) (Ranking, error) {
	open, err := Count(ctx, src, RankQuery())
	if err != nil {
		return Ranking{}, fmt.Errorf("rank services: %w", err)
	}
	return Rank(c, open, now), nil
}

// Measure counts in the store what Compute reads and computes the metrics.
func Measure(ctx context.Context, src Tallier, scans []store.Scan, now time.Time, window time.Duration, sla SLA) (Metrics, error) {
	var (
		mc  MetricsCounts
		err error
	)
	q := metricsQueries(now, window, sla)
	for i, dst := range []*Counts{&mc.Statuses, &mc.Seen, &mc.Fixed} {
		if *dst, err = Count(ctx, src, q[i]); err != nil {
			return Metrics{}, fmt.Errorf("metrics: %w", err)
		}
	}
	return Compute(mc, scans, now, window, sla), nil
}
