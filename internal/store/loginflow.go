package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LoginFlow is a single sign-on under way: what the callback needs to
// check the identity provider's answer. IDHash is the SHA-256 of a random
// token in the browser's cookie, so only the browser that started the
// sign-in can finish it.
type LoginFlow struct {
	IDHash   string
	State    string
	Nonce    string
	Verifier string // the PKCE code verifier
	// ReturnTo is the local path to show after signing in.
	ReturnTo string
	// SessionHash, for a re-authentication, is the session whose password
	// entry time the sign-in refreshes; empty for a new sign-in.
	SessionHash string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// CreateLoginFlow stores a sign-in under way, and drops expired ones.
func (s *sqlStore) CreateLoginFlow(ctx context.Context, f LoginFlow) error {
	if f.IDHash == "" || f.State == "" || f.Nonce == "" || f.Verifier == "" || !f.ExpiresAt.After(f.CreatedAt) {
		return fmt.Errorf("create login flow: id, state, nonce, verifier and a later expiry are required: %w", ErrInvalid)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_flows WHERE expires_at < $1`, dbTime(f.CreatedAt)); err != nil {
		return fmt.Errorf("create login flow: expire old flows: %w", err)
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO login_flows (id_hash, state, nonce, verifier, return_to, session_hash, created_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		f.IDHash, f.State, f.Nonce, f.Verifier, f.ReturnTo, f.SessionHash, dbTime(f.CreatedAt), dbTime(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create login flow: %w", err)
	}
	return nil
}

// TakeLoginFlow removes and returns the flow with that id hash if it has
// not expired at now; ErrNotFound otherwise. Removing it in the same
// statement that reads it means a callback works once, even when two race.
func (s *sqlStore) TakeLoginFlow(ctx context.Context, idHash string, now time.Time) (LoginFlow, error) {
	var f LoginFlow
	err := s.db.QueryRowContext(ctx,
		`DELETE FROM login_flows WHERE id_hash = $1
		 RETURNING id_hash, state, nonce, verifier, return_to, session_hash, created_at, expires_at`, idHash).
		Scan(&f.IDHash, &f.State, &f.Nonce, &f.Verifier, &f.ReturnTo, &f.SessionHash, &f.CreatedAt, &f.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginFlow{}, fmt.Errorf("login flow: %w", ErrNotFound)
	}
	if err != nil {
		return LoginFlow{}, fmt.Errorf("login flow: %w", err)
	}
	f.CreatedAt, f.ExpiresAt = f.CreatedAt.UTC(), f.ExpiresAt.UTC()
	if !now.Before(f.ExpiresAt) {
		return LoginFlow{}, fmt.Errorf("login flow: expired: %w", ErrNotFound)
	}
	return f, nil
}
