package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Attestation is a person's statement that a roadmap control no machine can
// check holds (the team had its security training, a tabletop exercise was
// run). It is valid until Expires, so the roadmap falls back to "expired"
// unless someone attests again.
type Attestation struct {
	ID int64
	// ControlID names the roadmap control (program.Controls); the store
	// keeps it as given, the caller checks it.
	ControlID string
	// By is who attests; Note says what was done and where the record is.
	By      string
	Note    string
	At      time.Time
	Expires time.Time
}

// maxAttestation bounds how long one attestation holds: the checklist's
// manual steps (training, exercises, reviews) recur, so none is forever.
const maxAttestation = 2 * 366 * 24 * time.Hour

// Attest records an attestation; At defaults to now. A control id, an actor
// and a note are required, and the expiry must lie in the future and within
// two years. Attestations are never updated: a new one supersedes the last.
func (s *sqlStore) Attest(ctx context.Context, a Attestation) (Attestation, error) {
	a.ControlID = strings.TrimSpace(a.ControlID)
	a.By = strings.TrimSpace(a.By)
	a.Note = strings.TrimSpace(a.Note)
	if a.At.IsZero() {
		a.At = time.Now()
	}
	a.At, a.Expires = dbTime(a.At), dbTime(a.Expires)
	switch {
	case a.ControlID == "":
		return Attestation{}, fmt.Errorf("attest: a control id is required: %w", ErrInvalid)
	case a.By == "":
		return Attestation{}, fmt.Errorf("attest %s: who attests is required: %w", a.ControlID, ErrInvalid)
	case a.Note == "":
		return Attestation{}, fmt.Errorf("attest %s: a note saying what was done is required: %w", a.ControlID, ErrInvalid)
	case !a.Expires.After(a.At):
		return Attestation{}, fmt.Errorf("attest %s: expiry %s is not in the future: %w", a.ControlID, a.Expires.Format(time.DateOnly), ErrInvalid)
	case a.Expires.Sub(a.At) > maxAttestation:
		return Attestation{}, fmt.Errorf("attest %s: expiry %s is more than two years away: %w", a.ControlID, a.Expires.Format(time.DateOnly), ErrInvalid)
	case len(a.ControlID) > 100 || len(a.By) > 200 || len(a.Note) > 2000:
		return Attestation{}, fmt.Errorf("attest: control id, name or note too long (100, 200, 2000 bytes): %w", ErrInvalid)
	case strings.ContainsFunc(a.ControlID+a.By+a.Note, finding.UnsafeRune):
		return Attestation{}, fmt.Errorf("attest %s: control characters are not allowed: %w", a.ControlID, ErrInvalid)
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO attestations (control_id, actor, note, attested_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		a.ControlID, a.By, a.Note, a.At, a.Expires).Scan(&a.ID)
	if err != nil {
		return Attestation{}, fmt.Errorf("attest %s: %w", a.ControlID, err)
	}
	return a, nil
}

// Attestations lists every attestation, newest first.
func (s *sqlStore) Attestations(ctx context.Context) ([]Attestation, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, control_id, actor, note, attested_at, expires_at FROM attestations ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list attestations: %w", err)
	}
	defer rows.Close()
	var out []Attestation
	for rows.Next() {
		var a Attestation
		if err := rows.Scan(&a.ID, &a.ControlID, &a.By, &a.Note, &a.At, &a.Expires); err != nil {
			return nil, fmt.Errorf("list attestations: %w", err)
		}
		a.At, a.Expires = a.At.UTC(), a.Expires.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list attestations: %w", err)
	}
	return out, nil
}
