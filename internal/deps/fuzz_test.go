package deps

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// lockfileNames are the files FuzzExtract writes its input to, one per parser.
var lockfileNames = []string{"go.mod", "requirements.txt", "poetry.lock", "Cargo.lock", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "composer.lock", "Gemfile.lock", "pom.xml"}

// FuzzExtract feeds arbitrary bytes to each lockfile parser through Extract:
// a malformed file may yield a file error, never a failed scan or a crash.
func FuzzExtract(f *testing.F) {
	for i, body := range []string{
		"module m\n\ngo 1.14\n\nrequire golang.org/x/text v0.3.0\n",
		"Django==3.1.11\nrequests>=2 ; python_version<'3'\n-r other.txt\n",
		"[[package]]\nname = \"a\"\nversion = \"1.0\"\n",
		"version = 3\n[[package]]\nname = \"smallvec\"\nversion = \"1.0.0\"\n",
		`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"}}}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Add(uint8(9), []byte(pomHead+"  <parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent>\n  <properties><v>1.0</v></properties>\n  <dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version></dependency></dependencies>\n</project>\n"))
	{
		root := os.Getenv("PALISADE_CORPORA")
		base := filepath.Join("..", "..", "..", "shared", "corpora", "osv", "projects")
		if root != "" {
			base = filepath.Join(root, "osv", "projects")
		}
		for _, p := range []struct {
			kind uint8
			path string
		}{{0, "gogs-2021-05/go.mod"}, {1, "defectdojo-head/requirements.txt"}} {
			if b, err := os.ReadFile(filepath.Join(base, p.path)); err == nil {
				f.Add(p.kind, b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		dir := t.TempDir()
		name := lockfileNames[int(kind)%len(lockfileNames)]
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs, errs, err := Extract(context.Background(), dir, ExtractOptions{IncludeGoStdlib: true, Workers: 1})
		if err != nil {
			t.Fatalf("Extract failed instead of reporting the file: %v", err)
		}
		for _, e := range errs {
			if e.Path == "" {
				t.Fatalf("file error without a path: %v", e)
			}
		}
		for _, p := range pkgs {
			if p.Ecosystem == "" || p.Path == "" {
				t.Fatalf("package without ecosystem or path: %+v", p)
			}
		}
	})
}
