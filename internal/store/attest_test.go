package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestAttestations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 1, 9, 30, 0, 123456789, time.UTC)
		first, err := s.Attest(ctx, store.Attestation{ControlID: "appsec-training", By: "ana", Note: "OWASP lunch and learn, slides in wiki", At: at, Expires: at.AddDate(1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.Attest(ctx, store.Attestation{ControlID: "aws-11-practice", By: " bo ", Note: " tabletop: leaked key ", At: at.Add(time.Hour), Expires: at.AddDate(0, 6, 0)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Attestations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
			t.Fatalf("Attestations = %+v, want the two, newest first", got)
		}
		want := store.Attestation{ID: second.ID, ControlID: "aws-11-practice", By: "bo", Note: "tabletop: leaked key",
			At: at.Add(time.Hour).Truncate(time.Microsecond), Expires: at.AddDate(0, 6, 0).Truncate(time.Microsecond)}
		if got[0] != want {
			t.Errorf("stored %+v, want %+v", got[0], want)
		}
	})
}

func TestAttestRejects(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ok := store.Attestation{ControlID: "appsec-training", By: "ana", Note: "done", At: now, Expires: now.AddDate(1, 0, 0)}
	for _, tc := range []struct {
		name   string
		change func(*store.Attestation)
		want   string
	}{
		{"no control", func(a *store.Attestation) { a.ControlID = " " }, "control id is required"},
		{"no actor", func(a *store.Attestation) { a.By = "" }, "who attests is required"},
		{"no note", func(a *store.Attestation) { a.Note = "\t" }, "a note"},
		{"expiry in the past", func(a *store.Attestation) { a.Expires = now.AddDate(0, 0, -1) }, "not in the future"},
		{"no expiry", func(a *store.Attestation) { a.Expires = time.Time{} }, "not in the future"},
		{"expiry too far", func(a *store.Attestation) { a.Expires = now.AddDate(3, 0, 0) }, "more than two years"},
		{"terminal escape in the name", func(a *store.Attestation) { a.By = "ana\x1b]0;pwn\a" }, "control characters are not allowed"},
		{"bidirectional override in the note", func(a *store.Attestation) { a.Note = "done \u202e" }, "control characters are not allowed"},
		{"note too long", func(a *store.Attestation) { a.Note = strings.Repeat("n", 2001) }, "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s store.Store) {
				a := ok
				tc.change(&a)
				if _, err := s.Attest(context.Background(), a); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Attest = %v, want an error containing %q", err, tc.want)
				}
				if got, err := s.Attestations(context.Background()); err != nil || len(got) != 0 {
					t.Errorf("after a rejected attestation: %v, %v; want nothing stored", got, err)
				}
			})
		})
	}
}
