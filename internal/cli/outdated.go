package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/deps"
	"github.com/palisade-sec/palisade/internal/deps/registry"
	"github.com/palisade-sec/palisade/internal/finding"
)

// newDepsCmd groups dependency commands that are not part of a scan.
func newDepsCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deps",
		Short: "Dependency commands beyond the vulnerability scan",
	}
	cmd.AddCommand(newOutdatedCmd(a))
	return cmd
}

// outdatedFlags are the flags of `palisade deps outdated`.
type outdatedFlags struct {
	format     string
	all        bool
	registries map[string]string
	timeout    time.Duration
	workers    int
}

func newOutdatedCmd(a *App) *cobra.Command {
	f := &outdatedFlags{}
	cmd := &cobra.Command{
		Use:   "outdated [PATH]",
		Short: "Show how far direct dependencies lag their registry's latest release (online)",
		Long: `Asks each package's registry (Go module proxy, npm, PyPI, crates.io, RubyGems,
Maven Central) for its latest release and prints, per direct dependency that is
behind, the current and latest versions, the number of stable releases between
them and the latest release's age. This is the only palisade command that needs
the network. Registry URLs: --registry ECOSYSTEM=URL, else $GOPROXY (first entry)
for Go and $npm_config_registry for npm, else the public registries.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOutdated(cmd, a, f, args)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "table", "output: table (packages behind) or json (every package checked, with findings)")
	cmd.Flags().BoolVar(&f.all, "all", false, "also check transitive dependencies and those whose lockfile does not say")
	cmd.Flags().StringToStringVar(&f.registries, "registry", nil, "registry base URL for an ecosystem (Go, npm, PyPI, crates.io, RubyGems, Maven), repeatable")
	cmd.Flags().DurationVar(&f.timeout, "timeout", registry.DefaultTimeout, "time limit of one package's lookup")
	cmd.Flags().IntVar(&f.workers, "workers", registry.DefaultWorkers, "registry requests in flight at once (1-64)")
	return cmd
}

// outdatedJSON is the --format json document.
type outdatedJSON struct {
	Target   string               `json:"target"`
	Checked  time.Time            `json:"checked_at"`
	Summary  deps.OutdatedSummary `json:"summary"`
	Lags     []deps.Lag           `json:"dependencies"`
	Findings []finding.Finding    `json:"findings"`
	Errors   []string             `json:"errors,omitempty"`
}

func runOutdated(cmd *cobra.Command, a *App, f *outdatedFlags, args []string) error {
	if f.format != "table" && f.format != "json" {
		return usageErrorf("--format %q: want table or json", f.format)
	}
	if f.workers < 1 || f.workers > 64 {
		return usageErrorf("--workers %d: want 1 to 64", f.workers)
	}
	if f.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	ep, err := registryEndpoints(a, f.registries)
	if err != nil {
		return err
	}
	root := a.Dir
	if len(args) == 1 {
		root = args[0]
		if !filepath.IsAbs(root) {
			root = filepath.Join(a.Dir, root)
		}
	}
	client := registry.New(ep, &http.Client{}, f.workers)
	client.Timeout = f.timeout
	now := a.Now()
	var findings []finding.Finding
	res, err := deps.ScanOutdated(cmd.Context(), root, deps.ExtractOptions{}, client, deps.OutdatedOptions{All: f.all, Workers: f.workers}, now,
		func(fd finding.Finding) { findings = append(findings, fd) })
	if err != nil {
		return err
	}
	s := res.Summary
	scope := "direct dependencies"
	if f.all {
		scope = "dependencies"
	}
	fmt.Fprintf(a.Stderr, "palisade: outdated: %d %s checked, %d behind, %d lookups failed", s.Checked, scope, s.Outdated, s.Failed)
	if s.Skipped > 0 {
		fmt.Fprintf(a.Stderr, ", %d transitive or unknown skipped (--all checks them)", s.Skipped)
	}
	fmt.Fprintln(a.Stderr)
	for _, l := range res.Lags {
		if l.Error != "" {
			fmt.Fprintf(a.Stderr, "palisade: %s: %s\n", l.Package.Path, l.Error)
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(a.Stderr, "palisade: %v\n", e)
	}
	if f.format == "json" {
		doc := outdatedJSON{Target: root, Checked: now.UTC(), Summary: s, Lags: res.Lags, Findings: findings}
		if doc.Lags == nil {
			doc.Lags = []deps.Lag{}
		}
		if doc.Findings == nil {
			doc.Findings = []finding.Finding{}
		}
		for _, e := range res.Errors {
			doc.Errors = append(doc.Errors, e.Error())
		}
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	} else if err := writeOutdatedTable(a, res.Lags, now); err != nil {
		return err
	}
	if s.Checked > 0 && s.Failed == s.Checked {
		return fmt.Errorf("no registry answered: all %d lookups failed", s.Failed)
	}
	return nil
}

// writeOutdatedTable prints one row per dependency behind its latest release.
func writeOutdatedTable(a *App, lags []deps.Lag, now time.Time) error {
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tECOSYSTEM\tCURRENT\tLATEST\tBEHIND\tLATEST AGE\tFILE")
	rows := 0
	for _, l := range lags {
		if !l.Outdated() {
			continue
		}
		rows++
		behind, age := "?", "?"
		if l.Behind >= 0 {
			behind = fmt.Sprint(l.Behind)
		}
		if d := l.LatestAgeDays(now); d >= 0 {
			age = fmt.Sprintf("%dd", d)
		}
		file := l.Package.Path
		if l.Package.Line > 0 {
			file = fmt.Sprintf("%s:%d", file, l.Package.Line)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cleanCell(l.Package.Name), l.Package.Ecosystem, cleanCell(l.Package.Version), cleanCell(l.Latest), behind, age, cleanCell(file))
	}
	if rows == 0 {
		_, err := fmt.Fprintln(a.Stdout, "every checked dependency is at its latest release")
		return err
	}
	return tw.Flush()
}

// cleanCell keeps registry- and lockfile-provided text on one table cell:
// control characters (terminal escapes, tabs, newlines) become "?".
func cleanCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// registryEndpoints resolves registry base URLs: --registry flags, then
// $GOPROXY's first entry and $npm_config_registry, then the public
// registries. A flag must be an http or https URL; an environment value
// that is not one (GOPROXY=off, direct or file://...) switches Go lookups
// off, or leaves npm on its default.
func registryEndpoints(a *App, flags map[string]string) (registry.Endpoints, error) {
	ep := registry.DefaultEndpoints()
	if gp := a.Getenv("GOPROXY"); gp != "" {
		first := strings.FieldsFunc(gp, func(r rune) bool { return r == ',' || r == '|' })
		ep.GoProxy = ""
		if len(first) > 0 && httpURL(first[0]) {
			ep.GoProxy = strings.TrimSuffix(first[0], "/")
		}
	}
	if r := a.Getenv("npm_config_registry"); httpURL(r) {
		ep.Npm = strings.TrimSuffix(r, "/")
	}
	for eco, u := range flags {
		if !httpURL(u) {
			return ep, usageErrorf("--registry %s=%q: want an http or https URL", eco, u)
		}
		u = strings.TrimSuffix(u, "/")
		switch eco {
		case "Go", "go":
			ep.GoProxy = u
		case "npm":
			ep.Npm = u
		case "PyPI", "pypi":
			ep.PyPI = u
		case "crates.io", "crates":
			ep.Crates = u
		case "RubyGems", "rubygems":
			ep.RubyGems = u
		case "Maven", "maven":
			ep.Maven = u
		default:
			return ep, usageErrorf("--registry %s: unknown ecosystem (want Go, npm, PyPI, crates.io, RubyGems or Maven)", eco)
		}
	}
	return ep, nil
}

// httpURL reports whether s is an absolute http or https URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
