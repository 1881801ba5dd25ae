package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/deps"
	"github.com/palisade-sec/palisade/internal/deps/osvdb"
)

// depsVersion is recorded with each scan that ran the dependency scanner.
const depsVersion = "0.1.0"

// errNoVulnDB means no advisory database was found or given.
var errNoVulnDB = errors.New("no advisory database: run `palisade db update` or pass --vuln-db DIR")

// vulnDB finds the advisory database: --vuln-db, deps.vuln_db in the
// configuration, $PALISADE_VULN_DB, then the cache `palisade db update`
// fills. It returns "" when none exists.
func vulnDB(a *App, j *scanJob) string {
	for _, d := range []string{j.flags.vulnDB, j.cfg.Deps.VulnDB, a.Getenv("PALISADE_VULN_DB")} {
		if d != "" {
			if !filepath.IsAbs(d) {
				d = filepath.Join(a.Dir, d)
			}
			return d
		}
	}
	if d := defaultVulnDB(a); dirExists(d) {
		return d
	}
	return ""
}

// cacheDir is palisade's cache folder ($PALISADE_CACHE or the user cache).
func cacheDir(a *App) string {
	if d := a.Getenv("PALISADE_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "palisade-cache")
	}
	return filepath.Join(d, "palisade")
}

func defaultVulnDB(a *App) string { return filepath.Join(cacheDir(a), "osv") }

func dirExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

func depsOptions(a *App, j *scanJob, db string) deps.Options {
	return deps.Options{
		VulnDB:          db,
		CacheDir:        filepath.Join(cacheDir(a), "osv-index"),
		IncludeGoStdlib: j.cfg.Deps.IncludeGoStdlib || j.flags.goStdlib,
		Skip:            func(p string) bool { return j.skip(p, dirExists(filepath.Join(j.root, p))) },
		Now:             a.Now,
	}
}

func runDeps(ctx context.Context, j *scanJob) error {
	if j.stdin {
		return usageErrorf("the deps scanner reads folders, not standard input")
	}
	db := vulnDB(j.app, j)
	if db == "" {
		if j.explicit["deps"] {
			return usageErrorf("%v", errNoVulnDB)
		}
		// Run by default without a database: say what was not checked
		// and go on with the other scanners.
		j.problem("deps", errNoVulnDB)
		return nil
	}
	opts := depsOptions(j.app, j, db)
	ignores := map[string]time.Time{}
	for _, ig := range j.cfg.Deps.Ignore {
		ignores[ig.ID] = ig.Expires.Time
	}
	return withDiffBase(ctx, j, func(ctx context.Context, root string, emit func(findingT), problem func(string, error)) error {
		sum, err := deps.Scan(ctx, root, opts, func(f findingT) {
			if exp, ok := ignores[f.VulnerabilityID]; ok && (exp.IsZero() || j.app.Now().Before(exp)) {
				return
			}
			for _, alias := range f.Aliases {
				if exp, ok := ignores[alias]; ok && (exp.IsZero() || j.app.Now().Before(exp)) {
					return
				}
			}
			emit(f)
		})
		if err != nil {
			return err
		}
		if j.progress != nil && root == j.root {
			fmt.Fprintf(j.progress, "palisade: deps: %d files, %d packages (%d unpinned), %d vulnerable, %d findings\n",
				sum.Files, sum.Packages, sum.Unpinned, sum.Vulnerable, sum.Findings)
		}
		for _, e := range sum.Unchecked {
			problem("deps", fmt.Errorf("ecosystem %s has packages but no database in %s: not checked", e, db))
		}
		return nil
	})
}

// writeSBOM writes a CycloneDX SBOM of the folder's dependencies.
func writeSBOM(ctx context.Context, a *App, j *scanJob) error {
	db := vulnDB(a, j)
	if db == "" {
		return usageErrorf("--format cyclonedx: %v", errNoVulnDB)
	}
	res, err := deps.Analyze(ctx, j.root, depsOptions(a, j, db))
	if err != nil {
		return err
	}
	return writeAtomically(a, j.flags.output, func(w ioWriter) error {
		return deps.WriteCycloneDX(w, res, deps.SBOMInfo{Subject: filepath.Base(j.root), ToolVersion: Version, Timestamp: a.Now().UTC()})
	})
}

func newDBUpdateCmd(a *App) *cobra.Command {
	var dest string
	var ecosystems []string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the OSV advisory database (resumable, integrity-checked) for the deps scanner",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dest == "" {
				dest = defaultVulnDB(a)
			}
			if len(ecosystems) == 0 {
				ecosystems = []string{"Go", "npm", "PyPI", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist", "Pub", "Hex", "ConanCenter"}
			}
			var progress ioWriter
			if a.IsTerminal(a.Stderr) {
				progress = a.Stderr
			}
			if err := osvdb.Update(cmd.Context(), dest, ecosystems, progress); err != nil {
				return err
			}
			_, err := fmt.Fprintf(a.Stdout, "advisory database up to date in %s\n", dest)
			return err
		},
	}
	cmd.Flags().StringVar(&dest, "dest", "", "folder to fill (default: palisade's cache, where scan looks)")
	cmd.Flags().StringSliceVar(&ecosystems, "ecosystem", nil, "ecosystems to download (default: the common ones)")
	return cmd
}
