package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/program"
	"github.com/palisade-sec/palisade/internal/regular"
	"github.com/palisade-sec/palisade/internal/store"
)

// routes is every endpoint. The role × route test walks this list, so a
// route cannot be added without being tried with every role.
func (s *Server) routes() []Route {
	return []Route{
		api("GET", "/healthz", "", false, health),
		api("POST", "/api/login", "", false, login),
		api("POST", "/api/logout", store.RoleViewer, false, logout),
		api("POST", "/api/reauth", store.RoleViewer, false, reauth),
		api("GET", "/api/me", store.RoleViewer, false, me),
		api("POST", "/api/password", store.RoleViewer, false, changePassword),
		api("POST", "/api/mfa/enroll", store.RoleViewer, true, enrollMFA),
		api("POST", "/api/mfa/confirm", store.RoleViewer, true, confirmMFA),
		api("GET", "/api/findings", store.RoleViewer, false, listFindings),
		api("GET", "/api/findings/{id}", store.RoleViewer, false, showFinding),
		api("POST", "/api/findings/{id}/triage", store.RoleTriager, true, triageFinding),
		api("GET", "/api/scans", store.RoleViewer, false, listScans),
		api("GET", "/api/roadmap", store.RoleViewer, false, roadmap),
		api("POST", "/api/roadmap/attestations", store.RoleTriager, true, attest),
		api("GET", "/api/services", store.RoleViewer, false, services),
		api("GET", "/api/metrics", store.RoleViewer, false, metrics),
		api("GET", "/api/users", store.RoleAdmin, false, listUsers),
		api("POST", "/api/users", store.RoleAdmin, true, createUser),
		api("POST", "/api/users/{name}", store.RoleAdmin, true, updateUser),
		api("GET", "/api/audit", store.RoleAdmin, false, auditLog),

		// The web UI: HTML pages and forms over the same store and rules.
		page("GET", "/static/app.css", "", false, stylesheet),
		page("GET", "/login", "", false, loginPage),
		page("POST", "/login", "", false, loginForm),
		page("GET", "/login/sso", "", false, ssoLogin),
		page("GET", ssoCallbackPath, "", false, ssoCallback),
		page("GET", "/reauth/sso", store.RoleViewer, false, ssoReauth),
		page("POST", "/logout", store.RoleViewer, false, logoutForm),
		page("GET", "/reauth", store.RoleViewer, false, reauthPage),
		page("POST", "/reauth", store.RoleViewer, false, reauthForm),
		page("GET", "/{$}", store.RoleViewer, false, dashboardPage),
		page("GET", "/findings", store.RoleViewer, false, findingsPage),
		page("GET", "/findings/{id}", store.RoleViewer, false, findingPage),
		page("POST", "/findings/{id}/triage", store.RoleTriager, true, triageForm),
		page("GET", "/roadmap", store.RoleViewer, false, roadmapPage),
		page("GET", "/services", store.RoleViewer, false, servicesPage),
		page("GET", "/account", store.RoleViewer, false, accountPage),
		page("POST", "/account/password", store.RoleViewer, false, passwordForm),
		page("POST", "/account/mfa/enroll", store.RoleViewer, true, enrollForm),
		page("POST", "/account/mfa/confirm", store.RoleViewer, true, confirmForm),
	}
}

type handler = func(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error

// api is a JSON route; page is a route of the web UI, which answers a
// missing session with a redirect to the login page instead of 401.
func api(method, path, role string, reauth bool, h handler) Route {
	return Route{Method: method, Path: path, Role: role, Reauth: reauth, handle: h}
}

func page(method, path, role string, reauth bool, h handler) Route {
	return Route{Method: method, Path: path, Role: role, Reauth: reauth, UI: true, handle: h}
}

// Input allowlists.
var (
	userNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{1,63}$`)
	findingIDRe = regexp.MustCompile(`^[0-9a-f]{1,64}$`)
	controlIDRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	ruleIDRe    = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,128}$`)
)

// plainName is a parameter name safe to repeat back.
var plainName = regexp.MustCompile(`^[a-z_]{1,32}$`)

// echoName names a rejected parameter in an error only when it is a plain
// word, so an error page cannot be made to show an attacker's sentence.
func echoName(k string) string {
	if plainName.MatchString(k) {
		return " " + strconv.Quote(k)
	}
	return ""
}

