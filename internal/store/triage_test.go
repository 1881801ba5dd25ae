package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestAcceptedFindingReopensAfterExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
		b := secret("github-pat", "scripts/deploy.sh", 10, finding.High)
		record(t, s, scan("/repo", store.ScanCompleted, 0), a, b)

		expires := at(48)
		rec, err := s.Triage(ctx, store.Triage{
			ID: a.Fingerprint[:8], Status: finding.StatusAccepted, Reason: "test fixture key",
			Expires: &expires, Actor: "alice", At: at(1),
		})
		if err != nil {
			t.Fatalf("Triage: %v", err)
		}
		if rec.Status != finding.StatusAccepted || rec.StatusReason != "test fixture key" || rec.StatusBy != "alice" ||
			rec.StatusExpires == nil || !rec.StatusExpires.Equal(expires) {
			t.Fatalf("triaged record = %+v", rec)
		}

		// Before expiry: seen again it stays accepted; absent it is not fixed.
		if res := record(t, s, scan("/repo", store.ScanCompleted, 24), a, b); counts(res) != (store.Result{Unchanged: 2}) {
			t.Errorf("scan before expiry = %+v", counts(res))
		}
		if res := record(t, s, scan("/repo", store.ScanCompleted, 25), b); counts(res) != (store.Result{Unchanged: 1}) {
			t.Errorf("scan without the accepted finding = %+v", counts(res))
		}
		if got := byFingerprint(t, s, a.Fingerprint); got.Status != finding.StatusAccepted || got.StatusReason == "" {
			t.Fatalf("before expiry a = %s (%q), want accepted", got.Status, got.StatusReason)
		}

		// After expiry the next sighting reopens it.
		if res := record(t, s, scan("/repo", store.ScanCompleted, 49), a, b); counts(res) != (store.Result{Reopened: 1, Unchanged: 1}) {
			t.Errorf("scan after expiry = %+v", counts(res))
		}
		got := byFingerprint(t, s, a.Fingerprint)
		if got.Status != finding.StatusOpen || got.StatusExpires != nil || got.StatusReason != "" {
			t.Errorf("after expiry a = %+v, want open with acceptance cleared", got)
		}
		evs, err := s.History(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 3 {
			t.Fatalf("history = %+v, want 3 events", evs)
		}
		if e := evs[1]; e.To != finding.StatusAccepted || e.Actor != "alice" || e.Reason != "test fixture key" || e.ScanID != 0 || !e.At.Equal(at(1)) {
			t.Errorf("triage event = %+v", e)
		}
		if e := evs[2]; e.From != finding.StatusAccepted || e.To != finding.StatusOpen || e.ScanID == 0 {
			t.Errorf("expiry event = %+v", e)
		}
	})
}

func TestFalsePositivePersists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
		record(t, s, scan("/repo", store.ScanCompleted, 0), a)
		id := strconv.FormatInt(byFingerprint(t, s, a.Fingerprint).ID, 10)
		if _, err := s.Triage(context.Background(), store.Triage{ID: id, Status: finding.StatusFalsePositive, Actor: "bob"}); err != nil {
			t.Fatal(err)
		}
		for h := 1; h <= 3; h++ {
			record(t, s, scan("/repo", store.ScanCompleted, h), a)
		}
		record(t, s, scan("/repo", store.ScanCompleted, 4)) // absent: not fixed either
		got := byFingerprint(t, s, a.Fingerprint)
		if got.Status != finding.StatusFalsePositive || got.StatusBy != "bob" {
			t.Errorf("after rescans = %s by %q, want false_positive by bob", got.Status, got.StatusBy)
		}
		if tr := transitions(t, s, got.ID); !slices.Equal(tr, []string{">open", "open>false_positive"}) {
			t.Errorf("history = %v", tr)
		}
	})
}

