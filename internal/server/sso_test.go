package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// testIdP is an OpenID Connect provider for tests: go-oidc's oidctest
// serves discovery and keys; it adds the authorization endpoint (which
// signs in the configured user at once) and the token endpoint, which
// checks the client's secret, the redirect URI, single use of each code and
// the PKCE verifier against the challenge, as a real provider does.
type testIdP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string

	mu       sync.Mutex
	codes    map[string]authRequest
	lastAuth url.Values
	// The user the next sign-in authenticates, and how the next ID token
	// is made.
	subject       string
	email         string
	emailVerified any
	freshAuth     bool                  // send auth_time = authNow()
	authNow       func() time.Time      // the provider's clock for auth_time
	mutate        func(map[string]any)  // change the claims
	sign          func(string) string   // sign the claims another way
	answer        func(url.Values) bool // change the authorization answer; false: send none
	// consentPage makes the provider show a page with a link back instead
	// of redirecting at once, as a provider's login form does: the way
	// back is then a navigation the provider's page starts.
	consentPage bool
}

type authRequest struct {
	redirectURI, challenge, nonce string
}

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{t: t, key: key, clientID: "palisade-test", secret: "client-secret-for-tests", codes: map[string]authRequest{}, emailVerified: true, authNow: time.Now}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/openid-configuration", disc)
	mux.Handle("/keys", disc)
	mux.HandleFunc("/auth", p.authorize)
	mux.HandleFunc("/token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	disc.SetIssuer(p.srv.URL)
	return p
}

func (p *testIdP) setUser(subject, email string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subject, p.email = subject, email
}

