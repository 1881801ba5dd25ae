package deps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"sync"

	scalibrfs "github.com/google/osv-scalibr/fs"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/cpp/conanlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dart/pubspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	elixirmixlock "github.com/google/osv-scalibr/extractor/filesystem/language/elixir/mixlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/haskell/stacklock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradlelockfile"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/bunlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pdmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/r/renvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/swift/packageresolved"
	"golang.org/x/mod/modfile"

	"github.com/palisade-sec/palisade/internal/deps/osvdb"
)

// MaxLockfileSize is the largest lockfile or manifest read; a bigger file is
// reported as an error and skipped so one huge file cannot exhaust memory.
const MaxLockfileSize = 64 << 20

// Relation says whether a package is a direct or a transitive dependency of
// the project that declares it.
type Relation string

// Relations. RelationUnknown is used where the lockfile format does not say.
const (
	RelationUnknown  Relation = ""
	RelationDirect   Relation = "direct"
	RelationIndirect Relation = "indirect"
)

// Package is one dependency found in a lockfile or manifest.
type Package struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Ecosystem string   `json:"ecosystem"`
	PURL      string   `json:"purl"`
	Path      string   `json:"path"` // lockfile path, slash-separated, relative to the scan root
	Line      int      `json:"line,omitempty"`
	Relation  Relation `json:"relation,omitempty"`
	// Unpinned is true when the file gives a range (or nothing) rather than
	// one exact version; such a package is listed but never matched.
	Unpinned bool `json:"unpinned,omitempty"`
	// MatchedAs is the version compared with advisories when it differs
	// from Version (see goStdlibVersion).
	MatchedAs string `json:"matched_as,omitempty"`
	// Extractor names the osv-scalibr extractor that found the package.
	Extractor string `json:"extractor"`
}

// FileError is a problem with one file or database entry; the scan goes on
// without it and its results are partial.
type FileError struct {
	Path string // file (or zip, with Entry) the problem is about
	Err  error
}

// Error implements error.
func (e FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e FileError) Unwrap() error { return e.Err }

// ExtractOptions controls Extract.
type ExtractOptions struct {
	// IncludeGoStdlib reports the Go standard library named by go.mod's go or
	// toolchain directive as package "stdlib", as osv-scanner's
	// ScanGoModVersion does.
	IncludeGoStdlib bool
	// Skip, when set, is called with each path (slash-separated, relative to
	// the root) before it is read; true skips the file or the whole directory.
	// .git, node_modules and vendor directories are always skipped.
	Skip func(path string) bool
	// Workers bounds concurrent file parsing; zero means GOMAXPROCS.
	Workers int
}

// skippedDirs are never walked: they hold other projects' files or VCS data.
var skippedDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true}

