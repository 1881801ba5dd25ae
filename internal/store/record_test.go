package store_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestSameScanTwiceChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
		b := secret("github-pat", "scripts/deploy.sh", 10, finding.High)
		c := vuln("GHSA-aaaa-bbbb-cccc", "package-lock.json", "lodash", finding.Medium)
		dupOfA := a
		dupOfA.Location.StartLine = 99 // same fingerprint: collapses into a

		first := record(t, s, scan("/repo", store.ScanCompleted, 0), a, b, c, dupOfA)
		if want := (store.Result{New: 3}); counts(first) != want {
			t.Fatalf("first scan = %+v, want %+v", counts(first), want)
		}
		before, err := s.Findings(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		second := record(t, s, scan("/repo", store.ScanCompleted, 1), a, b, c, dupOfA)
		if want := (store.Result{Unchanged: 3}); counts(second) != want {
			t.Fatalf("second scan = %+v, want %+v", counts(second), want)
		}
		after, err := s.Findings(ctx, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != 3 {
			t.Fatalf("got %d stored findings, want 3", len(after))
		}
		for i := range after {
			if after[i].LastScanID != second.ScanID || !after[i].LastSeen.Equal(at(1)) {
				t.Errorf("%s: last scan %d at %s, want %d at %s", after[i].RuleID, after[i].LastScanID, after[i].LastSeen, second.ScanID, at(1))
			}
			after[i].LastScanID, after[i].LastSeen = before[i].LastScanID, before[i].LastSeen
		}
		if !reflect.DeepEqual(before, after) {
			t.Errorf("rescan changed rows:\nbefore %+v\nafter  %+v", before, after)
		}
		for _, r := range after {
			if got := transitions(t, s, r.ID); !slices.Equal(got, []string{">open"}) {
				t.Errorf("%s history = %v, want one creation event", r.RuleID, got)
			}
		}
	})
}

func TestStoredFindingRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		for _, f := range []finding.Finding{
			secret("aws-access-key", "config/prod.env", 3, finding.Critical),
			vuln("GHSA-aaaa-bbbb-cccc", "package-lock.json", "lodash", finding.Medium),
		} {
			res := record(t, s, scan("/repo", store.ScanPartial, 0), f)
			got := byFingerprint(t, s, f.Fingerprint)
			want := f
			want.Status = finding.StatusOpen
			if !reflect.DeepEqual(got.Finding, want) {
				t.Errorf("stored finding differs:\ngot  %+v\nwant %+v", got.Finding, want)
			}
			if got.Target != "/repo" || got.LastScanID != res.ScanID || !got.FirstSeen.Equal(at(0)) ||
				got.FirstSeen.Location() != time.UTC || got.FixedAt != nil || got.StatusExpires != nil {
				t.Errorf("lifecycle fields = %+v", got)
			}
		}
	})
}

func TestVanishedFindingIsFixedAndReturningOneReopened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
		b := secret("github-pat", "scripts/deploy.sh", 10, finding.High)
		record(t, s, scan("/repo", store.ScanCompleted, 0), a, b)
		// The same fingerprint in another target is a different finding.
		record(t, s, scan("/other", store.ScanCompleted, 0), b)

		res := record(t, s, scan("/repo", store.ScanCompleted, 1), a)
		if want := (store.Result{Fixed: 1, Unchanged: 1}); counts(res) != want {
			t.Fatalf("rescan without b = %+v, want %+v", counts(res), want)
		}
		recs, err := s.Findings(context.Background(), store.Filter{Target: "/repo", Statuses: []finding.Status{finding.StatusFixed}})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Fingerprint != b.Fingerprint || recs[0].FixedAt == nil || !recs[0].FixedAt.Equal(at(1)) {
			t.Fatalf("fixed findings = %+v, want b fixed at %s", recs, at(1))
		}
		fixedID := recs[0].ID
		other, err := s.Findings(context.Background(), store.Filter{Target: "/other"})
		if err != nil {
			t.Fatal(err)
		}
		if len(other) != 1 || other[0].Status != finding.StatusOpen {
			t.Fatalf("finding of another target changed: %+v", other)
		}

		res = record(t, s, scan("/repo", store.ScanCompleted, 2), a, b)
		if want := (store.Result{Reopened: 1, Unchanged: 1}); counts(res) != want {
			t.Fatalf("rescan with b back = %+v, want %+v", counts(res), want)
		}
		got, err := s.Finding(context.Background(), strconv.FormatInt(fixedID, 10))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != finding.StatusOpen || got.FixedAt != nil || !got.FirstSeen.Equal(at(0)) || !got.LastSeen.Equal(at(2)) {
			t.Errorf("reopened finding = %+v", got)
		}
		evs, err := s.History(context.Background(), fixedID)
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		for _, e := range evs {
			trail = append(trail, string(e.From)+">"+string(e.To)+"@"+e.At.Format("15"))
			if e.ScanID == 0 || e.Reason == "" {
				t.Errorf("event %+v lacks scan id or reason", e)
			}
		}
		if want := []string{">open@10", "open>fixed@11", "fixed>open@12"}; !slices.Equal(trail, want) {
			t.Errorf("history = %v, want %v", trail, want)
		}
	})
}