// invalidMessage is the text of a store validation error without the
// sentinel's own word.
func invalidMessage(err error) string {
	return cleanText(strings.TrimSuffix(err.Error(), ": "+store.ErrInvalid.Error()))
}

// ValidUserName reports whether name is a valid account name: 2 to 64
// lower-case letters, digits, '.', '_', '@' or '-'.
func ValidUserName(name string) bool { return userNameRe.MatchString(name) }

// maxText bounds free text (reasons, notes).
const maxText = 2000

// cleanText keeps text a client sent or a parser quoted printable.
func cleanText(s string) string { return program.Clean(s) }

// text validates free text: required, at most maxText bytes, no control
// characters.
func text(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errorf(http.StatusBadRequest, "%s is required", field)
	case len(s) > maxText:
		return "", errorf(http.StatusBadRequest, "%s is longer than %d bytes", field, maxText)
	case program.Clean(s) != s:
		return "", errorf(http.StatusBadRequest, "%s contains control characters", field)
	}
	return s, nil
}

// query allows only the named parameters, each at most once.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q := r.URL.Query()
	for k, v := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return nil, errorf(http.StatusBadRequest, "unknown query parameter%s", echoName(k))
		}
		if len(v) > 1 {
			return nil, errorf(http.StatusBadRequest, "query parameter %q given twice", k)
		}
	}
	return q, nil
}

