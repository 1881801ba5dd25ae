// Package index keeps decoded events in their own SQLite file so they can be
// searched by principal and time window (palisade events search). It does
// not depend on the main store: the file, its tables and its schema
// version are this package's alone.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// schemaVersion is stored in PRAGMA user_version.
const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS events (
	event_id   TEXT PRIMARY KEY,
	at         INTEGER NOT NULL, -- event time, Unix nanoseconds
	principal  TEXT NOT NULL,
	account    TEXT NOT NULL,
	region     TEXT NOT NULL,
	source     TEXT NOT NULL,
	name       TEXT NOT NULL,
	error_code TEXT NOT NULL,
	source_ip  TEXT NOT NULL,
	raw        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_principal_at ON events (principal, at);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
`

// ErrNoQuery is returned by Search for a query without any restriction.
var ErrNoQuery = errors.New("search needs a principal, an account or a time window")

// Index is an open event index.
type Index struct {
	db *sql.DB
}

// Open opens (creating if needed) the index file at path.
func Open(ctx context.Context, path string) (*Index, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open event index %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("open event index %s: %w", path, err)
	}
	if v > schemaVersion {
		db.Close()
		return nil, fmt.Errorf("event index %s has schema %d, newer than this palisade (%d)", path, v, schemaVersion)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create event index %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		db.Close()
		return nil, fmt.Errorf("event index %s: %w", path, err)
	}
	return &Index{db: db}, nil
}

// Close closes the index file.
func (ix *Index) Close() error { return ix.db.Close() }

// Add stores events in one transaction, skipping eventIDs already stored,
// and returns how many were new.
func (ix *Index) Add(ctx context.Context, evs []*event.Event) (int, error) {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("index events: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO events
		(event_id, at, principal, account, region, source, name, error_code, source_ip, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("index events: %w", err)
	}
	defer stmt.Close()
	added := 0
	for _, ev := range evs {
		if ev.ID == "" {
			continue
		}
		res, err := stmt.ExecContext(ctx, ev.ID, ev.Time.UnixNano(), ev.Principal(), ev.Account(), ev.Region,
			ev.Source, ev.Name, ev.ErrorCode, ev.SourceIP, ev.Raw)
		if err != nil {
			return added, fmt.Errorf("index event %s: %w", ev.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("index events: %w", err)
	}
	return added, nil
}

// Query selects events. Principal matches exactly, or as a prefix when it
// ends with "*". Zero times leave that end of the window open.
type Query struct {
	Principal string
	Account   string
	From, To  time.Time
	// Limit caps the rows returned (1000 when zero).
	Limit int
}

// Row is one indexed event.
type Row struct {
	EventID   string    `json:"event_id"`
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Source    string    `json:"event_source"`
	Name      string    `json:"event_name"`
	ErrorCode string    `json:"error_code,omitempty"`
	SourceIP  string    `json:"source_ip"`
	Raw       string    `json:"-"`
}

// Search returns the events matching q, oldest first.
func (ix *Index) Search(ctx context.Context, q Query) ([]Row, error) {
	var where []string
	var args []any
	if q.Principal != "" {
		if p, ok := strings.CutSuffix(q.Principal, "*"); ok {
			where = append(where, `substr(principal, 1, ?) = ?`)
			args = append(args, len(p), p)
		} else {
			where = append(where, "principal = ?")
			args = append(args, q.Principal)
		}
	}
	if q.Account != "" {
		where = append(where, "account = ?")
		args = append(args, q.Account)
	}
	if !q.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, q.To.UnixNano())
	}
	if len(where) == 0 {
		return nil, ErrNoQuery
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	rows, err := ix.db.QueryContext(ctx, `SELECT event_id, at, principal, account, region, source, name, error_code, source_ip, raw
		FROM events WHERE `+strings.Join(where, " AND ")+` ORDER BY at, event_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var at int64
		if err := rows.Scan(&r.EventID, &at, &r.Principal, &r.Account, &r.Region, &r.Source, &r.Name, &r.ErrorCode, &r.SourceIP, &r.Raw); err != nil {
			return nil, fmt.Errorf("search events: %w", err)
		}
		r.Time = time.Unix(0, at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	return out, nil
}
