// Package index keeps decoded events in their own SQLite file so they can be
// searched by principal and time window (palisade events search). It does
// not depend on the main store: the file, its tables and its schema
// version are this package's alone.
//
// Layout: principal ARNs and access key ids are stored once in a
// dictionary table (principals); each event row points at them by integer
// id. The events table is clustered by (principal_id, at, event_id), so a
// search reads one principal's window as neighbouring pages in time order
// and stops at the limit: it costs what it returns, not the size of the
// file. Each event's JSON lives in a table of its own (raws), keyed by a
// unique eventID: adding an event twice stores it once.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// schemaVersion is stored in PRAGMA user_version.
const schemaVersion = 5

const schema = `
CREATE TABLE IF NOT EXISTS principals (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE -- principal ARN (or service) or access key id
);
-- Each event's JSON, once: the unique event_id makes re-adding a no-op.
-- Kept apart so the searched table stays small enough to stay in memory.
CREATE TABLE IF NOT EXISTS raws (
	seq      INTEGER PRIMARY KEY,
	event_id TEXT NOT NULL UNIQUE,
	raw      TEXT NOT NULL
);
-- Clustered by (principal, time): one principal's events in a window are
-- neighbours, so a search reads a few pages, not one per event.
CREATE TABLE IF NOT EXISTS events (
	principal_id INTEGER NOT NULL,
	at           INTEGER NOT NULL, -- event time, Unix nanoseconds
	event_id     TEXT NOT NULL,
	key_id       INTEGER,          -- access key id, NULL when the event has none
	account      TEXT NOT NULL,
	region       TEXT NOT NULL,
	source       TEXT NOT NULL,
	name         TEXT NOT NULL,
	error_code   TEXT NOT NULL,
	source_ip    TEXT NOT NULL,
	raw_seq      INTEGER NOT NULL, -- raws.seq
	PRIMARY KEY (principal_id, at, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_key_at ON events (key_id, at, event_id) WHERE key_id IS NOT NULL;
-- Failed calls (a few percent of rows), with the other filter columns so
-- a filtered search checks them in the index and reads only matches.
-- Live ingest's outbox: alerts written with their batch's events in one
-- transaction, delivered afterwards and then marked (schema 5).
CREATE TABLE IF NOT EXISTS alerts (
	seq          INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE, -- the alert's stable id
	alert        TEXT NOT NULL,        -- the alert's JSON
	delivered_at INTEGER               -- Unix nanoseconds, NULL while pending
);
CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (seq) WHERE delivered_at IS NULL;
-- Correlation and burst state carried across batches, one row per rule.
CREATE TABLE IF NOT EXISTS correlation_state (
	rule  TEXT PRIMARY KEY,
	state TEXT NOT NULL
);
-- S3 objects already read (key and ETag), for look-back listing.
CREATE TABLE IF NOT EXISTS s3_objects (
	bucket TEXT NOT NULL,
	key    TEXT NOT NULL,
	etag   TEXT NOT NULL,
	PRIMARY KEY (bucket, key, etag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_principal_error ON events (principal_id, error_code, at, event_id, name, account, region) WHERE error_code <> '';
`

// ErrNoQuery is returned by Search for a query without a principal.
var ErrNoQuery = errors.New("search needs a principal (ARN, ARN prefix ending in *, or access key id)")

// maxCachedNames bounds the in-memory principal dictionary cache.
const maxCachedNames = 200000

// Index is an open event index. It is safe for use by one goroutine at a time.
type Index struct {
	db    *sql.DB
	names map[string]int64 // principal dictionary cache
}

// Options tunes Open.
type Options struct {
	// CacheMB is SQLite's page cache in MiB (64 when zero).
	CacheMB int
	// Bulk trades durability for insert speed (synchronous=OFF), for
	// rebuilding an index from logs that are still there.
	Bulk bool
}