func (s *Server) audit(r *http.Request, actor, action, target, detail string) error {
	return s.opts.Store.Audit(r.Context(), store.AuditEntry{At: s.opts.Now(), Actor: actor, Action: action, Target: target, Detail: detail})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func health(_ *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// dummyHash is verified when a login names no user, so the answer takes as
// long as for a real one. It is made on first use: hashing at start-up
// would cost every palisade command Argon2's 19 MiB.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = HashPassword("palisade dummy password", s.opts.Argon2) })
	return s.dummy
}

func login(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := decode(r, &in, "name", "password", "code"); err != nil {
		return err
	}
	token, status, msg, err := s.startSession(r, in.Name, in.Password, in.Code)
	if err != nil {
		return err
	}
	if token == "" {
		return errorf(status, "%s", msg)
	}
	http.SetCookie(w, sessionCookie(token, int(s.opts.AbsoluteTimeout.Seconds())))
	u, err := s.opts.Store.UserByName(r.Context(), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": u.Name, "role": u.Role})
	return nil
}

// startSession checks a name and password and opens a session. It returns
// the new token, or no token with the status and message to show: wrong
// credentials and lockouts are answers, not errors.
func (s *Server) startSession(r *http.Request, name, password, code string) (token string, status int, msg string, err error) {
	now := s.opts.Now()
	addr := addrKey(r)
	if !userNameRe.MatchString(name) || len(password) > maxPassword {
		// No password check runs, but the attempt counts against the
		// address, and once it is locked nothing more is written.
		allowed, lastTry := s.throttle.attempt(now, addr)
		if !allowed {
			return "", http.StatusTooManyRequests, "too many failed logins: try again in 15 minutes", nil
		}
		if err := s.audit(r, "?", "login_failed", "malformed user name", "from "+clientAddr(r)); err != nil {
			return "", 0, "", err
		}
		if lastTry {
			if err := s.audit(r, "?", "login_locked", "address "+clientAddr(r), fmt.Sprintf("for %s", lockout)); err != nil {
				return "", 0, "", err
			}
		}
		return "", http.StatusUnauthorized, "wrong name, password or code", nil
	}
	keys := []string{"user:" + name, addr}
	allowed, lastTry := s.throttle.attempt(now, keys...)
	if !allowed {
		return "", http.StatusTooManyRequests, "too many failed logins: try again in 15 minutes", nil
	}
	u, err := s.opts.Store.UserByName(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.throttle.undo(keys...) // no password was checked
		return "", 0, "", err
	}
	// A single sign-on user has no password: the attempt fails like an
	// unknown name, at the same cost.
	known := err == nil && !u.SSO()
	var ok, rehash bool
	var verr error
	if err := withArgon2(r.Context(), func() {
		hash := u.Password
		if !known {
			hash = s.dummyHash()
		}
		ok, rehash, verr = VerifyPassword(hash, password, s.opts.Argon2)
	}); err != nil {
		s.throttle.undo(keys...) // no password was checked (busy, or the client left)
		return "", 0, "", err
	}
	hash := u.Password
	if verr != nil {
		return "", 0, "", verr
	}
	if !known || !ok || u.Disabled {
		if err := s.audit(r, name, "login_failed", "user "+name, "from "+clientAddr(r)); err != nil {
			return "", 0, "", err
		}
		// The failure that reaches a limit is audited once; the refused
		// attempts after it are not, so a flood cannot bury the log.
		if lastTry {
			if err := s.audit(r, name, "login_locked", "user "+name+" or address "+clientAddr(r), fmt.Sprintf("for %s", lockout)); err != nil {
				return "", 0, "", err
			}
		}
		return "", http.StatusUnauthorized, "wrong name, password or code", nil
	}
	// A user with a second factor also needs a current code, used once.
	if u.TOTPSecret != "" {
		ok, err := s.checkSecondFactor(r, u, code)
		if err != nil {
			return "", 0, "", err
		}
		if !ok {
			if err := s.audit(r, name, "login_failed", "user "+name, "wrong or reused second-factor code, from "+clientAddr(r)); err != nil {
				return "", 0, "", err
			}
			if lastTry {
				if err := s.audit(r, name, "login_locked", "user "+name+" or address "+clientAddr(r), fmt.Sprintf("for %s", lockout)); err != nil {
					return "", 0, "", err
				}
			}
			return "", http.StatusUnauthorized, "wrong name, password or code", nil
		}
	}
	s.throttle.succeed(keys...)
	if rehash {
		var h string
		var herr error
		if err := withArgon2(r.Context(), func() { h, herr = HashPassword(password, s.opts.Argon2) }); err == nil && herr == nil {
			switch err := s.opts.Store.RehashPassword(r.Context(), u.ID, hash, h); {
			case err == nil:
				if err := s.audit(r, u.Name, "password_rehashed", "user "+u.Name, "current Argon2id parameters"); err != nil {
					return "", 0, "", err
				}
				hash = h
			case errors.Is(err, store.ErrConflict):
				return "", http.StatusUnauthorized, "wrong name, password or code", nil
			default:
				return "", 0, "", err
			}
		}
	}
	token, err = newToken()
	if err != nil {
		return "", 0, "", err
	}
	// The session is created only if the account still has the hash just
	// verified: a password change or a disable during the check wins.
	err = s.opts.Store.CreateSession(r.Context(), store.Session{IDHash: tokenHash(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, AuthAt: now}, hash)
	if errors.Is(err, store.ErrConflict) {
		return "", http.StatusUnauthorized, "wrong name, password or code", nil
	}
	if err != nil {
		return "", 0, "", err
	}
	if err := s.audit(r, u.Name, "login", "user "+u.Name, "from "+clientAddr(r)); err != nil {
		return "", 0, "", err
	}
	return token, http.StatusOK, "", nil
}

// errSSOUser answers a password or second-factor request of a user who
// signs in through the identity provider, which checks both.
var errSSOUser = errorf(http.StatusBadRequest, "you sign in with single sign-on: your identity provider checks your password and second factor (re-authenticate at /reauth/sso)")

// checkSecondFactor checks a TOTP code against the user's secret and
// spends its time step.
func (s *Server) checkSecondFactor(r *http.Request, u store.User, code string) (bool, error) {
	secret, err := s.openTOTP(u.ID, u.TOTPSecret)
	if err != nil {
		// A missing or changed server key: the login fails like a wrong
		// code (no 500 that would confirm the password), and the operator
		// sees why. serve refuses to start in that state.
		s.opts.Logger.Error("second factor cannot be checked", "user", u.Name, "err", err)
		return false, nil
	}
	step, ok, err := checkTOTP(secret, code, s.opts.Now())
	if err != nil || !ok {
		return false, err
	}
	return s.opts.Store.UseTOTPStep(r.Context(), u.ID, step)
}

func enrollMFA(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in, "code"); err != nil {
		return err
	}
	secret, err := s.startEnrollment(r, c, in.Code)
	if err != nil {
		return err
	}
	// The secret is shown this once, for the authenticator app.
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret, "otpauth_url": otpauthURL(c.user.Name, secret),
		"next": "POST /api/mfa/confirm with a current code"})
	return nil
}

