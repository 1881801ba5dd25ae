// Package server is palisade's HTTP API for a team: the findings store, the
// roadmap, the service ranking and the metrics behind accounts with roles.
// Passwords are Argon2id hashes; sessions live in the store, keyed by the
// SHA-256 of a random token held in a Secure, HttpOnly, SameSite=Strict
// cookie; sensitive actions need a password entered in the last few
// minutes; cross-origin writes are refused; every route names the least
// role it needs, and a test tries every route with every role.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
)

// CookieName is the session cookie. The __Host- prefix makes browsers
// insist on Secure, Path=/ and no Domain, so no subdomain can plant one.
const CookieName = "__Host-palisade_session"

// Options configure a Server.
type Options struct {
	Store store.Store
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Catalog is the service catalog file for /api/services and the
	// roadmap's inventory steps; empty means none.
	Catalog string
	// Argon2 are the password hash parameters (DefaultArgon2 when zero).
	Argon2 Argon2Params
	// IdleTimeout and AbsoluteTimeout end sessions (30 minutes idle, 12
	// hours in all by default); ReauthWindow is how recent a password entry
	// a sensitive action needs (5 minutes).
	IdleTimeout, AbsoluteTimeout, ReauthWindow time.Duration
	// Logger receives errors the client is not shown (slog.Default when nil).
	Logger *slog.Logger
	// SecretKey (32 bytes) encrypts second-factor secrets in the store;
	// without it users cannot enroll a second factor.
	SecretKey []byte
	// SSO, when set, lets users sign in through an OpenID Connect
	// provider (NewSSO).
	SSO *SSO
}

// Server is the HTTP API.
type Server struct {
	opts      Options
	handler   http.Handler
	throttle  *throttle
	flows     *rateLimit
	dummyOnce sync.Once
	dummy     string
}

// New returns a Server over a migrated store.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Argon2 == (Argon2Params{}) {
		opts.Argon2 = DefaultArgon2
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 30 * time.Minute
	}
	if opts.AbsoluteTimeout == 0 {
		opts.AbsoluteTimeout = 12 * time.Hour
	}
	if opts.ReauthWindow == 0 {
		opts.ReauthWindow = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, throttle: newThrottle(), flows: newRateLimit(flowWindow, flowsPerWindow)}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such route")
	})
	// Browsers send Sec-Fetch-Site (or Origin) with every request; a
	// cross-origin POST is refused before any handler runs.
	s.handler = securityHeaders(http.NewCrossOriginProtection().Handler(mux))
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// ExpireSessions deletes idle and too old sessions; serve calls it
// periodically.
func (s *Server) ExpireSessions(ctx context.Context) (int64, error) {
	now := s.opts.Now()
	return s.opts.Store.DeleteSessionsBefore(ctx, now.Add(-s.opts.IdleTimeout), now.Add(-s.opts.AbsoluteTimeout))
}

// Route is one endpoint: its method and path, the least role it needs
// (empty for anonymous) and whether it needs a recent password entry.
type Route struct {
	Method string
	Path   string
	Role   string
	Reauth bool
	// UI marks a page of the web UI: HTML, redirects to log in.
	UI     bool
	handle handler
}

// caller is the authenticated user of a request.
type caller struct {
	user    store.User
	session store.Session
}

// roleRank orders roles; an unknown role ranks below every route.
func roleRank(role string) int {
	for i, r := range store.Roles {
		if r == role {
			return i + 1
		}
	}
	return 0
}

// httpError is an error with a status the client may see.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// maxBody bounds every request body: the API takes small JSON objects.
const maxBody = 64 << 10

