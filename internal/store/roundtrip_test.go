package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// TestEveryFindingFieldRoundTrips stores a finding with every field set and
// reads it back unchanged, so a field added to finding.Finding cannot be
// silently dropped by the store.
func TestEveryFindingFieldRoundTrips(t *testing.T) {
	published := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	observed := time.Date(2024, 8, 1, 13, 35, 7, 0, time.UTC)
	in := finding.Finding{
		RuleID: "GO-2024-0001", Scanner: "deps", Category: finding.Vulnerability, Severity: finding.High,
		Title: "t", Message: "m", Resource: "pkg:golang/example.com/m@v1.0.0", Evidence: "e", Remediation: "r",
		Location:   finding.Location{Path: "go.mod", StartLine: 3, EndLine: 4, StartColumn: 5, EndColumn: 6, Commit: "abc"},
		References: []finding.Reference{{Type: finding.RefCWE, ID: "CWE-1", URL: "https://example.com"}},
		SecretHash: "0123456789abcdef0123456789abcdef", Verification: "unknown",
		Package:         &finding.Package{Name: "example.com/m", Version: "v1.0.0", Ecosystem: "Go", PURL: "pkg:golang/example.com/m@v1.0.0"},
		VulnerabilityID: "GO-2024-0001", Aliases: []string{"CVE-2024-1"}, FixedVersions: []string{"v1.0.1"},
		Published: &published, ObservedAt: &observed,
	}
	// Fail when a field is added to Finding and not set above.
	v := reflect.ValueOf(in)
	for i := 0; i < v.NumField(); i++ {
		if name := v.Type().Field(i).Name; name != "Status" && name != "Fingerprint" && v.Field(i).IsZero() {
			t.Fatalf("set Finding.%s in this test", name)
		}
	}
	finding.SetFingerprint(&in)
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		if _, err := s.RecordScan(ctx, store.Scan{Target: "t", Scanners: map[string]string{"deps": "1"}, StartedAt: now, FinishedAt: now, Status: store.ScanCompleted}, []finding.Finding{in}); err != nil {
			t.Fatal(err)
		}
		recs, err := s.Findings(ctx, store.Filter{Target: "t"})
		if err != nil || len(recs) != 1 {
			t.Fatalf("%v %d", err, len(recs))
		}
		got := recs[0].Finding
		want := in
		want.Status = finding.StatusOpen
		if got.Published != nil {
			p := got.Published.UTC()
			got.Published = &p
		}
		if got.ObservedAt != nil {
			o := got.ObservedAt.UTC()
			got.ObservedAt = &o
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip changed the finding:\n got %+v\nwant %+v", got, want)
		}
	})
}
