package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteDSN(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		prefix  string
		wantErr bool
	}{
		{"plain path gets settings", "/var/lib/palisade.db", "/var/lib/palisade.db?", false},
		{"file URI keeps its own parameters first", "file:x.db?mode=ro", "file:x.db?mode=ro&", false},
		{"question mark in a path is refused", "/tmp/a?b.db", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqliteDSN(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("sqliteDSN(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tt.prefix) {
				t.Errorf("sqliteDSN(%q) = %q, want prefix %q", tt.in, got, tt.prefix)
			}
			for _, want := range []string{"_txlock=immediate", "busy_timeout", "journal_mode%28WAL%29", "foreign_keys%281%29"} {
				if !strings.Contains(got, want) {
					t.Errorf("sqliteDSN(%q) = %q lacks %s", tt.in, got, want)
				}
			}
		})
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	// Port 1 on loopback refuses connections at once.
	_, err := Open(context.Background(), "postgres://user:s3cr3tpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if strings.Contains(err.Error(), "s3cr3tpw") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestNewSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}
