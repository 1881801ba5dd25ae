package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/jobs"
	"github.com/palisade-sec/palisade/internal/store"
)

func newJobsCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "The work queue: scans, audits and log ingests that `palisade worker` processes run",
	}
	var name string
	var every, in time.Duration
	var attempts int
	add := &cobra.Command{
		Use:   "add [--name N] [--every 24h] [--in 10m] [--attempts 3] -- COMMAND [ARGS...]",
		Short: "Queue a palisade command line (scan, detect, aws audit, events ingest|index, db update) for a worker",
		Long: `add queues a palisade command line for ` + "`palisade worker`" + ` to run against this store. Relative paths
in it are resolved on the worker, against its --dir. A job may not set --db (the worker's store is used)
or write files (--output, --write-baseline). --every makes it recurring.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := jobs.Check(args); err != nil {
				return usageErrorf("%v", err)
			}
			if attempts < 1 || attempts > 100 {
				return usageErrorf("--attempts: 1 to 100")
			}
			if every != 0 && every < time.Minute {
				return usageErrorf("--every: at least 1m")
			}
			if in < 0 {
				return usageErrorf("--in: not negative")
			}
			if name == "" {
				name = strings.Join(args, " ")
				if len(name) > 200 {
					name = name[:200]
				}
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			now := a.Now()
			j, err := s.EnqueueJob(cmd.Context(), store.Job{Name: name, Args: args, MaxAttempts: attempts, Every: every, CreatedAt: now, RunAfter: now.Add(in)})
			if errors.Is(err, store.ErrInvalid) {
				return usageErrorf("%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "queued job %d: %s\n", j.ID, j.Name)
			return nil
		},
	}
	af := add.Flags()
	af.StringVar(&name, "name", "", "a label for the job (default: its command line)")
	af.DurationVar(&every, "every", 0, "run again this long after each run (at least 1m)")
	af.DurationVar(&in, "in", 0, "first run after this delay")
	af.IntVar(&attempts, "attempts", 3, "runs before a failing job is given up")

	var statuses, format string
	var limit int
	list := &cobra.Command{
		Use:   "list [--status queued,running,done,failed,cancelled] [--limit 50] [--format table|json]",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var want []store.JobStatus
			for _, st := range splitList(statuses) {
				if !contains(jobStatusNames(), st) {
					return usageErrorf("--status %q: one of %s", st, strings.Join(jobStatusNames(), ", "))
				}
				want = append(want, store.JobStatus(st))
			}
			if format != "table" && format != "json" {
				return usageErrorf("unknown --format %q (want table or json)", format)
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			js, err := s.Jobs(cmd.Context(), want, limit)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJobsJSON(a.Stdout, js)
			}
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tATTEMPTS\tEXIT\tRUN AFTER\tFINISHED\tNAME")
			for _, j := range js {
				fmt.Fprintf(tw, "%d\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", j.ID, j.Status, j.Attempts, j.MaxAttempts, exitText(j.ExitCode),
					j.RunAfter.Format(time.RFC3339), timeText(j.FinishedAt), cleanLine(j.Name))
			}
			return tw.Flush()
		},
	}
	lf := list.Flags()
	lf.StringVar(&statuses, "status", "", "only jobs with these statuses (comma-separated)")
	lf.IntVar(&limit, "limit", 50, "at most this many jobs (0: all)")
	lf.StringVar(&format, "format", "table", "table or json")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a job and the end of its last run's output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := jobID(args[0])
			if err != nil {
				return err
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			j, err := s.JobByID(cmd.Context(), id)
			if errors.Is(err, store.ErrNotFound) {
				return usageErrorf("no job %d", id)
			}
			if err != nil {
				return err
			}
			quoted := make([]string, len(j.Args))
			for i, arg := range j.Args {
				quoted[i] = shellWord(arg)
			}
			fmt.Fprintf(a.Stdout, "job %d: %s\ncommand: palisade %s\nstatus: %s, attempt %d of %d, exit %s\n", j.ID, cleanLine(j.Name),
				cleanLine(strings.Join(quoted, " ")), j.Status, j.Attempts, j.MaxAttempts, exitText(j.ExitCode))
			if j.Every > 0 {
				fmt.Fprintf(a.Stdout, "every: %s\n", j.Every)
			}
			fmt.Fprintf(a.Stdout, "created %s, run after %s, started %s, finished %s\n", j.CreatedAt.Format(time.RFC3339),
				j.RunAfter.Format(time.RFC3339), timeText(j.StartedAt), timeText(j.FinishedAt))
			if j.Worker != "" {
				fmt.Fprintf(a.Stdout, "worker: %s (lease until %s)\n", cleanLine(j.Worker), timeText(j.LeaseUntil))
			}
			if out := cleanOutput(j.Output); out != "" {
				fmt.Fprintf(a.Stdout, "output:\n%s", out)
				if !strings.HasSuffix(out, "\n") {
					fmt.Fprintln(a.Stdout)
				}
			}
			return nil
		},
	}
	cancel := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a queued or running job (a running one stops at its worker's next heartbeat)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := jobID(args[0])
			if err != nil {
				return err
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			switch err := s.CancelJob(cmd.Context(), id, a.Now()); {
			case errors.Is(err, store.ErrNotFound):
				return usageErrorf("no job %d", id)
			case errors.Is(err, store.ErrConflict):
				return usageErrorf("job %d has ended", id)
			case err != nil:
				return err
			}
			fmt.Fprintf(a.Stdout, "cancelled job %d\n", id)
			return nil
		},
	}
	cmd.AddCommand(add, list, show, cancel)
	return cmd
}

func newWorkerCmd(a *App, g *globalFlags) *cobra.Command {
	var name, dir string
	var concurrency int
	var lease, poll, retry time.Duration
	var once bool
	cmd := &cobra.Command{
		Use:   "worker [--concurrency 1] [--once] [--dir DIR]",
		Short: "Run queued jobs from the store (`palisade jobs add`) until stopped",
		Long: `worker takes jobs from the store's queue and runs them in this process, against the same store.
Run many workers on many machines against one PostgreSQL store: each job is claimed by one worker, under a
lease the worker extends while the job runs; if the worker dies, another claims the job when the lease
runs out. A job that exits 0 or 1 (findings) is done; one that fails is retried after --retry-delay,
doubled per attempt, until its attempts are spent. SIGINT or SIGTERM stops the worker; a job it was
running is queued again. --once runs the jobs that are due and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 || concurrency > 64 {
				return usageErrorf("--concurrency: 1 to 64")
			}
			if lease < 30*time.Second {
				return usageErrorf("--lease: at least 30s")
			}
			if poll <= 0 || retry < 0 {
				return usageErrorf("--poll must be positive and --retry-delay not negative")
			}
			if name == "" {
				host, _ := os.Hostname()
				name = fmt.Sprintf("%s-%d", host, os.Getpid())
			}
			if dir == "" {
				dir = a.Dir
			} else if !filepath.IsAbs(dir) {
				dir = filepath.Join(a.Dir, dir)
			}
			dsn := g.dsn(a)
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var logMu sync.Mutex
			logf := func(format string, args ...any) {
				logMu.Lock()
				defer logMu.Unlock()
				fmt.Fprintf(a.Stderr, "palisade: "+format+"\n", args...)
			}
			run := func(ctx context.Context, args []string, out io.Writer) int {
				child := &App{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Getenv: a.Getenv, Now: a.Now,
					IsTerminal: func(io.Writer) bool { return false }, OpenStore: a.OpenStore, Dir: dir}
				return child.Run(ctx, append([]string{"--db", dsn}, args...))
			}
			errs := make(chan error, concurrency)
			for i := 1; i <= concurrency; i++ {
				w := &jobs.Worker{Store: s, Run: run, Name: name, Lease: lease, Poll: poll, RetryDelay: retry, Now: a.Now, Logf: logf}
				if concurrency > 1 {
					w.Name = fmt.Sprintf("%s/%d", name, i)
				}
				go func() { errs <- w.Work(ctx, once) }()
			}
			var first error
			for i := 0; i < concurrency; i++ {
				if err := <-errs; err != nil && first == nil {
					first = err
				}
			}
			return first
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "this worker's name in the queue (default host-pid)")
	fl.StringVar(&dir, "dir", "", "folder that jobs' relative paths resolve against (default the working folder)")
	fl.IntVar(&concurrency, "concurrency", 1, "jobs run at once")
	fl.DurationVar(&lease, "lease", 5*time.Minute, "how long a claim lasts without a heartbeat")
	fl.DurationVar(&poll, "poll", 5*time.Second, "wait between looks at an empty queue")
	fl.DurationVar(&retry, "retry-delay", time.Minute, "wait before retrying a failed job (doubled per attempt, at most 1h)")
	fl.BoolVar(&once, "once", false, "run the jobs that are due, then exit")
	return cmd
}

