// Package jobs runs the work queue: a worker claims a job from the shared
// store, runs it (a palisade command line) under a lease it keeps
// extending, and records the result, retrying failures with backoff and
// queueing recurring jobs again. Several workers on several machines can
// drain one PostgreSQL store; the store makes each claim exclusive.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// Command is a palisade command a job may run, with the long flags a job
// may give it. Anything that serves, manages users or installs hooks is
// not work for a queue, and flags that choose the store (--db), write files
// on the worker (--output, --write-baseline, --index, --state, --dest) or
// send the worker's requests elsewhere (--endpoint-url, --aws-endpoint-url)
// are not listed: a job runs with the worker's store, files and
// credentials.
type Command struct {
	Words []string
	Flags []string
}

// Commands are the commands a job may run and their flags, listed
// explicitly so that a new flag is refused until it is judged safe here.
var Commands = []Command{
	{Words: []string{"scan"}, Flags: []string{"baseline", "config", "diff-base", "fail-on", "format", "git-range", "go-stdlib", "history",
		"iac-rules", "max-file-size", "no-store", "scanners", "since-commit", "staged", "target", "var", "var-file", "verify", "vuln-db"}},
	{Words: []string{"detect"}, Flags: append([]string{"dedup-window", "format", "min-severity", "no-builtin", "no-store", "pipeline-role",
		"rules", "suppressions"}, sinkFlags...)},
	{Words: []string{"aws", "audit"}, Flags: []string{"accounts", "ami-owners", "concurrency", "external-id", "fail-on", "format", "iac",
		"no-store", "org", "owner-tag", "region", "regions", "role-name", "role-unused-days"}},
	{Words: []string{"events", "ingest"}, Flags: append([]string{"format", "guardduty-regions", "max-messages", "min-severity", "no-builtin",
		"no-index", "no-store", "pipeline-role", "region", "rules", "s3", "sqs", "suppressions", "wait"}, sinkFlags...)},
	{Words: []string{"events", "index"}},
	{Words: []string{"db", "update"}, Flags: []string{"ecosystem"}},
}

// sinkFlags deliver alerts. The two that name an environment variable
// holding a secret may only name one starting with SinkEnvPrefix, so a job
// cannot hand another of the worker's secrets (its cloud credentials) to a
// server the job chooses.
var sinkFlags = []string{"webhook", "webhook-secret-env", "slack-webhook", "smtp-addr", "smtp-from", "smtp-to", "smtp-user", "smtp-password-env"}

// SinkEnvPrefix starts the name of every environment variable a job may
// read a sink secret from.
const SinkEnvPrefix = "PALISADE_SINK_"

var envFlags = map[string]bool{"webhook-secret-env": true, "smtp-password-env": true}

// ErrRefused marks a command line that is not allowed as a job.
var ErrRefused = errors.New("not allowed as a job")

