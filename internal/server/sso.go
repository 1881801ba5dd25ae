package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/palisade-sec/palisade/internal/store"
)

// Single sign-on is OpenID Connect's authorization code flow with PKCE
// (RFC 7636), a nonce and a state bound to the browser by a cookie. The ID
// token is checked by go-oidc against the provider's published keys
// (signature, issuer, audience, expiry). An administrator creates each
// user with an e-mail address; the first sign-in whose token asserts that
// address as verified pins the user to the provider's (issuer, subject),
// and later sign-ins match on that pair only. No account is ever created
// by signing in.

// flowCookieName carries a sign-in under way. It is SameSite=Lax, not
// Strict: the provider sends the browser back with a cross-site top-level
// navigation, which Strict cookies do not ride.
const flowCookieName = "__Host-palisade_sso"

// flowLifetime is how long a sign-in may take at the provider.
const flowLifetime = 10 * time.Minute

// authTimeSkew is how far the provider's clock may be behind ours when a
// re-authentication's auth_time is compared with the time it was asked for.
const authTimeSkew = 2 * time.Minute

// SSOConfig configures single sign-on through an OpenID Connect provider.
type SSOConfig struct {
	// Issuer is the provider's issuer URL (https, or http on a loopback
	// address for testing); its discovery document must name the same.
	Issuer string
	// ClientID and ClientSecret are this server's registration at the
	// provider; the secret may be empty for a public client.
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends the browser back: this
	// server's public URL and /login/sso/callback.
	RedirectURL string
	// HTTPClient reaches the provider (discovery, keys, token exchange);
	// a client with a 10-second timeout when nil.
	HTTPClient *http.Client
}

// SSO is a configured OpenID Connect provider.
type SSO struct {
	issuer   string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// NewSSO reads the provider's discovery document and prepares sign-in.
// serve refuses to start when this fails, so a typo in the issuer shows at
// once rather than at the first sign-in.
func NewSSO(ctx context.Context, c SSOConfig) (*SSO, error) {
	if err := checkEndpointURL("issuer", c.Issuer); err != nil {
		return nil, err
	}
	if err := checkEndpointURL("redirect URL", c.RedirectURL); err != nil {
		return nil, err
	}
	if u, _ := url.Parse(c.RedirectURL); u.Path != ssoCallbackPath || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("single sign-on: the redirect URL must end in %s, got %q", ssoCallbackPath, c.RedirectURL)
	}
	if c.ClientID == "" {
		return nil, errors.New("single sign-on: a client id is required")
	}
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, client), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("single sign-on: discovery at %s: %w", c.Issuer, err)
	}
	return &SSO{
		issuer: c.Issuer,
		oauth: oauth2.Config{
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  c.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "email"},
		},
		// The verifier fetches the provider's keys with this client when
		// they rotate.
		verifier: p.VerifierContext(oidc.ClientContext(context.WithoutCancel(ctx), client), &oidc.Config{ClientID: c.ClientID}),
		client:   client,
	}, nil
}

// Issuer is the provider's issuer URL.
func (p *SSO) Issuer() string { return p.issuer }

// checkEndpointURL allows https, and http only to a loopback address.
func checkEndpointURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("single sign-on: %s %q is not an absolute URL", what, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("single sign-on: %s %q must use https", what, raw)
}

const ssoCallbackPath = "/login/sso/callback"

// identity is what a verified ID token says about who signed in.
type identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	// AuthTime is when the user last authenticated at the provider (zero
	// when the token does not say).
	AuthTime time.Time
}

// authURL is the provider's sign-in page for a flow; a re-authentication
// asks the provider to check the user again (prompt=login, max_age=0).
func (p *SSO) authURL(f store.LoginFlow) string {
	opts := []oauth2.AuthCodeOption{oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)}
	if f.SessionHash != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	return p.oauth.AuthCodeURL(f.State, opts...)
}

