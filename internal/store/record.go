package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Reasons written to finding_events for changes RecordScan makes.
const (
	reasonNew      = "first seen"
	reasonReopened = "seen again after it was fixed"
	reasonExpired  = "acceptance expired"
	reasonFixed    = "not seen in a completed scan"
)

// extra is the part of a finding without a column of its own, stored as JSON.
type extra struct {
	StartColumn     int                 `json:"start_column,omitempty"`
	EndColumn       int                 `json:"end_column,omitempty"`
	References      []finding.Reference `json:"references,omitempty"`
	SecretHash      string              `json:"secret_hash,omitempty"`
	Verification    string              `json:"verification,omitempty"`
	Package         *finding.Package    `json:"package,omitempty"`
	VulnerabilityID string              `json:"vulnerability_id,omitempty"`
	Aliases         []string            `json:"aliases,omitempty"`
	FixedVersions   []string            `json:"fixed_versions,omitempty"`
	Published       *time.Time          `json:"published,omitempty"`
	ObservedAt      *time.Time          `json:"observed_at,omitempty"`
}

// stored is the lifecycle state of a finding already in the store, and the
// other columns an index holds, read under the target lock at the start of
// RecordScan.
type stored struct {
	id      int64
	scanner string
	path    string
	status  finding.Status
	reason  string
	expires sql.NullTime
	by      string
	fixedAt sql.NullTime

	ruleID, category, resource, checklist string
	severity, fixable                     int
}