// startEnrollment creates a pending second factor and returns its secret.
func (s *Server) startEnrollment(r *http.Request, c *caller, code string) (string, error) {
	if c.user.SSO() {
		return "", errSSOUser
	}
	// Replacing a second factor takes a code from it: a stolen session and
	// password must not be enough to swap in the thief's app.
	if c.user.TOTPSecret != "" {
		ok, err := s.checkSecondFactor(r, c.user, code)
		if err != nil {
			return "", err
		}
		if !ok {
			if err := s.audit(r, c.user.Name, "mfa_enrollment_refused", "user "+c.user.Name, "no valid code from the current factor"); err != nil {
				return "", err
			}
			return "", errorf(http.StatusBadRequest, "send a current code from your present authenticator (code)")
		}
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return "", err
	}
	sealed, err := s.sealTOTP(c.user.ID, secret)
	if errors.Is(err, ErrNoSecretKey) {
		return "", errorf(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return "", err
	}
	if err := s.opts.Store.ChangeUser(r.Context(), c.user.ID, store.UserChange{TOTPPending: &sealed}); err != nil {
		return "", err
	}
	return secret, s.audit(r, c.user.Name, "mfa_enrollment_started", "user "+c.user.Name, "")
}

func confirmMFA(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in, "code"); err != nil {
		return err
	}
	if err := s.finishEnrollment(r, c, in.Code); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// finishEnrollment turns the pending second factor on after checking a
// code from it; every session of the user ends.
func (s *Server) finishEnrollment(r *http.Request, c *caller, code string) error {
	if c.user.SSO() {
		return errSSOUser
	}
	if c.user.TOTPPending == "" {
		return errorf(http.StatusBadRequest, "no enrollment under way (POST /api/mfa/enroll)")
	}
	pending := c.user
	pending.TOTPSecret = c.user.TOTPPending
	ok, err := s.checkSecondFactor(r, pending, code)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.audit(r, c.user.Name, "mfa_confirm_failed", "user "+c.user.Name, ""); err != nil {
			return err
		}
		return errorf(http.StatusBadRequest, "wrong or reused code")
	}
	// Only the secret the code was checked against is installed; every
	// session ends, this one included, so sessions stolen before the
	// second factor do not outlive it.
	err = s.opts.Store.ChangeUser(r.Context(), c.user.ID, store.UserChange{ConfirmTOTP: c.user.TOTPPending})
	if errors.Is(err, store.ErrConflict) {
		return errorf(http.StatusConflict, "another enrollment started meanwhile: enroll again")
	}
	if err != nil {
		return err
	}
	action := "mfa_enabled"
	if c.user.TOTPSecret != "" {
		action = "mfa_replaced"
	}
	return s.audit(r, c.user.Name, action, "user "+c.user.Name, "")
}

