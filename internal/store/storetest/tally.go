package storetest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// Tally is store.Tally in Go over records in memory: what the store's SQL
// must answer, and a way for tests of the program views to turn the records
// they write into tallies. Groups are sorted by Key.
func Tally(records []store.Record, q store.TallyQuery) []store.Tally {
	prefixes := slices.Clone(q.TargetPrefixes)
	sort.SliceStable(prefixes, func(i, j int) bool { return len(prefixes[i]) > len(prefixes[j]) })
	groups := map[string]*store.Tally{}
	for _, r := range records {
		if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.Status) {
			continue
		}
		if !q.FirstSeenSince.IsZero() && r.FirstSeen.Before(q.FirstSeenSince) {
			continue
		}
		if !q.FixedSince.IsZero() && (r.FixedAt == nil || r.FixedAt.Before(q.FixedSince)) {
			continue
		}
		t := store.Tally{}
		for _, f := range q.By {
			switch f {
			case store.ByTarget:
				t.Target = r.Target
			case store.ByResource:
				t.Resource = r.Resource
			case store.ByScanner:
				t.Scanner = r.Scanner
			case store.ByRuleID:
				t.RuleID = r.RuleID
			case store.ByCategory:
				t.Category = r.Category
			case store.BySeverity:
				t.Severity = r.Severity
			case store.ByStatus:
				t.Status = r.Status
			case store.ByChecklist:
				for _, ref := range r.References {
					if ref.Type == finding.RefChecklist {
						t.Checklist = append(t.Checklist, ref.ID)
					}
				}
			case store.ByFixable:
				t.Fixable = len(r.FixedVersions) > 0
			case store.ByFirstSeen:
				t.FirstSeen = r.FirstSeen
			case store.ByFixedAt:
				t.FixedAt = r.FixedAt
			case store.ByExpires:
				t.Expires = r.StatusExpires
			}
		}
		for _, p := range prefixes {
			if strings.HasPrefix(r.Target, p) {
				t.TargetPrefix = p
				break
			}
		}
		k := Key(t)
		g, ok := groups[k]
		if !ok {
			if q.Earliest {
				t.EarliestFirstSeen = r.FirstSeen
			}
			groups[k] = &t
			g = &t
		}
		g.Count++
		if q.Earliest && r.FirstSeen.Before(g.EarliestFirstSeen) {
			g.EarliestFirstSeen = r.FirstSeen
		}
		if len(q.SeenSince) > 0 && g.SeenSince == nil {
			g.SeenSince = make([]int, len(q.SeenSince))
		}
		for i, since := range q.SeenSince {
			if !r.FirstSeen.Before(since) {
				g.SeenSince[i]++
			}
		}
	}
	out := make([]store.Tally, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	Sort(out)
	return out
}

// Key identifies a tally's group: every field but the counts and
// EarliestFirstSeen, with times to the nanosecond.
func Key(t store.Tally) string {
	at := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%q %q %q %q %q %d %q %q %t %s %s %s %q", t.Target, t.Resource, t.Scanner, t.RuleID, t.Category,
		t.Severity, t.Status, t.Checklist, t.Fixable, at(&t.FirstSeen), at(t.FixedAt), at(t.Expires), t.TargetPrefix)
}

// Sort orders tallies by Key, so two lists of the same groups compare equal.
func Sort(ts []store.Tally) {
	sort.Slice(ts, func(i, j int) bool { return Key(ts[i]) < Key(ts[j]) })
}

// Merge adds up the tallies of equal keys (a group can come back twice when
// one value has two stored forms, such as a checklist filled by a
// migration and the same list written by a scan) and sorts them.
func Merge(ts []store.Tally) []store.Tally {
	Sort(ts)
	var out []store.Tally
	for _, t := range ts {
		if n := len(out); n > 0 && Key(out[n-1]) == Key(t) {
			out[n-1].Count += t.Count
			if t.EarliestFirstSeen.Before(out[n-1].EarliestFirstSeen) {
				out[n-1].EarliestFirstSeen = t.EarliestFirstSeen
			}
			for i := range t.SeenSince {
				out[n-1].SeenSince[i] += t.SeenSince[i]
			}
			continue
		}
		out = append(out, t)
	}
	return out
}
