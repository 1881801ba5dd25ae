package osvdb

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// zipOf builds an all.zip in memory from entry name -> content.
func zipOf(t testing.TB, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range entries {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const recA = `{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","published":"2023-01-01T00:00:00Z","aliases":["CVE-2023-1"],
 "summary":"bad thing","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]},
   {"type":"GIT","repo":"https://example.invalid/r","events":[{"introduced":"abc"}]}],"versions":["1.0","1.1"]}],
 "database_specific":{"cwe_ids":["CWE-79"]}}`

func TestBuild(t *testing.T) {
	tests := []struct {
		name       string
		entries    map[string]string
		wantIDs    []string
		wantErrors []string // one substring per expected error
	}{
		{"valid record is indexed under its normalised name", map[string]string{"PYSEC-1.json": recA}, []string{"PYSEC-1"}, nil},
		{"withdrawn record is skipped", map[string]string{"W.json": `{"id":"W","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}`}, nil, nil},
		{"malformed record is reported with its entry", map[string]string{"PYSEC-1.json": recA, "bad.json": `{"id":`}, []string{"PYSEC-1"}, []string{"entry bad.json"}},
		{"record without id is reported", map[string]string{"noid.json": `{"summary":"x"}`}, nil, []string{"entry noid.json: malformed OSV record: no id"}},
		{"event with two kinds is malformed", map[string]string{"two.json": `{"id":"T","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`}, nil, []string{"entry two.json: malformed OSV record: T: affected[0].ranges[0].events[0] has 2 event kinds"}},
		{"conflicting records keep the newer and are reported", map[string]string{
			"a.json": `{"id":"D","modified":"2020-01-01T00:00:00Z","summary":"old","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}`,
			"b.json": `{"id":"D","modified":"2021-01-01T00:00:00Z","summary":"new","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}`,
		}, []string{"D"}, []string{"both hold record D"}},
		{"other ecosystems' packages are ignored", map[string]string{"n.json": `{"id":"N","affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1"]}]}`}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := Build(context.Background(), "db/PyPI/all.zip", zipOf(t, tc.entries), "PyPI", Key{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i := range ix.NumAdvisories() {
				ids = append(ids, ix.Advisory(i).ID)
			}
			if !reflect.DeepEqual(ids, tc.wantIDs) {
				t.Errorf("advisories = %v, want %v", ids, tc.wantIDs)
			}
			if len(ix.Errors) != len(tc.wantErrors) {
				t.Fatalf("errors = %q, want %d", ix.Errors, len(tc.wantErrors))
			}
			for i, want := range tc.wantErrors {
				if !strings.Contains(ix.Errors[i], want) || !strings.Contains(ix.Errors[i], "db/PyPI/all.zip") {
					t.Errorf("error %q does not name the zip and %q", ix.Errors[i], want)
				}
			}
		})
	}
}

func TestBuildKeepsWhatMatchingNeeds(t *testing.T) {
	ix, err := Build(context.Background(), "all.zip", zipOf(t, map[string]string{"PYSEC-1.json": recA}), "PyPI", Key{})
	if err != nil {
		t.Fatal(err)
	}
	got := ix.Lookup("foo-bar")
	want := []Affected{{Advisory: 0, Ranges: []Range{{Type: RangeEcosystem, Events: []Event{{Introduced, "0"}, {Fixed, "1.2"}}}}, Versions: []string{"1.0", "1.1"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup = %+v, want %+v (GIT range dropped)", got, want)
	}
	a := ix.Advisory(0)
	if a.Severity != "critical" || a.Score != 9.8 || a.CWEs[0] != "CWE-79" || a.URL != "https://osv.dev/vulnerability/PYSEC-1" {
		t.Errorf("advisory = %+v", a)
	}
	if a.Published != time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("published = %d", a.Published)
	}
}

func TestBuildRejectsCorruptZip(t *testing.T) {
	_, err := Build(context.Background(), "db/Go/all.zip", []byte("PK\x03\x04 not really a zip"), "Go", Key{})
	if err == nil || !strings.Contains(err.Error(), "db/Go/all.zip") {
		t.Fatalf("err = %v, want an error naming the zip", err)
	}
}

func TestBuildSkipsOversizedEntry(t *testing.T) {
	big := `{"id":"BIG","summary":"` + strings.Repeat("a", MaxRecordSize) + `"}`
	ix, err := Build(context.Background(), "all.zip", zipOf(t, map[string]string{"big.json": big, "PYSEC-1.json": recA}), "PyPI", Key{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Errors) != 1 || !strings.Contains(ix.Errors[0], "entry big.json") || !strings.Contains(ix.Errors[0], "limit") {
		t.Fatalf("errors = %q, want the oversized entry named", ix.Errors)
	}
	if ix.NumAdvisories() != 1 {
		t.Errorf("advisories = %d, want the valid record kept", ix.NumAdvisories())
	}
}

func TestIndexRoundTrip(t *testing.T) {
	ix, err := Build(context.Background(), "all.zip", zipOf(t, map[string]string{"PYSEC-1.json": recA, "bad.json": "{"}), "PyPI", Key{Size: 5, MTime: 7, SHA256: [32]byte{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	data := Marshal(ix)
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Lookup("foo-bar"), ix.Lookup("foo-bar")) || !reflect.DeepEqual(back.Advisory(0), ix.Advisory(0)) ||
		back.Key != ix.Key || !reflect.DeepEqual(back.Errors, ix.Errors) || back.Err() != nil {
		t.Errorf("round trip changed the index")
	}
	if !bytes.Equal(Marshal(back), data) {
		t.Errorf("re-encoding a loaded index changed it")
	}
	data[len(data)/2] ^= 0xff
	if _, err := Unmarshal(data); err == nil {
		t.Error("a flipped byte was not detected")
	}
}

func TestOpenUsesCacheWhileZipUnchanged(t *testing.T) {
	db, cache := t.TempDir(), t.TempDir()
	zipPath := filepath.Join(db, "PyPI", "all.zip")
	if err := os.MkdirAll(filepath.Dir(zipPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipPath, zipOf(t, map[string]string{"PYSEC-1.json": recA}), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cold, err := Open(ctx, db, cache, "PyPI")
	if err != nil || cold.CacheErr != nil {
		t.Fatal(err, cold.CacheErr)
	}
	// Rewrite the cached index with a marker: a warm open must return it,
	// proving the zip was not parsed again.
	cold.advisories[0].Summary = "from cache"
	if err := os.WriteFile(filepath.Join(cache, "osv-PyPI.idx"), Marshal(cold), 0o644); err != nil {
		t.Fatal(err)
	}
	warm, err := Open(ctx, db, cache, "PyPI")
	if err != nil {
		t.Fatal(err)
	}
	if warm.Advisory(0).Summary != "from cache" {
		t.Errorf("warm open rebuilt the index instead of reading the cache")
	}
	// A touched but unchanged zip keeps the cache (same SHA-256).
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(zipPath, later, later); err != nil {
		t.Fatal(err)
	}
	touched, err := Open(ctx, db, cache, "PyPI")
	if err != nil {
		t.Fatal(err)
	}
	if touched.Advisory(0).Summary != "from cache" || touched.Key.MTime != later.UnixNano() {
		t.Errorf("touched zip: summary %q, key %+v; want the cache kept with the new time", touched.Advisory(0).Summary, touched.Key)
	}
	// A changed zip invalidates the cache.
	if err := os.WriteFile(zipPath, zipOf(t, map[string]string{"PYSEC-1.json": recA, "x.json": "{"}), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, db, cache, "PyPI")
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Advisory(0).Summary != "bad thing" || len(fresh.Errors) != 1 {
		t.Errorf("changed zip did not rebuild the index: %+v", fresh)
	}
}

func TestCVSSBaseScore(t *testing.T) {
	tests := []struct {
		name   string
		vector string
		score  float64
		ok     bool
		level  string
	}{
		{"v3.1 critical", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, true, "critical"},
		{"v3.0 medium", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, true, "medium"},
		{"v4.0 high", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7, true, "high"},
		{"v2 is not scored", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 0, false, ""},
		{"garbage is not scored", "CVSS:3.1/AV:X", 0, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := CVSSBaseScore(tc.vector)
			if s != tc.score || ok != tc.ok || LevelForScore(s) != tc.level {
				t.Errorf("CVSSBaseScore = %v %v (%s), want %v %v (%s)", s, ok, LevelForScore(s), tc.score, tc.ok, tc.level)
			}
		})
	}
}