func TestTriageRejectsInvalidRequests(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		tr   store.Triage
		is   error
	}{
		{"unknown status", store.Triage{Status: "wontfix", Reason: "x"}, nil},
		{"accepted without reason", store.Triage{Status: finding.StatusAccepted, Reason: "  "}, nil},
		{"expiry in the past", store.Triage{Status: finding.StatusAccepted, Reason: "x", Expires: &past}, nil},
		{"expiry on false positive", store.Triage{Status: finding.StatusFalsePositive, Expires: &future}, nil},
		{"unknown finding", store.Triage{ID: "ffffffff", Status: finding.StatusFalsePositive}, store.ErrNotFound},
	}
	storetest.Each(t, func(t *testing.T, s store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each case has a finding of its own in the shared store.
				a := secret("aws-access-key-"+strconv.Itoa(i), "config/prod.env", 3, finding.Critical)
				record(t, s, scan("/repo-"+strconv.Itoa(i), store.ScanCompleted, 0), a)
				tr := tt.tr
				if tr.ID == "" {
					tr.ID = a.Fingerprint
				}
				_, err := s.Triage(context.Background(), tr)
				if err == nil {
					t.Fatal("Triage succeeded, want an error")
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error %v, want %v", err, tt.is)
				}
				got := byFingerprint(t, s, a.Fingerprint)
				if got.Status != finding.StatusOpen || len(transitions(t, s, got.ID)) != 1 {
					t.Errorf("rejected triage changed the finding: %+v", got)
				}
			})
		}
	})
}

func TestTriageByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := secret("aws-access-key", "config/prod.env", 3, finding.Critical)
		record(t, s, scan("/repo", store.ScanCompleted, 0), a)
		fixed, err := s.Triage(ctx, store.Triage{ID: a.Fingerprint, Status: finding.StatusFixed, Reason: "rotated", Actor: "carol", At: at(1)})
		if err != nil {
			t.Fatal(err)
		}
		if fixed.Status != finding.StatusFixed || fixed.FixedAt == nil || !fixed.FixedAt.Equal(at(1)) {
			t.Errorf("fixed by hand = %+v", fixed)
		}
		open, err := s.Triage(ctx, store.Triage{ID: a.Fingerprint, Status: finding.StatusOpen, Actor: "carol", At: at(2)})
		if err != nil {
			t.Fatal(err)
		}
		if open.Status != finding.StatusOpen || open.FixedAt != nil {
			t.Errorf("reopened by hand = %+v", open)
		}
		if tr := transitions(t, s, a2id(t, s, a)); !slices.Equal(tr, []string{">open", "open>fixed", "fixed>open"}) {
			t.Errorf("history = %v", tr)
		}
	})
}

// a2id returns the stored id of finding f.
func a2id(t *testing.T, s store.Store, f finding.Finding) int64 {
	t.Helper()
	return byFingerprint(t, s, f.Fingerprint).ID
}

func TestTriageDuringScansIsNotLost(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		var fs []finding.Finding
		for i := range 30 {
			fs = append(fs, secret("rule-"+strconv.Itoa(i), "app.env", i+1, finding.High))
		}
		record(t, storetest.Open(t, dsn), scan("/repo", store.ScanCompleted, 0), fs...)
		const scanners = 4
		stores := make([]store.Store, scanners+1)
		for i := range stores {
			stores[i] = storetest.Open(t, dsn)
		}
		errs := make([]error, scanners+1)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range scanners {
			wg.Go(func() {
				<-start
				_, errs[i] = stores[i].RecordScan(context.Background(), scan("/repo", store.ScanCompleted, i+1), fs)
			})
		}
		wg.Go(func() {
			<-start
			for _, f := range fs[10:20] {
				if _, err := stores[scanners].Triage(context.Background(), store.Triage{ID: f.Fingerprint, Status: finding.StatusFalsePositive, Actor: "dan"}); err != nil {
					errs[scanners] = err
					return
				}
			}
		})
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("worker %d: %v", i, err)
			}
		}
		recs, err := stores[0].Findings(context.Background(), store.Filter{Statuses: []finding.Status{finding.StatusFalsePositive}})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 10 {
			t.Errorf("%d findings are false positives after concurrent scans, want the 10 triaged", len(recs))
		}
	})
}