// Open opens (creating if needed) the index file at path.
func Open(ctx context.Context, path string) (*Index, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens the index file at path with options.
func OpenWith(ctx context.Context, path string, opt Options) (*Index, error) {
	if opt.CacheMB <= 0 {
		opt.CacheMB = 64
	}
	sync := "NORMAL"
	if opt.Bulk {
		sync = "OFF"
	}
	dsn := fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(%s)&_pragma=cache_size(-%d)&_pragma=temp_store(MEMORY)",
		path, sync, opt.CacheMB*1024)
	db, err := sql.Open("sqlite", dsn)
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
	// Schema 5 only added tables: a schema 4 file is upgraded in place.
	if v != 0 && v < 4 {
		db.Close()
		return nil, fmt.Errorf("event index %s has the old schema %d: delete it and run palisade events index again", path, v)
	}
	if v == 0 {
		// Before the first table: rows of about 1 KB stay inside 16 KiB
		// pages of the clustered table instead of spilling to overflow pages.
		if _, err := db.ExecContext(ctx, "PRAGMA page_size = 16384"); err != nil {
			db.Close()
			return nil, fmt.Errorf("create event index %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create event index %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		db.Close()
		return nil, fmt.Errorf("event index %s: %w", path, err)
	}
	return &Index{db: db, names: map[string]int64{}}, nil
}

// Close closes the index file.
func (ix *Index) Close() error { return ix.db.Close() }

// Record is what the index stores of one event. FromEvent fills it from a
// decoded event; benchmarks fill it directly.
type Record struct {
	EventID, Principal, AccessKeyID string
	Time                            time.Time
	Account, Region, Source, Name   string
	ErrorCode, SourceIP, Raw        string
}

// FromEvent returns the index record of a decoded event.
func FromEvent(ev *event.Event) Record {
	return Record{
		EventID: ev.ID, Principal: ev.Principal(), AccessKeyID: ev.User.AccessKeyID, Time: ev.Time,
		Account: ev.Account(), Region: ev.Region, Source: ev.Source, Name: ev.Name,
		ErrorCode: ev.ErrorCode, SourceIP: ev.SourceIP, Raw: ev.Raw,
	}
}

// Add stores events in one transaction, skipping eventIDs already stored,
// and returns how many were new.
func (ix *Index) Add(ctx context.Context, evs []*event.Event) (int, error) {
	recs := make([]Record, 0, len(evs))
	for _, ev := range evs {
		recs = append(recs, FromEvent(ev))
	}
	return ix.AddRecords(ctx, recs)
}

// AddRecords stores records in one transaction, skipping eventIDs already
// stored (and records without one), and returns how many were new.
func (ix *Index) AddRecords(ctx context.Context, recs []Record) (int, error) {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("index events: %w", err)
	}
	defer tx.Rollback()
	added, newNames, err := ix.addRecords(ctx, tx, recs)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("index events: %w", err)
	}
	ix.cacheNames(newNames)
	return added, nil
}

