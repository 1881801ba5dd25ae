package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JobStatus is where a job is in the queue.
type JobStatus string

// Job statuses. A recurring job goes back to queued after each run.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobDone      JobStatus = "done"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// JobStatuses lists every job status.
var JobStatuses = []JobStatus{JobQueued, JobRunning, JobDone, JobFailed, JobCancelled}

// Job is one entry of the work queue: a palisade command line that a
// worker runs against this store.
type Job struct {
	ID   int64
	Name string
	// Args are palisade's arguments ("scan", "/srv/repos/api"); the
	// worker checks them against its allowlist before running them.
	Args        []string
	Status      JobStatus
	Attempts    int
	MaxAttempts int
	// Every, when set, makes the job recurring: it is queued again that
	// long after each run.
	Every    time.Duration
	RunAfter time.Time
	// LeaseUntil and Worker are set while a worker runs the job; a lease
	// that runs out means the worker died, and the job is claimed again.
	// LeaseToken, random per claim, is what the claimant shows to extend
	// the lease or record the result: two workers that share a name (two
	// containers with one host name) cannot take each other's runs.
	LeaseUntil *time.Time
	Worker     string
	LeaseToken string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	// ExitCode and Output are the last run's exit status and the end of its
	// output.
	ExitCode *int
	Output   string
}

// JobResult is what a worker records when a run ends: the job's next
// status (queued again to retry or recur, done, or failed) and the run's
// exit status and output.
type JobResult struct {
	Status   JobStatus
	RunAfter time.Time // for a job queued again
	ExitCode int
	Output   string
	At       time.Time
	// ResetAttempts starts a recurring job's next run with all attempts;
	// GiveBackAttempt does not count this run (the worker stopped it).
	ResetAttempts   bool
	GiveBackAttempt bool
}

// MaxJobOutput bounds the output kept per job.
const MaxJobOutput = 64 << 10

const jobColumns = `id, name, args, status, attempts, max_attempts, every_seconds, run_after, lease_until, worker, lease_token,
	created_at, started_at, finished_at, exit_code, output`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var args string
	var every int64
	var lease, started, finished sql.NullTime
	var exit sql.NullInt64
	err := row.Scan(&j.ID, &j.Name, &args, &j.Status, &j.Attempts, &j.MaxAttempts, &every, &j.RunAfter, &lease, &j.Worker, &j.LeaseToken,
		&j.CreatedAt, &started, &finished, &exit, &j.Output)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, err
	}
	if err := json.Unmarshal([]byte(args), &j.Args); err != nil {
		return Job{}, fmt.Errorf("job %d: arguments: %w", j.ID, err)
	}
	j.Every = time.Duration(every) * time.Second
	j.RunAfter, j.CreatedAt = j.RunAfter.UTC(), j.CreatedAt.UTC()
	j.LeaseUntil, j.StartedAt, j.FinishedAt = utcPtr(timePtr(lease)), utcPtr(timePtr(started)), utcPtr(timePtr(finished))
	if exit.Valid {
		c := int(exit.Int64)
		j.ExitCode = &c
	}
	return j, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// EnqueueJob adds a job to the queue.
