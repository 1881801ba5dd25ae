package deps

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"

	"github.com/palisade-sec/palisade/internal/deps/osvdb"
	"github.com/palisade-sec/palisade/internal/finding"
)

// ScannerName is the Scanner field of every finding this package emits.
const ScannerName = "deps"

// ChecklistStep is the checklist step dependency findings provide evidence for.
const ChecklistStep = "AppSec: Test for vulns in 3rd party and open source code"

// Rule ids of scan-error findings.
const (
	RuleFileError     = "deps/file-error"
	RuleDatabaseError = "deps/database-error"
)

// Options controls a dependency scan.
type Options struct {
	// VulnDB is the advisory database directory: VulnDB/<Ecosystem>/all.zip.
	VulnDB string
	// CacheDir holds the compact indexes built from the database; empty
	// disables caching (every scan then parses the zips).
	CacheDir string
	// IncludeGoStdlib also matches the Go standard library version named in
	// go.mod (osv-scanner's ScanGoModVersion).
	IncludeGoStdlib bool
	// Skip is called with each slash-separated path relative to the root;
	// true skips it (a directory with everything below it).
	Skip func(path string) bool
	// Now gives the time advisory ages are computed against; nil means time.Now.
	Now func() time.Time
}

// Vulnerability is one advisory group (records that alias each other)
// affecting one package found in one file.
type Vulnerability struct {
	Package Package
	// ID is the canonical record id; Records lists every database record of
	// the group (ID first); Aliases every other id the group is known by.
	ID      string
	Records []string
	Aliases []string
	Summary string
	// Severity is the highest of the group; Rated is false when no record
	// gave a score or rating (Severity is then Medium).
	Severity finding.Severity
	Rated    bool
	Score    float64
	Vector   string
	CWEs     []string
	URL      string
	// Published is the earliest publication time of the group's records.
	Published time.Time
	// FixedVersions are the group's fixed versions above the package's version.
	FixedVersions []string
	// Upgrade is the smallest version that fixes every advisory of this
	// package; "" when no single fixed version does.
	Upgrade string
}

// Result is everything a dependency analysis found.
type Result struct {
	Files           []string // lockfiles and manifests read
	Packages        []Package
	Vulnerabilities []Vulnerability
	// Ecosystems with packages but no database in VulnDB; their packages were not checked.
	Unchecked []string
	Errors    []FileError
	// Partial is true when a file or database entry could not be used.
	Partial bool
}

// Summary is what Scan reports besides its findings.
type Summary struct {
	Files      int
	Packages   int
	Unpinned   int
	Vulnerable int // packages with at least one advisory
	Findings   int // vulnerability findings emitted
	Unchecked  []string
	Errors     []FileError
	Partial    bool
}

