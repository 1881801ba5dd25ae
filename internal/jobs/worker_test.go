package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"scan", "/srv/repos/api"}, true},
		{[]string{"scan", "--scanners", "secrets", "--history", "."}, true},
		{[]string{"aws", "audit", "--org", "--role-name", "PalisadeAudit"}, true},
		{[]string{"events", "ingest", "--s3", "s3://trail/AWSLogs/"}, true},
		{[]string{"db", "update"}, true},
		{[]string{"detect", "/logs"}, true},
		{nil, false},
		{[]string{"serve"}, false},
		{[]string{"user", "add", "x"}, false},
		{[]string{"hook", "install"}, false},
		{[]string{"aws", "fix", "--apply"}, false},
		{[]string{"aws"}, false},
		{[]string{"--db", "x", "scan"}, false},
		{[]string{"scan", "--db", "postgres://elsewhere"}, false},
		{[]string{"scan", "--db=other.db"}, false},
		{[]string{"scan", "--output", "/etc/cron.d/x"}, false},
		{[]string{"scan", "-o/tmp/x"}, false},
		{[]string{"scan", "--write-baseline", "b.json"}, false},
		{[]string{"scan", "a\x1b[31mb"}, false},
		{[]string{"scan", "--", "--db"}, true}, // a folder named --db
		{[]string{"scan", "-"}, true},
		{[]string{"scan", "-h"}, false},
		{[]string{"scan", "--aws-endpoint-url", "http://evil.example"}, false},
		{[]string{"aws", "audit", "--endpoint-url=http://evil.example"}, false},
		{[]string{"events", "ingest", "--s3", "s3://t/", "--state", "/etc/x"}, false},
		{[]string{"events", "index", "--index", "/etc/x.db", "/logs"}, false},
		{[]string{"db", "update", "--dest", "/etc"}, false},
		{[]string{"detect", "/logs", "--smtp-addr", "evil:587", "--smtp-password-env", "AWS_SECRET_ACCESS_KEY"}, false},
		{[]string{"detect", "/logs", "--webhook-secret-env=AWS_SESSION_TOKEN"}, false},
		{[]string{"detect", "/logs", "--smtp-password-env", "PALISADE_SINK_SMTP", "--webhook-secret-env=PALISADE_SINK_HOOK"}, true},
		{[]string{"events", "ingest", "--sqs", "https://sqs/q", "--slack-webhook", "https://hooks.slack.com/x"}, true},
	} {
		err := Check(tc.args)
		if (err == nil) != tc.ok {
			t.Errorf("Check(%q) = %v, want ok %v", tc.args, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%q) = %v, want ErrRefused", tc.args, err)
		}
	}
}

// clock is a settable clock shared by the worker and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// exitRunner exits with the status the command's last argument names
// ("exit=2"), writing the command line to its output.
func exitRunner(_ context.Context, args []string, out io.Writer) int {
	fmt.Fprintln(out, strings.Join(args, " "))
	var code int
	fmt.Sscanf(args[len(args)-1], "exit=%d", &code)
	return code
}

func TestWorkerResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
		w := &Worker{Store: s, Run: exitRunner, Name: "w", Lease: time.Minute, Poll: time.Millisecond, RetryDelay: time.Minute, Now: c.now}
		add := func(name string, attempts int, every time.Duration, args ...string) int64 {
			j, err := s.EnqueueJob(ctx, store.Job{Name: name, Args: args, MaxAttempts: attempts, Every: every, CreatedAt: c.now()})
			if err != nil {
				t.Fatal(err)
			}
			return j.ID
		}
		clean := add("clean", 3, 0, "scan", "/a", "exit=0")
		findings := add("findings", 3, 0, "scan", "/b", "exit=1")
		broken := add("broken", 3, 0, "scan", "/c", "exit=2")
		nightly := add("nightly", 1, 24*time.Hour, "aws", "audit", "exit=2")
		refused := add("refused", 3, time.Hour, "serve", "exit=0")
		if err := w.Work(ctx, true); err != nil {
			t.Fatal(err)
		}
		get := func(id int64) store.Job {
			j, err := s.JobByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
		if j := get(clean); j.Status != store.JobDone || *j.ExitCode != 0 || j.Output != "scan /a exit=0\n" {
			t.Errorf("exit 0: %+v", j)
		}
		if j := get(findings); j.Status != store.JobDone || *j.ExitCode != 1 {
			t.Errorf("exit 1 (findings): %+v, want done", j)
		}
		if j := get(nightly); j.Status != store.JobQueued || !j.RunAfter.Equal(c.now().Add(24*time.Hour)) || j.Attempts != 0 || *j.ExitCode != 2 {
			t.Errorf("failed recurring job: %+v, want queued for tomorrow with its exit code", j)
		}
		if j := get(refused); j.Status != store.JobFailed || j.Attempts != 1 || !strings.Contains(j.Output, "refused") {
			t.Errorf("refused recurring command: %+v, want failed at once, not queued again", j)
		}
		// The broken job waits one retry delay, then two, then fails.
		j := get(broken)
		if j.Status != store.JobQueued || j.Attempts != 1 || !j.RunAfter.Equal(c.now().Add(time.Minute)) {
			t.Fatalf("after a failed attempt: %+v, want queued a minute later", j)
		}
		c.add(time.Minute)
		if err := w.Work(ctx, true); err != nil {
			t.Fatal(err)
		}
		if j = get(broken); j.Attempts != 2 || !j.RunAfter.Equal(c.now().Add(2*time.Minute)) {
			t.Fatalf("after a second failed attempt: %+v, want queued two minutes later", j)
		}
		c.add(2 * time.Minute)
		if err := w.Work(ctx, true); err != nil {
			t.Fatal(err)
		}
		if j = get(broken); j.Status != store.JobFailed || j.Attempts != 3 {
			t.Errorf("after the last attempt: %+v, want failed", j)
		}
	})
}

// TestWorkerStopsACancelledJob cancels a job while it runs: the heartbeat
// finds the lease gone, the run's context ends, and its result is dropped.
func TestWorkerStopsACancelledJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		started := make(chan struct{})
		stopped := make(chan error, 1)
		run := func(ctx context.Context, _ []string, _ io.Writer) int {
			close(started)
			select {
			case <-ctx.Done():
				stopped <- ctx.Err()
			case <-time.After(20 * time.Second):
				stopped <- errors.New("the run was never stopped")
			}
			return 0
		}
		w := &Worker{Store: s, Run: run, Name: "w", Lease: 300 * time.Millisecond, Poll: time.Millisecond, RetryDelay: time.Minute, Now: time.Now}
		j, err := s.EnqueueJob(ctx, store.Job{Name: "long", Args: []string{"scan", "/big"}, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := w.RunOne(ctx); done <- err }()
		<-started
		if err := s.CancelJob(ctx, j.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("run: %v, want its context cancelled", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, err := s.JobByID(ctx, j.ID); err != nil || got.Status != store.JobCancelled || got.ExitCode != nil {
			t.Errorf("cancelled job %+v, %v: want cancelled with no result", got, err)
		}
	})
}

// TestWorkerShutdownQueuesTheJobAgain stops the worker during a run: the job
// is queued again at once, for this or another worker.
func TestWorkerShutdownQueuesTheJobAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx, stop := context.WithCancel(context.Background())
		started := make(chan struct{})
		run := func(ctx context.Context, _ []string, out io.Writer) int {
			close(started)
			<-ctx.Done()
			fmt.Fprintln(out, "interrupted")
			return 2
		}
		w := &Worker{Store: s, Run: run, Name: "w", Lease: time.Minute, Poll: time.Millisecond, RetryDelay: time.Hour, Now: time.Now}
		j, err := s.EnqueueJob(context.Background(), store.Job{Name: "long", Args: []string{"scan", "/big"}, MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Work(ctx, false) }()
		<-started
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got, err := s.JobByID(context.Background(), j.ID)
		if err != nil || got.Status != store.JobQueued || got.RunAfter.After(time.Now()) || !strings.Contains(got.Output, "worker stopped") || got.Attempts != 0 {
			t.Errorf("job after shutdown %+v, %v: want queued again now, the attempt not counted", got, err)
		}
	})
}

func TestBackoff(t *testing.T) {
	w := &Worker{RetryDelay: time.Minute}
	for attempt, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 7: time.Hour, 50: time.Hour} {
		if got := w.backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}