func (s *sqlStore) EnqueueJob(ctx context.Context, j Job) (Job, error) {
	switch {
	case j.Name == "" || len(j.Name) > 200:
		return Job{}, fmt.Errorf("enqueue job: a name of 1 to 200 bytes is required: %w", ErrInvalid)
	case len(j.Args) == 0:
		return Job{}, fmt.Errorf("enqueue job %q: no command: %w", j.Name, ErrInvalid)
	case j.MaxAttempts < 1 || j.MaxAttempts > 100:
		return Job{}, fmt.Errorf("enqueue job %q: attempts must be 1 to 100: %w", j.Name, ErrInvalid)
	case j.Every != 0 && j.Every < time.Minute:
		return Job{}, fmt.Errorf("enqueue job %q: a recurring job runs at most every minute: %w", j.Name, ErrInvalid)
	}
	args, err := json.Marshal(j.Args)
	if err != nil {
		return Job{}, fmt.Errorf("enqueue job %q: %w", j.Name, err)
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = time.Now()
	}
	if j.RunAfter.IsZero() {
		j.RunAfter = j.CreatedAt
	}
	j.CreatedAt, j.RunAfter = dbTime(j.CreatedAt), dbTime(j.RunAfter)
	j.Status, j.Attempts = JobQueued, 0
	err = s.db.QueryRowContext(ctx,
		`INSERT INTO jobs (name, args, status, attempts, max_attempts, every_seconds, run_after, created_at)
		 VALUES ($1, $2, $3, 0, $4, $5, $6, $7) RETURNING id`,
		j.Name, string(args), j.Status, j.MaxAttempts, int64(j.Every/time.Second), j.RunAfter, j.CreatedAt).Scan(&j.ID)
	if err != nil {
		return Job{}, fmt.Errorf("enqueue job %q: %w", j.Name, err)
	}
	return j, nil
}

// ClaimJob gives worker the next job that is due, or one whose lease ran
// out, leased until now+lease; ErrNotFound when there is none. Claims are
// exclusive: PostgreSQL skips rows another claim holds (FOR UPDATE SKIP
// LOCKED); on SQLite the transaction holds the write lock. A job whose
// lease ran out with no attempt left fails here (or, when recurring, waits
// for its next run).
func (s *sqlStore) ClaimJob(ctx context.Context, worker string, now time.Time, lease time.Duration) (Job, error) {
	if worker == "" || lease <= 0 {
		return Job{}, fmt.Errorf("claim job: a worker name and a lease are required: %w", ErrInvalid)
	}
	now = dbTime(now)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Job{}, fmt.Errorf("claim job: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := expireLeases(ctx, tx, now); err != nil {
		return Job{}, err
	}
	q := `SELECT id FROM jobs
	      WHERE (status = 'queued' AND run_after <= $1) OR (status = 'running' AND lease_until < $1 AND attempts < max_attempts)
	      ORDER BY run_after, id LIMIT 1`
	if s.dialect == postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	var id int64
	if err := tx.QueryRowContext(ctx, q, now).Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			// Nothing to claim, but the expired leases are recorded.
			if err := tx.Commit(); err != nil {
				return Job{}, fmt.Errorf("claim job: %w", err)
			}
			return Job{}, ErrNotFound
		}
		return Job{}, fmt.Errorf("claim job: %w", err)
	}
	token, err := leaseToken()
	if err != nil {
		return Job{}, fmt.Errorf("claim job %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE jobs SET status = 'running', attempts = attempts + 1, worker = $1, lease_token = $2, lease_until = $3, started_at = $4 WHERE id = $5`,
		worker, token, dbTime(now.Add(lease)), now, id); err != nil {
		return Job{}, fmt.Errorf("claim job %d: %w", id, err)
	}
	j, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return Job{}, fmt.Errorf("claim job %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Job{}, fmt.Errorf("claim job %d: %w", id, err)
	}
	return j, nil
}

