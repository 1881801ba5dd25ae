// Package store keeps scans and findings across runs, on SQLite (the embedded
// default) or PostgreSQL, with one schema and goose migrations. Findings are
// upserted by fingerprint per target and carry a lifecycle: a rescan marks
// findings that vanished as fixed and reopens those that return.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound  = errors.New("not found")
	ErrAmbiguous = errors.New("ambiguous finding id")
	// ErrInvalid marks input the store refuses (a missing reason, an expiry
	// in the past); its message is safe to show to the user.
	ErrInvalid = errors.New("invalid")
	// ErrConflict marks a change that lost a race (the password changed
	// while a login was checking the old one).
	ErrConflict = errors.New("conflict")
)

// Scan statuses.
const (
	// ScanCompleted: every scanner covered the whole target.
	ScanCompleted = "completed"
	// ScanPartial: only part of the target was covered (a --diff-base run, a
	// scanner that stopped early, a detection run that read some logs): the
	// run adds and refreshes findings and never marks vanished ones fixed.
	ScanPartial = "partial"
)

// Scan describes one run over one target.
type Scan struct {
	ID int64
	// Target identifies what was scanned (an absolute path or repository URL);
	// findings are unique per target and fingerprint.
	Target string
	// Scanners maps each scanner that ran to its version.
	Scanners   map[string]string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string
	// SkippedPaths are files a scanner could not read; findings there are not
	// marked fixed, since their absence proves nothing.
	SkippedPaths []string
}

// Result is what recording a scan changed.
type Result struct {
	ScanID    int64
	New       int
	Reopened  int
	Fixed     int
	Unchanged int
}

// Record is a stored finding with its lifecycle.
type Record struct {
	finding.Finding
	ID            int64
	Target        string
	FirstSeen     time.Time
	LastSeen      time.Time
	FixedAt       *time.Time
	StatusReason  string
	StatusExpires *time.Time
	StatusBy      string
	LastScanID    int64
}

// Filter selects findings. Zero fields match everything.
type Filter struct {
	Target      string
	Statuses    []finding.Status
	MinSeverity finding.Severity
	Category    finding.Category
	RuleID      string
	Limit       int
}

// Triage changes a finding's lifecycle state by hand.
type Triage struct {
	// ID is a finding's numeric id or a unique prefix of its fingerprint.
	ID     string
	Status finding.Status
	Reason string
	// Expires, for accepted only, is when the acceptance lapses: the next scan
	// that sees the finding after it reopens the finding.
	Expires *time.Time
	Actor   string
	// At is when the change is made; zero means now.
	At time.Time
}

// Event is one change in a finding's lifecycle, for the audit trail.
type Event struct {
	At     time.Time
	From   finding.Status
	To     finding.Status
	Reason string
	Actor  string
	ScanID int64
}

// Store is the persistence palisade needs. Implementations are safe for
// concurrent use, including concurrent RecordScan calls from several
// processes on one database.
type Store interface {
	// Migrate brings the schema up to date.
	Migrate(ctx context.Context) error
	// RecordScan stores a finished scan and its findings in one transaction:
	// either all of it is recorded or none of it.
	RecordScan(ctx context.Context, scan Scan, findings []finding.Finding) (Result, error)
	// Findings lists stored findings, most severe first.
	Findings(ctx context.Context, f Filter) ([]Record, error)
	// Tally counts findings grouped by the fields a query names, without
	// reading them: what the roadmap, the metrics and the service ranking
	// need from a store of any size.
	Tally(ctx context.Context, q TallyQuery) ([]Tally, error)
	// Finding returns one finding by numeric id or fingerprint prefix.
	Finding(ctx context.Context, id string) (Record, error)
	// Triage sets a finding's status and records who did it and why.
	Triage(ctx context.Context, t Triage) (Record, error)
	// History lists a finding's lifecycle events, oldest first.
	History(ctx context.Context, findingID int64) ([]Event, error)
	// Scans lists recent scans, newest first.
	Scans(ctx context.Context, limit int) ([]Scan, error)
	// Attest records a person's attestation of a roadmap control.
	Attest(ctx context.Context, a Attestation) (Attestation, error)
	// Attestations lists every attestation, newest first.
	Attestations(ctx context.Context) ([]Attestation, error)

	// CreateUser adds an account of the server (ErrExists when the name is taken).
	CreateUser(ctx context.Context, u User) (User, error)
	// UserByName and UserByID find a user (ErrNotFound).
	UserByName(ctx context.Context, name string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// UserBySSO finds the user pinned to an identity provider's (issuer,
	// subject); UserBySSOEmail the single sign-on user with an address
	// (ErrNotFound).
	UserBySSO(ctx context.Context, issuer, subject string) (User, error)
	UserBySSOEmail(ctx context.Context, email string) (User, error)
	// BindSSO pins a single sign-on user to an identity, once (ErrConflict).
	BindSSO(ctx context.Context, userID int64, issuer, subject string) error
	// CreateLoginFlow stores a single sign-on under way; TakeLoginFlow
	// removes and returns it, once, before it expires (ErrNotFound).
	CreateLoginFlow(ctx context.Context, f LoginFlow) error
	TakeLoginFlow(ctx context.Context, idHash string, now time.Time) (LoginFlow, error)
	// Users lists every user by name.
	Users(ctx context.Context) ([]User, error)
	// ChangeUser applies the set fields of a change in one statement;
	// disabling a user or setting a password ends the user's sessions.
	ChangeUser(ctx context.Context, userID int64, c UserChange) error
	// UseTOTPStep records a used TOTP time step; false when it (or a
	// later one) was used already.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// RehashPassword replaces oldHash with a stronger hash of the same
	// password, only if oldHash is still the stored one (ErrConflict).
	RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error
	// CreateSession opens a session only while the user is enabled and
	// still has the password hash the login checked (ErrConflict).
	CreateSession(ctx context.Context, s Session, checkedHash string) error
	Session(ctx context.Context, idHash string) (Session, error)
	TouchSession(ctx context.Context, idHash string, seen time.Time, authAt *time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteSessionsBefore removes idle and too old sessions.
	DeleteSessionsBefore(ctx context.Context, idle, absolute time.Time) (int64, error)
	// Audit appends to the audit log; AuditLog lists it, newest first.
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
	// EnqueueJob adds a job to the work queue.
	EnqueueJob(ctx context.Context, j Job) (Job, error)
	// ClaimJob leases the next due job (or one whose lease ran out) to a
	// worker, exclusively; ErrNotFound when none is due.
	ClaimJob(ctx context.Context, worker string, now time.Time, lease time.Duration) (Job, error)
	// ExtendLease and FinishJob work only for the holder of the claim's
	// lease token (ErrConflict otherwise).
	ExtendLease(ctx context.Context, id int64, token string, until time.Time) error
	FinishJob(ctx context.Context, id int64, token string, r JobResult) error
	// CancelJob stops a queued or running job (ErrConflict once it ended).
	CancelJob(ctx context.Context, id int64, now time.Time) error
	// JobByID returns a job; Jobs lists them, newest first.
	JobByID(ctx context.Context, id int64) (Job, error)
	Jobs(ctx context.Context, statuses []JobStatus, limit int) ([]Job, error)
	// Close releases the database.
	Close() error
}
