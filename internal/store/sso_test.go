package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestSingleSignOnUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		const iss = "https://idp.example.com"
		ana, err := s.CreateUser(ctx, store.User{Name: "ana", Role: store.RoleTriager, SSOEmail: "Ana@Example.com", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if ana.SSOEmail != "ana@example.com" || !ana.SSO() || ana.Password != "" {
			t.Errorf("created %+v: want the address in lower case and no password", ana)
		}
		for name, u := range map[string]store.User{
			"password and address": {Name: "bo", Role: store.RoleViewer, Password: "$argon2id$x", SSOEmail: "bo@example.com"},
			"neither":              {Name: "bo", Role: store.RoleViewer},
			"a pinned identity":    {Name: "bo", Role: store.RoleViewer, SSOEmail: "bo@example.com", SSOIssuer: iss, SSOSubject: "1"},
		} {
			if _, err := s.CreateUser(ctx, u); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := s.CreateUser(ctx, store.User{Name: "ana2", Role: store.RoleViewer, SSOEmail: "ANA@example.com"}); !errors.Is(err, store.ErrExists) {
			t.Errorf("a second user with the same address: %v, want ErrExists", err)
		}
		got, err := s.UserBySSOEmail(ctx, "ANA@EXAMPLE.COM")
		if err != nil || got.ID != ana.ID {
			t.Fatalf("UserBySSOEmail = %+v, %v", got, err)
		}
		if _, err := s.UserBySSO(ctx, iss, "sub-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unpinned identity: %v, want ErrNotFound", err)
		}
		if err := s.BindSSO(ctx, ana.ID, iss, "sub-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.BindSSO(ctx, ana.ID, iss, "sub-2"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("rebinding a pinned user: %v, want ErrConflict", err)
		}
		got, err = s.UserBySSO(ctx, iss, "sub-1")
		if err != nil || got.ID != ana.ID || got.SSOSubject != "sub-1" || got.SSOIssuer != iss {
			t.Errorf("UserBySSO = %+v, %v", got, err)
		}
		if _, err := s.UserBySSO(ctx, "https://other.example.com", "sub-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the same subject at another issuer: %v, want ErrNotFound", err)
		}
		// A password user cannot be bound, and one identity pins one user.
		pw, err := s.CreateUser(ctx, store.User{Name: "cy", Role: store.RoleViewer, Password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.BindSSO(ctx, pw.ID, iss, "sub-3"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("binding a password user: %v, want ErrConflict", err)
		}
		dee, err := s.CreateUser(ctx, store.User{Name: "dee", Role: store.RoleViewer, SSOEmail: "dee@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.BindSSO(ctx, dee.ID, iss, "sub-1"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("binding another user's identity: %v, want ErrConflict", err)
		}
		// A single sign-on user has no password to set.
		h := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{Password: &h}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("setting a password on a single sign-on user: %v, want ErrInvalid", err)
		}
		if err := s.ChangeUser(ctx, 9999, store.UserChange{Password: &h}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("setting a password on a missing user: %v, want ErrNotFound", err)
		}
		// Unpinning ends the user's sessions and lets a new identity pin.
		if err := s.CreateSession(ctx, store.Session{IDHash: "s1", UserID: ana.ID, CreatedAt: at, LastSeenAt: at, AuthAt: at}, ""); err != nil {
			t.Fatalf("a session for a single sign-on user: %v", err)
		}
		if err := s.ChangeUser(ctx, ana.ID, store.UserChange{ResetSSO: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session after unpinning: %v, want ErrNotFound", err)
		}
		if err := s.BindSSO(ctx, ana.ID, iss, "sub-9"); err != nil {
			t.Errorf("binding after unpinning: %v", err)
		}
	})
}

func TestLoginFlowsWorkOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		f := store.LoginFlow{IDHash: "h1", State: "st", Nonce: "no", Verifier: "ve", ReturnTo: "/findings", CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}
		if err := s.CreateLoginFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateLoginFlow(ctx, store.LoginFlow{IDHash: "h2", State: "st", CreatedAt: at, ExpiresAt: at.Add(time.Minute)}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a flow without nonce and verifier: %v, want ErrInvalid", err)
		}
		got, err := s.TakeLoginFlow(ctx, "h1", at.Add(time.Minute))
		if err != nil || got != f {
			t.Fatalf("TakeLoginFlow = %+v, %v; want %+v", got, err, f)
		}
		if _, err := s.TakeLoginFlow(ctx, "h1", at.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a flow taken twice: %v, want ErrNotFound", err)
		}
		late := f
		late.IDHash = "h3"
		if err := s.CreateLoginFlow(ctx, late); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeLoginFlow(ctx, "h3", at.Add(10*time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an expired flow: %v, want ErrNotFound", err)
		}
		// Expired flows are dropped when a new one starts.
		old := f
		old.IDHash = "h4"
		if err := s.CreateLoginFlow(ctx, old); err != nil {
			t.Fatal(err)
		}
		next := f
		next.IDHash, next.CreatedAt, next.ExpiresAt = "h5", at.Add(time.Hour), at.Add(time.Hour+10*time.Minute)
		if err := s.CreateLoginFlow(ctx, next); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeLoginFlow(ctx, "h4", at); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an expired flow survived a new one: %v, want ErrNotFound", err)
		}
	})
}
