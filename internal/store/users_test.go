package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestUsersSessionsAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		ana, err := s.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleAdmin, Password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleViewer, Password: "x"}); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate name: %v, want ErrExists", err)
		}
		if _, err := s.CreateUser(ctx, store.User{Name: "bo", Role: "root", Password: "x"}); err == nil {
			t.Error("unknown role accepted")
		}
		got, err := s.UserByName(ctx, "ana")
		if err != nil || got != ana {
			t.Errorf("UserByName = %+v, %v; want %+v", got, err, ana)
		}
		if _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing user: %v", err)
		}

		se := store.Session{IDHash: "h1", UserID: ana.ID, CreatedAt: at, LastSeenAt: at, AuthAt: at}
		if err := s.CreateSession(ctx, store.Session{IDHash: "stale", UserID: ana.ID, CreatedAt: at, LastSeenAt: at, AuthAt: at}, "another hash"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a session for a hash the user no longer has: %v, want ErrConflict", err)
		}
		if err := s.CreateSession(ctx, se, ana.Password); err != nil {
			t.Fatal(err)
		}
		later := at.Add(10 * time.Minute)
		if err := s.TouchSession(ctx, "h1", later, &later); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Session(ctx, "h1"); err != nil || !got.LastSeenAt.Equal(later) || !got.AuthAt.Equal(later) || !got.CreatedAt.Equal(at) {
			t.Errorf("session after touch: %+v, %v", got, err)
		}
		// A rehash keeps sessions, and only replaces the hash it was given;
		// a new password ends them.
		rehashed := "$argon2id$v=19$m=47104,t=1,p=1$c2FsdA$aGFzaA"
		if err := s.RehashPassword(ctx, ana.ID, "not the stored hash", rehashed); !errors.Is(err, store.ErrConflict) {
			t.Errorf("rehash of a changed password: %v, want ErrConflict", err)
		}
		if err := s.RehashPassword(ctx, ana.ID, ana.Password, rehashed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, "h1"); err != nil {
			t.Errorf("rehash ended the session: %v", err)
		}
		role := store.RoleViewer
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{Role: &role}); err != nil {
			t.Fatal(err)
		}
		newHash := "$argon2id$v=19$m=47104,t=1,p=1$bmV3$bmV3"
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{Password: &newHash}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UserByName(ctx, "ana"); got.Role != store.RoleViewer || got.Password != newHash {
			t.Errorf("after two changes: %+v, want both kept", got)
		}
		if _, err := s.Session(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a password change kept the session: %v", err)
		}
		// Disabling ends sessions too; expiry removes idle and old ones.
		for i, h := range []string{"h2", "h3", "h4"} {
			created := at.Add(-time.Duration(i) * 13 * time.Hour)
			if err := s.CreateSession(ctx, store.Session{IDHash: h, UserID: ana.ID, CreatedAt: created, LastSeenAt: at.Add(-time.Duration(i) * 20 * time.Minute), AuthAt: created}, newHash); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteSessionsBefore(ctx, at.Add(-30*time.Minute), at.Add(-12*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("expired %d sessions (%v), want 2", n, err)
		}
		yes := true
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("an empty change: %v", err)
		}
		if err := s.CreateSession(ctx, store.Session{IDHash: "h9", UserID: ana.ID, CreatedAt: at, LastSeenAt: at, AuthAt: at}, newHash); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a session for a disabled user: %v, want ErrConflict", err)
		}
		if _, err := s.Session(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("disabling kept the session: %v", err)
		}

		for i, a := range []string{"login", "triage"} {
			if err := s.Audit(ctx, store.AuditEntry{At: at.Add(time.Duration(i) * time.Second), Actor: "ana", Action: a, Target: "finding 3", Detail: "accepted"}); err != nil {
				t.Fatal(err)
			}
		}
		log, err := s.AuditLog(ctx, 1)
		if err != nil || len(log) != 1 || log[0].Action != "triage" || !log[0].At.Equal(at.Add(time.Second)) {
			t.Errorf("audit log %+v, %v; want the newest entry", log, err)
		}
		users, err := s.Users(ctx)
		if err != nil || len(users) != 1 || !users[0].Disabled {
			t.Errorf("users %+v, %v", users, err)
		}
	})
}
