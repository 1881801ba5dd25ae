package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

// minPrefix is the shortest fingerprint prefix Finding accepts.
const minPrefix = 4

// querier is what reads need from *sql.DB and *sql.Tx alike.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// recordColumns are the findings columns scanRecord reads, in order.
const recordColumns = `id, target, fingerprint, scanner, rule_id, category, severity_level,
	title, message, path, start_line, end_line, commit_hash, resource, evidence, remediation, extra,
	status, status_reason, status_expires, status_by, first_seen, last_seen, fixed_at, last_scan_id`

// scanRecord reads one row selected with recordColumns.
func scanRecord(row interface{ Scan(...any) error }) (Record, error) {
	var (
		r                  Record
		severity           int
		ex                 string
		expires, fixedAt   sql.NullTime
		firstSeen, lastSee sql.NullTime
	)
	err := row.Scan(&r.ID, &r.Target, &r.Fingerprint, &r.Scanner, &r.RuleID, &r.Category, &severity,
		&r.Title, &r.Message, &r.Location.Path, &r.Location.StartLine, &r.Location.EndLine, &r.Location.Commit,
		&r.Resource, &r.Evidence, &r.Remediation, &ex,
		&r.Status, &r.StatusReason, &expires, &r.StatusBy, &firstSeen, &lastSee, &fixedAt, &r.LastScanID)
	if err != nil {
		return Record{}, err
	}
	r.Severity = finding.Severity(severity)
	var e extra
	if err := json.Unmarshal([]byte(ex), &e); err != nil {
		return Record{}, fmt.Errorf("finding %d: decode details: %w", r.ID, err)
	}
	r.Location.StartColumn, r.Location.EndColumn = e.StartColumn, e.EndColumn
	r.References = e.References
	r.SecretHash, r.Verification = e.SecretHash, e.Verification
	r.Package, r.VulnerabilityID = e.Package, e.VulnerabilityID
	r.Aliases, r.FixedVersions, r.Published = e.Aliases, e.FixedVersions, e.Published
	r.ObservedAt = e.ObservedAt
	r.StatusExpires, r.FixedAt = timePtr(expires), timePtr(fixedAt)
	r.FirstSeen, r.LastSeen = firstSeen.Time.UTC(), lastSee.Time.UTC()
	return r, nil
}