// Check reports whether args may run as a job: one of Commands followed by
// its own long flags and positional arguments ("-" or anything after "--"
// included), with sink secrets only from SinkEnvPrefix variables.
func Check(args []string) error {
	var cmd *Command
	for i, c := range Commands {
		if len(args) >= len(c.Words) && equal(args[:len(c.Words)], c.Words) {
			cmd = &Commands[i]
			break
		}
	}
	if cmd == nil {
		names := make([]string, len(Commands))
		for i, c := range Commands {
			names[i] = strings.Join(c.Words, " ")
		}
		first := ""
		if len(args) > 0 {
			first = args[0]
		}
		return fmt.Errorf("command %q: a job runs one of %s: %w", first, strings.Join(names, ", "), ErrRefused)
	}
	rest := args[len(cmd.Words):]
	for _, a := range rest {
		if strings.ContainsFunc(a, finding.UnsafeRune) {
			return fmt.Errorf("argument %q: control characters: %w", a, ErrRefused)
		}
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			return nil // the rest are positional
		case a == "-" || !strings.HasPrefix(a, "-"):
			continue
		case !strings.HasPrefix(a, "--"):
			return fmt.Errorf("flag %s: a job gives flags in their long form: %w", a, ErrRefused)
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		if !contains(cmd.Flags, name) {
			return fmt.Errorf("flag --%s: not one a %s job may set (the worker chooses the store, and a job writes no files on it and talks to no other endpoint): %w",
				name, strings.Join(cmd.Words, " "), ErrRefused)
		}
		if envFlags[name] {
			if !hasValue && i+1 < len(rest) {
				i++
				value = rest[i]
			}
			if !strings.HasPrefix(value, SinkEnvPrefix) {
				return fmt.Errorf("flag --%s %s: a job reads sink secrets only from variables named %s...: %w", name, value, SinkEnvPrefix, ErrRefused)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Runner runs one palisade command line and returns its exit status (0
// done, 1 done with findings, 2 an error), writing its output to out.
type Runner func(ctx context.Context, args []string, out io.Writer) int

// Worker takes jobs from a store and runs them.
type Worker struct {
	Store store.Store
	Run   Runner
	// Name identifies the worker in the queue (host and process).
	Name string
	// Lease is how long a claim lasts without a heartbeat; the worker
	// extends it every third of that. A job whose worker dies is claimed
	// again when its lease runs out.
	Lease time.Duration
	// Poll is how long an idle worker waits before looking again.
	Poll time.Duration
	// RetryDelay is the wait before a failed job's second attempt; it
	// doubles with each attempt, up to an hour.
	RetryDelay time.Duration
	// Now is the clock; Logf, when set, receives one line per job.
	Now  func() time.Time
	Logf func(format string, args ...any)
}

func (w *Worker) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
	}
}

// Work runs jobs until ctx ends or, when once is set, until no job is due.
func (w *Worker) Work(ctx context.Context, once bool) error {
	for {
		ran, err := w.RunOne(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && once:
			return err
		case err != nil:
			w.logf("worker %s: %v (retrying in %s)", w.Name, err, w.Poll)
		case ran:
			continue
		case once:
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.Poll):
		}
	}
}

// RunOne claims one due job and runs it; false when none was due.
func (w *Worker) RunOne(ctx context.Context) (bool, error) {
	j, err := w.Store.ClaimJob(ctx, w.Name, w.Now(), w.Lease)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	out := &tail{max: store.MaxJobOutput}
	code := 2
	lost := false
	refused := Check(j.Args)
	if refused != nil {
		fmt.Fprintf(out, "palisade: refused: %v\n", refused)
	} else {
		w.logf("worker %s: job %d (%s), attempt %d of %d", w.Name, j.ID, j.Name, j.Attempts, j.MaxAttempts)
		code, lost = w.runLeased(ctx, j, out)
	}
	if lost {
		w.logf("worker %s: job %d was cancelled or taken over; its result is dropped", w.Name, j.ID)
		return true, nil
	}
	r := w.result(j, code, ctx.Err() != nil, out.String())
	if refused != nil {
		// A refused command does not get better: it fails, recurring or not.
		r = store.JobResult{Status: store.JobFailed, ExitCode: 2, Output: out.String(), At: w.Now()}
	}
	// The result is recorded even when the worker is stopping.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.Store.FinishJob(fctx, j.ID, j.LeaseToken, r); errors.Is(err, store.ErrConflict) {
		w.logf("worker %s: job %d was cancelled or taken over; its result is dropped", w.Name, j.ID)
		return true, nil
	} else if err != nil {
		return true, err
	}
	w.logf("worker %s: job %d exit %d: %s", w.Name, j.ID, code, r.Status)
	return true, nil
}

// runLeased runs the job while a heartbeat extends its lease. lost is true
// when the lease was lost (the job cancelled, or claimed by another worker
// after a stall): the run is stopped and its result must be dropped.
func (w *Worker) runLeased(ctx context.Context, j store.Job, out io.Writer) (code int, lost bool) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	done := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(w.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				err := w.Store.ExtendLease(runCtx, j.ID, j.LeaseToken, w.Now().Add(w.Lease))
				if errors.Is(err, store.ErrConflict) {
					mu.Lock()
					lost = true
					mu.Unlock()
					cancel()
					return
				}
				if err != nil && runCtx.Err() == nil {
					w.logf("worker %s: job %d: extend lease: %v", w.Name, j.ID, err)
				}
			}
		}
	}()
	code = w.Run(runCtx, j.Args, out)
	close(done)
	<-beat
	mu.Lock()
	defer mu.Unlock()
	return code, lost
}

// result decides what follows a run: done after exit 0 or 1 (findings
// are a result, not a failure), a retry with backoff after an error while
// attempts remain, failed after the last; a recurring job is queued for
// its next run either way. A run stopped by the worker's shutdown is
// queued again at once for another worker, and does not count as an
// attempt.
func (w *Worker) result(j store.Job, code int, stopping bool, out string) store.JobResult {
	now := w.Now()
	r := store.JobResult{ExitCode: code, Output: out, At: now}
	switch {
	case stopping:
		r.Status, r.RunAfter, r.GiveBackAttempt = store.JobQueued, now, true
		r.Output += "palisade: the worker stopped during the run; the job is queued again\n"
		return r
	case code == 0 || code == 1:
		r.Status = store.JobDone
	case j.Attempts < j.MaxAttempts:
		r.Status, r.RunAfter = store.JobQueued, now.Add(w.backoff(j.Attempts))
		return r
	default:
		r.Status = store.JobFailed
	}
	if j.Every > 0 {
		r.Status, r.RunAfter, r.ResetAttempts = store.JobQueued, now.Add(j.Every), true
	}
	return r
}

// backoff is the wait after the given failed attempt: RetryDelay doubled
// per earlier attempt, at most an hour.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.RetryDelay
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// tail keeps the last max bytes written to it, with control characters
// other than newline and tab dropped, for the job's record.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && finding.UnsafeRune(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
}