// redeem exchanges an authorization code for tokens and verifies the ID
// token: signature, issuer, audience, expiry, and the flow's nonce.
func (p *SSO) redeem(ctx context.Context, code string, f store.LoginFlow) (identity, error) {
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return identity{}, fmt.Errorf("token exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return identity{}, errors.New("the token response has no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return identity{}, fmt.Errorf("ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return identity{}, errors.New("ID token: the nonce is not this sign-in's")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		AuthTime      int64  `json:"auth_time"`
		AZP           string `json:"azp"`
	}
	if err := idt.Claims(&claims); err != nil {
		return identity{}, fmt.Errorf("ID token claims: %w", err)
	}
	// A token for several audiences must have been issued to this client,
	// and one that names its authorized party must name this client.
	if (len(idt.Audience) > 1 || claims.AZP != "") && claims.AZP != p.oauth.ClientID {
		return identity{}, errors.New("ID token: issued to another party (azp)")
	}
	if idt.Subject == "" {
		return identity{}, errors.New("ID token: no subject")
	}
	id := identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: asciiLower(claims.Email)}
	// Some providers send the boolean as a string.
	switch v := claims.EmailVerified.(type) {
	case bool:
		id.EmailVerified = v
	case string:
		id.EmailVerified = v == "true"
	}
	if claims.AuthTime > 0 {
		id.AuthTime = time.Unix(claims.AuthTime, 0).UTC()
	}
	return id, nil
}

