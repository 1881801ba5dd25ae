package deps

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// writeTree creates files (slash paths) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeZip writes an OSV all.zip of the given records (entry name -> JSON).
func writeZip(t *testing.T, path string, records map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range records {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeTree(t, filepath.Dir(path), map[string]string{filepath.Base(path): buf.String()})
}

// testDB is a small database: two PyPI advisories for one package (aliases
// of each other via a CVE), one Go advisory and one Go stdlib advisory.
func testDB(t *testing.T) string {
	dir := t.TempDir()
	writeZip(t, filepath.Join(dir, "PyPI", "all.zip"), map[string]string{
		"PYSEC-2099-1.json": `{"id":"PYSEC-2099-1","published":"2099-01-01T00:00:00Z","modified":"2099-01-02T00:00:00Z","aliases":["CVE-2099-1","GHSA-xxxx-yyyy-zzzz"],
		  "summary":"Remote code execution in foo-bar","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
		  "affected":[{"package":{"ecosystem":"PyPI","name":"foo-bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}],
		  "database_specific":{"cwe_ids":["CWE-94"]}}`,
		"GHSA-xxxx-yyyy-zzzz.json": `{"id":"GHSA-xxxx-yyyy-zzzz","published":"2098-12-30T00:00:00Z","aliases":["CVE-2099-1"],"summary":"RCE",
		  "affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}]}],
		  "database_specific":{"severity":"HIGH"}}`,
		"PYSEC-2099-2.json": `{"id":"PYSEC-2099-2","published":"2099-02-01T00:00:00Z","summary":"Path traversal",
		  "affected":[{"package":{"ecosystem":"PyPI","name":"foo-bar"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.3"}]}]}]}`,
		"PYSEC-2099-3.json": `{"id":"PYSEC-2099-3","summary":"Every version of ranged","affected":[{"package":{"ecosystem":"PyPI","name":"ranged"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
	})
	writeZip(t, filepath.Join(dir, "Go", "all.zip"), map[string]string{
		"GO-2099-0001.json": `{"id":"GO-2099-0001","published":"2099-03-01T00:00:00Z","summary":"Panic in example.com/lib",
		  "affected":[{"package":{"ecosystem":"Go","name":"example.com/lib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.4.0"}]}]}],
		  "database_specific":{"url":"https://pkg.go.dev/vuln/GO-2099-0001"}}`,
		"GO-2099-0002.json": `{"id":"GO-2099-0002","published":"2099-03-01T00:00:00Z","summary":"Stdlib flaw",
		  "affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.5"}]}]}]}`,
	})
	return dir
}

var testProject = map[string]string{
	"app/requirements.txt":            "# pinned, PEP 503 spelling differs from the database\nFoo.Bar==1.1\nranged>=1.0\nsafe==2.0\n",
	"svc/go.mod":                      "module example.com/svc\n\ngo 1.21\n\nrequire (\n\texample.com/lib v1.3.0\n\texample.com/other v0.1.0 // indirect\n)\n",
	"node_modules/x/requirements.txt": "foo-bar==1.0\n",
	"skipped/requirements.txt":        "foo-bar==1.0\n",
	"broken/Cargo.lock":               "[[package]\nname = \"x\"\n",
}

func testOptions(db string, stdlib bool) Options {
	return Options{
		VulnDB: db, IncludeGoStdlib: stdlib,
		Skip: func(p string) bool { return p == "skipped" },
		Now:  func() time.Time { return time.Date(2099, 6, 1, 0, 0, 0, 0, time.UTC) },
	}
}

func TestExtract(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, testProject)
	pkgs, errs, err := Extract(context.Background(), dir, ExtractOptions{IncludeGoStdlib: true, Skip: func(p string) bool { return p == "skipped" }})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Package{}
	for _, p := range pkgs {
		if p.Path == "node_modules/x/requirements.txt" || p.Path == "skipped/requirements.txt" {
			t.Errorf("package from a skipped directory: %+v", p)
		}
		byName[p.Name] = p
	}
	tests := []struct {
		name string
		pkg  string
		want Package
	}{
		{"PyPI name is PEP 503 normalised", "foo-bar", Package{Name: "foo-bar", Version: "1.1", Ecosystem: "PyPI", PURL: "pkg:pypi/foo-bar@1.1", Path: "app/requirements.txt", Line: 2, Relation: RelationDirect, Extractor: "python/requirements"}},
		{"range requirement is unpinned", "ranged", Package{Name: "ranged", Version: "1.0", Ecosystem: "PyPI", PURL: "pkg:pypi/ranged@1.0", Path: "app/requirements.txt", Line: 3, Relation: RelationDirect, Unpinned: true, Extractor: "python/requirements"}},
		{"go.mod direct requirement", "example.com/lib", Package{Name: "example.com/lib", Version: "1.3.0", Ecosystem: "Go", PURL: "pkg:golang/example.com/lib@1.3.0", Path: "svc/go.mod", Line: 6, Relation: RelationDirect, Extractor: "go/gomod"}},
		{"go.mod indirect requirement", "example.com/other", Package{Name: "example.com/other", Version: "0.1.0", Ecosystem: "Go", PURL: "pkg:golang/example.com/other@0.1.0", Path: "svc/go.mod", Line: 7, Relation: RelationIndirect, Extractor: "go/gomod"}},
		{"go directive gives the stdlib", "stdlib", Package{Name: "stdlib", Version: "1.21.99", Ecosystem: "Go", PURL: "pkg:golang/stdlib@1.21.99", Path: "svc/go.mod", Line: 3, Relation: RelationDirect, MatchedAs: "1.21", Extractor: "go/gomod"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := byName[tc.pkg]; got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if len(errs) != 1 || errs[0].Path != "broken/Cargo.lock" {
		t.Errorf("file errors = %v, want one naming broken/Cargo.lock", errs)
	}
}

func TestScanGolden(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, testProject)
	for _, stdlib := range []bool{false, true} {
		name := "findings.json"
		if stdlib {
			name = "findings-stdlib.json"
		}
		t.Run(name, func(t *testing.T) {
			var got []finding.Finding
			sum, err := Scan(context.Background(), dir, testOptions(testDB(t), stdlib), func(f finding.Finding) { got = append(got, f) })
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Partial || len(sum.Errors) != 1 {
				t.Errorf("summary = %+v, want partial with the broken Cargo.lock", sum)
			}
			compareGolden(t, name, got)
		})
	}
}

func TestCorruptDatabaseIsReportedNotFatal(t *testing.T) {
	dir, db := t.TempDir(), testDB(t)
	writeTree(t, dir, map[string]string{"Cargo.lock": "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.0.0\"\n", "requirements.txt": "foo-bar==1.1\n"})
	writeTree(t, filepath.Join(db, "crates.io"), map[string]string{"all.zip": "PK\x03\x04garbage"})
	var got []finding.Finding
	sum, err := Scan(context.Background(), dir, testOptions(db, false), func(f finding.Finding) { got = append(got, f) })
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Partial || len(sum.Errors) != 1 || !strings.Contains(sum.Errors[0].Error(), filepath.Join("crates.io", "all.zip")) {
		t.Fatalf("errors = %v, want the corrupt crates.io zip named", sum.Errors)
	}
	if sum.Findings != 2 {
		t.Errorf("findings = %d, want the PyPI ones still reported", sum.Findings)
	}
	last := got[len(got)-1]
	if last.Category != finding.ScanError || last.RuleID != RuleDatabaseError {
		t.Errorf("last finding = %+v, want a database scan-error", last)
	}
}

func TestWriteCycloneDXGolden(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, testProject)
	res, err := Analyze(context.Background(), dir, testOptions(testDB(t), true))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCycloneDX(&buf, res, SBOMInfo{Subject: "test", ToolVersion: "dev"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["specVersion"] != "1.5" || doc["bomFormat"] != "CycloneDX" {
		t.Errorf("specVersion = %v, bomFormat = %v", doc["specVersion"], doc["bomFormat"])
	}
	golden(t, "sbom.cdx.json", buf.Bytes())
}

func compareGolden(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name, append(b, '\n'))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", p, got)
	}
}

func TestScanSingleLockfile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, testProject)
	res, err := Analyze(context.Background(), filepath.Join(dir, "app", "requirements.txt"), testOptions(testDB(t), false))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0] != "requirements.txt" || len(res.Vulnerabilities) != 2 || res.Partial {
		t.Errorf("files %v, %d vulnerabilities, partial %v; want requirements.txt alone with 2", res.Files, len(res.Vulnerabilities), res.Partial)
	}
}

func TestScanWithoutDatabaseFails(t *testing.T) {
	if _, err := Analyze(context.Background(), t.TempDir(), Options{}); err == nil {
		t.Error("Analyze without VulnDB succeeded")
	}
	if _, err := Analyze(context.Background(), t.TempDir(), Options{VulnDB: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("Analyze with a missing VulnDB succeeded")
	}
}