// RecordScan stores scan and its findings in one transaction and moves each
// finding through its lifecycle:
//
//   - a new fingerprint is inserted as open;
//   - a finding seen again has its fields and last_seen updated; a fixed one
//     is reopened (unless it carries an ObservedAt no later than its fix: a
//     replay of activity from before the fix, such as old logs read again),
//     an accepted one whose expiry has passed becomes open, and other
//     accepted or false_positive findings keep their status;
//   - only when the scan is completed (never for a partial one), open
//     findings of the target from one of the scan's scanners that were not
//     seen, and whose path is not among the skipped paths, become fixed.
//     A partial scan is an upsert: it adds and refreshes, and never fixes.
//
// Every status change writes a finding_events row. Findings with the same
// fingerprint collapse into one (the first wins). The scan's FinishedAt is
// the time of every change (time.Now when zero). An invalid scan or finding
// fails the whole call and leaves the store unchanged.
func (s *sqlStore) RecordScan(ctx context.Context, scan Scan, findings []finding.Finding) (Result, error) {
	now := time.Now()
	if scan.StartedAt.IsZero() {
		scan.StartedAt = now
	}
	if scan.FinishedAt.IsZero() {
		scan.FinishedAt = now
	}
	if err := validateScan(scan); err != nil {
		return Result{}, fmt.Errorf("record scan: %w", err)
	}
	at := dbTime(scan.FinishedAt)
	scanners, err := json.Marshal(nonNilMap(scan.Scanners))
	if err != nil {
		return Result{}, fmt.Errorf("record scan: encode scanners: %w", err)
	}
	skipped, err := json.Marshal(nonNilSlice(scan.SkippedPaths))
	if err != nil {
		return Result{}, fmt.Errorf("record scan: encode skipped paths: %w", err)
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("record scan of %q: begin: %w", scan.Target, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	if err := s.lockTarget(ctx, tx, scan.Target); err != nil {
		return Result{}, fmt.Errorf("record scan: %w", err)
	}
	var res Result
	err = tx.QueryRowContext(ctx,
		`INSERT INTO scans (target, scanners, started_at, finished_at, status, skipped_paths)
		 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		scan.Target, string(scanners), dbTime(scan.StartedAt), at, scan.Status, string(skipped),
	).Scan(&res.ScanID)
	if err != nil {
		return Result{}, fmt.Errorf("record scan of %q: insert scan: %w", scan.Target, err)
	}

	existing, err := loadTarget(ctx, tx, scan.Target)
	if err != nil {
		return Result{}, fmt.Errorf("record scan of %q: %w", scan.Target, err)
	}

	seen := make(map[string]bool, len(findings))
	for i := range findings {
		f := findings[i]
		finding.SetFingerprint(&f)
		if err := validateFinding(&f); err != nil {
			return Result{}, fmt.Errorf("record scan of %q: finding %d (rule %q): %w", scan.Target, i, f.RuleID, err)
		}
		if seen[f.Fingerprint] {
			continue
		}
		seen[f.Fingerprint] = true
		ex, err := extraJSON(&f)
		if err != nil {
			return Result{}, fmt.Errorf("record scan of %q: finding %d: %w", scan.Target, i, err)
		}
		old, ok := existing[f.Fingerprint]
		if !ok {
			id, err := insertFinding(ctx, tx, scan.Target, &f, ex, at, res.ScanID)
			if err != nil {
				return Result{}, fmt.Errorf("record scan of %q: finding %d: %w", scan.Target, i, err)
			}
			if err := addEvent(ctx, tx, id, at, "", finding.StatusOpen, reasonNew, "", res.ScanID); err != nil {
				return Result{}, fmt.Errorf("record scan of %q: %w", scan.Target, err)
			}
			res.New++
			continue
		}
		next := *old
		reason := ""
		switch {
		case old.status == finding.StatusFixed && !observedBeforeFix(&f, old):
			next.status, reason = finding.StatusOpen, reasonReopened
		case old.status == finding.StatusAccepted && old.expires.Valid && !old.expires.Time.After(at):
			next.status, reason = finding.StatusOpen, reasonExpired
		}
		if next.status != old.status {
			next.reason, next.expires, next.by, next.fixedAt = "", sql.NullTime{}, "", sql.NullTime{}
		}
		if err := updateFinding(ctx, tx, old, &next, &f, ex, at, res.ScanID); err != nil {
			return Result{}, fmt.Errorf("record scan of %q: finding %d: %w", scan.Target, i, err)
		}
		if next.status == old.status {
			res.Unchanged++
			continue
		}
		if err := addEvent(ctx, tx, old.id, at, old.status, next.status, reason, "", res.ScanID); err != nil {
			return Result{}, fmt.Errorf("record scan of %q: %w", scan.Target, err)
		}
		res.Reopened++
	}

	if scan.Status == ScanCompleted {
		skippedSet := make(map[string]bool, len(scan.SkippedPaths))
		for _, p := range scan.SkippedPaths {
			skippedSet[p] = true
		}
		for fp, old := range existing {
			if seen[fp] || old.status != finding.StatusOpen || skippedSet[old.path] {
				continue
			}
			if _, ran := scan.Scanners[old.scanner]; !ran {
				continue
			}
			if _, err := tx.ExecContext(ctx,
				`UPDATE findings SET status = $1, fixed_at = $2, last_scan_id = $3 WHERE id = $4`,
				string(finding.StatusFixed), at, res.ScanID, old.id); err != nil {
				return Result{}, fmt.Errorf("record scan of %q: mark finding %d fixed: %w", scan.Target, old.id, err)
			}
			if err := addEvent(ctx, tx, old.id, at, finding.StatusOpen, finding.StatusFixed, reasonFixed, "", res.ScanID); err != nil {
				return Result{}, fmt.Errorf("record scan of %q: %w", scan.Target, err)
			}
			res.Fixed++
		}
	}

	if err := tx.Commit(); err != nil {
		return Result{}, fmt.Errorf("record scan of %q: commit: %w", scan.Target, err)
	}
	return res, nil
}

// observedBeforeFix reports whether f shows activity that happened no later
// than old was fixed: seeing it again is a replay, not a recurrence.
func observedBeforeFix(f *finding.Finding, old *stored) bool {
	return f.ObservedAt != nil && old.fixedAt.Valid && !f.ObservedAt.After(old.fixedAt.Time)
}

// validateScan checks the fields RecordScan relies on.
func validateScan(scan Scan) error {
	if scan.Target == "" {
		return errors.New("scan has no target")
	}
	if scan.Status != ScanCompleted && scan.Status != ScanPartial {
		return fmt.Errorf("unknown scan status %q (want %s or %s)", scan.Status, ScanCompleted, ScanPartial)
	}
	if scan.FinishedAt.Before(scan.StartedAt) {
		return fmt.Errorf("scan finished (%s) before it started (%s)", scan.FinishedAt, scan.StartedAt)
	}
	return nil
}

// validateFinding rejects findings the store cannot file correctly.
func validateFinding(f *finding.Finding) error {
	if !f.Category.Valid() {
		return fmt.Errorf("unknown category %q", f.Category)
	}
	if f.Severity < finding.Info || f.Severity > finding.Critical {
		return fmt.Errorf("unknown severity %d", int(f.Severity))
	}
	if f.Scanner == "" {
		return errors.New("finding has no scanner")
	}
	if f.RuleID == "" {
		return errors.New("finding has no rule id")
	}
	return nil
}

// extraJSON encodes the fields of f that have no column.
func extraJSON(f *finding.Finding) (string, error) {
	b, err := json.Marshal(extra{
		StartColumn:     f.Location.StartColumn,
		EndColumn:       f.Location.EndColumn,
		References:      f.References,
		SecretHash:      f.SecretHash,
		Verification:    f.Verification,
		Package:         f.Package,
		VulnerabilityID: f.VulnerabilityID,
		Aliases:         f.Aliases,
		FixedVersions:   f.FixedVersions,
		Published:       f.Published,
		ObservedAt:      f.ObservedAt,
	})
	if err != nil {
		return "", fmt.Errorf("encode finding details: %w", err)
	}
	return string(b), nil
}

// loadTarget reads the lifecycle state of every finding of target, keyed by
// fingerprint.
func loadTarget(ctx context.Context, tx *sql.Tx, target string) (map[string]*stored, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, fingerprint, scanner, path, status, status_reason, status_expires, status_by, fixed_at,
		   rule_id, category, resource, checklist, severity_level, fixable
		 FROM findings WHERE target = $1`, target)
	if err != nil {
		return nil, fmt.Errorf("load findings: %w", err)
	}
	defer rows.Close()
	out := map[string]*stored{}
	for rows.Next() {
		var (
			st stored
			fp string
		)
		if err := rows.Scan(&st.id, &fp, &st.scanner, &st.path, &st.status, &st.reason, &st.expires, &st.by, &st.fixedAt,
			&st.ruleID, &st.category, &st.resource, &st.checklist, &st.severity, &st.fixable); err != nil {
			return nil, fmt.Errorf("load findings: %w", err)
		}
		out[fp] = &st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load findings: %w", err)
	}
	return out, nil
}

// insertFinding adds a new open finding and returns its id.
func insertFinding(ctx context.Context, tx *sql.Tx, target string, f *finding.Finding, ex string, at time.Time, scanID int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO findings (target, fingerprint, scanner, rule_id, category, severity, severity_level,
		   title, message, path, start_line, end_line, commit_hash, resource, evidence, remediation, extra,
		   status, status_reason, status_expires, status_by, first_seen, last_seen, fixed_at, last_scan_id,
		   checklist, fixable)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
		   $18, '', NULL, '', $19, $19, NULL, $20, $21, $22)
		 RETURNING id`,
		target, f.Fingerprint, f.Scanner, f.RuleID, string(f.Category), f.Severity.String(), int(f.Severity),
		f.Title, f.Message, f.Location.Path, f.Location.StartLine, f.Location.EndLine, f.Location.Commit,
		f.Resource, f.Evidence, f.Remediation, ex,
		string(finding.StatusOpen), at, scanID, checklistJSON(f.References), fixable(f),
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert finding %s: %w", f.Fingerprint, err)
	}
	return id, nil
}

// updateFinding refreshes a seen-again finding's fields and writes its
// (possibly unchanged) lifecycle state st; old is what the store holds.
// When neither the lifecycle nor any other column an index holds changes
// (a rescan that finds the same thing), it sets only the columns no index
// holds, so SQLite rewrites no index entry.
func updateFinding(ctx context.Context, tx *sql.Tx, old, st *stored, f *finding.Finding, ex string, at time.Time, scanID int64) error {
	checklist, fix := checklistJSON(f.References), fixable(f)
	var err error
	if st.status == old.status && old.scanner == f.Scanner && old.ruleID == f.RuleID && old.category == string(f.Category) &&
		old.severity == int(f.Severity) && old.resource == f.Resource && old.checklist == checklist && old.fixable == fix {
		_, err = tx.ExecContext(ctx,
			`UPDATE findings SET severity = $1, title = $2, message = $3, path = $4, start_line = $5, end_line = $6,
			   commit_hash = $7, evidence = $8, remediation = $9, extra = $10, last_seen = $11, last_scan_id = $12
			 WHERE id = $13`,
			f.Severity.String(), f.Title, f.Message, f.Location.Path, f.Location.StartLine, f.Location.EndLine,
			f.Location.Commit, f.Evidence, f.Remediation, ex, at, scanID, st.id)
	} else {
		_, err = tx.ExecContext(ctx,
			`UPDATE findings SET scanner = $1, rule_id = $2, category = $3, severity = $4, severity_level = $5,
			   title = $6, message = $7, path = $8, start_line = $9, end_line = $10, commit_hash = $11,
			   resource = $12, evidence = $13, remediation = $14, extra = $15,
			   status = $16, status_reason = $17, status_expires = $18, status_by = $19, fixed_at = $20,
			   last_seen = $21, last_scan_id = $22, checklist = $23, fixable = $24
			 WHERE id = $25`,
			f.Scanner, f.RuleID, string(f.Category), f.Severity.String(), int(f.Severity),
			f.Title, f.Message, f.Location.Path, f.Location.StartLine, f.Location.EndLine, f.Location.Commit,
			f.Resource, f.Evidence, f.Remediation, ex,
			string(st.status), st.reason, st.expires, st.by, st.fixedAt,
			at, scanID, checklist, fix, st.id,
		)
	}
	if err != nil {
		return fmt.Errorf("update finding %d: %w", st.id, err)
	}
	return nil
}

// addEvent appends one lifecycle change to the audit trail. scanID 0 means
// the change was made by hand.
func addEvent(ctx context.Context, tx *sql.Tx, findingID int64, at time.Time, from, to finding.Status, reason, actor string, scanID int64) error {
	scan := sql.NullInt64{Int64: scanID, Valid: scanID != 0}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO finding_events (finding_id, at, from_status, to_status, reason, actor, scan_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		findingID, at, string(from), string(to), reason, actor, scan)
	if err != nil {
		return fmt.Errorf("record event for finding %d: %w", findingID, err)
	}
	return nil
}

// nonNilMap makes a nil map encode as {} rather than null.
func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// nonNilSlice makes a nil slice encode as [] rather than null.
func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