func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		var c *caller
		fail := s.fail
		if rt.UI {
			fail = s.failPage
		}
		if rt.Role != "" {
			var err error
			c, err = s.authenticate(r)
			if err != nil {
				var he *httpError
				if rt.UI && errors.As(err, &he) && he.status == http.StatusUnauthorized {
					back := localPath(r)
					if r.Method == http.MethodPost {
						back = formPage(r.URL.Path)
					}
					http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusSeeOther)
					return
				}
				fail(w, r, err)
				return
			}
			if roleRank(c.user.Role) < roleRank(rt.Role) {
				fail(w, r, errorf(http.StatusForbidden, "this needs the %s role", rt.Role))
				return
			}
			if rt.Reauth && s.opts.Now().Sub(c.session.AuthAt) > s.opts.ReauthWindow {
				if rt.UI {
					// A form posted after the window: enter the password, then
					// come back to the page the form was on.
					http.Redirect(w, r, "/reauth?next="+url.QueryEscape(formPage(r.URL.Path)), http.StatusSeeOther)
					return
				}
				msg := "enter your password again (POST /api/reauth)"
				if c.user.SSO() {
					msg = "sign in again at your identity provider (GET /reauth/sso in a browser)"
				}
				writeJSON(w, http.StatusForbidden, map[string]any{"error": msg, "reauth": true})
				return
			}
		}
		if err := rt.handle(s, w, r, c); err != nil {
			fail(w, r, err)
		}
	})
}

// formPage is the page a form posting to path was on, where the browser
// returns after logging in or re-authenticating (a GET of the form's own
// target would find no page).
func formPage(path string) string {
	switch {
	case strings.HasPrefix(path, "/account/"):
		return "/account"
	case strings.HasSuffix(path, "/triage"):
		return strings.TrimSuffix(path, "/triage")
	}
	return path
}

// authenticate finds the session of the request's cookie and its user.
func (s *Server) authenticate(r *http.Request) (*caller, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return nil, errorf(http.StatusUnauthorized, "log in first (POST /api/login)")
	}
	idHash := tokenHash(ck.Value)
	se, err := s.opts.Store.Session(r.Context(), idHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusUnauthorized, "session ended: log in again")
	}
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	if now.Sub(se.LastSeenAt) > s.opts.IdleTimeout || now.Sub(se.CreatedAt) > s.opts.AbsoluteTimeout {
		if err := s.opts.Store.DeleteSession(r.Context(), idHash); err != nil {
			return nil, err
		}
		return nil, errorf(http.StatusUnauthorized, "session expired: log in again")
	}
	u, err := s.opts.Store.UserByID(r.Context(), se.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errorf(http.StatusUnauthorized, "account disabled")
	}
	// Record activity at most once a minute: a page of requests is one write.
	if now.Sub(se.LastSeenAt) > time.Minute {
		if err := s.opts.Store.TouchSession(r.Context(), idHash, now, nil); err != nil {
			return nil, err
		}
		se.LastSeenAt = now
	}
	return &caller{user: u, session: se}, nil
}

// fail writes an error response: the message of an httpError, and for any
// other error a generic one, the details going to the log only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.status, he.msg)
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBody))
		return
	}
	if errors.Is(err, context.Canceled) {
		s.opts.Logger.Info("client went away", "method", r.Method, "path", r.URL.Path)
	} else {
		s.opts.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

// decode reads exactly one JSON object whose field names are exactly
// fields (encoding/json alone would also take "PASSWORD" for "password").
func decode(r *http.Request, v any, fields ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "send Content-Type: application/json")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "request body: %s", cleanText(err.Error()))
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&raw); err != nil {
		return errorf(http.StatusBadRequest, "request body: %s", cleanText(err.Error()))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "request body: one JSON object only")
	}
	for k := range raw {
		known := false
		for _, f := range fields {
			known = known || k == f
		}
		if !known {
			return errorf(http.StatusBadRequest, "request body: unknown field %q", cleanText(k))
		}
	}
	strict := json.NewDecoder(strings.NewReader(string(body)))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "request body: %s", cleanText(err.Error()))
	}
	return nil
}

// securityHeaders are set on every response: the API serves JSON only, so
// nothing may be framed, sniffed, cached or load sub-resources.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=63072000")
		next.ServeHTTP(w, r)
	})
}

// newToken returns a random session token (256 bits).
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is what the store keeps of a token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sessionCookie is the cookie that carries a token; an empty token with
// maxAge -1 deletes it.
func sessionCookie(token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode}
}

