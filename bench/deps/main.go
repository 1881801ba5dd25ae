// Command deps-bench times palisade's dependency scan (warm index) against
// osv-scanner on each corpus project, printing wall and CPU time and their
// ratios, then times palisade on a synthetic monorepo of many lockfiles.
//
// Both tools run as child processes so each measurement includes process
// start-up and database loading; CPU is the child's user+system time.
//
//	go run ./bench/deps -osv-scanner /path/to/osv-scanner
//
// osv-scanner v2.6.0 reads its offline database from DIR/osv-scalibr/<Ecosystem>/all.zip;
// the program lays out such a DIR with symlinks to -db.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/deps"
	"github.com/palisade-sec/palisade/internal/finding"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "deps-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	corpora    string
	osvScanner string
	runs       int
	monorepo   int
	cacheDir   string
	keep       bool
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deps-bench", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.corpora, "corpora", envOr("PALISADE_CORPORA", "../shared/corpora"), "shared corpora root (holds osv/db and osv/projects)")
	fs.StringVar(&c.osvScanner, "osv-scanner", "", "osv-scanner binary; empty skips the comparison")
	fs.IntVar(&c.runs, "runs", 5, "timed runs per project and tool (the median is printed)")
	fs.IntVar(&c.monorepo, "monorepo", 1000, "lockfiles in the synthetic monorepo; 0 skips it")
	scanOnce := fs.String("scan-once", "", "internal: scan this directory once with palisade and exit")
	dbFlag := fs.String("db", "", "internal: advisory database for -scan-once")
	fs.StringVar(&c.cacheDir, "cache", "", "index cache directory (default: a temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (monorepo, osv-scanner database)")
	cpuProfile := fs.String("cpuprofile", "", "with -scan-once: write a CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *scanOnce != "" {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		return scanOnceCmd(*scanOnce, *dbFlag, c.cacheDir, out)
	}
	return bench(c, out)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// scanOnceCmd is the child process palisade's timings come from.
func scanOnceCmd(dir, db, cache string, out io.Writer) error {
	n := 0
	sum, err := deps.Scan(context.Background(), dir, deps.Options{VulnDB: db, CacheDir: cache}, func(finding.Finding) { n++ })
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "files=%d packages=%d findings=%d partial=%v\n", sum.Files, sum.Packages, sum.Findings, sum.Partial)
	return nil
}

// sample is one child process's cost.
type sample struct{ wall, cpu time.Duration }

// timeCmd runs a command and returns its wall time and CPU time; exit code 1
// (osv-scanner's "vulnerabilities found") is not an error.
func timeCmd(env []string, name string, args ...string) (sample, string, error) {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var buf strings.Builder
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return sample{}, buf.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, buf.String())
	}
	st := cmd.ProcessState
	return sample{wall: wall, cpu: st.UserTime() + st.SystemTime()}, buf.String(), nil
}

