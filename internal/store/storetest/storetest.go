// Package storetest runs a test against every store backend: a fresh SQLite
// file and a fresh PostgreSQL schema. PostgreSQL comes from the server named
// by $PALISADE_TEST_POSTGRES (see .ci/postgres.sh); without it the PostgreSQL
// half is skipped locally and fails in CI ($CI non-empty).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	// Registers the "pgx" database/sql driver for creating test databases.
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/palisade-sec/palisade/internal/store"
)

// EnvPostgres names the environment variable holding the URL of a PostgreSQL
// server where tests may create and drop databases.
const EnvPostgres = "PALISADE_TEST_POSTGRES"

// Each runs fn as two subtests, "sqlite" and "postgres", each with a freshly
// migrated store on a database (SQLite file or PostgreSQL schema) of its own. The store is closed and the
// database removed when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	EachDSN(t, func(t *testing.T, dsn string) {
		fn(t, Open(t, dsn))
	})
}

// EachDSN runs fn as two subtests, "sqlite" and "postgres", each given the DSN
// of a fresh, empty (unmigrated) database, for tests that open several stores
// on one database (as several processes would) or test migrations.
func EachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns the path of a new SQLite database file in t.TempDir().
func SQLite(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "palisade.db")
}

// Postgres creates an empty schema of its own on the server named by
// $PALISADE_TEST_POSTGRES, drops it when the test ends, and returns a URL that
// uses it (through the search_path connection parameter). A schema rather
// than a database per test: creating a database costs about half a second,
// a schema almost nothing, and the store only uses unqualified names. Without
// the variable it skips the test, or fails it when $CI is set.
func Postgres(t *testing.T) string {
	t.Helper()
	server := os.Getenv(EnvPostgres)
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL required in CI: set %s (bash .ci/postgres.sh prints a URL)", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a server URL (bash .ci/postgres.sh prints one)", EnvPostgres)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	// The name is made here from random hex, never from input, so it is safe
	// to put in the statement (identifiers cannot be query parameters).
	name := "palisade_test_" + hex.EncodeToString(b[:])
	admin := func(stmt string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", server)
		if err != nil {
			t.Fatalf("connect to %s: %v", EnvPostgres, err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin("CREATE SCHEMA " + name)
	t.Cleanup(func() { admin("DROP SCHEMA IF EXISTS " + name + " CASCADE") })
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates the store at dsn, closing it when the test ends.
func Open(t *testing.T, dsn string) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	return s
}