// expireLeases ends the jobs whose worker stopped answering on their last
// attempt: failed, or queued for the next run when recurring.
func expireLeases(ctx context.Context, tx *sql.Tx, now time.Time) error {
	rows, err := tx.QueryContext(ctx,
		`SELECT id, every_seconds, attempts, max_attempts FROM jobs WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts`, now)
	if err != nil {
		return fmt.Errorf("expire job leases: %w", err)
	}
	type dead struct {
		id, every     int64
		attempts, max int
	}
	var ds []dead
	for rows.Next() {
		var d dead
		if err := rows.Scan(&d.id, &d.every, &d.attempts, &d.max); err != nil {
			rows.Close()
			return fmt.Errorf("expire job leases: %w", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("expire job leases: %w", err)
	}
	for _, d := range ds {
		msg := fmt.Sprintf("palisade: the worker stopped answering (its lease ran out) on attempt %d of %d\n", d.attempts, d.max)
		status, next, attempts := JobFailed, now, d.attempts
		if d.every > 0 {
			status, next, attempts = JobQueued, now.Add(time.Duration(d.every)*time.Second), 0
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE jobs SET status = $1, run_after = $2, attempts = $3, worker = '', lease_token = '', lease_until = NULL, finished_at = $4, exit_code = NULL, output = $5
			 WHERE id = $6 AND status = 'running'`, status, dbTime(next), attempts, now, msg, d.id); err != nil {
			return fmt.Errorf("expire job %d: %w", d.id, err)
		}
	}
	return nil
}

// ExtendLease keeps a running job's lease for the holder of the claim's
// token; ErrConflict when the claim is gone (the job cancelled, or claimed
// again after its lease ran out), which tells the worker to stop it.
func (s *sqlStore) ExtendLease(ctx context.Context, id int64, token string, until time.Time) error {
	if token == "" {
		return fmt.Errorf("extend lease of job %d: no lease token: %w", id, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND status = 'running'`,
		dbTime(until), id, token)
	if err != nil {
		return fmt.Errorf("extend lease of job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("extend lease of job %d: the claim is gone: %w", id, ErrConflict)
	}
	return nil
}

// leaseToken is a new claim's random token.
func leaseToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// FinishJob records the end of a run, only for the holder of the claim's
// token (ErrConflict otherwise: the result of a run that lost its lease or
// was cancelled is dropped).
func (s *sqlStore) FinishJob(ctx context.Context, id int64, token string, r JobResult) error {
	if token == "" {
		return fmt.Errorf("finish job %d: no lease token: %w", id, ErrInvalid)
	}
	switch r.Status {
	case JobQueued, JobDone, JobFailed:
	default:
		return fmt.Errorf("finish job %d: status %q: %w", id, r.Status, ErrInvalid)
	}
	out := r.Output
	if len(out) > MaxJobOutput {
		out = out[len(out)-MaxJobOutput:]
	}
	out = strings.ToValidUTF8(out, "?")
	runAfter := r.RunAfter
	if runAfter.IsZero() {
		runAfter = r.At
	}
	reset := ""
	switch {
	case r.ResetAttempts:
		reset = ", attempts = 0"
	case r.GiveBackAttempt:
		reset = ", attempts = attempts - 1"
	}
	// The SET clause is built from constants only; values are parameters.
	res, err := s.db.ExecContext(ctx,
		`UPDATE jobs SET status = $1, run_after = $2, finished_at = $3, exit_code = $4, output = $5, worker = '', lease_token = '', lease_until = NULL`+reset+`
		 WHERE id = $6 AND lease_token = $7 AND status = 'running'`,
		r.Status, dbTime(runAfter), dbTime(r.At), r.ExitCode, out, id, token)
	if err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish job %d: the claim is gone: %w", id, ErrConflict)
	}
	return nil
}

// CancelJob stops a queued or running job (a running one stops when its
// worker next extends the lease); ErrConflict when it already ended.
func (s *sqlStore) CancelJob(ctx context.Context, id int64, now time.Time) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE jobs SET status = 'cancelled', finished_at = $1, worker = '', lease_token = '', lease_until = NULL WHERE id = $2 AND status IN ('queued', 'running')`,
		dbTime(now), id)
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.JobByID(ctx, id); err != nil {
			return fmt.Errorf("cancel job %d: %w", id, err)
		}
		return fmt.Errorf("cancel job %d: it has ended: %w", id, ErrConflict)
	}
	return nil
}

// JobByID returns one job, or ErrNotFound.
func (s *sqlStore) JobByID(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return Job{}, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

// Jobs lists jobs with one of the statuses (any when none), newest first,
// at most limit (all when limit <= 0).
func (s *sqlStore) Jobs(ctx context.Context, statuses []JobStatus, limit int) ([]Job, error) {
	q := `SELECT ` + jobColumns + ` FROM jobs`
	var args []any
	if len(statuses) > 0 {
		marks := make([]string, len(statuses))
		for i, st := range statuses {
			args = append(args, st)
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
		q += ` WHERE status IN (` + strings.Join(marks, ", ") + `)`
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}
