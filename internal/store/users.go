package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Roles, least privileged first. A route names the least role it needs.
const (
	RoleViewer  = "viewer"  // reads findings, the roadmap, services, metrics
	RoleTriager = "triager" // also triages findings and attests controls
	RoleAdmin   = "admin"   // also manages users and reads the audit log
)

// Roles lists every role in order of privilege.
var Roles = []string{RoleViewer, RoleTriager, RoleAdmin}

// ErrExists marks a name already taken.
var ErrExists = errors.New("already exists")

// User is an account of `palisade serve`. Password holds an Argon2id PHC
// string, never a password.
type User struct {
	ID        int64
	Name      string
	Role      string
	Password  string
	Disabled  bool
	CreatedAt time.Time
	// TOTPSecret and TOTPPending are encrypted by the server; empty when
	// the user has no second factor (or no enrollment under way).
	TOTPSecret  string
	TOTPPending string
	// TOTPLastStep is the last TOTP time step accepted, so no code is
	// accepted twice.
	TOTPLastStep int64
	// SSOEmail, set for a user who signs in through the identity provider
	// (and then has no password), is the address the first sign-in must
	// assert as verified; SSOIssuer and SSOSubject are the identity that
	// sign-in pinned, which every later one must match.
	SSOEmail   string
	SSOIssuer  string
	SSOSubject string
}

// SSO reports whether the user signs in through the identity provider.
func (u User) SSO() bool { return u.SSOEmail != "" }

// Session is a server-side session. IDHash is the SHA-256 of the token the
// browser holds, so a copy of the database opens no session.
type Session struct {
	IDHash     string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	// AuthAt is when the user last entered the password; sensitive actions
	// need it recent.
	AuthAt time.Time
}

// AuditEntry is one line of the audit log: who did what to what.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string
	Target string
	Detail string
}

// CreateUser adds a user. The name must be unused.
func (s *sqlStore) CreateUser(ctx context.Context, u User) (User, error) {
	if u.Name == "" || !validRole(u.Role) || (u.Password == "") == (u.SSOEmail == "") {
		return User{}, fmt.Errorf("create user %q: a name, a role, and either a password hash or a single sign-on address are required: %w", u.Name, ErrInvalid)
	}
	if u.SSOSubject != "" || u.SSOIssuer != "" {
		return User{}, fmt.Errorf("create user %q: the sign-in identity is pinned by the first sign-in: %w", u.Name, ErrInvalid)
	}
	if strings.ContainsFunc(u.SSOEmail, func(r rune) bool { return r >= 0x80 }) {
		return User{}, fmt.Errorf("create user %q: the single sign-on address must be ASCII: %w", u.Name, ErrInvalid)
	}
	u.SSOEmail = strings.ToLower(u.SSOEmail)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	u.CreatedAt = dbTime(u.CreatedAt)
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = $1 OR (sso_email <> '' AND sso_email = $2)`, u.Name, u.SSOEmail).Scan(&n); err != nil {
		return User{}, fmt.Errorf("create user %q: %w", u.Name, err)
	}
	if n > 0 {
		return User{}, fmt.Errorf("create user %q: %w", u.Name, ErrExists)
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO users (name, role, password, disabled, created_at, sso_email) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		u.Name, u.Role, u.Password, u.Disabled, u.CreatedAt, u.SSOEmail).Scan(&u.ID)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "unique") {
			return User{}, fmt.Errorf("create user %q: %w", u.Name, ErrExists)
		}
		return User{}, fmt.Errorf("create user %q: %w", u.Name, err)
	}
	return u, nil
}

func validRole(r string) bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

const userColumns = `id, name, role, password, disabled, created_at, totp_secret, totp_pending, totp_last_step, sso_email, sso_issuer, sso_subject`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	if err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Password, &u.Disabled, &u.CreatedAt, &u.TOTPSecret, &u.TOTPPending, &u.TOTPLastStep, &u.SSOEmail, &u.SSOIssuer, &u.SSOSubject); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// UserByName returns the user with that name, or ErrNotFound.
func (s *sqlStore) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", name, err)
	}
	return u, nil
}

// UserByID returns the user with that id, or ErrNotFound.
func (s *sqlStore) UserByID(ctx context.Context, id int64) (User, error) {
	return getUser(ctx, s.db, id)
}

func getUser(ctx context.Context, q querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// UserBySSO returns the user pinned to an identity provider's (issuer,
// subject), or ErrNotFound.
func (s *sqlStore) UserBySSO(ctx context.Context, issuer, subject string) (User, error) {
	if issuer == "" || subject == "" {
		return User{}, fmt.Errorf("user by sign-in identity: empty issuer or subject: %w", ErrInvalid)
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE sso_issuer = $1 AND sso_subject = $2`, issuer, subject))
	if err != nil {
		return User{}, fmt.Errorf("user by sign-in identity: %w", err)
	}
	return u, nil
}

