package deps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"

	scalibrfs "github.com/google/osv-scalibr/fs"
)

// maxManifestSize bounds a manifest read only to learn direct dependencies.
const maxManifestSize = 8 << 20

// directNames returns the package names the project of the lockfile at p
// declares itself, read from the lockfile where its format records them
// (package-lock.json v2/v3 root and workspace entries, pnpm importers,
// Gemfile.lock's DEPENDENCIES) or
// from the manifest beside it (package.json for yarn, bun and package-lock
// v1; pyproject.toml for poetry, uv and pdm; Pipfile; Cargo.toml with its
// workspace members). ok is false when the format does not tell or the
// manifest is missing or unreadable: relations then stay unknown, which
// never changes what is matched against advisories.
func directNames(fsys scalibrfs.FS, extractor, p string) (names map[string]bool, ok bool) {
	dir := path.Dir(p)
	var err error
	switch extractor {
	case "javascript/packagelockjson":
		names, err = readFile(fsys, p, parsePackageLockDirect)
		if err == nil && names == nil {
			names, err = readFile(fsys, path.Join(dir, "package.json"), parsePackageJSONDirect)
		}
	case "javascript/pnpmlock":
		names, err = readFile(fsys, p, parsePnpmDirect)
	case "javascript/yarnlock", "javascript/bunlock":
		names, err = readFile(fsys, path.Join(dir, "package.json"), parsePackageJSONDirect)
	case "python/poetrylock", "python/uvlock", "python/pdmlock":
		names, err = readFile(fsys, path.Join(dir, "pyproject.toml"), parsePyprojectDirect)
	case "python/pipfilelock":
		names, err = readFile(fsys, path.Join(dir, "Pipfile"), parsePipfileDirect)
	case "rust/cargolock":
		names, err = cargoDirect(fsys, dir)
	case "ruby/gemfilelock":
		names, err = readFile(fsys, p, parseGemfileLockDirect)
	default:
		return nil, false
	}
	if err != nil || names == nil {
		return nil, false
	}
	return names, true
}

// readFile reads a small file and parses it.
func readFile(fsys scalibrfs.FS, p string, parse func([]byte) (map[string]bool, error)) (map[string]bool, error) {
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxManifestSize {
		return nil, fmt.Errorf("%s: over %d bytes", p, maxManifestSize)
	}
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	names, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return names, nil
}

// npmDeclared are the dependency sections of package.json and of a
// package-lock.json v2/v3 "packages" entry.
type npmDeclared struct {
	Dependencies         map[string]json.RawMessage `json:"dependencies"`
	DevDependencies      map[string]json.RawMessage `json:"devDependencies"`
	OptionalDependencies map[string]json.RawMessage `json:"optionalDependencies"`
	PeerDependencies     map[string]json.RawMessage `json:"peerDependencies"`
}

func (d npmDeclared) addTo(names map[string]bool) {
	for _, m := range []map[string]json.RawMessage{d.Dependencies, d.DevDependencies, d.OptionalDependencies, d.PeerDependencies} {
		for n := range m {
			names[n] = true
		}
	}
}

// parsePackageJSONDirect reads package.json's dependency sections.
func parsePackageJSONDirect(b []byte) (map[string]bool, error) {
	var d npmDeclared
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse package.json: %w", err)
	}
	names := map[string]bool{}
	d.addTo(names)
	return names, nil
}

// parsePackageLockDirect reads the dependencies the root package ("") and
// each workspace package (entries outside node_modules) declare in a
// package-lock.json v2/v3; nil, nil for a v1 lockfile, which has no root entry.
func parsePackageLockDirect(b []byte) (map[string]bool, error) {
	var lock struct {
		Packages map[string]npmDeclared `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("parse package-lock.json: %w", err)
	}
	root, ok := lock.Packages[""]
	if !ok {
		return nil, nil
	}
	names := map[string]bool{}
	root.addTo(names)
	for key, entry := range lock.Packages {
		if key != "" && !strings.Contains(key, "node_modules/") {
			entry.addTo(names)
		}
	}
	return names, nil
}

// parsePnpmDirect reads the dependency names of every importer (v6 and
// later; v5 workspaces) and the top-level sections of a v5 single project.
func parsePnpmDirect(b []byte) (map[string]bool, error) {
	type sections struct {
		Dependencies         map[string]yaml.Node `yaml:"dependencies"`
		DevDependencies      map[string]yaml.Node `yaml:"devDependencies"`
		OptionalDependencies map[string]yaml.Node `yaml:"optionalDependencies"`
	}
	var lock struct {
		sections  `yaml:",inline"`
		Importers map[string]sections `yaml:"importers"`
	}
	if err := yaml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("parse pnpm-lock.yaml: %w", err)
	}
	names := map[string]bool{}
	add := func(s sections) {
		for _, m := range []map[string]yaml.Node{s.Dependencies, s.DevDependencies, s.OptionalDependencies} {
			for n := range m {
				names[n] = true
			}
		}
	}
	add(lock.sections)
	for _, imp := range lock.Importers {
		add(imp)
	}
	return names, nil
}

// pep508Name is the project name at the start of a PEP 508 requirement.
var pep508Name = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// parsePyprojectDirect reads the dependencies pyproject.toml declares:
// PEP 621 [project] dependencies and optional-dependencies, PEP 735
// [dependency-groups], Poetry's dependencies, dev-dependencies and groups,
// and PDM's dev-dependencies. Names are PEP 503 normalised; "python" (a
// Poetry constraint on the interpreter) is left out.
func parsePyprojectDirect(b []byte) (map[string]bool, error) {
	var doc struct {
		Project struct {
			Dependencies         []string            `toml:"dependencies"`
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		} `toml:"project"`
		DependencyGroups map[string][]any `toml:"dependency-groups"`
		Tool             struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
			} `toml:"poetry"`
			PDM struct {
				DevDependencies map[string][]string `toml:"dev-dependencies"`
			} `toml:"pdm"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, fmt.Errorf("parse pyproject.toml: %w", err)
	}
	names := map[string]bool{}
	addReq := func(reqs []string) {
		for _, r := range reqs {
			if m := pep508Name.FindStringSubmatch(r); m != nil {
				names[NormalizePyPIName(m[1])] = true
			}
		}
	}
	addKeys := func(m map[string]any) {
		for n := range m {
			names[NormalizePyPIName(n)] = true
		}
	}
	addReq(doc.Project.Dependencies)
	for _, reqs := range doc.Project.OptionalDependencies {
		addReq(reqs)
	}
	for _, group := range doc.DependencyGroups {
		for _, item := range group {
			if s, ok := item.(string); ok { // a table is an include-group
				addReq([]string{s})
			}
		}
	}
	addKeys(doc.Tool.Poetry.Dependencies)
	addKeys(doc.Tool.Poetry.DevDependencies)
	for _, g := range doc.Tool.Poetry.Group {
		addKeys(g.Dependencies)
	}
	for _, reqs := range doc.Tool.PDM.DevDependencies {
		addReq(reqs)
	}
	delete(names, "python")
	return names, nil
}

