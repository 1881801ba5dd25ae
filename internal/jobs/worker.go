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

// Commands are the palisade commands a job may run: the ones that scan,
// audit or read logs into the store. Anything that serves, manages users
// or installs hooks is not work for a queue.
var Commands = [][]string{
	{"scan"},
	{"detect"},
	{"aws", "audit"},
	{"events", "ingest"},
	{"events", "index"},
	{"db", "update"},
}

// forbiddenFlags are flags a job may not set: the worker chooses the store,
// and a job must not write files on the worker's machine.
var forbiddenFlags = []string{"--db", "--output", "-o", "--write-baseline"}

// ErrRefused marks a command line that is not allowed as a job.
var ErrRefused = errors.New("not allowed as a job")

// Check reports whether args may run as a job: one of Commands, followed
// by its arguments, with none of the flags a job may not set.
func Check(args []string) error {
	var cmd []string
	for _, c := range Commands {
		if len(args) >= len(c) && equal(args[:len(c)], c) {
			cmd = c
			break
		}
	}
	if cmd == nil {
		names := make([]string, len(Commands))
		for i, c := range Commands {
			names[i] = strings.Join(c, " ")
		}
		first := ""
		if len(args) > 0 {
			first = args[0]
		}
		return fmt.Errorf("command %q: a job runs one of %s: %w", first, strings.Join(names, ", "), ErrRefused)
	}
	for _, a := range args[len(cmd):] {
		for _, f := range forbiddenFlags {
			if a == f || strings.HasPrefix(a, f+"=") || (f == "-o" && strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--")) {
				return fmt.Errorf("flag %s: the worker chooses the store and a job writes no files: %w", f, ErrRefused)
			}
		}
		if strings.ContainsFunc(a, finding.UnsafeRune) {
			return fmt.Errorf("argument %q: control characters: %w", a, ErrRefused)
		}
	}
	return nil
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
	if err := Check(j.Args); err != nil {
		fmt.Fprintf(out, "palisade: refused: %v\n", err)
		j.Attempts = j.MaxAttempts // a refused command does not get better
	} else {
		w.logf("worker %s: job %d (%s), attempt %d of %d", w.Name, j.ID, j.Name, j.Attempts, j.MaxAttempts)
		code, lost = w.runLeased(ctx, j, out)
	}
	if lost {
		w.logf("worker %s: job %d was cancelled or taken over; its result is dropped", w.Name, j.ID)
		return true, nil
	}
	r := w.result(j, code, ctx.Err() != nil, out.String())
	// The result is recorded even when the worker is stopping.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.Store.FinishJob(fctx, j.ID, w.Name, r); errors.Is(err, store.ErrConflict) {
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
				err := w.Store.ExtendLease(runCtx, j.ID, w.Name, w.Now().Add(w.Lease))
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
// queued again at once for another worker.
func (w *Worker) result(j store.Job, code int, stopping bool, out string) store.JobResult {
	now := w.Now()
	r := store.JobResult{ExitCode: code, Output: out, At: now}
	switch {
	case stopping:
		r.Status, r.RunAfter = store.JobQueued, now
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
