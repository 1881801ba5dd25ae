package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

// TestFindingsListKeepsItsIndex guards the plan of the web UI's and API's
// default findings list (open, most severe first, 100 rows) on SQLite,
// which keeps no statistics and picks an index by shape: it must read the
// findings in severity order from an index that starts with status, and
// sort only within a severity, not sort every open finding. An index added
// with the same leading columns once drew it away (the list took 5 times
// longer on 300,000 findings).
func TestFindingsListKeepsItsIndex(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := st.(*sqlStore)
	for _, f := range []Filter{
		{Limit: 100, Statuses: []finding.Status{finding.StatusOpen}},
		{Limit: 100, Statuses: []finding.Status{finding.StatusOpen}, MinSeverity: finding.High},
	} {
		q, args, err := findingsQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		if !strings.Contains(all, "USING INDEX findings_open_tally") || strings.Contains(all, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("plan for %+v: %s; want findings_open_tally and no sort of every row", f, all)
		}
	}
}
