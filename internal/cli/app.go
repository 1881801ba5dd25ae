// Package cli builds palisade's command tree. Each command parses its flags,
// calls the packages that do the work and chooses a report writer. Commands
// take their readers and writers from App, so a test runs the whole CLI
// in-process with buffers.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/store"
)

// Version is palisade's version, set at build time with
// -ldflags "-X github.com/palisade-sec/palisade/internal/cli.Version=v1.2.3".
var Version = "0.1.0-dev"

// Exit codes, as documented in the README.
const (
	ExitOK       = 0
	ExitFindings = 1 // an open finding at or above --fail-on
	ExitError    = 2 // usage or runtime error
)

// App is what every command needs from the outside world.
type App struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (os.Getenv in main).
	Getenv func(string) string
	// Now is the clock.
	Now func() time.Time
	// IsTerminal reports whether a writer is an interactive terminal, for
	// colour and progress.
	IsTerminal func(w io.Writer) bool
	// OpenStore opens the database named by a DSN.
	OpenStore func(ctx context.Context, dsn string) (store.Store, error)
	// Dir is the working directory.
	Dir string
}

// NewApp returns an App wired to the real process.
func NewApp() *App {
	dir, _ := os.Getwd()
	return &App{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Now:        time.Now,
		IsTerminal: isTerminal,
		OpenStore:  store.Open,
		Dir:        dir,
	}
}

// exitError carries an exit code other than ExitError up to Run.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// errUsage marks errors in how palisade was called.
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// Run executes palisade with args (without the program name) and returns the
// process exit code. Errors are printed as one line on Stderr.
func (a *App) Run(ctx context.Context, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(a.Stderr, "palisade: "+ee.msg)
		}
		return ee.code
	}
	msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
	fmt.Fprintln(a.Stderr, "palisade: "+firstLine(msg))
	return ExitError
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func newRootCmd(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "palisade",
		Short:         "Application and AWS security program in one binary",
		Long:          "palisade finds secrets, vulnerable dependencies and misconfigurations, keeps findings across scans, and reports them for people and CI.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%v", err)
	})
	g := &globalFlags{}
	root.PersistentFlags().StringVar(&g.db, "db", "", "database: a SQLite file path or a postgres:// URL (default $PALISADE_DB or palisade.db)")
	root.AddCommand(
		newVersionCmd(a),
		newScanCmd(a, g),
		newFindingsCmd(a, g),
		newDBCmd(a, g),
		newHookCmd(a),
		newDetectCmd(a, g),
		newAWSCmd(a, g),
		newEventsCmd(a, g),
		newDepsCmd(a),
		newRoadmapCmd(a, g),
		newServicesCmd(a, g),
		newMetricsCmd(a, g),
		newServeCmd(a, g),
		newUserCmd(a, g),
		newJobsCmd(a, g),
		newWorkerCmd(a, g),
	)
	return root
}

// globalFlags are flags every command shares.
type globalFlags struct {
	db string
}

// dsn resolves the database: --db, then $PALISADE_DB, then palisade.db. A
// relative SQLite path is taken from the app's working folder, which tests
// set, rather than the process's.
func (g *globalFlags) dsn(a *App) string {
	d := "palisade.db"
	if v := a.Getenv("PALISADE_DB"); v != "" {
		d = v
	}
	if g.db != "" {
		d = g.db
	}
	if strings.Contains(d, "://") || strings.HasPrefix(d, "file:") || filepath.IsAbs(d) || a.Dir == "" {
		return d
	}
	return filepath.Join(a.Dir, d)
}

// openStore opens and migrates the store.
func (g *globalFlags) openStore(ctx context.Context, a *App) (store.Store, error) {
	s, err := a.OpenStore(ctx, g.dsn(a))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	return s, nil
}

func newVersionCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print palisade's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.Stdout, "palisade %s\n", Version)
			return err
		},
	}
}
