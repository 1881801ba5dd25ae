package osvdb

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bucket is a test double of the OSV bucket: it serves objects with Range
// support, an ETag and x-goog-hash, and records the Range headers it saw.
type bucket struct {
	mu      sync.Mutex
	objects map[string][]byte
	badHash bool
	ranges  []string
}

func (b *bucket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	data, ok := b.objects[r.URL.Path]
	b.ranges = append(b.ranges, r.Header.Get("Range"))
	b.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := md5.Sum(data)
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	crc.Write(data)
	md5b64 := base64.StdEncoding.EncodeToString(sum[:])
	if b.badHash {
		md5b64 = base64.StdEncoding.EncodeToString(make([]byte, 16))
	}
	w.Header().Set("X-Goog-Hash", "crc32c="+base64.StdEncoding.EncodeToString(crc.Sum(nil)))
	w.Header().Add("X-Goog-Hash", "md5="+md5b64)
	w.Header().Set("ETag", `"v1"`)
	http.ServeContent(w, r, "all.zip", time.Unix(0, 0), bytes.NewReader(data))
}

func TestUpdate(t *testing.T) {
	archive := zipOf(t, map[string]string{"PYSEC-1.json": recA})
	tests := []struct {
		name      string
		objects   map[string][]byte
		badHash   bool
		part      []byte // an earlier, interrupted download
		wantErr   error
		wantRange string
	}{
		{name: "fresh download lands atomically", objects: map[string][]byte{"/PyPI/all.zip": archive}},
		{name: "interrupted download resumes with a Range request", objects: map[string][]byte{"/PyPI/all.zip": archive}, part: archive[:100], wantRange: "bytes=100-"},
		{name: "hash mismatch is rejected", objects: map[string][]byte{"/PyPI/all.zip": archive}, badHash: true, wantErr: ErrIntegrity},
		{name: "a body that is no zip is rejected", objects: map[string][]byte{"/PyPI/all.zip": []byte("<html>quota exceeded</html>")}, wantErr: ErrIntegrity},
		{name: "missing object is an error", objects: map[string][]byte{}, wantErr: errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &bucket{objects: tc.objects, badHash: tc.badHash}
			srv := httptest.NewServer(b)
			defer srv.Close()
			dest := t.TempDir()
			final := filepath.Join(dest, "PyPI", "all.zip")
			if tc.part != nil {
				if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(final+".part", tc.part, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(final+".part.etag", []byte(`"v1"`), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var progress strings.Builder
			err := Updater{Client: srv.Client(), BaseURL: srv.URL}.Update(context.Background(), dest, []string{"PyPI"}, &progress)
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if _, statErr := os.Stat(final); statErr == nil {
					t.Error("a rejected download replaced all.zip")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(final)
			if err != nil || !bytes.Equal(got, archive) {
				t.Fatalf("all.zip differs from the served object (err %v)", err)
			}
			if _, err := os.Stat(final + ".part"); !os.IsNotExist(err) {
				t.Error(".part file left behind")
			}
			if tc.wantRange != "" && (len(b.ranges) != 1 || b.ranges[0] != tc.wantRange) {
				t.Errorf("Range headers = %q, want %q", b.ranges, tc.wantRange)
			}
			if !strings.HasPrefix(progress.String(), "PyPI: ") {
				t.Errorf("progress = %q", progress.String())
			}
		})
	}
}

// errAny marks a case where any error will do.
var errAny = errors.New("any error")

func TestUpdateRejectsPathLikeEcosystem(t *testing.T) {
	err := Updater{BaseURL: "http://127.0.0.1:1"}.Update(context.Background(), t.TempDir(), []string{"../etc"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a valid ecosystem name") {
		t.Fatalf("err = %v", err)
	}
}
