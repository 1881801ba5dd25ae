package deps

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestRelationsWhereTheFormatTells(t *testing.T) {
	pkgs, ferrs, err := Extract(context.Background(), filepath.Join("testdata", "relations"), ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ferrs) > 0 {
		t.Fatalf("file errors: %v", ferrs)
	}
	got := map[string]Relation{}
	for _, p := range pkgs {
		got[p.Path+" "+p.Name] = p.Relation
	}
	for _, tc := range []struct {
		name, key string
		want      Relation
	}{
		{"package-lock v3 root dependency is direct", "npm3/package-lock.json express", RelationDirect},
		{"package-lock v3 root devDependency is direct", "npm3/package-lock.json jest", RelationDirect},
		{"package-lock v3 workspace dependency is direct", "npm3/package-lock.json @babel/core", RelationDirect},
		{"package-lock v3 transitive is indirect", "npm3/package-lock.json accepts", RelationIndirect},
		{"package-lock v1 reads package.json", "npm1/package-lock.json lodash", RelationDirect},
		{"package-lock v1 package not in package.json is indirect", "npm1/package-lock.json minimist", RelationIndirect},
		{"pnpm importer dependency is direct", "pnpm/pnpm-lock.yaml react", RelationDirect},
		{"pnpm snapshot-only package is indirect", "pnpm/pnpm-lock.yaml loose-envify", RelationIndirect},
		{"yarn devDependency in package.json is direct", "yarn/yarn.lock minimist", RelationDirect},
		{"yarn package not in package.json is indirect", "yarn/yarn.lock lodash", RelationIndirect},
		{"yarn without package.json is unknown", "yarn-alone/yarn.lock lodash", RelationUnknown},
		{"poetry dependency with other case is direct", "poetry/poetry.lock requests", RelationDirect},
		{"poetry group dependency is direct", "poetry/poetry.lock pytest", RelationDirect},
		{"PEP 621 dependency with marker is direct", "poetry/poetry.lock typing-extensions", RelationDirect},
		{"poetry transitive is indirect", "poetry/poetry.lock urllib3", RelationIndirect},
		{"Pipfile package is direct", "pipenv/Pipfile.lock flask", RelationDirect},
		{"Pipfile dev package is direct", "pipenv/Pipfile.lock black", RelationDirect},
		{"Pipfile transitive is indirect", "pipenv/Pipfile.lock werkzeug", RelationIndirect},
		{"Cargo.toml dependency is direct", "cargo/Cargo.lock serde", RelationDirect},
		{"renamed target dependency of a workspace member is direct", "cargo/Cargo.lock itoa", RelationDirect},
		{"cargo transitive is indirect", "cargo/Cargo.lock serde_derive", RelationIndirect},
		{"Gemfile.lock DEPENDENCIES entry is direct", "gem/Gemfile.lock rails", RelationDirect},
		{"Gemfile.lock path gem with ! is direct", "gem/Gemfile.lock rack", RelationDirect},
		{"Gemfile.lock transitive is indirect", "gem/Gemfile.lock actionpack", RelationIndirect},
		{"pom.xml dependency is direct", "maven/pom.xml com.google.guava:guava", RelationDirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rel, ok := got[tc.key]
			if !ok {
				t.Fatalf("%s not extracted; got %v", tc.key, got)
			}
			if rel != tc.want {
				t.Errorf("%s is %q, want %q", tc.key, rel, tc.want)
			}
		})
	}
}

func TestBrokenManifestLeavesRelationUnknown(t *testing.T) {
	dir := t.TempDir()
	lock, err := os.ReadFile(filepath.Join("testdata", "relations", "poetry", "poetry.lock"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"poetry.lock": string(lock), "pyproject.toml": "[tool.poetry\n"})
	pkgs, ferrs, err := Extract(context.Background(), dir, ExtractOptions{})
	if err != nil || len(ferrs) > 0 {
		t.Fatalf("extract: %v %v", err, ferrs)
	}
	if len(pkgs) != 4 {
		t.Fatalf("%d packages, want the lockfile's 4", len(pkgs))
	}
	for _, p := range pkgs {
		if p.Relation != RelationUnknown {
			t.Errorf("%s is %q with a broken pyproject.toml, want unknown", p.Name, p.Relation)
		}
	}
}

// FuzzDirectNames feeds arbitrary bytes to every manifest reader used for
// relations: none may panic.
func FuzzDirectNames(f *testing.F) {
	for _, p := range []string{"npm3/package-lock.json", "npm1/package.json", "pnpm/pnpm-lock.yaml", "poetry/pyproject.toml", "pipenv/Pipfile", "cargo/Cargo.toml", "gem/Gemfile.lock"} {
		b, err := os.ReadFile(filepath.Join("testdata", "relations", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parsePackageLockDirect(b)
		parsePackageJSONDirect(b)
		parsePnpmDirect(b)
		parsePyprojectDirect(b)
		parsePipfileDirect(b)
		parseCargoManifest(b)
		parseGemfileLockDirect(b)
	})
}
