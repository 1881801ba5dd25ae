package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Triage sets a finding's status by hand and writes the change to its
// history. The status must be one finding.ParseStatus accepts; accepted
// needs a reason and may carry an expiry (after which the next scan that sees
// the finding reopens it); an expiry on any other status is rejected. It
// returns the updated record.
func (s *sqlStore) Triage(ctx context.Context, t Triage) (Record, error) {
	status, err := finding.ParseStatus(string(t.Status))
	if err != nil {
		return Record{}, fmt.Errorf("triage %q: %w: %w", t.ID, ErrInvalid, err)
	}
	reason := strings.TrimSpace(t.Reason)
	at := t.At
	if at.IsZero() {
		at = time.Now()
	}
	at = dbTime(at)
	if status == finding.StatusAccepted && reason == "" {
		return Record{}, fmt.Errorf("triage %q: accepting a finding needs a reason: %w", t.ID, ErrInvalid)
	}
	if t.Expires != nil {
		if status != finding.StatusAccepted {
			return Record{}, fmt.Errorf("triage %q: an expiry only applies to status %s: %w", t.ID, finding.StatusAccepted, ErrInvalid)
		}
		if !t.Expires.After(at) {
			return Record{}, fmt.Errorf("triage %q: expiry %s is not in the future: %w", t.ID, t.Expires.UTC().Format(time.RFC3339), ErrInvalid)
		}
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Record{}, fmt.Errorf("triage %q: begin: %w", t.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	rec, err := findRecord(ctx, tx, t.ID)
	if err != nil {
		return Record{}, fmt.Errorf("triage: %w", err)
	}
	// Take the same lock as RecordScan, then read the state again: a scan
	// committed between the two reads must not be overwritten.
	if err := s.lockTarget(ctx, tx, rec.Target); err != nil {
		return Record{}, fmt.Errorf("triage %q: %w", t.ID, err)
	}
	rec, err = getRecord(ctx, tx, rec.ID)
	if err != nil {
		return Record{}, fmt.Errorf("triage: %w", err)
	}
	fixedAt := sql.NullTime{}
	if status == finding.StatusFixed {
		fixedAt = sql.NullTime{Time: at, Valid: true}
		if rec.Status == finding.StatusFixed && rec.FixedAt != nil {
			fixedAt.Time = *rec.FixedAt
		}
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE findings SET status = $1, status_reason = $2, status_expires = $3, status_by = $4, fixed_at = $5
		 WHERE id = $6`,
		string(status), reason, nullTime(t.Expires), t.Actor, fixedAt, rec.ID); err != nil {
		return Record{}, fmt.Errorf("triage finding %d: %w", rec.ID, err)
	}
	if err := addEvent(ctx, tx, rec.ID, at, rec.Status, status, reason, t.Actor, 0); err != nil {
		return Record{}, fmt.Errorf("triage: %w", err)
	}
	rec, err = getRecord(ctx, tx, rec.ID)
	if err != nil {
		return Record{}, fmt.Errorf("triage: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Record{}, fmt.Errorf("triage finding %d: commit: %w", rec.ID, err)
	}
	return rec, nil
}