func logout(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.opts.Store.DeleteSession(r.Context(), c.session.IDHash); err != nil {
		return err
	}
	if err := s.audit(r, c.user.Name, "logout", "user "+c.user.Name, ""); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func reauth(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := decode(r, &in, "password", "code"); err != nil {
		return err
	}
	ok, err := s.confirmIdentity(r, c, in.Password, in.Code)
	if err != nil {
		return err
	}
	if !ok {
		// 400, not 401: the session is valid, the password in the body is not.
		return errorf(http.StatusBadRequest, "wrong password")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// confirmIdentity re-authenticates: the password and, for a user with a
// second factor, a current code. Only then is the fresh entry recorded.
func (s *Server) confirmIdentity(r *http.Request, c *caller, password, code string) (bool, error) {
	if c.user.SSO() {
		return false, errSSOUser
	}
	if c.user.TOTPSecret == "" {
		return s.confirmPassword(r, c, password, true)
	}
	ok, err := s.confirmPassword(r, c, password, false)
	if err != nil || !ok {
		return ok, err
	}
	if ok, err = s.checkSecondFactor(r, c.user, code); err != nil || !ok {
		if err == nil {
			err = s.audit(r, c.user.Name, "reauth_failed", "user "+c.user.Name, "wrong or reused second-factor code")
		}
		return false, err
	}
	now := s.opts.Now()
	return true, s.opts.Store.TouchSession(r.Context(), c.session.IDHash, now, &now)
}

// confirmPassword checks the caller's password again and, when it is
// right and record is set, records the fresh entry on the session.
// Attempts count against the user's lockout before the check runs.
func (s *Server) confirmPassword(r *http.Request, c *caller, password string, record bool) (bool, error) {
	now := s.opts.Now()
	key := "user:" + c.user.Name
	allowed, lastTry := s.throttle.attempt(now, key)
	if !allowed {
		return false, errorf(http.StatusTooManyRequests, "too many failed attempts: try again in 15 minutes")
	}
	var ok bool
	var verr error
	if err := withArgon2(r.Context(), func() { ok, _, verr = VerifyPassword(c.user.Password, password, s.opts.Argon2) }); err != nil {
		s.throttle.undo(key) // no password was checked
		return false, err
	}
	if verr != nil {
		return false, verr
	}
	if !ok {
		if err := s.audit(r, c.user.Name, "reauth_failed", "user "+c.user.Name, ""); err != nil {
			return false, err
		}
		if lastTry {
			return false, s.audit(r, c.user.Name, "login_locked", "user "+c.user.Name, fmt.Sprintf("after failed password entries, for %s", lockout))
		}
		return false, nil
	}
	s.throttle.succeed(key)
	if !record {
		return true, nil
	}
	return true, s.opts.Store.TouchSession(r.Context(), c.session.IDHash, now, &now)
}

func me(_ *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": c.user.Name, "role": c.user.Role, "password_entered_at": c.session.AuthAt})
	return nil
}

func changePassword(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := decode(r, &in, "current", "new"); err != nil {
		return err
	}
	if err := s.setPassword(r, c, in.Current, in.New); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setPassword changes the caller's password after checking the current
// one; every session of the user ends.
func (s *Server) setPassword(r *http.Request, c *caller, current, next string) error {
	if c.user.SSO() {
		return errSSOUser
	}
	ok, err := s.confirmPassword(r, c, current, false)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusBadRequest, "wrong current password")
	}
	if err := CheckPassword(c.user.Name, next); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	var h string
	var herr error
	if err := withArgon2(r.Context(), func() { h, herr = HashPassword(next, s.opts.Argon2) }); err != nil {
		return err
	}
	if herr != nil {
		return herr
	}
	// Only the password changes (one UPDATE): a role change or a disable
	// made meanwhile by an admin stays. Every session of the user ends.
	if err := s.opts.Store.ChangeUser(r.Context(), c.user.ID, store.UserChange{Password: &h}); err != nil {
		return err
	}
	return s.audit(r, c.user.Name, "password_changed", "user "+c.user.Name, "")
}

// findingJSON is a stored finding as the API shows it.
type findingJSON struct {
	ID        int64     `json:"id"`
	Target    string    `json:"target"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	finding.Finding
}

func toJSON(r store.Record) findingJSON {
	return findingJSON{ID: r.ID, Target: r.Target, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Finding: r.Finding}
}

func listFindings(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	q, err := query(r, "status", "min_severity", "category", "rule", "target", "limit")
	if err != nil {
		return err
	}
	f := store.Filter{Limit: 100, Statuses: []finding.Status{finding.StatusOpen}}
	if v := q.Get("status"); v != "" {
		f.Statuses = nil
		for _, part := range strings.Split(v, ",") {
			st, err := finding.ParseStatus(part)
			if err != nil {
				return errorf(http.StatusBadRequest, "status: %v", cleanText(err.Error()))
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if v := q.Get("min_severity"); v != "" {
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "min_severity: %v", cleanText(err.Error()))
		}
		f.MinSeverity = sev
	}
	if v := q.Get("category"); v != "" {
		if c := finding.Category(v); c.Valid() {
			f.Category = c
		} else {
			return errorf(http.StatusBadRequest, "category: unknown %q", cleanText(v))
		}
	}
	if v := q.Get("rule"); v != "" {
		if !ruleIDRe.MatchString(v) {
			return errorf(http.StatusBadRequest, "rule: not a rule id")
		}
		f.RuleID = v
	}
	if v := q.Get("target"); v != "" {
		if len(v) > 1024 || cleanText(v) != v {
			return errorf(http.StatusBadRequest, "target: not a scan target")
		}
		f.Target = v
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(http.StatusBadRequest, "limit: a number from 1 to 1000")
		}
		f.Limit = n
	}
	recs, err := s.opts.Store.Findings(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]findingJSON, 0, len(recs))
	for _, rec := range recs {
		out = append(out, toJSON(rec))
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": out})
	return nil
}

func findingID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !findingIDRe.MatchString(id) {
		return "", errorf(http.StatusBadRequest, "finding id: a number or a fingerprint prefix")
	}
	return id, nil
}

// findingWithHistory reads the finding a page or route names, with its
// lifecycle history.
func (s *Server) findingWithHistory(r *http.Request) (store.Record, []store.Event, error) {
	if _, err := query(r); err != nil {
		return store.Record{}, nil, err
	}
	id, err := findingID(r)
	if err != nil {
		return store.Record{}, nil, err
	}
	rec, err := s.opts.Store.Finding(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Record{}, nil, errorf(http.StatusNotFound, "no finding %s", id)
	case errors.Is(err, store.ErrAmbiguous):
		return store.Record{}, nil, errorf(http.StatusBadRequest, "finding id %s is ambiguous", id)
	case err != nil:
		return store.Record{}, nil, err
	}
	hist, err := s.opts.Store.History(r.Context(), rec.ID)
	return rec, hist, err
}

func showFinding(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	rec, hist, err := s.findingWithHistory(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"finding": toJSON(rec), "history": hist})
	return nil
}

func triageFinding(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := findingID(r)
	if err != nil {
		return err
	}
	var in struct {
		Status  string `json:"status"`
		Reason  string `json:"reason"`
		Expires string `json:"expires"`
	}
	if err := decode(r, &in, "status", "reason", "expires"); err != nil {
		return err
	}
	rec, err := s.triage(r, c, id, in.Status, in.Reason, in.Expires)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"finding": toJSON(rec)})
	return nil
}

// triage validates and applies a triage by the caller, and audits it.
func (s *Server) triage(r *http.Request, c *caller, id, status, reason, expires string) (store.Record, error) {
	st, err := finding.ParseStatus(status)
	if err != nil {
		return store.Record{}, errorf(http.StatusBadRequest, "status: %s", cleanText(err.Error()))
	}
	reason, err = text("reason", reason)
	if err != nil {
		return store.Record{}, err
	}
	t := store.Triage{ID: id, Status: st, Reason: reason, Actor: c.user.Name, At: s.opts.Now()}
	if expires != "" {
		d, err := time.Parse(time.DateOnly, expires)
		if err != nil {
			return store.Record{}, errorf(http.StatusBadRequest, "expires: want YYYY-MM-DD")
		}
		end := d.AddDate(0, 0, 1)
		t.Expires = &end
	}
	rec, err := s.opts.Store.Triage(r.Context(), t)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Record{}, errorf(http.StatusNotFound, "no finding %s", id)
	case errors.Is(err, store.ErrAmbiguous):
		return store.Record{}, errorf(http.StatusBadRequest, "finding id %s is ambiguous", id)
	case errors.Is(err, store.ErrInvalid):
		// The store refuses bad combinations (an expiry on a non-accepted status).
		return store.Record{}, errorf(http.StatusBadRequest, "%s", invalidMessage(err))
	case err != nil:
		return store.Record{}, err
	}
	if err := s.audit(r, c.user.Name, "triage", fmt.Sprintf("finding %d", rec.ID), string(st)+": "+reason); err != nil {
		return store.Record{}, err
	}
	return rec, nil
}

func listScans(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	q, err := query(r, "limit")
	if err != nil {
		return err
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return errorf(http.StatusBadRequest, "limit: a number from 1 to 1000")
		}
	}
	scans, err := s.opts.Store.Scans(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"scans": scans})
	return nil
}

// ranking ranks the catalog's services on the open findings; nil when no
// catalog is configured.
func (s *Server) ranking(r *http.Request) (*program.Ranking, error) {
	c, err := s.catalog()
	if err != nil || c == nil {
		return nil, err
	}
	rk, err := program.RankServices(r.Context(), s.opts.Store, c, s.opts.Now().UTC())
	if err != nil {
		return nil, err
	}
	return &rk, nil
}

// catalog reads the configured service catalog, nil when none is set.
func (s *Server) catalog() (*program.Catalog, error) {
	if s.opts.Catalog == "" {
		return nil, nil
	}
	f, err := regular.Open(s.opts.Catalog)
	if err != nil {
		return nil, fmt.Errorf("service catalog: %w", err)
	}
	defer f.Close()
	return program.ParseCatalog(f, s.opts.Catalog)
}

// roadmapResults evaluates every roadmap control on the store's evidence,
// for the roadmap route, its page and the overview.
func (s *Server) roadmapResults(r *http.Request) ([]program.Result, program.Evidence, error) {
	controls := program.Controls()
	ev, err := s.evidence(r, controls)
	if err != nil {
		return nil, program.Evidence{}, err
	}
	return program.Evaluate(controls, ev), ev, nil
}

func roadmap(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	results, _, err := s.roadmapResults(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"summary": program.Summarize(results), "controls": program.Views(results)})
	return nil
}

func attest(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Control string `json:"control"`
		Note    string `json:"note"`
		Expires string `json:"expires"`
	}
	if err := decode(r, &in, "control", "note", "expires"); err != nil {
		return err
	}
	if !controlIDRe.MatchString(in.Control) {
		return errorf(http.StatusBadRequest, "control: not a control id")
	}
	ctl, ok := program.ControlByID(in.Control)
	if !ok || !ctl.Attest {
		return errorf(http.StatusBadRequest, "control %s is not one a person attests", in.Control)
	}
	note, err := text("note", in.Note)
	if err != nil {
		return err
	}
	d, err := time.Parse(time.DateOnly, in.Expires)
	if err != nil {
		return errorf(http.StatusBadRequest, "expires: want YYYY-MM-DD, the last day it holds")
	}
	a, err := s.opts.Store.Attest(r.Context(), store.Attestation{ControlID: ctl.ID, By: c.user.Name, Note: note, At: s.opts.Now(), Expires: d.AddDate(0, 0, 1)})
	if errors.Is(err, store.ErrInvalid) {
		return errorf(http.StatusBadRequest, "%s", invalidMessage(err))
	}
	if err != nil {
		return err
	}
	if err := s.audit(r, c.user.Name, "attest", "control "+ctl.ID, note); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"control": a.ControlID, "by": a.By, "expires": a.Expires})
	return nil
}

func services(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	rk, err := s.ranking(r)
	if err != nil {
		return err
	}
	if rk == nil {
		return errorf(http.StatusNotFound, "no service catalog configured (palisade serve --catalog)")
	}
	type svc struct {
		Name  string `json:"name"`
		Owner string `json:"owner"`
		program.Ranked
	}
	out := make([]svc, 0, len(rk.Services))
	for _, x := range rk.Services {
		out = append(out, svc{x.Service.Name, x.Service.Owner, x})
	}
	writeJSON(w, http.StatusOK, map[string]any{"services": out, "unassigned": rk.Unassigned})
	return nil
}

func metrics(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	q, err := query(r, "window_days")
	if err != nil {
		return err
	}
	days := 90
	if v := q.Get("window_days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > 3660 {
			return errorf(http.StatusBadRequest, "window_days: a number from 1 to 3660")
		}
	}
	scans, err := s.opts.Store.Scans(r.Context(), 0)
	if err != nil {
		return err
	}
	m, err := program.Measure(r.Context(), s.opts.Store, scans, s.opts.Now().UTC(), time.Duration(days)*24*time.Hour, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// userJSON is a user as the API shows it: never the password hash.
type userJSON struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// SSOEmail is set for a user who signs in through the identity
	// provider; SSOPinned once a sign-in has pinned the provider's identity.
	SSOEmail  string `json:"sso_email,omitempty"`
	SSOPinned bool   `json:"sso_pinned,omitempty"`
}

func toUserJSON(u store.User) userJSON {
	return userJSON{Name: u.Name, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt, SSOEmail: u.SSOEmail, SSOPinned: u.SSOSubject != ""}
}

// emailRe allowlists a single sign-on address (lower case): a plain local
// part and a dotted host name.
var emailRe = regexp.MustCompile(`^[a-z0-9._%+\-]{1,64}@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+$`)

// ValidSSOEmail reports whether addr is an acceptable single sign-on
// address: a plain lower-case address of at most 254 bytes.
func ValidSSOEmail(addr string) bool { return len(addr) <= 254 && emailRe.MatchString(addr) }

func listUsers(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	users, err := s.opts.Store.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, toUserJSON(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func createUser(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
		SSOEmail string `json:"sso_email"`
	}
	if err := decode(r, &in, "name", "role", "password", "sso_email"); err != nil {
		return err
	}
	if !userNameRe.MatchString(in.Name) {
		return errorf(http.StatusBadRequest, "name: 2 to 64 lower-case letters, digits, '.', '_', '@' or '-'")
	}
	if roleRank(in.Role) == 0 {
		return errorf(http.StatusBadRequest, "role: one of %s", strings.Join(store.Roles, ", "))
	}
	nu := store.User{Name: in.Name, Role: in.Role, CreatedAt: s.opts.Now()}
	switch {
	case in.SSOEmail != "" && in.Password != "":
		return errorf(http.StatusBadRequest, "send a password or an sso_email, not both")
	case in.SSOEmail != "":
		nu.SSOEmail = strings.ToLower(in.SSOEmail)
		if !ValidSSOEmail(nu.SSOEmail) {
			return errorf(http.StatusBadRequest, "sso_email: not an e-mail address")
		}
	default:
		if err := CheckPassword(in.Name, in.Password); err != nil {
			return errorf(http.StatusBadRequest, "%v", err)
		}
		var herr error
		if err := withArgon2(r.Context(), func() { nu.Password, herr = HashPassword(in.Password, s.opts.Argon2) }); err != nil {
			return err
		}
		if herr != nil {
			return herr
		}
	}
	u, err := s.opts.Store.CreateUser(r.Context(), nu)
	if errors.Is(err, store.ErrExists) {
		return errorf(http.StatusConflict, "user %s or the address exists", in.Name)
	}
	if err != nil {
		return err
	}
	detail := "role " + u.Role
	if u.SSO() {
		detail += ", single sign-on as " + u.SSOEmail
	}
	if err := s.audit(r, c.user.Name, "user_created", "user "+u.Name, detail); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
	return nil
}

func updateUser(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	if !userNameRe.MatchString(name) {
		return errorf(http.StatusBadRequest, "name: not a user name")
	}
	var in struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
		MFAReset bool    `json:"mfa_reset"`
		SSOReset bool    `json:"sso_reset"`
	}
	if err := decode(r, &in, "role", "disabled", "mfa_reset", "sso_reset"); err != nil {
		return err
	}
	u, err := s.opts.Store.UserByName(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "no user %s", name)
	}
	if err != nil {
		return err
	}
	if u.ID == c.user.ID {
		// An admin who demotes or disables themselves can lock everyone out.
		return errorf(http.StatusBadRequest, "change another admin's account, not your own")
	}
	var changes []string
	if in.Role != nil {
		if roleRank(*in.Role) == 0 {
			return errorf(http.StatusBadRequest, "role: one of %s", strings.Join(store.Roles, ", "))
		}
		u.Role = *in.Role
		changes = append(changes, "role "+u.Role)
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
		changes = append(changes, fmt.Sprintf("disabled %v", u.Disabled))
	}
	if in.MFAReset {
		if u.TOTPSecret == "" && u.TOTPPending == "" {
			return errorf(http.StatusBadRequest, "user %s has no second factor", u.Name)
		}
		changes = append(changes, "second factor removed")
	}
	if in.SSOReset {
		if u.SSOSubject == "" {
			return errorf(http.StatusBadRequest, "user %s has no pinned sign-in identity", u.Name)
		}
		u.SSOIssuer, u.SSOSubject = "", ""
		changes = append(changes, "sign-in identity unpinned")
	}
	if len(changes) == 0 {
		return errorf(http.StatusBadRequest, "nothing to change: send role, disabled, mfa_reset or sso_reset")
	}
	if err := s.opts.Store.ChangeUser(r.Context(), u.ID, store.UserChange{Role: in.Role, Disabled: in.Disabled, ResetTOTP: in.MFAReset, ResetSSO: in.SSOReset}); err != nil {
		return err
	}
	if err := s.audit(r, c.user.Name, "user_updated", "user "+u.Name, strings.Join(changes, ", ")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
	return nil
}

func auditLog(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	q, err := query(r, "limit")
	if err != nil {
		return err
	}
	limit := 200
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 10000 {
			return errorf(http.StatusBadRequest, "limit: a number from 1 to 10000")
		}
	}
	log, err := s.opts.Store.AuditLog(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": log})
	return nil
}