// Scan extracts the packages below root, matches them against the OSV
// database in opts.VulnDB, and emits one vulnerability finding per package
// and advisory group, then one scan-error finding per unusable file or
// database entry. It returns an error only when the scan cannot run at all.
func Scan(ctx context.Context, root string, opts Options, emit func(finding.Finding)) (Summary, error) {
	res, err := Analyze(ctx, root, opts)
	if err != nil {
		return Summary{}, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	sum := Summary{Files: len(res.Files), Packages: len(res.Packages), Unchecked: res.Unchecked, Errors: res.Errors, Partial: res.Partial}
	vulnerable := map[string]bool{}
	for _, p := range res.Packages {
		if p.Unpinned {
			sum.Unpinned++
		}
	}
	for _, v := range res.Vulnerabilities {
		f := v.Finding(now())
		emit(f)
		sum.Findings++
		vulnerable[v.Package.Path+"\x00"+v.Package.Ecosystem+"\x00"+v.Package.Name+"\x00"+v.Package.Version] = true
	}
	sum.Vulnerable = len(vulnerable)
	for _, e := range res.Errors {
		emit(ErrorFinding(e))
	}
	return sum, nil
}

// ErrorFinding turns a file or database problem into a scan-error finding.
func ErrorFinding(e FileError) finding.Finding {
	rule := RuleFileError
	if strings.HasSuffix(e.Path, "all.zip") {
		rule = RuleDatabaseError
	}
	f := finding.Finding{
		RuleID:   rule,
		Scanner:  ScannerName,
		Category: finding.ScanError,
		Severity: finding.Info,
		Title:    "Dependency file could not be used; results are partial",
		Message:  e.Error(),
		Location: finding.Location{Path: e.Path},
		Evidence: e.Err.Error(),
	}
	finding.SetFingerprint(&f)
	return f
}

// Analyze extracts packages below root and matches them against the database.
func Analyze(ctx context.Context, root string, opts Options) (*Result, error) {
	if opts.VulnDB == "" {
		return nil, errors.New("no vulnerability database directory given")
	}
	dbEcosystems, err := osvdb.Ecosystems(opts.VulnDB)
	if err != nil {
		return nil, err
	}
	pkgs, ferrs, err := Extract(ctx, root, ExtractOptions{IncludeGoStdlib: opts.IncludeGoStdlib, Skip: opts.Skip})
	if err != nil {
		return nil, err
	}
	res := &Result{Packages: pkgs, Errors: ferrs}
	files := map[string]bool{}
	for _, p := range pkgs {
		files[p.Path] = true
	}
	for _, e := range ferrs {
		files[e.Path] = true
	}
	for f := range files {
		res.Files = append(res.Files, f)
	}
	sort.Strings(res.Files)

	db := &database{dir: opts.VulnDB, cacheDir: opts.CacheDir, available: map[string]bool{}, indexes: map[string]*osvdb.Index{}}
	for _, e := range dbEcosystems {
		db.available[e] = true
	}
	unchecked := map[string]bool{}
	cache := map[string][]match{}
	for _, p := range pkgs {
		if p.Unpinned {
			continue
		}
		ix, err := db.index(ctx, p.Ecosystem)
		if err != nil {
			if errors.Is(err, errNoDatabase) {
				unchecked[p.Ecosystem] = true
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // reported once in db.errs
		}
		key := p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.MatchedAs
		ms, ok := cache[key]
		if !ok {
			ms = matchPackage(ix, p)
			cache[key] = ms
		}
		for _, m := range ms {
			v := m.vuln
			v.Package = p
			res.Vulnerabilities = append(res.Vulnerabilities, v)
		}
	}
	for e := range unchecked {
		res.Unchecked = append(res.Unchecked, e)
	}
	sort.Strings(res.Unchecked)
	for _, e := range dbEcosystems {
		if ix := db.indexes[e]; ix != nil && ix.Err() != nil {
			db.errs = append(db.errs, FileError{Path: filepath.Join(opts.CacheDir, e), Err: fmt.Errorf("index cache: %w", ix.Err())})
		}
	}
	res.Errors = append(res.Errors, db.errs...)
	res.Partial = len(res.Errors) > 0
	return res, nil
}

var errNoDatabase = errors.New("no advisory database for ecosystem")

// database opens each ecosystem's index the first time a package needs it.
type database struct {
	dir, cacheDir string
	available     map[string]bool
	indexes       map[string]*osvdb.Index
	failed        map[string]error
	errs          []FileError
}

func (db *database) index(ctx context.Context, ecosystem string) (*osvdb.Index, error) {
	if !db.available[ecosystem] {
		return nil, errNoDatabase
	}
	if ix, ok := db.indexes[ecosystem]; ok {
		return ix, nil
	}
	if err, ok := db.failed[ecosystem]; ok {
		return nil, err
	}
	ix, err := osvdb.Open(ctx, db.dir, db.cacheDir, ecosystem)
	zipPath := filepath.Join(db.dir, ecosystem, "all.zip")
	if err != nil {
		if db.failed == nil {
			db.failed = map[string]error{}
		}
		db.failed[ecosystem] = err
		db.errs = append(db.errs, FileError{Path: zipPath, Err: err})
		return nil, err
	}
	for _, e := range ix.Errors {
		db.errs = append(db.errs, FileError{Path: zipPath, Err: errors.New(e)})
	}
	db.indexes[ecosystem] = ix
	return ix, nil
}

// match is one advisory group matched to a package, before the package is attached.
type match struct{ vuln Vulnerability }

// matchPackage returns the advisory groups affecting one pinned package.
func matchPackage(ix *osvdb.Index, p Package) []match {
	entries := ix.Lookup(osvdb.NormalizeName(p.Ecosystem, p.Name))
	if len(entries) == 0 {
		return nil
	}
	raw := p.Version
	if p.MatchedAs != "" {
		raw = p.MatchedAs
	}
	v := versionOf(p.Ecosystem, raw)
	if v == nil {
		return nil
	}
	byAdv := map[int][]osvdb.Affected{}
	var hit []osvdb.Affected
	var members []int
	for _, a := range entries {
		if !entryAffects(p.Ecosystem, v, raw, a) {
			continue
		}
		if _, seen := byAdv[a.Advisory]; !seen {
			members = append(members, a.Advisory)
		}
		byAdv[a.Advisory] = nil
	}
	if len(members) == 0 {
		return nil
	}
	// Fixes look at every entry of a matched advisory for this package, so an
	// advisory with two ranges is cleared only by a version outside both.
	for _, a := range entries {
		if _, ok := byAdv[a.Advisory]; ok {
			byAdv[a.Advisory] = append(byAdv[a.Advisory], a)
			hit = append(hit, a)
		}
	}
	upgrade := smallestFix(p.Ecosystem, v, hit)
	advs := make(map[int]osvdb.Advisory, len(members))
	for _, m := range members {
		advs[m] = ix.Advisory(m)
	}
	var out []match
	for _, g := range groupAliases(advs, members) {
		out = append(out, match{vuln: buildVulnerability(advs, p.Ecosystem, v, g, byAdv, upgrade)})
	}
	return out
}

// buildVulnerability merges one alias group's records.
func buildVulnerability(advs map[int]osvdb.Advisory, ecosystem string, v semantic.Version, group []int, byAdv map[int][]osvdb.Affected, upgrade string) Vulnerability {
	first := advs[group[0]]
	out := Vulnerability{ID: first.ID, Summary: first.Summary, URL: first.URL, Upgrade: upgrade, Severity: finding.Medium}
	names := map[string]bool{}
	cwes := map[string]bool{}
	var entries []osvdb.Affected
	best := -1
	for _, i := range group {
		a := advs[i]
		out.Records = append(out.Records, a.ID)
		names[a.ID] = true
		for _, al := range a.Aliases {
			names[al] = true
		}
		for _, c := range a.CWEs {
			cwes[c] = true
		}
		if a.Published > 0 {
			t := time.Unix(a.Published, 0).UTC()
			if out.Published.IsZero() || t.Before(out.Published) {
				out.Published = t
			}
		}
		if s, err := finding.ParseSeverity(a.Severity); err == nil && a.Severity != "" && int(s) > best {
			best = int(s)
			out.Severity, out.Rated, out.Score, out.Vector = s, true, a.Score, a.Vector
		}
		entries = append(entries, byAdv[i]...)
		if out.Summary == "" {
			out.Summary = a.Summary
		}
	}
	delete(names, out.ID)
	for n := range names {
		out.Aliases = append(out.Aliases, n)
	}
	sort.Strings(out.Aliases)
	for c := range cwes {
		out.CWEs = append(out.CWEs, c)
	}
	sort.Strings(out.CWEs)
	out.FixedVersions = fixedAbove(ecosystem, v, entries)
	return out
}

// Finding converts the vulnerability to palisade's finding type; now is the
// time the advisory's age is measured against.
func (v Vulnerability) Finding(now time.Time) finding.Finding {
	p := v.Package
	f := finding.Finding{
		RuleID:          v.ID,
		Scanner:         ScannerName,
		Category:        finding.Vulnerability,
		Severity:        v.Severity,
		Title:           v.Summary,
		Location:        finding.Location{Path: p.Path, StartLine: p.Line, EndLine: p.Line},
		Resource:        p.PURL,
		Package:         &finding.Package{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL},
		VulnerabilityID: v.ID,
		Aliases:         v.Aliases,
		FixedVersions:   v.FixedVersions,
		Published:       publishedPtr(v.Published),
	}
	if f.Title == "" {
		f.Title = v.ID + " in " + p.Name
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s@%s is affected by %s", p.Name, p.Version, v.ID)
	if len(v.Aliases) > 0 {
		fmt.Fprintf(&msg, " (%s)", strings.Join(v.Aliases, ", "))
	}
	switch {
	case v.Upgrade != "":
		fmt.Fprintf(&msg, "; upgrade to %s fixes every known advisory of this package", v.Upgrade)
		f.Remediation = fmt.Sprintf("upgrade %s to %s", p.Name, v.Upgrade)
	case len(v.FixedVersions) > 0:
		fmt.Fprintf(&msg, "; fixed in %s", strings.Join(v.FixedVersions, ", "))
		f.Remediation = fmt.Sprintf("upgrade %s to %s", p.Name, v.FixedVersions[0])
	default:
		msg.WriteString("; no fixed version is known")
		f.Remediation = fmt.Sprintf("no fixed version of %s is known: remove or replace it, or mitigate and accept the risk", p.Name)
	}
	if !v.Published.IsZero() {
		fmt.Fprintf(&msg, "; advisory published %s (%d days ago)", v.Published.Format("2006-01-02"), v.AgeDays(now))
	}
	if !v.Rated {
		msg.WriteString("; the database gives no severity, medium assumed")
	}
	f.Message = msg.String()
	f.References = append(f.References, finding.Reference{Type: finding.RefAdvisory, ID: v.ID, URL: v.URL})
	for _, c := range v.CWEs {
		f.References = append(f.References, finding.Reference{Type: finding.RefCWE, ID: c})
	}
	f.References = append(f.References, finding.Reference{Type: finding.RefChecklist, ID: ChecklistStep})
	finding.SetFingerprint(&f)
	return f
}

// AgeDays is the number of whole days between the advisory's publication and
// now, for SLA tracking; -1 when the publication date is unknown.
func (v Vulnerability) AgeDays(now time.Time) int {
	if v.Published.IsZero() {
		return -1
	}
	return int(now.Sub(v.Published).Hours() / 24)
}

// publishedPtr is the advisory's publication time for the finding, nil
// when the database gave none.
func publishedPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