// UserBySSOEmail returns the single sign-on user with that address (any
// case), or ErrNotFound.
func (s *sqlStore) UserBySSOEmail(ctx context.Context, email string) (User, error) {
	if strings.ContainsFunc(email, func(r rune) bool { return r >= 0x80 }) {
		// Unicode case folding would map other characters onto ASCII ones.
		return User{}, fmt.Errorf("user by sign-in address: not ASCII: %w", ErrNotFound)
	}
	email = strings.ToLower(email)
	if email == "" {
		return User{}, fmt.Errorf("user by sign-in address: empty address: %w", ErrInvalid)
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE sso_email = $1`, email))
	if err != nil {
		return User{}, fmt.Errorf("user by sign-in address: %w", err)
	}
	return u, nil
}

// BindSSO pins a single sign-on user to an identity, only while the user
// has none (ErrConflict otherwise, as when two first sign-ins race).
func (s *sqlStore) BindSSO(ctx context.Context, userID int64, issuer, subject string) error {
	if issuer == "" || subject == "" {
		return fmt.Errorf("bind user %d: empty issuer or subject: %w", userID, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE users SET sso_issuer = $1, sso_subject = $2 WHERE id = $3 AND sso_email <> '' AND sso_subject = ''`,
		issuer, subject, userID)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "unique") {
			return fmt.Errorf("bind user %d: the identity belongs to another user: %w", userID, ErrConflict)
		}
		return fmt.Errorf("bind user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("bind user %d: already bound or not a single sign-on user: %w", userID, ErrConflict)
	}
	return nil
}

// Users lists every user by name.
func (s *sqlStore) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UserChange is a change to a user; nil fields stay as they are.
type UserChange struct {
	Role     *string
	Disabled *bool
	Password *string // a new hash
	// TOTPPending starts an enrollment (an encrypted secret); ""
	// cancels it.
	TOTPPending *string
	// ConfirmTOTP, the pending secret the caller verified a code against,
	// makes it the user's second factor, only if it is still the pending
	// one (ErrConflict); ResetTOTP removes the second factor and any
	// enrollment. Both end the user's sessions.
	ConfirmTOTP string
	ResetTOTP   bool
	// ResetSSO unpins the user's sign-in identity, so the next sign-in
	// with the verified address pins a new one (a new account at the
	// provider); it ends the user's sessions.
	ResetSSO bool
}

