package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// fillVaried records scans of several targets over two months, at times
// with nanoseconds the store drops, with findings of every scanner,
// category and severity that come, go and come back, then triages some: a
// store for tests that compare counts with the findings they count.
func fillVaried(t *testing.T, s store.Store, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, 7))
	base := time.Date(2026, 9, 1, 8, 0, 0, 123456789, time.UTC)
	sevs := []finding.Severity{finding.Info, finding.Low, finding.Medium, finding.High, finding.Critical}
	steps := []string{"AWS 3: Turn on S3 Block Public Access", "AWS 4: Detection", "AppSec: Never store secrets in code or config", `quote " and <&> step`}
	type target struct {
		name, scanner string
		cat           finding.Category
		partial       bool
	}
	targets := []target{
		{"/repo/a", "iac", finding.Misconfiguration, false}, {"/repo/b_%", "deps", finding.Vulnerability, false},
		{"aws-org:o-1", "aws", finding.Posture, false}, {"aws:1", "aws", finding.Posture, false},
		{"aws-detections", "detect", finding.Detection, true}, {"é-unicode/тест", "secrets", finding.Secret, false},
	}
	for ti, tg := range targets {
		var pool []finding.Finding
		for i := range 12 {
			f := finding.Finding{RuleID: fmt.Sprintf("R-%d", rnd.IntN(5)), Scanner: tg.scanner, Category: tg.cat,
				Severity: sevs[rnd.IntN(len(sevs))], Title: "t", Message: "m",
				Location: finding.Location{Path: fmt.Sprintf("f%d", i), StartLine: i + 1},
				Resource: fmt.Sprintf("arn:aws:s3:::b%d", rnd.IntN(4))}
			switch rnd.IntN(4) {
			case 0:
				f.References = []finding.Reference{{Type: finding.RefChecklist, ID: steps[rnd.IntN(len(steps))]}}
			case 1:
				f.References = []finding.Reference{{Type: finding.RefCWE, ID: "CWE-1"}, {Type: finding.RefChecklist, ID: steps[0]}, {Type: finding.RefChecklist, ID: steps[3]}}
			}
			if tg.cat == finding.Vulnerability && rnd.IntN(2) == 0 {
				f.FixedVersions = []string{"1.0.1"}
			}
			pool = append(pool, f)
		}
		for round := range 6 {
			at := base.Add(time.Duration(round*9+ti)*24*time.Hour + time.Duration(rnd.IntN(3600))*time.Second + time.Duration(rnd.IntN(1000)))
			var fs []finding.Finding
			for _, f := range pool {
				if rnd.IntN(3) > 0 {
					fs = append(fs, f)
				}
			}
			status := store.ScanCompleted
			if tg.partial || round == 3 && ti == 0 {
				status = store.ScanPartial
			}
			record(t, s, store.Scan{Target: tg.name, Scanners: map[string]string{tg.scanner: "1"}, StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: status}, fs...)
		}
	}
	all, err := s.Findings(ctx, store.Filter{Statuses: []finding.Status{finding.StatusOpen}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		at := r.LastSeen.Add(time.Duration(i+1) * time.Hour)
		tr := store.Triage{ID: strconv.FormatInt(r.ID, 10), Actor: "test", At: at}
		switch i % 6 {
		case 0: // accepted without expiry
			tr.Status, tr.Reason = finding.StatusAccepted, "risk taken"
		case 1: // accepted with an expiry a few days later
			exp := at.Add(time.Duration(1+i%20)*24*time.Hour + 777*time.Nanosecond)
			tr.Status, tr.Reason, tr.Expires = finding.StatusAccepted, "for a while", &exp
		case 2:
			tr.Status, tr.Reason = finding.StatusFalsePositive, "test data"
		case 3:
			tr.Status, tr.Reason = finding.StatusFixed, "fixed by hand"
		default:
			continue
		}
		if _, err := s.Triage(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
}

// instants are the times stored in the findings: where cuts matter most.
func instants(recs []store.Record) []time.Time {
	var out []time.Time
	for _, r := range recs {
		out = append(out, r.FirstSeen)
		if r.FixedAt != nil {
			out = append(out, *r.FixedAt)
		}
		if r.StatusExpires != nil {
			out = append(out, *r.StatusExpires)
		}
	}
	return out
}

func TestTallyCountsWhatTheFindingsSay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		fillVaried(t, s, 1)
		recs, err := s.Findings(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		times := instants(recs)
		rnd := rand.New(rand.NewPCG(2, 3))
		// cutNear is a stored time, or one a nanosecond or microsecond off.
		cutNear := func() time.Time {
			return times[rnd.IntN(len(times))].Add([]time.Duration{0, 0, time.Nanosecond, -time.Nanosecond, time.Microsecond, -time.Microsecond, 999 * time.Nanosecond}[rnd.IntN(7)])
		}
		cuts := func() []time.Time {
			var out []time.Time
			for range rnd.IntN(9) {
				out = append(out, cutNear())
			}
			return out
		}
		fields := []store.Field{store.ByTarget, store.ByResource, store.ByScanner, store.ByRuleID, store.ByCategory,
			store.BySeverity, store.ByStatus, store.ByChecklist, store.ByFixable, store.ByFirstSeen, store.ByFixedAt, store.ByExpires}
		prefixes := []string{"", "/repo/", "/repo/b_", "/repo/b%", "aws", "aws-org:", "é", "é-unicode/т", "/repo/a/longer"}
		queries := []store.TallyQuery{{}, {By: fields, Earliest: true}, {Statuses: []finding.Status{"open"}, FirstSeenSince: times[0].AddDate(1, 0, 0)}}
		for range 150 {
			var q store.TallyQuery
			for _, f := range fields {
				if rnd.IntN(3) == 0 {
					q.By = append(q.By, f)
				}
			}
			for _, st := range finding.Statuses {
				if rnd.IntN(3) == 0 {
					q.Statuses = append(q.Statuses, st)
				}
			}
			for _, p := range prefixes {
				if rnd.IntN(4) == 0 {
					q.TargetPrefixes = append(q.TargetPrefixes, p)
				}
			}
			if rnd.IntN(4) == 0 {
				q.FixedSince = cutNear()
			}
			if rnd.IntN(4) == 0 {
				q.FirstSeenSince = cutNear()
			}
			q.SeenSince, q.Earliest = cuts(), rnd.IntN(2) == 0
			queries = append(queries, q)
		}
		for i, q := range queries {
			got, err := s.Tally(ctx, q)
			if err != nil {
				t.Fatalf("query %d %+v: %v", i, q, err)
			}
			got = storetest.Merge(got)
			want := storetest.Tally(recs, q)
			if len(got) != len(want) {
				t.Fatalf("query %d %+v: %d groups, want %d:\ngot  %v\nwant %v", i, q, len(got), len(want), got, want)
			}
			for j := range got {
				if storetest.Key(got[j]) != storetest.Key(want[j]) || got[j].Count != want[j].Count ||
					!got[j].EarliestFirstSeen.Equal(want[j].EarliestFirstSeen) || !slices.Equal(got[j].SeenSince, want[j].SeenSince) {
					t.Fatalf("query %d %+v: group %d\ngot  %s ×%d from %s since %v\nwant %s ×%d from %s since %v", i, q, j,
						storetest.Key(got[j]), got[j].Count, got[j].EarliestFirstSeen, got[j].SeenSince,
						storetest.Key(want[j]), want[j].Count, want[j].EarliestFirstSeen, want[j].SeenSince)
				}
			}
		}
	})
}

func TestTallyRefusesBadQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		for name, q := range map[string]store.TallyQuery{
			"unknown field":    {By: []store.Field{99}},
			"unknown status":   {Statuses: []finding.Status{"closed"}},
			"prefix not UTF-8": {TargetPrefixes: []string{"\xff"}},
		} {
			if _, err := s.Tally(context.Background(), q); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
	})
}

// TestMigrationFillsTallyColumns undoes migration 00007 on a store of
// varied findings and applies it again: the checklist and fixable columns
// it fills from the stored JSON must count as RecordScan's do.
func TestMigrationFillsTallyColumns(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := storetest.Open(t, dsn)
		fillVaried(t, s, 5)
		driver, dialect, dir := "sqlite", goose.DialectSQLite3, "migrations/sqlite"
		if strings.HasPrefix(dsn, "postgres") {
			driver, dialect, dir = "pgx", goose.DialectPostgres, "migrations/postgres"
		}
		db, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, err := goose.NewProvider(dialect, db, os.DirFS(dir), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 5); err != nil {
			t.Fatalf("down to 00005: %v", err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		recs, err := s.Findings(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		q := store.TallyQuery{By: []store.Field{store.ByTarget, store.ByRuleID, store.ByChecklist, store.ByFixable, store.ByCategory}}
		got, err := s.Tally(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, want := storetest.Merge(got), storetest.Tally(recs, q)
		var checklists, fixable int
		for _, w := range want {
			checklists += min(len(w.Checklist), 1) * w.Count
			if w.Fixable {
				fixable += w.Count
			}
		}
		if checklists == 0 || fixable == 0 {
			t.Fatalf("the store holds %d findings with checklist steps and %d with a fix: the test needs both", checklists, fixable)
		}
		if len(got) != len(want) {
			t.Fatalf("%d groups after the migration, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
		}
		for i := range got {
			if storetest.Key(got[i]) != storetest.Key(want[i]) || got[i].Count != want[i].Count {
				t.Errorf("group %d: got %s ×%d, want %s ×%d", i, storetest.Key(got[i]), got[i].Count, storetest.Key(want[i]), want[i].Count)
			}
		}
	})
}

// TestTallyFollowsRescans changes a finding's checklist steps and fixed
// versions between two scans: the counts follow the latest scan.
func TestTallyFollowsRescans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		v := vuln("GHSA-aaaa-bbbb-cccc", "package-lock.json", "lodash", finding.High)
		v.FixedVersions = nil
		record(t, s, scan("/repo", store.ScanCompleted, 0, "deps"), v)
		v.FixedVersions = []string{"4.17.21"}
		v.References = []finding.Reference{{Type: finding.RefChecklist, ID: "AppSec: Test for vulns in 3rd party and open source code"}}
		record(t, s, scan("/repo", store.ScanCompleted, 1, "deps"), v)
		got, err := s.Tally(context.Background(), store.TallyQuery{By: []store.Field{store.ByChecklist, store.ByFixable}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[0].Fixable || !slices.Equal(got[0].Checklist, []string{"AppSec: Test for vulns in 3rd party and open source code"}) || got[0].Count != 1 {
			t.Errorf("tally after the rescan = %+v, want the finding fixable with its checklist step", got)
		}
	})
}