func (p *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastAuth = q
	if q.Get("response_type") != "code" || q.Get("client_id") != p.clientID || !strings.Contains(q.Get("scope"), "openid") ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request: "+q.Encode(), http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.codes[code] = authRequest{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
	back := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {p.srv.URL}}
	if p.answer != nil && !p.answer(back) {
		return
	}
	if p.consentPage {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Provider</title><a id="consent" href="%s">Continue to palisade</a>`, html.EscapeString(q.Get("redirect_uri")+"?"+back.Encode()))
		return
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusSeeOther)
}

func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	req, found := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // a code works once
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case id != p.clientID || secret != p.secret:
		writeTokenError(w, "invalid_client")
		return
	case r.PostForm.Get("grant_type") != "authorization_code" || !found || req.redirectURI != r.PostForm.Get("redirect_uri"):
		writeTokenError(w, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge:
		writeTokenError(w, "invalid_grant") // PKCE: the verifier does not match the challenge
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": p.srv.URL, "aud": p.clientID, "sub": p.subject, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": req.nonce, "email": p.email, "email_verified": p.emailVerified}
	if p.freshAuth {
		claims["auth_time"] = p.authNow().Unix()
	}
	if p.mutate != nil {
		p.mutate(claims)
	}
	raw, err := json.Marshal(claims)
	if err != nil {
		p.t.Error(err)
		return
	}
	idToken := oidctest.SignIDToken(p.key, "k1", oidc.RS256, string(raw))
	if p.sign != nil {
		idToken = p.sign(string(raw))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func writeTokenError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// ssoFixture is a server with single sign-on through a test provider and
// one single sign-on user, ana (triager), besides the fixture's password
// users. Its clock is the real one: ID tokens carry real times.
func ssoFixture(t *testing.T, st store.Store) (*fixture, *testIdP) {
	t.Helper()
	f := newFixture(t, st)
	f.clock.t = time.Now().UTC()
	idp := newTestIdP(t)
	sso, err := NewSSO(context.Background(), SSOConfig{Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret,
		RedirectURL: "http://127.0.0.1:8080" + ssoCallbackPath})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.opts.SSO = sso
	if _, err := st.CreateUser(context.Background(), store.User{Name: "ana", Role: store.RoleTriager, SSOEmail: "Ana@Example.com", CreatedAt: f.clock.now()}); err != nil {
		t.Fatal(err)
	}
	idp.setUser("sub-ana", "ana@example.com")
	idp.freshAuth = true // providers send auth_time; tests that need otherwise turn it off
	return f, idp
}

// cookieReq sends a request with the given cookies.
func (f *fixture) cookieReq(method, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func responseCookie(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name && c.MaxAge >= 0 && c.Value != "" {
			return c
		}
	}
	return nil
}

// signIn runs a sign-in as a browser would up to the provider's answer:
// start at palisade, visit the provider, and return the callback's path
// and query with the flow cookie. start is "/login/sso?next=..." or
// "/reauth/sso?next=..."; session is the session cookie for the latter.
func (f *fixture) signIn(idp *testIdP, start string, session *http.Cookie) (callback string, flow *http.Cookie) {
	f.t.Helper()
	var cs []*http.Cookie
	if session != nil {
		cs = append(cs, session)
	}
	w := f.cookieReq("GET", start, cs...)
	if w.Code != http.StatusSeeOther {
		f.t.Fatalf("GET %s: %d %s", start, w.Code, w.Body)
	}
	flow = responseCookie(w, flowCookieName)
	if flow == nil || !flow.Secure || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != "/" {
		f.t.Fatalf("flow cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/", flow)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(w.Header().Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		f.t.Fatalf("provider's answer: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.RequestURI(), flow
}

// finish delivers the provider's answer and returns the response and the
// session cookie it set, if any.
func (f *fixture) finish(callback string, cookies ...*http.Cookie) (*httptest.ResponseRecorder, *http.Cookie) {
	f.t.Helper()
	w := f.cookieReq("GET", callback, cookies...)
	return w, responseCookie(w, CookieName)
}

func (f *fixture) whoAmI(session *http.Cookie) string {
	f.t.Helper()
	w := f.cookieReq("GET", "/api/me", session)
	if w.Code != http.StatusOK {
		return ""
	}
	var me struct{ Name string }
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil {
		f.t.Fatal(err)
	}
	return me.Name
}

func (f *fixture) audited(action string) int {
	f.t.Helper()
	entries, err := f.st.AuditLog(context.Background(), 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestSSOSignInPinsTheIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		cb, flow := f.signIn(idp, "/login/sso?next=%2Ffindings%3Fstatus%3Dopen", nil)
		w, session := f.finish(cb, flow)
		if w.Code != http.StatusOK || session == nil {
			t.Fatalf("callback: %d %s", w.Code, w.Body)
		}
		if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie %+v", session)
		}
		// The page continues to the requested page from this site, so the
		// Strict session cookie goes with the next request.
		if !strings.Contains(w.Body.String(), `<meta http-equiv="refresh" content="0;url=/findings?status=open">`) {
			t.Errorf("continue page: %s", w.Body)
		}
		if got := f.whoAmI(session); got != "ana" {
			t.Fatalf("signed in as %q, want ana", got)
		}
		if f.audited("sso_pinned") != 1 || f.audited("login") != 1 {
			t.Errorf("audit: %d sso_pinned, %d login", f.audited("sso_pinned"), f.audited("login"))
		}
		// The flow works once: the same answer again is refused.
		if w, s := f.finish(cb, flow); w.Code != http.StatusBadRequest || s != nil {
			t.Errorf("replayed callback: %d %v", w.Code, s)
		}

		// Later sign-ins match the pinned subject, whatever the address.
		idp.setUser("sub-ana", "ana.renamed@example.com")
		cb, flow = f.signIn(idp, "/login/sso", nil)
		if _, s := f.finish(cb, flow); s == nil || f.whoAmI(s) != "ana" {
			t.Errorf("sign-in with a changed address did not reach ana")
		}
		// A new identity at the provider with ana's address is not ana.
		idp.setUser("sub-impostor", "ana@example.com")
		cb, flow = f.signIn(idp, "/login/sso", nil)
		if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil {
			t.Errorf("another subject with ana's address: %d %v", w.Code, s)
		}
		// Nobody is created by signing in.
		idp.setUser("sub-stranger", "stranger@example.com")
		cb, flow = f.signIn(idp, "/login/sso", nil)
		if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil || !strings.Contains(w.Body.String(), "no palisade account") {
			t.Errorf("unknown address: %d %v %s", w.Code, s, w.Body)
		}
		// A disabled user cannot sign in.
		yes := true
		u, err := st.UserByName(context.Background(), "ana")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if f.whoAmI(session) != "" {
			t.Error("disabling ana left her session open")
		}
		idp.setUser("sub-ana", "ana@example.com")
		cb, flow = f.signIn(idp, "/login/sso", nil)
		if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil {
			t.Errorf("disabled user: %d %v", w.Code, s)
		}
	})
}

func TestSSOPinsOnlyAVerifiedAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		for _, v := range []any{false, nil, "false"} {
			idp.emailVerified = v
			cb, flow := f.signIn(idp, "/login/sso", nil)
			if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil {
				t.Errorf("email_verified %v: %d %v", v, w.Code, s)
			}
		}
		idp.emailVerified = "true" // some providers send a string
		cb, flow := f.signIn(idp, "/login/sso", nil)
		if _, s := f.finish(cb, flow); s == nil || f.whoAmI(s) != "ana" {
			t.Error(`email_verified "true" did not sign ana in`)
		}
	})
}

// TestSSORefusesBadAnswers changes one thing in an otherwise good sign-in
// and expects no session.
func TestSSORefusesBadAnswers(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		idp    func(*testIdP)
		answer func(cb string, flow *http.Cookie) (string, []*http.Cookie)
		status int
	}{
		{name: "no flow cookie", answer: func(cb string, _ *http.Cookie) (string, []*http.Cookie) { return cb, nil }, status: http.StatusBadRequest},
		{name: "another browser's flow cookie", answer: func(cb string, _ *http.Cookie) (string, []*http.Cookie) {
			return cb, []*http.Cookie{{Name: flowCookieName, Value: "not-a-flow"}}
		}, status: http.StatusBadRequest},
		{name: "wrong state", answer: func(cb string, flow *http.Cookie) (string, []*http.Cookie) {
			return replaceParam(cb, "state", "forged"), []*http.Cookie{flow}
		}, status: http.StatusBadRequest},
		{name: "answer naming another issuer", answer: func(cb string, flow *http.Cookie) (string, []*http.Cookie) {
			return replaceParam(cb, "iss", "https://evil.example"), []*http.Cookie{flow}
		}, status: http.StatusBadRequest},
		{name: "code of another sign-in", answer: func(cb string, flow *http.Cookie) (string, []*http.Cookie) {
			return replaceParam(cb, "code", "stolen"), []*http.Cookie{flow}
		}, status: http.StatusUnauthorized},
		{name: "provider refused", idp: func(p *testIdP) {
			p.answer = func(v url.Values) bool { v.Del("code"); v.Set("error", "access_denied"); return true }
		}, status: http.StatusUnauthorized},
		{name: "wrong nonce", idp: func(p *testIdP) { p.mutate = func(c map[string]any) { c["nonce"] = "another" } }, status: http.StatusUnauthorized},
		{name: "wrong audience", idp: func(p *testIdP) { p.mutate = func(c map[string]any) { c["aud"] = "another-client" } }, status: http.StatusUnauthorized},
		{name: "several audiences without azp", idp: func(p *testIdP) {
			p.mutate = func(c map[string]any) { c["aud"] = []string{p.clientID, "another-client"} }
		}, status: http.StatusUnauthorized},
		{name: "wrong issuer", idp: func(p *testIdP) { p.mutate = func(c map[string]any) { c["iss"] = "https://evil.example" } }, status: http.StatusUnauthorized},
		{name: "expired", idp: func(p *testIdP) {
			p.mutate = func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }
		}, status: http.StatusUnauthorized},
		{name: "signed with an unknown key", idp: func(p *testIdP) {
			p.sign = func(claims string) string { return oidctest.SignIDToken(other, "k1", oidc.RS256, claims) }
		}, status: http.StatusUnauthorized},
		{name: "unsigned (alg none)", idp: func(p *testIdP) {
			p.sign = func(claims string) string {
				return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + "."
			}
		}, status: http.StatusUnauthorized},
		{name: "no subject", idp: func(p *testIdP) { p.mutate = func(c map[string]any) { delete(c, "sub") } }, status: http.StatusUnauthorized},
		{name: "another authorized party", idp: func(p *testIdP) { p.mutate = func(c map[string]any) { c["azp"] = "another-client" } }, status: http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st store.Store) {
				f, idp := ssoFixture(t, st)
				if tc.idp != nil {
					tc.idp(idp)
				}
				cb, flow := f.signIn(idp, "/login/sso", nil)
				cookies := []*http.Cookie{flow}
				if tc.answer != nil {
					cb, cookies = tc.answer(cb, flow)
				}
				w, s := f.finish(cb, cookies...)
				if w.Code != tc.status || s != nil {
					t.Errorf("%d %v %s, want %d and no session", w.Code, s, w.Body, tc.status)
				}
				if tc.status == http.StatusUnauthorized && f.audited("login_failed") == 0 {
					t.Error("refused sign-in not audited")
				}
			})
		})
	}
}

func replaceParam(pathQuery, name, value string) string {
	u, err := url.Parse(pathQuery)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// TestSSOSignInFromTheProvidersSessionIsNotFresh signs in with a token
// whose auth_time is hours old (the provider answered from its own
// session) or missing: the session works, but sensitive actions still ask
// the provider to check the user again.
func TestSSOSignInFromTheProvidersSessionIsNotFresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		attest := `{"control":"sdlc-threat-modeling","note":"STRIDE on the order flow","expires":"` + f.clock.now().AddDate(0, 6, 0).Format("2006-01-02") + `"}`
		for name, auth := range map[string]func() time.Time{
			"auth_time 8 hours old": func() time.Time { return f.clock.now().Add(-8 * time.Hour) },
			"no auth_time":          nil,
		} {
			idp.freshAuth, idp.authNow = auth != nil, auth
			cb, flow := f.signIn(idp, "/login/sso", nil)
			_, session := f.finish(cb, flow)
			if session == nil || f.whoAmI(session) != "ana" {
				t.Fatalf("%s: sign-in failed", name)
			}
			if w := f.do("POST", "/api/roadmap/attestations", session.Value, attest); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "/reauth/sso") {
				t.Errorf("%s: a sensitive action right after sign-in: %d %s, want 403 asking to sign in again", name, w.Code, w.Body)
			}
		}
	})
}

// TestSSODoesNotPinADisabledUser: a sign-in with the address of a disabled,
// unpinned user is refused and pins nothing, so whoever holds the address
// then does not own the account when it is enabled again.
func TestSSODoesNotPinADisabledUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		ctx := context.Background()
		u, err := st.UserByName(ctx, "ana")
		if err != nil {
			t.Fatal(err)
		}
		yes, no := true, false
		if err := st.ChangeUser(ctx, u.ID, store.UserChange{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		idp.setUser("sub-holder-while-disabled", "ana@example.com")
		cb, flow := f.signIn(idp, "/login/sso", nil)
		if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil {
			t.Errorf("disabled user: %d %v", w.Code, s)
		}
		if u, err = st.UserByName(ctx, "ana"); err != nil || u.SSOSubject != "" {
			t.Fatalf("disabled user pinned to %q, %v", u.SSOSubject, err)
		}
		if err := st.ChangeUser(ctx, u.ID, store.UserChange{Disabled: &no}); err != nil {
			t.Fatal(err)
		}
		idp.setUser("sub-ana", "ana@example.com")
		cb, flow = f.signIn(idp, "/login/sso", nil)
		if _, s := f.finish(cb, flow); s == nil || f.whoAmI(s) != "ana" {
			t.Error("the re-enabled user could not sign in with her own identity")
		}
	})
}

// TestSSORefusesLookalikeAddresses: Unicode case folding maps the Kelvin
// sign onto "k", so a verified "\u212Aate@…" must not pin kate.
func TestSSORefusesLookalikeAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		if _, err := st.CreateUser(context.Background(), store.User{Name: "kate", Role: store.RoleAdmin, SSOEmail: "kate@example.com"}); err != nil {
			t.Fatal(err)
		}
		idp.setUser("sub-lookalike", "\u212Aate@example.com")
		cb, flow := f.signIn(idp, "/login/sso", nil)
		if w, s := f.finish(cb, flow); w.Code != http.StatusForbidden || s != nil {
			t.Errorf("lookalike address: %d %v", w.Code, s)
		}
		if u, err := st.UserByName(context.Background(), "kate"); err != nil || u.SSOSubject != "" {
			t.Errorf("kate pinned to %q, %v", u.SSOSubject, err)
		}
	})
}

// TestSSOLimitsSignInsPerAddress: each started sign-in stores a row, so one
// address may start a bounded number of them.
func TestSSOLimitsSignInsPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, _ := ssoFixture(t, st)
		codes := map[int]int{}
		for i := 0; i < flowsPerWindow+5; i++ {
			codes[f.do("GET", "/login/sso", "", "").Code]++
		}
		if codes[http.StatusSeeOther] != flowsPerWindow || codes[http.StatusTooManyRequests] != 5 {
			t.Errorf("answers %v, want %d redirects then 429", codes, flowsPerWindow)
		}
		f.clock.add(flowWindow)
		if w := f.do("GET", "/login/sso", "", ""); w.Code != http.StatusSeeOther {
			t.Errorf("after the window: %d", w.Code)
		}
	})
}

func TestSSOUserHasNoPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		if w := f.do("POST", "/api/login", "", `{"name":"ana","password":"`+testPassword+`"}`); w.Code != http.StatusUnauthorized {
			t.Errorf("password login of a single sign-on user: %d %s", w.Code, w.Body)
		}
		cb, flow := f.signIn(idp, "/login/sso", nil)
		_, session := f.finish(cb, flow)
		if session == nil {
			t.Fatal("no session")
		}
		for _, req := range []struct{ method, path, body string }{
			{"POST", "/api/reauth", `{"password":"x"}`},
			{"POST", "/api/password", `{"current":"x","new":"a much longer password"}`},
			{"POST", "/api/mfa/enroll", `{}`},
			{"POST", "/api/mfa/confirm", `{"code":"123456"}`},
		} {
			if w := f.do(req.method, req.path, session.Value, req.body); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "single sign-on") {
				t.Errorf("%s %s: %d %s", req.method, req.path, w.Code, w.Body)
			}
		}
		if w := f.do("GET", "/account", session.Value, ""); !strings.Contains(w.Body.String(), "single sign-on as ana@example.com") || strings.Contains(w.Body.String(), "/account/password") {
			t.Errorf("account page of a single sign-on user: %s", w.Body)
		}
		// A password user asking the provider to re-authenticate is sent
		// back to the password.
		if w := f.do("GET", "/reauth/sso", f.login("viewer-user", testPassword), ""); w.Code != http.StatusBadRequest {
			t.Errorf("password user at /reauth/sso: %d", w.Code)
		}
	})
}

func TestSSOReauthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f, idp := ssoFixture(t, st)
		idp.authNow = f.clock.now // the test moves palisade's clock; the provider's keeps in step
		cb, flow := f.signIn(idp, "/login/sso", nil)
		_, session := f.finish(cb, flow)
		if session == nil {
			t.Fatal("no session")
		}
		attest := `{"control":"sdlc-threat-modeling","note":"STRIDE on the order flow","expires":"` + f.clock.now().AddDate(0, 6, 0).Format("2006-01-02") + `"}`
		f.clock.add(6 * time.Minute)
		if w := f.do("POST", "/api/roadmap/attestations", session.Value, attest); w.Code != http.StatusForbidden {
			t.Fatalf("sensitive action six minutes after sign-in: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/reauth", session.Value, ""); !strings.Contains(w.Body.String(), `href="/reauth/sso?next=%2F"`) {
			t.Errorf("reauth page of a single sign-on user: %s", w.Body)
		}

		// The provider answers without checking the user again: refused.
		idp.freshAuth = false
		cb, flow = f.signIn(idp, "/reauth/sso?next=%2Froadmap", session)
		if got := idp.lastAuth.Get("prompt") + " " + idp.lastAuth.Get("max_age"); got != "login 0" {
			t.Errorf("re-authentication asked the provider for prompt and max_age %q, want \"login 0\"", got)
		}
		if w, _ := f.finish(cb, flow); w.Code != http.StatusUnauthorized {
			t.Errorf("re-authentication without auth_time: %d %s", w.Code, w.Body)
		}
		// Another user at the provider does not refresh ana's session.
		idp.freshAuth = true
		if _, err := st.CreateUser(context.Background(), store.User{Name: "bo", Role: store.RoleViewer, SSOEmail: "bo@example.com"}); err != nil {
			t.Fatal(err)
		}
		idp.setUser("sub-bo", "bo@example.com")
		cb, flow = f.signIn(idp, "/reauth/sso", session)
		if w, _ := f.finish(cb, flow); w.Code != http.StatusForbidden {
			t.Errorf("re-authentication as another user: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/api/roadmap/attestations", session.Value, attest); w.Code != http.StatusForbidden {
			t.Fatalf("sensitive action after failed re-authentications: %d %s", w.Code, w.Body)
		}
		// A fresh check of ana opens the window again.
		idp.setUser("sub-ana", "ana@example.com")
		cb, flow = f.signIn(idp, "/reauth/sso?next=%2Froadmap", session)
		w, s := f.finish(cb, flow)
		if w.Code != http.StatusOK || s != nil || !strings.Contains(w.Body.String(), "url=/roadmap") {
			t.Fatalf("re-authentication: %d %v %s", w.Code, s, w.Body)
		}
		if w := f.do("POST", "/api/roadmap/attestations", session.Value, attest); w.Code != http.StatusCreated {
			t.Errorf("sensitive action after re-authenticating: %d %s", w.Code, w.Body)
		}
	})
}

func TestSSORoutesWithoutConfiguration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		if w := f.do("GET", "/login/sso", "", ""); w.Code != http.StatusNotFound {
			t.Errorf("GET /login/sso: %d", w.Code)
		}
		if w := f.do("GET", ssoCallbackPath+"?code=x&state=y", "", ""); w.Code != http.StatusNotFound {
			t.Errorf("callback: %d", w.Code)
		}
		if w := f.do("GET", "/login", "", ""); strings.Contains(w.Body.String(), "/login/sso") {
			t.Error("the login page offers single sign-on that is not configured")
		}
	})
}

func TestNewSSOChecksItsConfiguration(t *testing.T) {
	idp := newTestIdP(t)
	good := SSOConfig{Issuer: idp.srv.URL, ClientID: "c", RedirectURL: "https://palisade.example.com" + ssoCallbackPath}
	if _, err := NewSSO(context.Background(), good); err != nil {
		t.Fatalf("good configuration: %v", err)
	}
	for name, c := range map[string]SSOConfig{
		"plain http off loopback": {Issuer: "http://idp.example.com", ClientID: "c", RedirectURL: good.RedirectURL},
		"redirect elsewhere":      {Issuer: good.Issuer, ClientID: "c", RedirectURL: "https://palisade.example.com/callback"},
		"redirect over http":      {Issuer: good.Issuer, ClientID: "c", RedirectURL: "http://palisade.example.com" + ssoCallbackPath},
		"no client id":            {Issuer: good.Issuer, RedirectURL: good.RedirectURL},
		"issuer mismatch":         {Issuer: idp.srv.URL + "/", ClientID: "c", RedirectURL: good.RedirectURL},
		"no provider there":       {Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: good.RedirectURL},
	} {
		if _, err := NewSSO(context.Background(), c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