func TestIncompleteCoverageDoesNotFix(t *testing.T) {
	a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
	b := secret("github-pat", "scripts/deploy.sh", 10, finding.High)
	tests := []struct {
		name      string
		scan      store.Scan
		wantFixed int
	}{
		{"partial scan keeps absent findings open", scan("/repo", store.ScanPartial, 1), 0},
		{"skipped path keeps its findings open", func() store.Scan {
			sc := scan("/repo", store.ScanCompleted, 1)
			sc.SkippedPaths = []string{"scripts/deploy.sh"}
			return sc
		}(), 0},
		{"another scanner's run keeps them open", scan("/repo", store.ScanCompleted, 1, "deps"), 0},
		{"complete run of the scanner fixes them", scan("/repo", store.ScanCompleted, 1, "secrets"), 1},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each case has a target of its own in the shared store.
				target := "/repo-" + strconv.Itoa(i)
				sc := tt.scan
				sc.Target = target
				record(t, s, scan(target, store.ScanCompleted, 0), a, b)
				res := record(t, s, sc, a)
				if res.Fixed != tt.wantFixed {
					t.Fatalf("fixed = %d, want %d", res.Fixed, tt.wantFixed)
				}
				wantB := finding.StatusOpen
				if tt.wantFixed == 1 {
					wantB = finding.StatusFixed
				}
				recs, err := s.Findings(context.Background(), store.Filter{Target: target, RuleID: b.RuleID})
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 1 || recs[0].Status != wantB {
					t.Errorf("b = %+v, want one finding %s", recs, wantB)
				}
			})
		}
	})
}

func TestConcurrentRecordScansOfOneTarget(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		storetest.Open(t, dsn) // migrates
		var fs []finding.Finding
		for i := range 40 {
			fs = append(fs, secret("rule-"+strconv.Itoa(i), "config/prod.env", i+1, finding.High))
		}
		const workers = 8
		results := make([]store.Result, workers)
		errs := make([]error, workers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			// One store per worker, as separate processes would have.
			s := storetest.Open(t, dsn)
			wg.Go(func() {
				<-start
				results[i], errs[i] = s.RecordScan(context.Background(), scan("/repo", store.ScanCompleted, i), fs)
			})
		}
		close(start)
		wg.Wait()
		var total store.Result
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("worker %d: %v", i, errs[i])
			}
			total.New += results[i].New
			total.Reopened += results[i].Reopened
			total.Fixed += results[i].Fixed
			total.Unchanged += results[i].Unchanged
		}
		if want := (store.Result{New: len(fs), Unchanged: len(fs) * (workers - 1)}); total != want {
			t.Errorf("summed counts = %+v, want %+v", total, want)
		}
		s := storetest.Open(t, dsn)
		recs, err := s.Findings(context.Background(), store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(fs) {
			t.Fatalf("stored %d findings, want %d", len(recs), len(fs))
		}
		for _, r := range recs {
			if got := transitions(t, s, r.ID); len(got) != 1 {
				t.Errorf("%s history = %v, want one event", r.RuleID, got)
			}
		}
		scans, err := s.Scans(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != workers {
			t.Errorf("stored %d scans, want %d", len(scans), workers)
		}
	})
}