// median runs f n times and returns the median wall and CPU times.
func median(n int, f func() (sample, error)) (sample, error) {
	var walls, cpus []time.Duration
	for range n {
		s, err := f()
		if err != nil {
			return sample{}, err
		}
		walls = append(walls, s.wall)
		cpus = append(cpus, s.cpu)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
	return sample{wall: walls[n/2], cpu: cpus[n/2]}, nil
}

func bench(c config, out io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	db, err := filepath.Abs(filepath.Join(c.corpora, "osv", "db"))
	if err != nil {
		return err
	}
	projectsDir := filepath.Join(c.corpora, "osv", "projects")
	projects, err := os.ReadDir(projectsDir)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "deps-bench")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(tmp)
	}
	if c.keep {
		fmt.Fprintln(out, "temporary files kept in", tmp)
	}
	if c.cacheDir == "" {
		c.cacheDir = filepath.Join(tmp, "cache")
	}
	osvDB := filepath.Join(tmp, "osvdb")
	if c.osvScanner != "" {
		if err := osvScannerDB(db, osvDB); err != nil {
			return err
		}
	}
	palisade := func(dir string) func() (sample, error) {
		return func() (sample, error) {
			s, _, err := timeCmd(nil, self, "-scan-once", dir, "-db", db, "-cache", c.cacheDir)
			return s, err
		}
	}
	osvScanner := func(dir string) func() (sample, error) {
		return func() (sample, error) {
			s, _, err := timeCmd([]string{"OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=" + osvDB}, c.osvScanner, "scan", "source", "--offline",
				"--format", "json", "--output-file", filepath.Join(tmp, "osv-out.json"), "-r", dir)
			return s, err
		}
	}

	fmt.Fprintf(out, "median of %d runs; palisade with a warm index; CPU = user+system of the process\n", c.runs)
	fmt.Fprintf(out, "%-22s %12s %12s %12s %12s %9s %9s\n", "project", "pal wall", "pal cpu", "osv wall", "osv cpu", "cpu x", "wall x")
	var palCPU, osvCPU time.Duration
	for _, p := range projects {
		dir := filepath.Join(projectsDir, p.Name())
		// Warm-up: builds the index cache and fills the OS file cache.
		if _, msg, err := timeCmd(nil, self, "-scan-once", dir, "-db", db, "-cache", c.cacheDir); err != nil {
			return err
		} else if !strings.HasPrefix(msg, "files=") {
			return fmt.Errorf("unexpected scan output: %s", msg)
		}
		ps, err := median(c.runs, palisade(dir))
		if err != nil {
			return err
		}
		palCPU += ps.cpu
		line := fmt.Sprintf("%-22s %12s %12s", p.Name(), ps.wall.Round(time.Millisecond), ps.cpu.Round(time.Millisecond))
		if c.osvScanner != "" {
			if _, err := osvScanner(dir)(); err != nil {
				return err
			}
			oss, err := median(c.runs, osvScanner(dir))
			if err != nil {
				return err
			}
			osvCPU += oss.cpu
			line += fmt.Sprintf(" %12s %12s %8.1fx %8.1fx", oss.wall.Round(time.Millisecond), oss.cpu.Round(time.Millisecond),
				float64(oss.cpu)/float64(ps.cpu), float64(oss.wall)/float64(ps.wall))
		}
		fmt.Fprintln(out, line)
	}
	if c.osvScanner != "" {
		fmt.Fprintf(out, "%-22s %12s %12s %12s %12s %8.1fx\n", "total", "", palCPU.Round(time.Millisecond), "", osvCPU.Round(time.Millisecond), float64(osvCPU)/float64(palCPU))
	}

	if c.monorepo > 0 {
		mono := filepath.Join(tmp, "monorepo")
		if err := makeMonorepo(projectsDir, mono, c.monorepo); err != nil {
			return err
		}
		_, msg, err := timeCmd(nil, self, "-scan-once", mono, "-db", db, "-cache", c.cacheDir)
		if err != nil {
			return err
		}
		ms, err := median(3, palisade(mono))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nsynthetic monorepo, %d lockfiles: palisade wall %s, cpu %s (%s)", c.monorepo, ms.wall.Round(time.Millisecond), ms.cpu.Round(time.Millisecond), strings.TrimSpace(msg))
		if c.osvScanner != "" {
			oss, err := osvScanner(mono)()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "; osv-scanner (one run) wall %s, cpu %s", oss.wall.Round(time.Millisecond), oss.cpu.Round(time.Millisecond))
		}
		fmt.Fprintln(out)
	}
	return nil
}

// osvScannerDB lays out dst/osv-scalibr/<Ecosystem>/all.zip as symlinks to db.
func osvScannerDB(db, dst string) error {
	ecos, err := os.ReadDir(db)
	if err != nil {
		return err
	}
	for _, e := range ecos {
		dir := filepath.Join(dst, "osv-scalibr", e.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(db, e.Name(), "all.zip"), filepath.Join(dir, "all.zip")); err != nil {
			return err
		}
	}
	return nil
}

// makeMonorepo writes n project directories, each holding the lockfiles of
// one corpus project in turn (go.mod with its go.sum, requirements.txt, poetry.lock).
func makeMonorepo(projectsDir, dst string, n int) error {
	sources := [][]string{ // the files of one lockfile set each
		{"gogs-2021-05/go.mod", "gogs-2021-05/go.sum"},
		{"defectdojo-2021-05/requirements.txt"},
		{"defectdojo-head/requirements.txt"},
		{"poetry-head/poetry.lock", "poetry-head/pyproject.toml"}, // pyproject.toml: direct/indirect
	}
	for i := range n {
		set := sources[i%len(sources)]
		dir := filepath.Join(dst, fmt.Sprintf("svc%04d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, f := range set {
			b, err := os.ReadFile(filepath.Join(projectsDir, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