// ChangeUser applies a change in one UPDATE, so two administrators (or an
// administrator and a password change) never overwrite each other's
// fields with stale copies. Disabling the user or setting a password ends
// every session of the user, in the same transaction.
func (s *sqlStore) ChangeUser(ctx context.Context, userID int64, c UserChange) error {
	var sets []string
	var args []any
	if c.Role != nil {
		if !validRole(*c.Role) {
			return fmt.Errorf("change user %d: role %q: %w", userID, *c.Role, ErrInvalid)
		}
		args = append(args, *c.Role)
		sets = append(sets, fmt.Sprintf("role = $%d", len(args)))
	}
	if c.Disabled != nil {
		args = append(args, *c.Disabled)
		sets = append(sets, fmt.Sprintf("disabled = $%d", len(args)))
	}
	if c.Password != nil {
		if *c.Password == "" {
			return fmt.Errorf("change user %d: empty password hash: %w", userID, ErrInvalid)
		}
		args = append(args, *c.Password)
		sets = append(sets, fmt.Sprintf("password = $%d", len(args)))
	}
	// A single sign-on user has no password to set: the provider checks
	// who signs in.
	noSSO := ""
	if c.Password != nil {
		noSSO = " AND sso_email = ''"
	}
	if c.TOTPPending != nil {
		args = append(args, *c.TOTPPending)
		sets = append(sets, fmt.Sprintf("totp_pending = $%d", len(args)))
	}
	where := ""
	switch {
	case c.ConfirmTOTP != "" && c.ResetTOTP:
		return fmt.Errorf("change user %d: confirm and reset a second factor at once: %w", userID, ErrInvalid)
	case c.ConfirmTOTP != "":
		args = append(args, c.ConfirmTOTP)
		sets = append(sets, fmt.Sprintf("totp_secret = $%d", len(args)), "totp_pending = ''")
		where = fmt.Sprintf(" AND totp_pending = $%d", len(args))
	case c.ResetTOTP:
		sets = append(sets, "totp_secret = ''", "totp_pending = ''", "totp_last_step = 0")
	}
	if c.ResetSSO {
		sets = append(sets, "sso_issuer = ''", "sso_subject = ''")
	}
	if len(sets) == 0 {
		return fmt.Errorf("change user %d: nothing to change: %w", userID, ErrInvalid)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("change user %d: %w", userID, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	args = append(args, userID)
	// The SET clause is built from constant column names only; values are parameters.
	res, err := tx.ExecContext(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args))+where+noSSO, args...)
	if err != nil {
		return fmt.Errorf("change user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		switch {
		case where != "":
			return fmt.Errorf("change user %d: the enrollment changed meanwhile: %w", userID, ErrConflict)
		case noSSO != "":
			if _, err := getUser(ctx, tx, userID); err == nil {
				return fmt.Errorf("change user %d: the user signs in with single sign-on and has no password: %w", userID, ErrInvalid)
			}
		}
		return fmt.Errorf("change user %d: %w", userID, ErrNotFound)
	}
	if c.Password != nil || c.Disabled != nil && *c.Disabled || c.ResetTOTP || c.ConfirmTOTP != "" || c.ResetSSO {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("change user %d: end sessions: %w", userID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("change user %d: %w", userID, err)
	}
	return nil
}

// RehashPassword stores a new hash of the same password (stronger
// parameters) without ending the user's sessions, and only if the stored
// hash is still the one the login verified.
func (s *sqlStore) RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error {
	if newHash == "" || oldHash == "" {
		return fmt.Errorf("rehash user %d: empty hash: %w", userID, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password = $1 WHERE id = $2 AND password = $3`, newHash, userID, oldHash)
	if err != nil {
		return fmt.Errorf("rehash user %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rehash user %d: the password changed meanwhile: %w", userID, ErrConflict)
	}
	return nil
}

// UseTOTPStep records that a TOTP code of the given time step was used,
// and reports false when that step (or a later one) was used already: each
// code logs in once, even when two requests race with it.
func (s *sqlStore) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
	if err != nil {
		return false, fmt.Errorf("use TOTP step of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CreateSession stores a new session, in one statement that also checks
// that the user is enabled and still has the password hash the login
// verified: a password change or a disable that lands during the login's
// Argon2 work leaves no session behind.
func (s *sqlStore) CreateSession(ctx context.Context, se Session, checkedHash string) error {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, auth_at)
		 SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2 AND password = $6 AND disabled = $7`,
		se.IDHash, se.UserID, dbTime(se.CreatedAt), dbTime(se.LastSeenAt), dbTime(se.AuthAt), checkedHash, false)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create session: the account changed meanwhile: %w", ErrConflict)
	}
	return nil
}

// Session returns the session with that token hash, or ErrNotFound.
func (s *sqlStore) Session(ctx context.Context, idHash string) (Session, error) {
	var se Session
	err := s.db.QueryRowContext(ctx,
		`SELECT id_hash, user_id, created_at, last_seen_at, auth_at FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&se.IDHash, &se.UserID, &se.CreatedAt, &se.LastSeenAt, &se.AuthAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	se.CreatedAt, se.LastSeenAt, se.AuthAt = se.CreatedAt.UTC(), se.LastSeenAt.UTC(), se.AuthAt.UTC()
	return se, nil
}

// TouchSession records activity, and a fresh password entry when authAt is
// set.
func (s *sqlStore) TouchSession(ctx context.Context, idHash string, seen time.Time, authAt *time.Time) error {
	var err error
	if authAt != nil {
		_, err = s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, auth_at = $2 WHERE id_hash = $3`, dbTime(seen), dbTime(*authAt), idHash)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, dbTime(seen), idHash)
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session.
func (s *sqlStore) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionsBefore removes sessions idle since before idle or created
// before absolute, and returns how many.
func (s *sqlStore) DeleteSessionsBefore(ctx context.Context, idle, absolute time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`, dbTime(idle), dbTime(absolute))
	if err != nil {
		return 0, fmt.Errorf("expire sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Audit appends to the audit log.
func (s *sqlStore) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`,
		dbTime(e.At), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog lists the newest entries first; limit <= 0 lists all.
func (s *sqlStore) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	q := `SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT $1`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}