// newExtractors returns the osv-scalibr lockfile and manifest extractors
// palisade runs, in a fixed order. Manifests that only give ranges
// (package.json, pyproject.toml, Cargo.toml) are left out, as osv-scanner does.
func newExtractors() ([]filesystem.Extractor, error) {
	inits := []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		gomod.New,
		packagelockjson.New, pnpmlock.New, yarnlock.New, bunlock.New,
		requirements.New, poetrylock.New, pipfilelock.New, pdmlock.New, uvlock.New, pylock.New,
		newPomExtractor, gradlelockfile.New,
		cargolock.New,
		gemfilelock.New,
		composerlock.New,
		packageslockjson.New,
		pubspec.New,
		elixirmixlock.New,
		conanlock.New,
		packageresolved.New,
		renvlock.New,
		stacklock.New,
	}
	out := make([]filesystem.Extractor, 0, len(inits))
	for _, f := range inits {
		e, err := f(&cpb.PluginConfig{})
		if err != nil {
			return nil, fmt.Errorf("create extractor: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// fileAPI is the view of a walked file that extractors' FileRequired reads.
type fileAPI struct {
	path string
	info func() (fs.FileInfo, error)
}

func (f fileAPI) Path() string               { return f.path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return f.info() }

// job is one file and the extractor that claimed it.
type job struct {
	path string
	ex   filesystem.Extractor
}

// Extract walks root and returns every package found in the lockfiles and
// manifests below it, sorted by path, ecosystem, name and version, with the
// files that could not be read or parsed. A cancelled context stops the walk.
func Extract(ctx context.Context, root string, opts ExtractOptions) ([]Package, []FileError, error) {
	extractors, err := newExtractors()
	if err != nil {
		return nil, nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("scan root: %w", err)
	}
	var jobs []job
	if !info.IsDir() {
		// A single lockfile: scan its directory, extracting only that file.
		dir, base := filepath.Split(root)
		if dir == "" {
			dir = "."
		}
		root = dir
		for _, ex := range extractors {
			if ex.FileRequired(fileAPI{path: base, info: func() (fs.FileInfo, error) { return info, nil }}) {
				jobs = append(jobs, job{path: base, ex: ex})
				break
			}
		}
	} else {
		jobs, err = walk(ctx, root, extractors, opts.Skip)
		if err != nil {
			return nil, nil, err
		}
	}
	return runJobs(ctx, root, jobs, opts)
}

// walk lists the files below root that an extractor claims.
func walk(ctx context.Context, root string, extractors []filesystem.Extractor, skip func(string) bool) ([]job, error) {
	var jobs []job
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // unreadable entry below root: nothing to extract from it
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel, relErr := filepath.Rel(root, p)
		if relErr != nil {
			return relErr
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if skippedDirs[d.Name()] || (skip != nil && skip(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || (skip != nil && skip(rel)) {
			return nil
		}
		api := fileAPI{path: rel, info: d.Info}
		for _, ex := range extractors {
			if ex.FileRequired(api) {
				jobs = append(jobs, job{path: rel, ex: ex})
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	return jobs, nil
}

// runJobs parses the claimed files concurrently.
func runJobs(ctx context.Context, root string, jobs []job, opts ExtractOptions) ([]Package, []FileError, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fsys, ok := os.DirFS(root).(scalibrfs.FS)
	if !ok {
		return nil, nil, errors.New("os.DirFS does not implement ReadDir and Stat")
	}
	results := make([][]Package, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = extractFile(ctx, fsys, root, jobs[i], opts)
			}
		})
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var pkgs []Package
	var ferrs []FileError
	for i := range jobs {
		pkgs = append(pkgs, results[i]...)
		if errs[i] != nil {
			ferrs = append(ferrs, FileError{Path: jobs[i].path, Err: errs[i]})
		}
	}
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	return pkgs, ferrs, nil
}

// extractFile runs one extractor on one file and converts its packages.
func extractFile(ctx context.Context, fsys scalibrfs.FS, root string, j job, opts ExtractOptions) (pkgs []Package, err error) {
	defer func() {
		// A parser bug on hostile input must cost one file, not the scan.
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("extractor %s panicked: %v", j.ex.Name(), r)
		}
	}()
	f, err := fsys.Open(j.path)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat: %w", err)
	}
	if info.Size() > MaxLockfileSize {
		return nil, fmt.Errorf("file is %d bytes, over the %d byte limit", info.Size(), MaxLockfileSize)
	}
	inv, err := j.ex.Extract(ctx, &filesystem.ScanInput{FS: fsys, Path: j.path, Root: root, Info: info, Reader: f})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.ex.Name(), err)
	}
	var goInfo *goModInfo
	if j.ex.Name() == gomod.Name {
		goInfo, err = readGoModInfo(fsys, j.path)
		if err != nil {
			return nil, err
		}
	}
	direct, told := directNames(fsys, j.ex.Name(), j.path)
	for _, p := range inv.Packages {
		pkg, keep := convert(p, j, goInfo, opts)
		if !keep {
			continue
		}
		if j.ex.Name() == pomName {
			// pom.xml lists only what the project declares.
			pkg.Relation = RelationDirect
		}
		if told && pkg.Relation == RelationUnknown {
			pkg.Relation = RelationIndirect
			if direct[pkg.Name] {
				pkg.Relation = RelationDirect
			}
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

// convert turns an osv-scalibr package into a Package; false drops it.
func convert(p *extractor.Package, j job, goInfo *goModInfo, opts ExtractOptions) (Package, bool) {
	pkg := Package{
		Name:      p.Name,
		Version:   p.Version,
		Ecosystem: p.Ecosystem().String(),
		Path:      j.path,
		Extractor: j.ex.Name(),
	}
	if d := p.Location.Descriptor; d != nil && d.File != nil {
		if d.File.Path != "" {
			pkg.Path = filepath.ToSlash(d.File.Path)
		}
		pkg.Line = d.File.LineNumber
	}
	switch pkg.Ecosystem {
	case "PyPI":
		pkg.Name = NormalizePyPIName(pkg.Name)
	case "Go":
		if pkg.Name == "stdlib" {
			if !opts.IncludeGoStdlib {
				return Package{}, false
			}
			pkg.Version, pkg.MatchedAs = goStdlibVersion(pkg.Version)
		}
		if goInfo != nil {
			pkg.Relation = goInfo.relation(pkg.Name)
		}
	}
	if md, ok := p.Metadata.(*requirements.Metadata); ok {
		// Only == and === pin one version; >=, ~= and bare names are ranges.
		pkg.Unpinned = md.VersionComparator != "==" && md.VersionComparator != "==="
		if pkg.Path == j.path {
			pkg.Relation = RelationDirect
		}
	}
	if pkg.Version == "" {
		pkg.Unpinned = true
	}
	if u := p.PURL(); u != nil {
		if pkg.Ecosystem == "PyPI" {
			u.Name = pkg.Name
		}
		if pkg.Name == "stdlib" {
			u.Version = pkg.Version
		}
		pkg.PURL = u.String()
	}
	return pkg, true
}

// NormalizePyPIName returns the PEP 503 normalised form of a Python project
// name: lower case, runs of "-", "_" and "." replaced by one "-".
func NormalizePyPIName(name string) string { return osvdb.NormalizeName("PyPI", name) }

var goMinorOnly = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// goStdlibVersion turns a go directive into the stdlib version reported and,
// when different, the one matched. A bare "1.14" names a language version,
// not a release: osv-scanner reports it as "1.14.99" but matches advisories
// against "1.14" (that is 1.14.0), so every advisory fixed in any 1.14 patch
// still counts, as any 1.14 toolchain may build the module. palisade does
// the same so the two agree.
func goStdlibVersion(v string) (reported, matched string) {
	if goMinorOnly.MatchString(v) {
		return v + ".99", v
	}
	return v, ""
}

// goModInfo records which modules go.mod requires directly.
type goModInfo struct {
	direct   map[string]bool
	indirect map[string]bool
}

// relation says how go.mod requires module; one only in go.sum is indirect.
func (g *goModInfo) relation(module string) Relation {
	switch {
	case module == "stdlib":
		return RelationDirect
	case g.direct[module]:
		return RelationDirect
	default:
		return RelationIndirect
	}
}

// readGoModInfo parses go.mod again for the "// indirect" markers, which
// osv-scalibr's package list does not carry.
func readGoModInfo(fsys scalibrfs.FS, p string) (*goModInfo, error) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	mf, err := modfile.ParseLax(path.Base(p), b, nil)
	if err != nil {
		return nil, fmt.Errorf("parse go.mod: %w", err)
	}
	info := &goModInfo{direct: map[string]bool{}, indirect: map[string]bool{}}
	for _, r := range mf.Require {
		if r.Indirect {
			info.indirect[r.Mod.Path] = true
		} else {
			info.direct[r.Mod.Path] = true
		}
	}
	for _, r := range mf.Replace {
		if info.direct[r.Old.Path] {
			info.direct[r.New.Path] = true
		}
	}
	return info, nil
}