func TestFailedRecordScanLeavesStoreUnchanged(t *testing.T) {
	a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
	b := secret("github-pat", "scripts/deploy.sh", 10, finding.High)
	bad := secret("bad", "x", 1, finding.Low)
	bad.Category = "nonsense"
	badSeverity := secret("bad-severity", "y", 1, finding.Low)
	badSeverity.Severity = 9
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		scan     store.Scan
		findings []finding.Finding
	}{
		{"invalid category after valid findings", context.Background(), scan("/repo", store.ScanCompleted, 1),
			[]finding.Finding{secret("new-one", "n", 1, finding.Low), b, bad}},
		{"invalid severity", context.Background(), scan("/repo", store.ScanCompleted, 1), []finding.Finding{badSeverity}},
		{"canceled context", canceled, scan("/repo", store.ScanCompleted, 1), []finding.Finding{a}},
		{"unknown scan status", context.Background(), scan("/repo", "done", 1), []finding.Finding{a}},
		{"no target", context.Background(), scan("", store.ScanCompleted, 1), []finding.Finding{a}},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				// Each case has a target of its own in the shared store.
				target := "/repo-" + strconv.Itoa(i)
				sc := tt.scan
				if sc.Target != "" {
					sc.Target = target
				}
				record(t, s, scan(target, store.ScanCompleted, 0), a, b)
				beforeFindings, _ := s.Findings(ctx, store.Filter{})
				beforeScans, _ := s.Scans(ctx, 0)
				if _, err := s.RecordScan(tt.ctx, sc, tt.findings); err == nil {
					t.Fatal("RecordScan succeeded, want an error")
				}
				afterFindings, err := s.Findings(ctx, store.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				afterScans, err := s.Scans(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(beforeFindings, afterFindings) {
					t.Errorf("findings changed:\nbefore %+v\nafter  %+v", beforeFindings, afterFindings)
				}
				if !reflect.DeepEqual(beforeScans, afterScans) {
					t.Errorf("scans changed:\nbefore %+v\nafter  %+v", beforeScans, afterScans)
				}
				for _, r := range afterFindings {
					if got := transitions(t, s, r.ID); len(got) != 1 {
						t.Errorf("%s history = %v, want only its creation", r.RuleID, got)
					}
				}
			})
		}
	})
}

// alert builds a detection finding of the "detect" scanner whose activity
// was last observed at observed hours.
func alert(rule, resource string, observed int) finding.Finding {
	o := at(observed)
	f := finding.Finding{
		RuleID: rule, Scanner: "detect", Category: finding.Detection, Severity: finding.High,
		Title: rule + " by bob", Message: "3 events", Resource: resource, ObservedAt: &o,
	}
	finding.SetFingerprint(&f)
	return f
}

