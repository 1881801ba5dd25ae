package store_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestFindingLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		withFP := func(f finding.Finding, fp string) finding.Finding { f.Fingerprint = fp; return f }
		x := withFP(secret("r1", "a", 1, finding.Low), "abcd1111000000000000000000000000")
		y := withFP(secret("r2", "b", 1, finding.Low), "abcd2222000000000000000000000000")
		z := withFP(secret("r3", "c", 1, finding.Low), "98765432000000000000000000000000")
		record(t, s, scan("/repo", store.ScanCompleted, 0), x, y, z)
		record(t, s, scan("/fork", store.ScanCompleted, 0), y) // same fingerprint, second target
		xID := byFingerprint(t, s, "abcd1").ID

		tests := []struct {
			name   string
			id     string
			wantFP string
			err    error
		}{
			{"numeric id", strconv.FormatInt(xID, 10), x.Fingerprint, nil},
			{"unique prefix", "abcd1", x.Fingerprint, nil},
			{"full fingerprint", z.Fingerprint, z.Fingerprint, nil},
			{"digits that are no id but a prefix", "9876", z.Fingerprint, nil},
			{"prefix shared by two findings", "abcd", "", store.ErrAmbiguous},
			{"fingerprint in two targets", y.Fingerprint, "", store.ErrAmbiguous},
			{"prefix shorter than four", "abc", "", store.ErrNotFound},
			{"unknown prefix", "ffff", "", store.ErrNotFound},
			{"unknown numeric id", "77", "", store.ErrNotFound},
			{"empty", "", "", store.ErrNotFound},
			{"wildcards are not patterns", "ab%_", "", store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Finding(ctx, tt.id)
				if tt.err != nil {
					if !errors.Is(err, tt.err) {
						t.Fatalf("Finding(%q) error = %v, want %v", tt.id, err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Finding(%q): %v", tt.id, err)
				}
				if got.Fingerprint != tt.wantFP {
					t.Errorf("Finding(%q) = %s, want %s", tt.id, got.Fingerprint, tt.wantFP)
				}
			})
		}
		if _, err := s.History(ctx, 424242); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("History of unknown id: %v, want ErrNotFound", err)
		}
	})
}

func TestFindingsFilterAndOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		record(t, s, scan("/repo", store.ScanCompleted, 0),
			secret("low", "b.env", 1, finding.Low),
			secret("crit-b", "b.env", 7, finding.Critical),
			secret("crit-a9", "a.env", 9, finding.Critical),
			secret("crit-a2", "a.env", 2, finding.Critical),
			vuln("GHSA-med", "package-lock.json", "left-pad", finding.Medium),
			secret("info", "c.env", 1, finding.Info),
		)
		record(t, s, scan("/other", store.ScanCompleted, 0), secret("high-other", "z.env", 1, finding.High))
		fp, err := s.Findings(ctx, store.Filter{RuleID: "low"})
		if err != nil || len(fp) != 1 {
			t.Fatalf("rule filter: %v %v", fp, err)
		}
		if _, err := s.Triage(ctx, store.Triage{ID: fp[0].Fingerprint, Status: finding.StatusFalsePositive}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			filter store.Filter
			want   []string
		}{
			{"everything, most severe first then path and line", store.Filter{},
				[]string{"crit-a2", "crit-a9", "crit-b", "high-other", "GHSA-med", "low", "info"}},
			{"one target", store.Filter{Target: "/other"}, []string{"high-other"}},
			{"minimum severity", store.Filter{Target: "/repo", MinSeverity: finding.Medium}, []string{"crit-a2", "crit-a9", "crit-b", "GHSA-med"}},
			{"statuses", store.Filter{Statuses: []finding.Status{finding.StatusFalsePositive, finding.StatusFixed}}, []string{"low"}},
			{"category", store.Filter{Category: finding.Vulnerability}, []string{"GHSA-med"}},
			{"limit", store.Filter{Limit: 2}, []string{"crit-a2", "crit-a9"}},
			{"nothing matches", store.Filter{Target: "/nowhere"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				recs, err := s.Findings(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range recs {
					got = append(got, r.RuleID)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
		for _, bad := range []store.Filter{
			{Statuses: []finding.Status{"gone"}},
			{Category: "nonsense"},
			{MinSeverity: 7},
			{Limit: -1},
		} {
			if _, err := s.Findings(ctx, bad); err == nil {
				t.Errorf("Findings(%+v) succeeded, want an error", bad)
			}
		}
	})
}

func TestScansNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		first := scan("/repo", store.ScanPartial, 0, "secrets")
		first.SkippedPaths = []string{"big.bin", "locked.txt"}
		r1 := record(t, s, first)
		r2 := record(t, s, scan("/other", store.ScanCompleted, 1))
		got, err := s.Scans(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want1 := first
		want1.ID = r1.ScanID
		want2 := scan("/other", store.ScanCompleted, 1)
		want2.ID = r2.ScanID
		if !reflect.DeepEqual(got, []store.Scan{want2, want1}) {
			t.Errorf("Scans = %+v\nwant %+v", got, []store.Scan{want2, want1})
		}
		limited, err := s.Scans(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(limited) != 1 || limited[0].ID != r2.ScanID {
			t.Errorf("Scans(1) = %+v", limited)
		}
	})
}