// throttle slows password guessing. Every password check counts as a
// failure before it runs (so concurrent guesses cannot slip past the
// limit) and a success clears the count. Past the limit, a user name is
// locked for 15 minutes after 5 failures, a client address (an IPv6 /64)
// after 20, so that one proxy's users are not all locked out by a few
// typos. It lives in memory, per process, and never forgets an active
// lockout to make room.
type throttle struct {
	mu        sync.Mutex
	fails     map[string]*failures
	lastEvict time.Time
}

type failures struct {
	n     int
	last  time.Time
	until time.Time
}

const (
	maxUserFailures = 5
	maxAddrFailures = 20
	lockout         = 15 * time.Minute
	maxThrottleKeys = 100000
)

func newThrottle() *throttle { return &throttle{fails: map[string]*failures{}} }

func limitOf(key string) int {
	if strings.HasPrefix(key, "addr:") {
		return maxAddrFailures
	}
	return maxUserFailures
}

// attempt records an attempt for every key and reports whether it may
// proceed: false when any key is locked, or this attempt goes past a limit
// that an earlier one had already reached. last is true for the attempt
// that reaches a limit, whose failure locks the key.
func (t *throttle) attempt(now time.Time, keys ...string) (ok, last bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if f := t.fails[k]; f != nil && now.Before(f.until) {
			return false, false
		}
	}
	if len(t.fails) >= maxThrottleKeys {
		t.evict(now)
	}
	ok = true
	for _, k := range keys {
		f := t.fails[k]
		if f == nil || now.Sub(f.last) > lockout {
			f = &failures{}
			t.fails[k] = f
		}
		f.n++
		f.last = now
		if f.n > limitOf(k) {
			ok = false
		}
		if f.n == limitOf(k) {
			last = true
		}
		if f.n >= limitOf(k) {
			f.until = now.Add(lockout)
		}
	}
	return ok, last
}

// evict makes room, at most once a minute: first entries that lock
// nothing and are older than the lockout, then unlocked address counts
// (cheap to mint), and only then unlocked user counts. An active lockout
// is never dropped; the map may grow past its size while lockouts last.
func (t *throttle) evict(now time.Time) {
	if now.Sub(t.lastEvict) < time.Minute {
		return
	}
	t.lastEvict = now
	drop := func(keep func(k string, f *failures) bool) {
		for k, f := range t.fails {
			if len(t.fails) < maxThrottleKeys {
				return
			}
			if now.Before(f.until) || keep(k, f) {
				continue
			}
			delete(t.fails, k)
		}
	}
	drop(func(_ string, f *failures) bool { return now.Sub(f.last) <= lockout })
	drop(func(k string, _ *failures) bool { return !strings.HasPrefix(k, "addr:") })
	drop(func(string, *failures) bool { return false })
}

// succeed records a correct password: the user's count is cleared, the
// address's only lowered by one, so a sprayer with one valid account
// cannot reset the address limit by logging in.
func (t *throttle) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if strings.HasPrefix(k, "addr:") {
			if f := t.fails[k]; f != nil && f.n > 0 {
				f.n--
			}
			continue
		}
		delete(t.fails, k)
	}
}

// undo takes back an attempt whose password was never checked (the
// server was busy, the client went away, the store failed), so such
// requests cannot lock anyone out.
func (t *throttle) undo(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		f := t.fails[k]
		if f == nil {
			continue
		}
		f.n--
		if f.n < limitOf(k) {
			f.until = time.Time{}
		}
		if f.n <= 0 {
			delete(t.fails, k)
		}
	}
}

// addrKey is the throttle key of a client address: the address itself for
// IPv4, its /64 for IPv6 (one host can use a whole /64).
func addrKey(r *http.Request) string {
	host := clientAddr(r)
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "addr:" + ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "addr:" + host
}

// argon2Slots bounds concurrent password hashing: each check takes 19 MiB
// and a core, so a burst of logins waits for a slot or is told to retry
// instead of exhausting memory.
var argon2Slots = make(chan struct{}, 2*runtime.NumCPU())

// withArgon2 runs fn in a hashing slot, or fails with 503 when none frees
// up within a few seconds.
func withArgon2(ctx context.Context, fn func()) error {
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case argon2Slots <- struct{}{}:
	case <-timer.C:
		return errorf(http.StatusServiceUnavailable, "too many logins at once: retry shortly")
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-argon2Slots }()
	fn()
	return nil
}