// findingsQuery builds the statement of Findings: the filter's conditions
// as parameters, most severe first.
func findingsQuery(f Filter) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Target != "" {
		where = append(where, "target = "+arg(f.Target))
	}
	if len(f.Statuses) > 0 {
		marks := make([]string, 0, len(f.Statuses))
		for _, st := range f.Statuses {
			if _, err := finding.ParseStatus(string(st)); err != nil {
				return "", nil, fmt.Errorf("list findings: %w", err)
			}
			marks = append(marks, arg(string(st)))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	if f.MinSeverity < finding.Info || f.MinSeverity > finding.Critical {
		return "", nil, fmt.Errorf("list findings: unknown severity %d", int(f.MinSeverity))
	}
	if f.MinSeverity > finding.Info {
		where = append(where, "severity_level >= "+arg(int(f.MinSeverity)))
	}
	if f.Category != "" {
		if !f.Category.Valid() {
			return "", nil, fmt.Errorf("list findings: unknown category %q", f.Category)
		}
		where = append(where, "category = "+arg(string(f.Category)))
	}
	if f.RuleID != "" {
		where = append(where, "rule_id = "+arg(f.RuleID))
	}
	if f.Limit < 0 {
		return "", nil, fmt.Errorf("list findings: negative limit %d", f.Limit)
	}
	q := "SELECT " + recordColumns + " FROM findings"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY severity_level DESC, path, start_line, id"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return q, args, nil
}

// Findings lists the findings f selects, most severe first, then by path,
// line and id.
func (s *sqlStore) Findings(ctx context.Context, f Filter) ([]Record, error) {
	q, args, err := findingsQuery(f)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("list findings: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	return out, nil
}

// Finding returns one finding. id is either a numeric id or a prefix of at
// least 4 characters of a fingerprint, unique across targets. An all-digit id
// that matches no numeric id is tried as a fingerprint prefix too. It
// returns an error wrapping ErrNotFound or ErrAmbiguous when id does not
// name exactly one finding.
func (s *sqlStore) Finding(ctx context.Context, id string) (Record, error) {
	return findRecord(ctx, s.db, id)
}

// findRecord resolves id as Finding documents, through q.
func findRecord(ctx context.Context, q querier, id string) (Record, error) {
	id = strings.TrimSpace(id)
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 && isDigits(id) {
		r, err := getRecord(ctx, q, n)
		if err == nil || !errors.Is(err, ErrNotFound) || len(id) < minPrefix {
			return r, err
		}
	}
	if len(id) < minPrefix {
		return Record{}, fmt.Errorf("finding %q: %w (want a numeric id or at least %d characters of a fingerprint)", id, ErrNotFound, minPrefix)
	}
	rows, err := q.QueryContext(ctx,
		"SELECT "+recordColumns+" FROM findings WHERE substr(fingerprint, 1, $1) = $2 ORDER BY id LIMIT 2",
		len(id), id)
	if err != nil {
		return Record{}, fmt.Errorf("finding %q: %w", id, err)
	}
	defer rows.Close()
	var found []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return Record{}, fmt.Errorf("finding %q: %w", id, err)
		}
		found = append(found, r)
	}
	if err := rows.Err(); err != nil {
		return Record{}, fmt.Errorf("finding %q: %w", id, err)
	}
	switch len(found) {
	case 0:
		return Record{}, fmt.Errorf("finding %q: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	default:
		return Record{}, fmt.Errorf("finding %q: %w: several fingerprints start with it, give more characters", id, ErrAmbiguous)
	}
}

// getRecord reads one finding by numeric id.
func getRecord(ctx context.Context, q querier, id int64) (Record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, "SELECT "+recordColumns+" FROM findings WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("finding %d: %w", id, err)
	}
	return r, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// History lists a finding's lifecycle events, oldest first.
func (s *sqlStore) History(ctx context.Context, findingID int64) ([]Event, error) {
	if _, err := getRecord(ctx, s.db, findingID); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT at, from_status, to_status, reason, actor, scan_id
		 FROM finding_events WHERE finding_id = $1 ORDER BY id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("history of finding %d: %w", findingID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e    Event
			at   sql.NullTime
			scan sql.NullInt64
		)
		if err := rows.Scan(&at, &e.From, &e.To, &e.Reason, &e.Actor, &scan); err != nil {
			return nil, fmt.Errorf("history of finding %d: %w", findingID, err)
		}
		e.At, e.ScanID = at.Time.UTC(), scan.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of finding %d: %w", findingID, err)
	}
	return out, nil
}

// Scans lists recorded scans, newest first; limit <= 0 lists them all.
func (s *sqlStore) Scans(ctx context.Context, limit int) ([]Scan, error) {
	q := `SELECT id, target, scanners, started_at, finished_at, status, skipped_paths FROM scans ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += " LIMIT $1"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	defer rows.Close()
	var out []Scan
	for rows.Next() {
		var (
			sc                Scan
			scanners, skipped string
			started, finished sql.NullTime
		)
		if err := rows.Scan(&sc.ID, &sc.Target, &scanners, &started, &finished, &sc.Status, &skipped); err != nil {
			return nil, fmt.Errorf("list scans: %w", err)
		}
		if err := json.Unmarshal([]byte(scanners), &sc.Scanners); err != nil {
			return nil, fmt.Errorf("list scans: scan %d: decode scanners: %w", sc.ID, err)
		}
		if err := json.Unmarshal([]byte(skipped), &sc.SkippedPaths); err != nil {
			return nil, fmt.Errorf("list scans: scan %d: decode skipped paths: %w", sc.ID, err)
		}
		if len(sc.SkippedPaths) == 0 {
			sc.SkippedPaths = nil
		}
		sc.StartedAt, sc.FinishedAt = started.Time.UTC(), finished.Time.UTC()
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return out, nil
}
