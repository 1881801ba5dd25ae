package deps

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corporaRoot is the shared test data directory; PALISADE_CORPORA overrides it.
func corporaRoot(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpora")
	}
	if _, err := os.Stat(filepath.Join(root, "osv", "db")); err != nil {
		t.Skipf("OSV corpus not available at %s: %v", root, err)
	}
	return root
}

// expectedRows reads osv-scanner's results: mode -> project -> set of
// "ecosystem\tpackage\tversion\tvuln_id".
func expectedRows(t *testing.T, path string) map[string]map[string]map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]map[string]bool{}
	s := bufio.NewScanner(f)
	line := 0
	for s.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		cols := strings.Split(s.Text(), "\t")
		if len(cols) != 7 {
			t.Fatalf("%s:%d: %d columns, want 7", path, line, len(cols))
		}
		mode, project := cols[1], cols[2]
		if out[mode] == nil {
			out[mode] = map[string]map[string]bool{}
		}
		if out[mode][project] == nil {
			out[mode][project] = map[string]bool{}
		}
		out[mode][project][strings.Join(cols[3:], "\t")] = true
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAgreementWithOSVScanner checks that every corpus project yields exactly
// osv-scanner 2.6.0's (package, version, vulnerability) set, with the Go
// stdlib off and on.
func TestAgreementWithOSVScanner(t *testing.T) {
	root := corporaRoot(t)
	osvDir := filepath.Join(root, "osv")
	want := expectedRows(t, filepath.Join(osvDir, "expected-osv-scanner-2.6.0.tsv"))
	projects, err := os.ReadDir(filepath.Join(osvDir, "projects"))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	modes := []struct {
		name   string
		stdlib bool
	}{{"default", false}, {"ScanGoModVersion=true", true}}
	for _, mode := range modes {
		for _, p := range projects {
			t.Run(mode.name+"/"+p.Name(), func(t *testing.T) {
				exp := want[mode.name][p.Name()]
				if _, ran := want[mode.name][p.Name()]; !ran && mode.stdlib {
					// The expected file has ScanGoModVersion rows only for the Go
					// project; the flag changes nothing for the others, so their
					// default rows (none for most) are the expectation.
					exp = want["default"][p.Name()]
				}
				res, err := Analyze(context.Background(), filepath.Join(osvDir, "projects", p.Name()),
					Options{VulnDB: filepath.Join(osvDir, "db"), CacheDir: cache, IncludeGoStdlib: mode.stdlib})
				if err != nil {
					t.Fatal(err)
				}
				if res.Partial {
					t.Errorf("unexpected partial result: %v", res.Errors)
				}
				got := map[string]bool{}
				for _, v := range res.Vulnerabilities {
					for _, id := range v.Records {
						got[strings.Join([]string{v.Package.Ecosystem, v.Package.Name, v.Package.Version, id}, "\t")] = true
					}
				}
				var missing, extra []string
				for k := range exp {
					if !got[k] {
						missing = append(missing, k)
					}
				}
				for k := range got {
					if !exp[k] {
						extra = append(extra, k)
					}
				}
				sort.Strings(missing)
				sort.Strings(extra)
				if len(missing)+len(extra) > 0 {
					t.Errorf("disagreement with osv-scanner: %d expected, %d found\nmissing (osv-scanner reports, palisade does not):\n  %s\nextra (palisade reports, osv-scanner does not):\n  %s",
						len(exp), len(got), strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
				}
			})
		}
	}
}
