package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	// Registers the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

//go:embed migrations
var migrations embed.FS

// dialect selects the few statements that differ between the two backends.
type dialect string

const (
	sqlite   dialect = "sqlite"
	postgres dialect = "postgres"
)

// sqliteBusyTimeout is how long a SQLite writer waits for another process's
// write transaction before giving up with SQLITE_BUSY.
const sqliteBusyTimeout = 30 * time.Second

// sqlStore implements Store over database/sql for both backends.
type sqlStore struct {
	db      *sql.DB
	dialect dialect
}

// Open connects to the store named by dsn without changing its schema (call
// Migrate for that). A dsn starting with postgres:// or postgresql:// opens
// PostgreSQL; anything else is a SQLite file path (or a "file:" URI), opened
// in WAL mode with foreign keys on, a busy timeout, and write-locking
// (BEGIN IMMEDIATE) transactions so concurrent writers queue instead of
// deadlocking.
func Open(ctx context.Context, dsn string) (Store, error) {
	if dsn == "" {
		return nil, errors.New("open store: empty database name")
	}
	var (
		driver, source string
		d              dialect
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, source, d = "pgx", dsn, postgres
	} else {
		s, err := sqliteDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		if err := createPrivate(dsn); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		driver, source, d = "sqlite", s, sqlite
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", d, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s store %s: %w", d, redactDSN(dsn), err)
	}
	return &sqlStore{db: db, dialect: d}, nil
}

// sqliteDSN adds the connection settings palisade relies on to a SQLite path
// or file: URI. Settings already in a file: URI win, since the driver reads
// the first value of each key.
func sqliteDSN(dsn string) (string, error) {
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Set("_txlock", "immediate")
	params.Set("_time_format", "sqlite")
	if strings.HasPrefix(dsn, "file:") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + params.Encode(), nil
	}
	if strings.ContainsAny(dsn, "?#") {
		return "", fmt.Errorf("sqlite path %q contains '?' or '#': use a file: URI", dsn)
	}
	return dsn + "?" + params.Encode(), nil
}

// createPrivate creates a SQLite database file readable by its owner only,
// since it lists the organisation's weaknesses; SQLite gives its -wal and
// -shm files the same mode. An existing file, or a file: URI, is left as it is.
func createPrivate(path string) error {
	if strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// redactDSN hides a password in a PostgreSQL URL so errors can show the DSN.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Migrate applies every pending migration of this backend's dialect. It is
// safe to run from several processes at once: PostgreSQL takes a session
// advisory lock; on SQLite a process that loses the race finds the schema
// current and succeeds.
func (s *sqlStore) Migrate(ctx context.Context) error {
	dir, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	gd := goose.DialectSQLite3
	if s.dialect == postgres {
		gd = goose.DialectPostgres
		// Poll for the migration lock every second, for up to five minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, s.db, dir, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		if s.dialect == sqlite && ctx.Err() == nil {
			// Another process may have applied the same migration between
			// our version check and our write; that is success.
			if pending, perr := p.HasPending(ctx); perr == nil && !pending {
				return nil
			}
		}
		return fmt.Errorf("migrate %s store: %w", s.dialect, err)
	}
	return nil
}

// Close releases the database connections.
func (s *sqlStore) Close() error {
	return s.db.Close()
}

// lockTarget serialises writers of one target. On PostgreSQL it takes a
// transaction-scoped advisory lock on a hash of the target; on SQLite the
// transaction already holds the database write lock (BEGIN IMMEDIATE).
func (s *sqlStore) lockTarget(ctx context.Context, tx *sql.Tx, target string) error {
	if s.dialect != postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("palisade/target\x00"))
	h.Write([]byte(target))
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock target %q: %w", target, err)
	}
	return nil
}

// dbTime normalises a time for storage: UTC, microsecond precision (what
// PostgreSQL keeps), so both backends return the same value.
func dbTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// nullTime converts an optional time to a query argument.
func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: dbTime(*t), Valid: true}
}

// timePtr converts a nullable column back to an optional UTC time.
func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
