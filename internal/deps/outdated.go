package deps

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/palisade-sec/palisade/internal/deps/registry"
	"github.com/palisade-sec/palisade/internal/finding"
)

// Rule ids of the freshness check.
const (
	// RuleOutdated marks a direct dependency older than its registry's latest
	// release (an info finding of category code).
	RuleOutdated = "deps/outdated"
	// RuleRegistryError marks a dependency whose registry could not answer.
	RuleRegistryError = "deps/registry-error"
)

// OutdatedOptions controls CheckOutdated.
type OutdatedOptions struct {
	// All also checks transitive dependencies and those whose lockfile does
	// not say whether they are direct.
	All bool
	// Workers bounds the packages looked up at once (the client bounds the
	// requests); zero means registry.DefaultWorkers.
	Workers int
}

// Lag is how far one pinned dependency, in one lockfile, is behind the latest
// release its registry offers.
type Lag struct {
	Package Package `json:"package"`
	// Latest is the registry's latest stable release; "" when the lookup failed.
	Latest string `json:"latest,omitempty"`
	// LatestPublished is when Latest was published; zero when unknown.
	LatestPublished time.Time `json:"latest_published,omitzero"`
	// Behind is the number of stable releases between the package's version
	// (excluded) and Latest (included); -1 when the lookup failed, the
	// registry lists no versions or a version does not parse.
	Behind int `json:"behind"`
	// Error says why the registry gave no answer; the other fields are then empty.
	Error string `json:"error,omitempty"`
}

// Outdated reports whether a newer stable release than the package's exists.
func (l Lag) Outdated() bool {
	return l.Error == "" && l.Latest != "" && registry.Compare(l.Package.Ecosystem, l.Package.Version, l.Latest) < 0
}

// LatestAgeDays is the whole days since Latest was published, measured at
// now; -1 when unknown.
func (l Lag) LatestAgeDays(now time.Time) int {
	if l.LatestPublished.IsZero() {
		return -1
	}
	return int(now.Sub(l.LatestPublished).Hours() / 24)
}

// OutdatedCandidate reports whether CheckOutdated looks p up: pinned, in an
// ecosystem with a registry client, not the Go standard library, and direct
// unless all is set.
func OutdatedCandidate(p Package, all bool) bool {
	if p.Unpinned || p.Version == "" || (p.Ecosystem == "Go" && p.Name == "stdlib") {
		return false
	}
	supported := false
	for _, e := range registry.Ecosystems {
		supported = supported || e == p.Ecosystem
	}
	return supported && (all || p.Relation == RelationDirect)
}