// addRecords inserts records inside tx and returns how many were new and
// the dictionary names it inserted (to cache once tx commits).
func (ix *Index) addRecords(ctx context.Context, tx *sql.Tx, recs []Record) (int, map[string]int64, error) {
	insRaw, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO raws (event_id, raw) VALUES (?, ?)`)
	if err != nil {
		return 0, nil, fmt.Errorf("index events: %w", err)
	}
	defer insRaw.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO events
		(event_id, principal_id, key_id, at, account, region, source, name, error_code, source_ip, raw_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, nil, fmt.Errorf("index events: %w", err)
	}
	defer ins.Close()
	added := 0
	newNames := map[string]int64{} // names inserted by this transaction
	for _, r := range recs {
		if r.EventID == "" {
			continue
		}
		res, err := insRaw.ExecContext(ctx, r.EventID, r.Raw)
		if err != nil {
			return 0, nil, fmt.Errorf("index event %s: %w", r.EventID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // stored before
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return 0, nil, fmt.Errorf("index event %s: %w", r.EventID, err)
		}
		pid, err := ix.nameID(ctx, tx, r.Principal, newNames)
		if err != nil {
			return 0, nil, err
		}
		var kid any
		if r.AccessKeyID != "" {
			id, err := ix.nameID(ctx, tx, r.AccessKeyID, newNames)
			if err != nil {
				return 0, nil, err
			}
			kid = id
		}
		if _, err := ins.ExecContext(ctx, r.EventID, pid, kid, r.Time.UnixNano(), r.Account, r.Region,
			r.Source, r.Name, r.ErrorCode, r.SourceIP, seq); err != nil {
			return 0, nil, fmt.Errorf("index event %s: %w", r.EventID, err)
		}
		added++
	}
	return added, newNames, nil
}

// cacheNames adds committed dictionary names to the cache.
func (ix *Index) cacheNames(newNames map[string]int64) {
	if len(ix.names)+len(newNames) > maxCachedNames {
		ix.names = map[string]int64{}
	}
	for k, v := range newNames {
		ix.names[k] = v
	}
}

// PendingAlert is an alert in the outbox: its stable id and its JSON.
type PendingAlert struct {
	ID   string
	JSON []byte
}

// Batch is what live ingest commits for one input batch, all or nothing:
// the batch's new events, the alerts they raised (pending delivery) and
// the correlation state after them.
type Batch struct {
	Events []*event.Event
	Alerts []PendingAlert
	// State maps a rule key to its correlation state (JSON); an empty
	// value deletes the rule's row.
	State map[string]string
}

// Commit writes a batch in one transaction. An alert whose id is already
// in the outbox (delivered or not) is not added again; Commit returns the
// ids of the alerts it added.
func (ix *Index) Commit(ctx context.Context, b Batch) ([]string, error) {
	recs := make([]Record, 0, len(b.Events))
	for _, ev := range b.Events {
		recs = append(recs, FromEvent(ev))
	}
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	defer tx.Rollback()
	_, newNames, err := ix.addRecords(ctx, tx, recs)
	if err != nil {
		return nil, err
	}
	var added []string
	for _, a := range b.Alerts {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO alerts (id, alert) VALUES (?, ?)`, a.ID, string(a.JSON))
		if err != nil {
			return nil, fmt.Errorf("commit alert %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, a.ID)
		}
	}
	for rule, st := range b.State {
		if st == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM correlation_state WHERE rule = ?`, rule)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO correlation_state (rule, state) VALUES (?, ?)
				ON CONFLICT (rule) DO UPDATE SET state = excluded.state`, rule, st)
		}
		if err != nil {
			return nil, fmt.Errorf("commit correlation state of %s: %w", rule, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	ix.cacheNames(newNames)
	return added, nil
}

// Pending returns the alerts not yet marked delivered, oldest first.
func (ix *Index) Pending(ctx context.Context) ([]PendingAlert, error) {
	rows, err := ix.db.QueryContext(ctx, `SELECT id, alert FROM alerts WHERE delivered_at IS NULL ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("pending alerts: %w", err)
	}
	defer rows.Close()
	var out []PendingAlert
	for rows.Next() {
		var p PendingAlert
		var js string
		if err := rows.Scan(&p.ID, &js); err != nil {
			return nil, fmt.Errorf("pending alerts: %w", err)
		}
		p.JSON = []byte(js)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending alerts: %w", err)
	}
	return out, nil
}

// MarkDelivered records that the alerts with these ids were delivered.
func (ix *Index) MarkDelivered(ctx context.Context, ids []string, at time.Time) error {
	tx, err := ix.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark alerts delivered: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL`, at.UnixNano(), id); err != nil {
			return fmt.Errorf("mark alert %s delivered: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark alerts delivered: %w", err)
	}
	return nil
}

// CorrelationState returns the saved correlation state of every rule.
func (ix *Index) CorrelationState(ctx context.Context) (map[string]string, error) {
	rows, err := ix.db.QueryContext(ctx, `SELECT rule, state FROM correlation_state`)
	if err != nil {
		return nil, fmt.Errorf("correlation state: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var rule, st string
		if err := rows.Scan(&rule, &st); err != nil {
			return nil, fmt.Errorf("correlation state: %w", err)
		}
		out[rule] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("correlation state: %w", err)
	}
	return out, nil
}

// ObjectSeen reports whether the S3 object bucket/key with this ETag was
// read before (MarkObject).
func (ix *Index) ObjectSeen(ctx context.Context, bucket, key, etag string) (bool, error) {
	var one int
	err := ix.db.QueryRowContext(ctx, `SELECT 1 FROM s3_objects WHERE bucket = ? AND key = ? AND etag = ?`, bucket, key, etag).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("s3://%s/%s: look up: %w", bucket, key, err)
	}
	return true, nil
}

// MarkObject records that the S3 object bucket/key with this ETag was read.
func (ix *Index) MarkObject(ctx context.Context, bucket, key, etag string) error {
	if _, err := ix.db.ExecContext(ctx, `INSERT OR IGNORE INTO s3_objects (bucket, key, etag) VALUES (?, ?, ?)`, bucket, key, etag); err != nil {
		return fmt.Errorf("s3://%s/%s: mark read: %w", bucket, key, err)
	}
	return nil
}

// nameID returns the dictionary id of name, inserting it inside tx when new.
func (ix *Index) nameID(ctx context.Context, tx *sql.Tx, name string, pending map[string]int64) (int64, error) {
	if id, ok := ix.names[name]; ok {
		return id, nil
	}
	if id, ok := pending[name]; ok {
		return id, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM principals WHERE name = ?", name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		res, ierr := tx.ExecContext(ctx, "INSERT INTO principals (name) VALUES (?)", name)
		if ierr != nil {
			return 0, fmt.Errorf("index principal %q: %w", name, ierr)
		}
		id, err = res.LastInsertId()
	}
	if err != nil {
		return 0, fmt.Errorf("index principal %q: %w", name, err)
	}
	pending[name] = id
	return id, nil
}

// Unseen returns the events whose eventID is not stored yet, in order.
// Events without an eventID are always returned.
func (ix *Index) Unseen(ctx context.Context, evs []*event.Event) ([]*event.Event, error) {
	stmt, err := ix.db.PrepareContext(ctx, "SELECT 1 FROM raws WHERE event_id = ?")
	if err != nil {
		return nil, fmt.Errorf("look up events: %w", err)
	}
	defer stmt.Close()
	var out []*event.Event
	for _, ev := range evs {
		if ev.ID != "" {
			var one int
			err := stmt.QueryRowContext(ctx, ev.ID).Scan(&one)
			if err == nil {
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("look up event %s: %w", ev.ID, err)
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// Count returns how many events the index holds.
func (ix *Index) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := ix.db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// accessKeyID matches AWS access key ids (long-term AKIA, temporary ASIA).
var accessKeyID = regexp.MustCompile(`^A[KS]IA[A-Z0-9]{12,124}$`)

// IsAccessKeyID reports whether s has the form of an AWS access key id, so
// a search by s looks at the access key column rather than the principal.
func IsAccessKeyID(s string) bool { return accessKeyID.MatchString(s) }

// Query selects events. Principal is required: a principal ARN (exact, or a
// prefix when it ends with "*") or an access key id. Zero times leave that
// end of the window open; empty filters match everything.
type Query struct {
	Principal string
	From, To  time.Time
	Account   string
	Region    string
	EventName string
	ErrorCode string
	// Limit caps the rows returned (1000 when zero).
	Limit int
	// WithRaw also reads each event's JSON into Row.Raw (one more lookup
	// per row, outside the clustered table).
	WithRaw bool
}

// Row is one indexed event.
type Row struct {
	EventID   string    `json:"event_id"`
	Time      time.Time `json:"time"`
	Principal string    `json:"principal"`
	AccessKey string    `json:"access_key_id,omitempty"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Source    string    `json:"event_source"`
	Name      string    `json:"event_name"`
	ErrorCode string    `json:"error_code,omitempty"`
	SourceIP  string    `json:"source_ip"`
	// Raw is the event's JSON when the query asked WithRaw.
	Raw string `json:"-"`
}

// Search returns the events matching q, oldest first (ties by eventID).
func (ix *Index) Search(ctx context.Context, q Query) ([]Row, error) {
	if q.Principal == "" {
		return nil, ErrNoQuery
	}
	col := "e.principal_id"
	if IsAccessKeyID(q.Principal) {
		col = "e.key_id"
	}
	var where []string
	var args []any
	if p, ok := strings.CutSuffix(q.Principal, "*"); ok {
		where = append(where, col+` IN (SELECT id FROM principals WHERE substr(name, 1, ?) = ?)`)
		args = append(args, len(p), p)
	} else {
		var id int64
		err := ix.db.QueryRowContext(ctx, "SELECT id FROM principals WHERE name = ?", q.Principal).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("search events: %w", err)
		}
		where = append(where, col+" = ?")
		args = append(args, id)
	}
	if !q.From.IsZero() {
		where = append(where, "e.at >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "e.at < ?")
		args = append(args, q.To.UnixNano())
	}
	from := "events e"
	if q.ErrorCode != "" {
		// Failed calls are a few percent of a principal's events: walk their
		// partial index (the term below makes it usable) rather than the
		// principal's whole window, which SQLite would pick without statistics.
		where = append(where, "e.error_code <> ''")
		if !IsAccessKeyID(q.Principal) {
			from = "events e INDEXED BY events_principal_error"
		}
	}
	for _, f := range []struct{ col, val string }{
		{"e.account", q.Account}, {"e.region", q.Region}, {"e.name", q.EventName}, {"e.error_code", q.ErrorCode},
	} {
		if f.val != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.val)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	rawCol, rawJoin := "''", ""
	if q.WithRaw {
		rawCol, rawJoin = "coalesce(r.raw, '')", " LEFT JOIN raws r ON r.seq = e.raw_seq"
	}
	rows, err := ix.db.QueryContext(ctx, `SELECT e.event_id, e.at, p.name, coalesce(k.name, ''), e.account, e.region,
		e.source, e.name, e.error_code, e.source_ip, `+rawCol+`
		FROM `+from+` JOIN principals p ON p.id = e.principal_id LEFT JOIN principals k ON k.id = e.key_id`+rawJoin+`
		WHERE `+strings.Join(where, " AND ")+` ORDER BY e.at, e.event_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search events: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		var at int64
		if err := rows.Scan(&r.EventID, &at, &r.Principal, &r.AccessKey, &r.Account, &r.Region, &r.Source, &r.Name,
			&r.ErrorCode, &r.SourceIP, &r.Raw); err != nil {
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

// Plan returns SQLite's query plan for q, one step a line, so a test or a
// benchmark can check that a search walks an index instead of the table.
func (ix *Index) Plan(ctx context.Context, q Query) (string, error) {
	col := "principal_id"
	if IsAccessKeyID(q.Principal) {
		col = "key_id"
	}
	rows, err := ix.db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT e.event_id, p.name FROM events e
		JOIN principals p ON p.id = e.principal_id
		WHERE e.`+col+` = ? AND e.at >= ? AND e.at < ? ORDER BY e.at, e.event_id LIMIT 100`, 1, q.From.UnixNano(), q.To.UnixNano())
	if err != nil {
		return "", fmt.Errorf("query plan: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", fmt.Errorf("query plan: %w", err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}