// asciiLower lower-cases the ASCII letters of an address and keeps it only
// if it is all ASCII: Unicode case folding maps other characters onto
// ASCII ones (the Kelvin sign onto "k"), so "\u212Aate@…" would reach kate.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 0x80:
			return ""
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// flowCookie is the cookie of a sign-in under way (maxAge -1 deletes it).
func flowCookie(token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: flowCookieName, Value: token, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// startFlow stores a new sign-in and sends the browser to the provider.
// Each client address may start flowsPerWindow sign-ins in flowWindow:
// every one is a stored row and, answered, a call to the provider's token
// endpoint and an audit entry.
func (s *Server) startFlow(w http.ResponseWriter, r *http.Request, next, sessionHash string) error {
	if !s.flows.allow(addrKey(r), s.opts.Now()) {
		return errorf(http.StatusTooManyRequests, "too many sign-ins from your address: try again in a few minutes")
	}
	var f store.LoginFlow
	token, err := newToken()
	if err != nil {
		return err
	}
	if f.State, err = newToken(); err != nil {
		return err
	}
	if f.Nonce, err = newToken(); err != nil {
		return err
	}
	now := s.opts.Now()
	f.IDHash, f.Verifier, f.ReturnTo, f.SessionHash = tokenHash(token), oauth2.GenerateVerifier(), safeNext(next), sessionHash
	f.CreatedAt, f.ExpiresAt = now, now.Add(flowLifetime)
	if err := s.opts.Store.CreateLoginFlow(r.Context(), f); err != nil {
		return err
	}
	http.SetCookie(w, flowCookie(token, int(flowLifetime.Seconds())))
	http.Redirect(w, r, s.opts.SSO.authURL(f), http.StatusSeeOther)
	return nil
}

// flowWindow and flowsPerWindow limit sign-ins started per client address.
const (
	flowWindow     = 10 * time.Minute
	flowsPerWindow = 30
)

// rateLimit counts events per key in fixed windows, in memory.
type rateLimit struct {
	mu     sync.Mutex
	window time.Duration
	limit  int
	counts map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

func newRateLimit(window time.Duration, limit int) *rateLimit {
	return &rateLimit{window: window, limit: limit, counts: map[string]*windowCount{}}
}

// allow counts one event for key and reports whether it is within the
// limit. Past 10,000 keys, windows that have ended are dropped.
func (l *rateLimit) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) > 10000 {
		for k, c := range l.counts {
			if now.Sub(c.start) >= l.window {
				delete(l.counts, k)
			}
		}
	}
	c := l.counts[key]
	if c == nil || now.Sub(c.start) >= l.window {
		c = &windowCount{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= l.limit
}

// ssoLogin starts a sign-in at the provider.
func ssoLogin(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if s.opts.SSO == nil {
		return errorf(http.StatusNotFound, "single sign-on is not configured")
	}
	q, err := query(r, "next")
	if err != nil {
		return err
	}
	return s.startFlow(w, r, q.Get("next"), "")
}

// ssoReauth asks the provider to check a signed-in user again before a
// sensitive action: the single sign-on user's way to re-authenticate.
func ssoReauth(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if s.opts.SSO == nil {
		return errorf(http.StatusNotFound, "single sign-on is not configured")
	}
	if !c.user.SSO() {
		return errorf(http.StatusBadRequest, "you sign in with a password: enter it at /reauth")
	}
	q, err := query(r, "next")
	if err != nil {
		return err
	}
	return s.startFlow(w, r, q.Get("next"), c.session.IDHash)
}

// ssoErrorCode is an OAuth error code safe to show ("access_denied").
var ssoErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// errFlowGone is the answer for a callback without its sign-in: expired,
// used already, or started in another browser.
var errFlowGone = errorf(http.StatusBadRequest, "this sign-in has expired or was started in another browser: sign in again")

// ssoCallback finishes a sign-in: the provider sends the browser back with
// a code, which is exchanged for a verified ID token.
func ssoCallback(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if s.opts.SSO == nil {
		return errorf(http.StatusNotFound, "single sign-on is not configured")
	}
	// The parameters providers send back (RFC 6749, RFC 9207's iss, and
	// those some providers add).
	q, err := query(r, "code", "state", "error", "error_description", "error_uri", "iss", "session_state", "scope", "authuser", "prompt", "hd")
	if err != nil {
		return err
	}
	ck, cerr := r.Cookie(flowCookieName)
	http.SetCookie(w, flowCookie("", -1))
	if cerr != nil || ck.Value == "" {
		return errFlowGone
	}
	now := s.opts.Now()
	f, err := s.opts.Store.TakeLoginFlow(r.Context(), tokenHash(ck.Value), now)
	if errors.Is(err, store.ErrNotFound) {
		return errFlowGone
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return s.ssoRefused(r, "?", "the state is not this sign-in's", errFlowGone)
	}
	if e := q.Get("error"); e != "" {
		shown := "the identity provider did not sign you in"
		if ssoErrorCode.MatchString(e) {
			shown += " (" + e + ")"
		}
		return s.ssoRefused(r, "?", "the provider answered "+cleanText(e), errorf(http.StatusUnauthorized, "%s", shown))
	}
	// RFC 9207: an answer naming another issuer comes from a mixed-up flow.
	if iss := q.Get("iss"); iss != "" && iss != s.opts.SSO.issuer {
		return s.ssoRefused(r, "?", "the answer names another issuer", errorf(http.StatusBadRequest, "the answer comes from another identity provider"))
	}
	code := q.Get("code")
	if code == "" {
		return errorf(http.StatusBadRequest, "the identity provider sent no code")
	}
	id, err := s.opts.SSO.redeem(r.Context(), code, f)
	if err != nil {
		return s.ssoRefused(r, "?", cleanText(err.Error()), errorf(http.StatusUnauthorized, "the identity provider's answer could not be verified"))
	}
	u, err := s.ssoUser(r, id)
	if err != nil {
		return err
	}
	if f.SessionHash != "" {
		return s.finishReauth(w, r, f, u, id)
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	// The session's entry time is when the provider last checked the user,
	// not now: a sign-in the provider answered from its own session (the
	// user left the browser signed in there) must not count as a fresh
	// entry for the sensitive actions. Without auth_time it counts as old.
	authAt := id.AuthTime
	if authAt.IsZero() || authAt.Before(now.Add(-s.opts.ReauthWindow)) {
		authAt = now.Add(-s.opts.ReauthWindow - time.Second)
	}
	if authAt.After(now) {
		authAt = now
	}
	// Only while the user is enabled and still has no password.
	err = s.opts.Store.CreateSession(r.Context(), store.Session{IDHash: tokenHash(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, AuthAt: authAt}, "")
	if errors.Is(err, store.ErrConflict) {
		return s.ssoRefused(r, u.Name, "the account changed during sign-in", errNoAccount)
	}
	if err != nil {
		return err
	}
	if err := s.audit(r, u.Name, "login", "user "+u.Name, "single sign-on as "+id.Subject+", from "+clientAddr(r)); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie(token, int(s.opts.AbsoluteTimeout.Seconds())))
	s.continuePage(w, f.ReturnTo)
	return nil
}

// errNoAccount is the answer for an identity no enabled user is pinned to.
var errNoAccount = errorf(http.StatusForbidden, "you signed in at the identity provider, but no palisade account is set up for you: ask an administrator")

// ssoUser finds the enabled user an identity signs in as, pinning a new
// user to it on the first sign-in with the user's verified address.
func (s *Server) ssoUser(r *http.Request, id identity) (store.User, error) {
	ctx := r.Context()
	u, err := s.opts.Store.UserBySSO(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
	case !errors.Is(err, store.ErrNotFound):
		return store.User{}, err
	case id.Email == "" || !id.EmailVerified:
		return store.User{}, s.ssoRefused(r, "?", "no user has subject "+id.Subject+" and the token asserts no verified address", errNoAccount)
	default:
		u, err = s.opts.Store.UserBySSOEmail(ctx, id.Email)
		if errors.Is(err, store.ErrNotFound) {
			return store.User{}, s.ssoRefused(r, "?", "no user has subject "+id.Subject+" or address "+cleanText(id.Email), errNoAccount)
		}
		if err != nil {
			return store.User{}, err
		}
		if u.Disabled {
			// Not pinned while disabled: whoever holds the address now
			// must not own the account when it is enabled again.
			return store.User{}, s.ssoRefused(r, u.Name, "the user is disabled", errNoAccount)
		}
		if u.SSOSubject != "" {
			// The address is pinned to another identity: a new account at
			// the provider reusing an address must not take this one over.
			return store.User{}, s.ssoRefused(r, u.Name, "address "+cleanText(id.Email)+" is pinned to another subject than "+id.Subject, errNoAccount)
		}
		if err := s.opts.Store.BindSSO(ctx, u.ID, id.Issuer, id.Subject); errors.Is(err, store.ErrConflict) {
			return store.User{}, s.ssoRefused(r, u.Name, "pinning subject "+id.Subject+" lost a race or the subject has another user", errNoAccount)
		} else if err != nil {
			return store.User{}, err
		}
		if err := s.audit(r, u.Name, "sso_pinned", "user "+u.Name, "subject "+id.Subject+" at "+id.Issuer); err != nil {
			return store.User{}, err
		}
	}
	if u.Disabled {
		return store.User{}, s.ssoRefused(r, u.Name, "the user is disabled", errNoAccount)
	}
	return u, nil
}

// finishReauth records a fresh sign-in on the session that asked for it,
// when the provider says the same user authenticated since then.
func (s *Server) finishReauth(w http.ResponseWriter, r *http.Request, f store.LoginFlow, u store.User, id identity) error {
	se, err := s.opts.Store.Session(r.Context(), f.SessionHash)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusUnauthorized, "your session ended: log in again")
	}
	if err != nil {
		return err
	}
	if se.UserID != u.ID {
		return s.ssoRefused(r, u.Name, "re-authenticated as another user than the session's", errorf(http.StatusForbidden, "you signed in as another user than this session's"))
	}
	if id.AuthTime.IsZero() || id.AuthTime.Before(f.CreatedAt.Add(-authTimeSkew)) {
		return s.ssoRefused(r, u.Name, "re-authentication without a fresh auth_time", errorf(http.StatusUnauthorized, "the identity provider did not check you again: try again"))
	}
	now := s.opts.Now()
	if err := s.opts.Store.TouchSession(r.Context(), f.SessionHash, now, &now); err != nil {
		return err
	}
	if err := s.audit(r, u.Name, "reauth", "user "+u.Name, "single sign-on"); err != nil {
		return err
	}
	s.continuePage(w, f.ReturnTo)
	return nil
}

// ssoRefused audits a refused sign-in and returns the answer to show.
func (s *Server) ssoRefused(r *http.Request, actor, why string, answer error) error {
	if err := s.audit(r, actor, "login_failed", "single sign-on", why+", from "+clientAddr(r)); err != nil {
		return err
	}
	return answer
}

// continuePage sends the browser on to next from a page of this site. A
// redirect would not do: the browser arrived here from the provider, so the
// whole redirect chain counts as cross-site and the SameSite=Strict session
// cookie just set would not be sent with the next request.
func (s *Server) continuePage(w http.ResponseWriter, next string) {
	next = safeNext(next)
	var d doc
	d.raw(`<!doctype html><html lang="en"><head><meta charset="utf-8">`)
	d.raw(`<meta http-equiv="refresh" content="0;url=`).raw(attr(next)).raw(`">`)
	d.raw(`<title>Signed in · palisade</title><link rel="stylesheet" href="/static/app.css"></head><body><main>`)
	d.raw(`<p>Signed in. <a href="`).raw(attr(next)).raw(`">Continue</a></p></main></body></html>`)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(d.b.String()))
}