// CheckOutdated asks the registries about every candidate package (see
// OutdatedCandidate) and returns one Lag per package and lockfile, in the
// packages' order. A registry failure is recorded in the Lag's Error; only
// a cancelled context stops the check, returning its error.
func CheckOutdated(ctx context.Context, pkgs []Package, client *registry.Client, opts OutdatedOptions) ([]Lag, error) {
	var lags []Lag
	for _, p := range pkgs {
		if OutdatedCandidate(p, opts.All) {
			lags = append(lags, Lag{Package: p, Behind: -1})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = registry.DefaultWorkers
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(lags)) {
		wg.Go(func() {
			for i := range next {
				p := lags[i].Package
				info, err := client.Lookup(ctx, p.Ecosystem, p.Name)
				if err != nil {
					lags[i].Error = err.Error()
					continue
				}
				lags[i].Latest, lags[i].LatestPublished = info.Latest, info.LatestPublished
				lags[i].Behind = info.Behind(p.Ecosystem, p.Version)
			}
		})
	}
	for i := range lags {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return lags, nil
}

// Finding turns a lag into a finding: deps/outdated (info, category code)
// when the package is behind, deps/registry-error (info, scan-error) when
// the registry did not answer; ok is false for a package that is up to date.
//
// The category is code, not vulnerability: an old release is a weakness of
// the repository's own manifest, not a known flaw, and must not count in
// vulnerability totals or SLA clocks. The evidence names the ecosystem and
// package without versions, so the code fingerprint (rule, path, evidence)
// keeps one finding per package and lockfile across upgrades and new
// upstream releases; it is fixed when the package reaches the latest release.
func (l Lag) Finding(now time.Time) (f finding.Finding, ok bool) {
	p := l.Package
	pkg := &finding.Package{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, PURL: p.PURL}
	loc := finding.Location{Path: p.Path, StartLine: p.Line, EndLine: p.Line}
	if l.Error != "" {
		f = finding.Finding{
			RuleID:   RuleRegistryError,
			Scanner:  ScannerName,
			Category: finding.ScanError,
			Severity: finding.Info,
			Title:    "Package registry did not answer; freshness of this dependency unknown",
			Message:  l.Error,
			Location: loc,
			Resource: p.PURL,
			Package:  pkg,
			Evidence: p.Ecosystem + ":" + p.Name,
		}
		finding.SetFingerprint(&f)
		return f, true
	}
	if !l.Outdated() {
		return finding.Finding{}, false
	}
	msg := fmt.Sprintf("%s@%s: latest release is %s", p.Name, p.Version, l.Latest)
	if age := l.LatestAgeDays(now); age >= 0 {
		msg += fmt.Sprintf(", published %s (%d days ago)", l.LatestPublished.Format("2006-01-02"), age)
	}
	title := fmt.Sprintf("%s is behind its latest release %s", p.Name, l.Latest)
	if l.Behind > 0 {
		msg += fmt.Sprintf("; %d %s behind", l.Behind, plural(l.Behind, "release", "releases"))
		title = fmt.Sprintf("%s is %d %s behind its latest release %s", p.Name, l.Behind, plural(l.Behind, "release", "releases"), l.Latest)
	}
	f = finding.Finding{
		RuleID:      RuleOutdated,
		Scanner:     ScannerName,
		Category:    finding.Code,
		Severity:    finding.Info,
		Title:       title,
		Message:     msg,
		Location:    loc,
		Resource:    p.PURL,
		Package:     pkg,
		Evidence:    p.Ecosystem + ":" + p.Name,
		Remediation: fmt.Sprintf("upgrade %s to %s, reading its release notes for breaking changes", p.Name, l.Latest),
		References:  []finding.Reference{{Type: finding.RefChecklist, ID: ChecklistStep}},
	}
	finding.SetFingerprint(&f)
	return f, true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OutdatedSummary counts what CheckOutdated found.
type OutdatedSummary struct {
	Checked  int // packages looked up
	Outdated int // behind their latest release
	Failed   int // registry gave no answer
	// Skipped counts pinned packages of supported ecosystems left out
	// because they are not known to be direct (see OutdatedOptions.All).
	Skipped int
}

// Summarize counts lags; pkgs are the packages CheckOutdated was given.
func Summarize(pkgs []Package, lags []Lag, all bool) OutdatedSummary {
	s := OutdatedSummary{Checked: len(lags)}
	for _, l := range lags {
		switch {
		case l.Error != "":
			s.Failed++
		case l.Outdated():
			s.Outdated++
		}
	}
	if !all {
		for _, p := range pkgs {
			if !OutdatedCandidate(p, false) && OutdatedCandidate(p, true) {
				s.Skipped++
			}
		}
	}
	return s
}

// OutdatedResult is what ScanOutdated found.
type OutdatedResult struct {
	Lags    []Lag // sorted by SortLags
	Errors  []FileError
	Summary OutdatedSummary
}

// ScanOutdated extracts the packages below root, checks their freshness and
// emits a deps/outdated finding per lagging package and a
// deps/registry-error finding per failed lookup, then a scan-error finding
// per unreadable file. It needs no advisory database; it returns an error
// only when the check cannot run (bad root, cancelled context).
func ScanOutdated(ctx context.Context, root string, extract ExtractOptions, client *registry.Client, opts OutdatedOptions, now time.Time, emit func(finding.Finding)) (OutdatedResult, error) {
	pkgs, ferrs, err := Extract(ctx, root, extract)
	if err != nil {
		return OutdatedResult{}, err
	}
	lags, err := CheckOutdated(ctx, pkgs, client, opts)
	if err != nil {
		return OutdatedResult{}, err
	}
	SortLags(lags)
	for _, l := range lags {
		if f, ok := l.Finding(now); ok {
			emit(f)
		}
	}
	for _, e := range ferrs {
		emit(ErrorFinding(e))
	}
	return OutdatedResult{Lags: lags, Errors: ferrs, Summary: Summarize(pkgs, lags, opts.All)}, nil
}

// SortLags orders lags by lockfile, ecosystem and name.
func SortLags(lags []Lag) {
	sort.SliceStable(lags, func(i, j int) bool {
		a, b := lags[i].Package, lags[j].Package
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		return a.Name < b.Name
	})
}