// jobID parses a job id argument.
func jobID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id < 1 {
		return 0, usageErrorf("job id %q: a positive number", arg)
	}
	return id, nil
}

func jobStatusNames() []string {
	out := make([]string, len(store.JobStatuses))
	for i, s := range store.JobStatuses {
		out[i] = string(s)
	}
	return out
}

func exitText(c *int) string {
	if c == nil {
		return "-"
	}
	return strconv.Itoa(*c)
}

func timeText(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// cleanLine drops characters that must not reach a terminal.
func cleanLine(s string) string {
	return strings.Map(func(r rune) rune {
		if finding.UnsafeRune(r) {
			return -1
		}
		return r
	}, s)
}

// cleanOutput keeps a job's output printable: lines and tabs stay, other
// characters that must not reach a terminal go (the worker stores it
// clean; this guards rows written by other means).
func cleanOutput(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && finding.UnsafeRune(r) {
			return -1
		}
		return r
	}, s)
}

// shellWord quotes an argument for display when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\$`;&|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jobJSON is a job as `jobs list --format json` prints it.
type jobJSON struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Args        []string   `json:"args"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	MaxAttempts int        `json:"max_attempts"`
	EverySecond int64      `json:"every_seconds,omitempty"`
	RunAfter    time.Time  `json:"run_after"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	ExitCode    *int       `json:"exit_code,omitempty"`
	Worker      string     `json:"worker,omitempty"`
}

func writeJobsJSON(w io.Writer, js []store.Job) error {
	out := make([]jobJSON, 0, len(js))
	for _, j := range js {
		out = append(out, jobJSON{ID: j.ID, Name: j.Name, Args: j.Args, Status: string(j.Status), Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
			EverySecond: int64(j.Every / time.Second), RunAfter: j.RunAfter, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt,
			FinishedAt: j.FinishedAt, ExitCode: j.ExitCode, Worker: j.Worker})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"jobs": out})
}