// parsePipfileDirect reads Pipfile's [packages] and [dev-packages].
func parsePipfileDirect(b []byte) (map[string]bool, error) {
	var doc struct {
		Packages    map[string]any `toml:"packages"`
		DevPackages map[string]any `toml:"dev-packages"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		return nil, fmt.Errorf("parse Pipfile: %w", err)
	}
	names := map[string]bool{}
	for _, m := range []map[string]any{doc.Packages, doc.DevPackages} {
		for n := range m {
			names[NormalizePyPIName(n)] = true
		}
	}
	return names, nil
}

// cargoManifest is the part of Cargo.toml that declares dependencies.
type cargoManifest struct {
	Dependencies      map[string]any `toml:"dependencies"`
	DevDependencies   map[string]any `toml:"dev-dependencies"`
	BuildDependencies map[string]any `toml:"build-dependencies"`
	Target            map[string]struct {
		Dependencies      map[string]any `toml:"dependencies"`
		DevDependencies   map[string]any `toml:"dev-dependencies"`
		BuildDependencies map[string]any `toml:"build-dependencies"`
	} `toml:"target"`
	Workspace struct {
		Members      []string       `toml:"members"`
		Dependencies map[string]any `toml:"dependencies"`
	} `toml:"workspace"`
}

// parseCargoManifest reads Cargo.toml's dependency tables; a dependency
// renamed with `package = "..."` is recorded under its crate name.
func parseCargoManifest(b []byte) (cargoManifest, map[string]bool, error) {
	var m cargoManifest
	if _, err := toml.Decode(string(b), &m); err != nil {
		return m, nil, fmt.Errorf("parse Cargo.toml: %w", err)
	}
	names := map[string]bool{}
	add := func(deps map[string]any) {
		for key, spec := range deps {
			name := key
			if t, ok := spec.(map[string]any); ok {
				if pkg, ok := t["package"].(string); ok && pkg != "" {
					name = pkg
				}
			}
			names[name] = true
		}
	}
	add(m.Dependencies)
	add(m.DevDependencies)
	add(m.BuildDependencies)
	add(m.Workspace.Dependencies)
	for _, t := range m.Target {
		add(t.Dependencies)
		add(t.DevDependencies)
		add(t.BuildDependencies)
	}
	return m, names, nil
}

// cargoDirect reads the Cargo.toml beside Cargo.lock and, for a workspace,
// the Cargo.toml of each member (glob patterns as Cargo allows).
func cargoDirect(fsys scalibrfs.FS, dir string) (map[string]bool, error) {
	var root cargoManifest
	names, err := readFile(fsys, path.Join(dir, "Cargo.toml"), func(b []byte) (map[string]bool, error) {
		m, n, err := parseCargoManifest(b)
		root = m
		return n, err
	})
	if err != nil {
		return nil, err
	}
	for _, pattern := range root.Workspace.Members {
		if strings.Contains(pattern, "..") {
			continue // members outside the lockfile's folder are not walked
		}
		matches, err := fs.Glob(fsys, path.Join(dir, pattern))
		if err != nil {
			continue
		}
		for _, member := range matches {
			memberNames, err := readFile(fsys, path.Join(member, "Cargo.toml"), func(b []byte) (map[string]bool, error) {
				_, n, err := parseCargoManifest(b)
				return n, err
			})
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				continue
			}
			for n := range memberNames {
				names[n] = true
			}
		}
	}
	return names, nil
}

// parseGemfileLockDirect reads the DEPENDENCIES section of a Gemfile.lock:
// one gem a line, indented two spaces, optionally followed by a constraint
// in parentheses or a "!" for a gem from a git or path source.
func parseGemfileLockDirect(b []byte) (map[string]bool, error) {
	names := map[string]bool{}
	in, seen := false, false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if line != "" && line[0] != ' ' {
			in = line == "DEPENDENCIES"
			seen = seen || in
			continue
		}
		if !in || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name = strings.TrimSuffix(name, "!"); name != "" {
			names[name] = true
		}
	}
	if !seen {
		return nil, nil // not told
	}
	return names, nil
}