// TestDetectionRunsUpsertAndNeverFix records detection findings as partial
// runs: a run that does not see an alert leaves it alone, a replay adds no
// duplicate, triage survives later sightings, and a fixed alert reopens
// only on activity after the fix.
func TestDetectionRunsUpsertAndNeverFix(t *testing.T) {
	const fixedAt = 5 // hours: when a case marks the alert fixed
	tests := []struct {
		name string
		// triage is the status set by hand after the first run ("" for none).
		triage finding.Status
		// again is the hour the second run last observed the alert; -1: the
		// second run does not see it; -2: it sees it with no ObservedAt.
		again      int
		wantStatus finding.Status
		wantResult store.Result
	}{
		{"a run that does not see an alert leaves it open", "", -1, finding.StatusOpen, store.Result{}},
		{"a replay of the same alert adds no duplicate", "", 0, finding.StatusOpen, store.Result{Unchanged: 1}},
		{"more activity of the same alert stays one finding", "", 2, finding.StatusOpen, store.Result{Unchanged: 1}},
		{"false positive stays so when seen again", finding.StatusFalsePositive, 0, finding.StatusFalsePositive, store.Result{Unchanged: 1}},
		{"false positive stays so on later activity", finding.StatusFalsePositive, 9, finding.StatusFalsePositive, store.Result{Unchanged: 1}},
		{"accepted stays so when seen again", finding.StatusAccepted, 0, finding.StatusAccepted, store.Result{Unchanged: 1}},
		{"fixed stays fixed when old activity is replayed", finding.StatusFixed, 0, finding.StatusFixed, store.Result{Unchanged: 1}},
		{"fixed stays fixed for activity up to the fix", finding.StatusFixed, fixedAt, finding.StatusFixed, store.Result{Unchanged: 1}},
		{"fixed reopens on activity after the fix", finding.StatusFixed, fixedAt + 1, finding.StatusOpen, store.Result{Reopened: 1}},
		{"fixed reopens when seen without an observed time", finding.StatusFixed, -2, finding.StatusOpen, store.Result{Reopened: 1}},
		{"fixed stays fixed when not seen", finding.StatusFixed, -1, finding.StatusFixed, store.Result{}},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				target := "aws-detections-" + strconv.Itoa(i)
				a := alert("PAL-CT-003", "arn:aws:iam::111122223333:root#"+strconv.Itoa(i), 0)
				other := alert("PAL-CT-004", "arn:aws:iam::111122223333:user/eve#"+strconv.Itoa(i), 0)
				record(t, s, scan(target, store.ScanPartial, 1, "detect"), a)
				if tt.triage != "" {
					tr := store.Triage{ID: a.Fingerprint, Status: tt.triage, Reason: "reviewed", Actor: "alice", At: at(fixedAt)}
					if tt.triage == finding.StatusAccepted {
						exp := at(24 * 365)
						tr.Expires = &exp
					}
					if _, err := s.Triage(ctx, tr); err != nil {
						t.Fatalf("Triage: %v", err)
					}
				}
				var second []finding.Finding
				switch {
				case tt.again == -2:
					seen := a
					seen.ObservedAt = nil
					second = append(second, seen)
				case tt.again >= 0:
					second = append(second, alert("PAL-CT-003", a.Resource, tt.again))
				}
				res := record(t, s, scan(target, store.ScanPartial, 10, "detect"), append(second, other)...)
				want := tt.wantResult
				want.New = 1 // other
				if counts(res) != want {
					t.Errorf("second run = %+v, want %+v", counts(res), want)
				}
				recs, err := s.Findings(ctx, store.Filter{Target: target, RuleID: a.RuleID})
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 1 || recs[0].Status != tt.wantStatus {
					t.Fatalf("findings of the alert = %+v, want one %s", recs, tt.wantStatus)
				}
				if tt.again >= 0 && (recs[0].ObservedAt == nil || !recs[0].ObservedAt.Equal(at(tt.again))) {
					t.Errorf("observed at %v, want %s", recs[0].ObservedAt, at(tt.again))
				}
			})
		}
	})
}

// TestRescanRefreshesEveryField sees one finding again and again: with new
// text and lines only (the update that leaves every index alone), then with
// one change at a time to what an index holds (the update that rewrites
// them). Each time the store holds what the latest scan said.
func TestRescanRefreshesEveryField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := secret("aws-access-key", "config/prod.env", 3, finding.High)
		record(t, s, scan("/repo", store.ScanCompleted, 0), a)
		b := a
		b.Title, b.Message, b.Remediation, b.Evidence = "New title", "new message", "Rotate it now.", "AKIA… (20 chars)"
		b.Location.StartLine, b.Location.EndLine, b.Location.Commit = 7, 8, "fedc4321"
		// Then one change at a time of what an index holds.
		c := b
		c.Resource = "arn:aws:iam::1:user/ci"
		d := c
		d.Severity = finding.Critical
		e := d
		e.References = append(slices.Clone(d.References), finding.Reference{Type: finding.RefChecklist, ID: "AppSec: Never store secrets in code or config"})
		g := e
		g.FixedVersions = []string{"rotated"}
		k := g
		k.Scanner = "secrets-v2"
		for h, want := range []finding.Finding{b, c, d, e, g, k} {
			if res := record(t, s, scan("/repo", store.ScanCompleted, h+1), want); res.Unchanged != 1 {
				t.Fatalf("rescan %d = %+v, want the finding unchanged in status", h+1, counts(res))
			}
			got := byFingerprint(t, s, a.Fingerprint).Finding
			want.Status = finding.StatusOpen
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after rescan %d:\n got %+v\nwant %+v", h+1, got, want)
			}
			q := store.TallyQuery{By: []store.Field{store.ByScanner, store.BySeverity, store.ByResource, store.ByChecklist, store.ByFixable}}
			tally, err := s.Tally(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if wantTally := storetest.Tally([]store.Record{{Finding: want}}, q); storetest.Key(tally[0]) != storetest.Key(wantTally[0]) {
				t.Errorf("after rescan %d: tally %s, want %s", h+1, storetest.Key(tally[0]), storetest.Key(wantTally[0]))
			}
		}
	})
}
