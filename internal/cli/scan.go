package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/config"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/ignore"
	"github.com/palisade-sec/palisade/internal/regular"
	"github.com/palisade-sec/palisade/internal/report"
	"github.com/palisade-sec/palisade/internal/store"
)

type scanFlags struct {
	scanners      string
	format        string
	output        string
	failOn        string
	noStore       bool
	diffBase      string
	history       bool
	gitRange      string
	sinceCommit   string
	staged        bool
	baseline      string
	writeBaseline string
	configPath    string
	target        string
	maxFileSize   string
	verify        bool
	awsEndpoint   string
	tfVars        []string
	tfVarFiles    []string
	vulnDB        string
	goStdlib      bool
	iacRules      string
}

func newScanCmd(a *App, g *globalFlags) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [PATH | -]",
		Short: "Scan a folder (default .), its git history, staged changes or standard input",
		Long: `Scan runs the code scanners over PATH and records the findings in the store.

Exit status: 0 when no open finding is at or above --fail-on (or no --fail-on),
1 when one is, 2 on a usage or runtime error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			return runScan(cmd.Context(), a, g, f, path)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scanners, "scanners", "", "comma-separated scanners to run: "+strings.Join(knownScanners, ", ")+" (default: all available)")
	fl.StringVar(&f.format, "format", "table", "report format: "+strings.Join(report.Formats, ", ")+", or cyclonedx (an SBOM of the dependencies)")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an open finding at or above this severity exists (info, low, medium, high, critical)")
	fl.BoolVar(&f.noStore, "no-store", false, "do not record the scan in the store (a pure CI run)")
	fl.StringVar(&f.diffBase, "diff-base", "", "look only at what changed since the merge base with REF, and report only what the change introduced")
	fl.BoolVar(&f.history, "history", false, "scan the git history (added lines of every commit on all refs) instead of the work tree")
	fl.StringVar(&f.gitRange, "git-range", "", "with --history: a revision range such as v1.0..HEAD")
	fl.StringVar(&f.sinceCommit, "since-commit", "", "with --history: scan commits after this one up to HEAD")
	fl.BoolVar(&f.staged, "staged", false, "scan the staged changes (for a pre-commit hook)")
	fl.StringVar(&f.baseline, "baseline", "", "ignore secrets whose keyed hash is in this baseline file")
	fl.StringVar(&f.writeBaseline, "write-baseline", "", "write the secrets found to this baseline file (accepting them)")
	fl.StringVar(&f.configPath, "config", "", "configuration file (default PATH/palisade.yaml when present)")
	fl.StringVar(&f.target, "target", "", "name the target in the store (default: the absolute path)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "", "skip files larger than this (e.g. 50MB)")
	fl.StringVar(&f.vulnDB, "vuln-db", "", "deps: OSV database folder (<Ecosystem>/all.zip); default: palisade's cache")
	fl.BoolVar(&f.goStdlib, "go-stdlib", false, "deps: also check the Go standard library version named in go.mod")
	fl.StringVar(&f.iacRules, "iac-rules", "", "iac: a folder of custom rules (YAML with CEL conditions, see docs/policy.md)")
	fl.StringArrayVar(&f.tfVars, "var", nil, "iac: a Terraform variable NAME=VALUE (repeatable)")
	fl.StringArrayVar(&f.tfVarFiles, "var-file", nil, "iac: an extra Terraform .tfvars file (repeatable)")
	fl.BoolVar(&f.verify, "verify", false, "ask providers whether found credentials work (sends them to the provider; AWS keys via STS GetCallerIdentity)")
	fl.StringVar(&f.awsEndpoint, "aws-endpoint-url", "", "AWS endpoint for --verify (an emulator); default the SDK's, or $AWS_ENDPOINT_URL")
	return cmd
}

// knownScanners are the scanner names --scanners accepts; availableScanners
// says which of them this build runs.
var knownScanners = []string{"secrets", "deps", "iac"}

// scanJob is everything a scanner needs for one run.
type scanJob struct {
	app      *App
	root     string // absolute path of the folder scanned
	cfg      *config.Config
	skip     func(rel string, isDir bool) bool
	flags    *scanFlags
	stdin    bool
	emit     func(finding.Finding)
	problem  func(path string, err error)
	progress io.Writer // nil unless stderr is a terminal
	// explicit holds scanners named by --scanners or the configuration;
	// one of them that cannot run is an error, not a note.
	explicit map[string]bool
}

// scanner is one code scanner as the scan command drives it.
type scanner struct {
	name    string
	version string
	run     func(ctx context.Context, j *scanJob) error
}

// availableScanners lists the scanners in this build, in run order.
func availableScanners() []scanner {
	return []scanner{
		{name: "secrets", version: secretsVersion(), run: runSecrets},
		{name: "deps", version: depsVersion, run: runDeps},
		{name: "iac", version: iacVersion, run: runIaC},
	}
}

func runScan(ctx context.Context, a *App, g *globalFlags, f *scanFlags, path string) error {
	if !contains(report.Formats, f.format) && f.format != "cyclonedx" {
		return usageErrorf("unknown --format %q (want one of %s)", f.format, strings.Join(report.Formats, ", "))
	}
	modes := 0
	for _, on := range []bool{f.history, f.staged, f.diffBase != "", path == "-"} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageErrorf("choose one of --history, --staged, --diff-base and standard input")
	}
	if (f.gitRange != "" || f.sinceCommit != "") && !f.history {
		return usageErrorf("--git-range and --since-commit need --history")
	}
	for flag, rev := range map[string]string{"--diff-base": f.diffBase, "--git-range": f.gitRange, "--since-commit": f.sinceCommit} {
		if rev != "" && !validRevision(rev) {
			return usageErrorf("%s %q is not a git revision", flag, rev)
		}
	}
	job := &scanJob{app: a, flags: f, stdin: path == "-"}
	root := a.Dir
	if !job.stdin {
		root = path
		if !filepath.IsAbs(root) {
			root = filepath.Join(a.Dir, root)
		}
		info, err := os.Stat(root)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if !info.IsDir() && (f.history || f.staged || f.diffBase != "") {
			return usageErrorf("--history, --staged and --diff-base need a folder inside a git repository")
		}
	}
	job.root = filepath.Clean(root)

	cfgPath, optional := f.configPath, false
	if cfgPath == "" {
		cfgPath, optional = filepath.Join(configDir(job.root), config.FileName), true
	}
	cfg, err := config.Load(cfgPath, optional)
	if err != nil {
		return err
	}
	job.cfg = cfg

	failOn := f.failOn
	if failOn == "" {
		failOn = cfg.Scan.FailOn
	}
	var failSeverity *finding.Severity
	if failOn != "" {
		s, err := finding.ParseSeverity(failOn)
		if err != nil {
			return usageErrorf("--fail-on: %v", err)
		}
		failSeverity = &s
	}

	chosen, err := chooseScanners(f, cfg, job.stdin)
	if err != nil {
		return err
	}
	job.explicit = map[string]bool{}
	if f.scanners != "" || len(cfg.Scan.Scanners) > 0 {
		for _, s := range chosen {
			job.explicit[s.name] = true
		}
	}
	matcher, err := loadIgnore(configDir(job.root), cfg)
	if err != nil {
		return err
	}
	job.skip = matcher.Match

	if a.IsTerminal(a.Stderr) {
		job.progress = a.Stderr
	}
	if f.format == "cyclonedx" {
		if job.stdin {
			return usageErrorf("--format cyclonedx describes a folder's dependencies, not standard input")
		}
		return writeSBOM(ctx, a, job)
	}
	var findings []finding.Finding
	var problems []string
	var skipped []string
	job.emit = func(fd finding.Finding) { findings = append(findings, fd) }
	job.problem = func(p string, err error) {
		problems = append(problems, p+": "+err.Error())
		skipped = append(skipped, p)
	}

	started := a.Now().UTC()
	versions := map[string]string{}
	var names []string
	for _, s := range chosen {
		if job.progress != nil {
			fmt.Fprintf(job.progress, "palisade: running %s scanner…\n", s.name)
		}
		versions[s.name] = s.version
		names = append(names, s.name)
		if err := s.run(ctx, job); err != nil {
			return fmt.Errorf("%s scanner: %w", s.name, err)
		}
	}
	finished := a.Now().UTC()

	findings = postProcess(findings, cfg, f.history)
	status := store.ScanCompleted
	if f.staged || f.diffBase != "" || job.stdin {
		status = store.ScanPartial
	}
	target := f.target
	if target == "" {
		target = job.root
		switch {
		case job.stdin:
			target = "stdin"
		case f.history:
			target = "git-history:" + job.root
		}
	}

	rep := &report.Report{
		Version: report.Version,
		Scan: report.Scan{
			Target:     target,
			Tool:       report.Tool{Name: "palisade", Version: Version},
			Scanners:   names,
			StartedAt:  started,
			FinishedAt: finished,
			Status:     status,
			DiffBase:   f.diffBase,
			Errors:     problems,
		},
		Findings: findings,
	}

	if !f.noStore {
		s, err := g.openStore(ctx, a)
		if err != nil {
			return err
		}
		defer s.Close()
		res, err := s.RecordScan(ctx, store.Scan{
			Target: target, Scanners: versions, StartedAt: started, FinishedAt: finished,
			Status: status, SkippedPaths: skipped,
		}, findings)
		if err != nil {
			return fmt.Errorf("record scan: %w", err)
		}
		rep.Scan.ID = res.ScanID
		if err := applyStatuses(ctx, s, target, rep); err != nil {
			return err
		}
		if job.progress != nil {
			fmt.Fprintf(job.progress, "palisade: recorded scan %d: %d new, %d reopened, %d fixed, %d unchanged\n",
				res.ScanID, res.New, res.Reopened, res.Fixed, res.Unchanged)
		}
	}

	if f.writeBaseline != "" {
		if err := writeBaselineFile(f.writeBaseline, job.root, rep.Findings); err != nil {
			return err
		}
	}
	return reportAndGate(a, f.format, f.output, rep, failSeverity)
}

// reportAndGate writes the report (colour only on a terminal without
// NO_COLOR) and then applies --fail-on: exit 1 when an open finding is at or
// above it. Accepted and false-positive findings never fail a build.
func reportAndGate(a *App, format, output string, rep *report.Report, failOn *finding.Severity) error {
	opts := report.Options{Color: output == "" && a.IsTerminal(a.Stdout) && a.Getenv("NO_COLOR") == ""}
	if err := writeReport(a, format, output, rep, opts); err != nil {
		return err
	}
	if failOn == nil {
		return nil
	}
	n := 0
	for _, fd := range rep.Findings {
		if fd.IsOpen() && fd.Severity >= *failOn {
			n++
		}
	}
	if n > 0 {
		return &exitError{code: ExitFindings, msg: fmt.Sprintf("%d open finding(s) at or above %s", n, failOn)}
	}
	return nil
}

// configDir is where palisade.yaml and .palisadeignore are looked for: the
// scanned folder, or the folder of a scanned file.
func configDir(root string) string {
	if info, err := os.Stat(root); err == nil && !info.IsDir() {
		return filepath.Dir(root)
	}
	return root
}

func chooseScanners(f *scanFlags, cfg *config.Config, stdin bool) ([]scanner, error) {
	var names []string
	switch {
	case f.scanners != "":
		names = strings.Split(f.scanners, ",")
	case len(cfg.Scan.Scanners) > 0:
		names = cfg.Scan.Scanners
	}
	avail := availableScanners()
	if f.scanners == "" && (f.history || f.staged || stdin) {
		// Only the secret scanner reads history, staged changes and streams.
		names = []string{"secrets"}
	}
	if len(names) == 0 {
		return avail, nil
	}
	var out []scanner
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if seen[n] {
			continue
		}
		seen[n] = true
		if !contains(knownScanners, n) {
			return nil, usageErrorf("unknown scanner %q (want one of %s)", n, strings.Join(knownScanners, ", "))
		}
		found := false
		for _, s := range avail {
			if s.name == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, usageErrorf("scanner %q is not available in this build", n)
		}
		if (f.history || f.staged || stdin) && n != "secrets" {
			return nil, usageErrorf("--history, --staged and standard input run the secrets scanner only")
		}
	}
	return out, nil
}

func loadIgnore(dir string, cfg *config.Config) (*ignore.Matcher, error) {
	m, err := ignore.New("palisade.yaml scan.exclude", cfg.Scan.Exclude)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, ".palisadeignore")
	fh, err := regular.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fm, err := ignore.Parse(fh, p)
	if err != nil {
		return nil, err
	}
	return m.Merge(fm), nil
}

// postProcess applies the configuration's allowlists and severity
// overrides, collapses duplicates and sorts.
func postProcess(in []finding.Finding, cfg *config.Config, history bool) []finding.Finding {
	var allows []allowEntry
	for _, a := range cfg.Secrets.Allowlist {
		e := allowEntry{rules: a.Rules}
		if len(a.Paths) > 0 {
			// Patterns were validated when the config was read.
			e.paths, _ = ignore.New("secrets.allowlist", a.Paths)
		}
		allows = append(allows, e)
	}
	byFP := map[string]int{}
	out := make([]finding.Finding, 0, len(in))
	for _, fd := range in {
		if fd.Category == finding.Secret && allowed(fd, allows) {
			continue
		}
		if lvl, ok := cfg.SeverityOverrides[fd.RuleID]; ok {
			fd.Severity = finding.Severity(lvl)
		}
		finding.SetFingerprint(&fd)
		if i, ok := byFP[fd.Fingerprint]; ok {
			// git log lists newest first: the last sighting in history is
			// the commit that introduced the secret.
			if history {
				out[i] = fd
			}
			continue
		}
		byFP[fd.Fingerprint] = len(out)
		out = append(out, fd)
	}
	return report.Sorted(out)
}

// allowEntry is one secrets.allowlist item: rules (empty: all) in paths
// (nil: everywhere).
type allowEntry struct {
	rules []string
	paths *ignore.Matcher
}

func allowed(fd finding.Finding, allows []allowEntry) bool {
	for _, a := range allows {
		if len(a.rules) > 0 && !contains(a.rules, fd.RuleID) {
			continue
		}
		if a.paths != nil && !a.paths.Match(fd.Location.Path, false) {
			continue
		}
		return true
	}
	return false
}

// applyStatuses copies stored lifecycle states onto the report's findings,
// so an accepted or false-positive finding does not fail the build, and
// records the triage reasons of those findings for the HTML report.
func applyStatuses(ctx context.Context, s store.Store, target string, rep *report.Report) error {
	recs, err := s.Findings(ctx, store.Filter{Target: target})
	if err != nil {
		return fmt.Errorf("read statuses: %w", err)
	}
	byFP := make(map[string]*store.Record, len(recs))
	for i := range recs {
		byFP[recs[i].Fingerprint] = &recs[i]
	}
	for i := range rep.Findings {
		r := byFP[rep.Findings[i].Fingerprint]
		if r == nil {
			rep.Findings[i].Status = ""
			continue
		}
		rep.Findings[i].Status = r.Status
		addTriage(rep, r)
	}
	return nil
}

// addTriage notes a stored finding's triage reason and expiry in rep, when
// it has one.
func addTriage(rep *report.Report, r *store.Record) {
	if r.StatusReason == "" && r.StatusExpires == nil {
		return
	}
	if rep.Triage == nil {
		rep.Triage = map[string]report.Triage{}
	}
	rep.Triage[r.Fingerprint] = report.Triage{Reason: r.StatusReason, Expires: r.StatusExpires}
}

// writeReport writes the report to --output, or standard output.
func writeReport(a *App, format, output string, rep *report.Report, opts report.Options) error {
	return writeAtomically(a, output, func(w ioWriter) error { return report.Write(format, w, rep, opts) })
}

// ioWriter is io.Writer, named short for the many helpers that take one.
type ioWriter = io.Writer

// writeAtomically runs write on standard output, or on a temporary file
// renamed to output when it succeeds, so a crash never leaves half a report
// where CI expects a whole one.
func writeAtomically(a *App, output string, write func(io.Writer) error) error {
	if output == "" {
		return write(a.Stdout)
	}
	if !filepath.IsAbs(output) {
		output = filepath.Join(a.Dir, output)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".palisade-report-*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validRevision allows the characters of git revisions and ranges (names,
// hashes, ~ ^ @ { } . / -) and refuses a leading "-", so a revision can never
// be read by git as an option.
func validRevision(rev string) bool {
	if rev == "" || rev[0] == '-' || len(rev) > 256 {
		return false
	}
	for _, c := range rev {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("._/~^@{}-", c):
		default:
			return false
		}
	}
	return true
}
