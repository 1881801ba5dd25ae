package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// cheapArgon2 keeps the many logins of these tests fast; the default
// parameters are tested in password_test.go.
var cheapArgon2 = Argon2Params{Memory: 1024, Time: 1, Threads: 1}

const testPassword = "violet kettle marches north"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	t     *testing.T
	st    store.Store
	srv   *Server
	clock *clock
}

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	f := &fixture{t: t, st: st, clock: c, srv: New(Options{Store: st, Now: c.now, Argon2: cheapArgon2})}
	for _, role := range store.Roles {
		h, err := HashPassword(testPassword, cheapArgon2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(context.Background(), store.User{Name: role + "-user", Role: role, Password: h, CreatedAt: c.now()}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// do sends a request with an optional session token and JSON body.
func (f *fixture) do(method, path, token, body string, header ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: token})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

// login returns the session token of a fresh login.
func (f *fixture) login(name, password string) string {
	f.t.Helper()
	w := f.do("POST", "/api/login", "", `{"name":"`+name+`","password":"`+password+`"}`)
	if w.Code != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", name, w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			return c.Value
		}
	}
	f.t.Fatalf("login %s set no session cookie", name)
	return ""
}

// wantRoutes is the authorization policy, written out by hand: the route
// table must match it exactly, so loosening a route's role or dropping its
// password re-entry fails this test rather than passing it silently.
var wantRoutes = map[string]struct {
	role   string
	reauth bool
}{
	"GET /healthz":                   {"", false},
	"POST /api/login":                {"", false},
	"POST /api/logout":               {"viewer", false},
	"POST /api/reauth":               {"viewer", false},
	"GET /api/me":                    {"viewer", false},
	"POST /api/password":             {"viewer", false},
	"POST /api/mfa/enroll":           {"viewer", true},
	"POST /api/mfa/confirm":          {"viewer", true},
	"GET /api/findings":              {"viewer", false},
	"GET /api/findings/{id}":         {"viewer", false},
	"POST /api/findings/{id}/triage": {"triager", true},
	"GET /api/scans":                 {"viewer", false},
	"GET /api/roadmap":               {"viewer", false},
	"POST /api/roadmap/attestations": {"triager", true},
	"GET /api/services":              {"viewer", false},
	"GET /api/metrics":               {"viewer", false},
	"GET /api/users":                 {"admin", false},
	"POST /api/users":                {"admin", true},
	"POST /api/users/{name}":         {"admin", true},
	"GET /api/audit":                 {"admin", false},
	"GET /static/app.css":            {"", false},
	"GET /login":                     {"", false},
	"POST /login":                    {"", false},
	"GET /login/sso":                 {"", false},
	"GET /login/sso/callback":        {"", false},
	"GET /reauth/sso":                {"viewer", false},
	"POST /logout":                   {"viewer", false},
	"GET /reauth":                    {"viewer", false},
	"POST /reauth":                   {"viewer", false},
	"GET /{$}":                       {"viewer", false},
	"GET /findings":                  {"viewer", false},
	"GET /findings/{id}":             {"viewer", false},
	"POST /findings/{id}/triage":     {"triager", true},
	"GET /roadmap":                   {"viewer", false},
	"GET /services":                  {"viewer", false},
	"GET /account":                   {"viewer", false},
	"POST /account/password":         {"viewer", false},
	"POST /account/mfa/enroll":       {"viewer", true},
	"POST /account/mfa/confirm":      {"viewer", true},
}

func TestRouteTableMatchesThePolicy(t *testing.T) {
	s := New(Options{Store: nil})
	seen := map[string]bool{}
	for _, rt := range s.routes() {
		key := rt.Method + " " + rt.Path
		want, ok := wantRoutes[key]
		switch {
		case !ok:
			t.Errorf("route %s is not in the policy of this test", key)
		case want.role != rt.Role || want.reauth != rt.Reauth:
			t.Errorf("route %s: role %q reauth %v, the policy says %q %v", key, rt.Role, rt.Reauth, want.role, want.reauth)
		}
		seen[key] = true
	}
	for key := range wantRoutes {
		if !seen[key] {
			t.Errorf("the policy's route %s is not served", key)
		}
	}
}

// TestEveryRouteWithEveryRole tries each route of the table with no session
// and with each role: a role below the route's gets 403, no session 401,
// and a role at or above it gets past authorization.
func TestEveryRouteWithEveryRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		// Single sign-on is configured, so its routes run their handlers.
		idp := newTestIdP(t)
		sso, err := NewSSO(context.Background(), SSOConfig{Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret, RedirectURL: "http://127.0.0.1" + ssoCallbackPath})
		if err != nil {
			t.Fatal(err)
		}
		f.srv.opts.SSO = sso
		routes := f.srv.routes()
		if len(routes) < 25 {
			t.Fatalf("%d routes", len(routes))
		}
		for _, rt := range routes {
			path := strings.NewReplacer("{id}", "1", "{name}", "viewer-user", "{$}", "").Replace(rt.Path)
			body := ""
			if rt.Method == "POST" {
				body = "{}"
			}
			for _, role := range append([]string{""}, store.Roles...) {
				token := ""
				if role != "" {
					token = f.login(role+"-user", testPassword)
				}
				w := f.do(rt.Method, path, token, body)
				loc := w.Header().Get("Location")
				toLogin := w.Code == http.StatusSeeOther && (strings.HasPrefix(loc, "/login?next=") || strings.HasPrefix(loc, "/reauth?next="))
				switch {
				case rt.Role == "":
					// Anonymous routes: no role is refused (login's own 401
					// for a wrong password is not an authorization failure).
					if w.Code == http.StatusForbidden || w.Code >= 500 {
						t.Errorf("%s %s as %q: %d %s", rt.Method, rt.Path, role, w.Code, w.Body)
					}
				case role == "" && rt.UI:
					if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("page %s %s without a session: %d %q, want a redirect to log in", rt.Method, rt.Path, w.Code, loc)
					}
				case role == "":
					if w.Code != http.StatusUnauthorized {
						t.Errorf("%s %s without a session: %d, want 401", rt.Method, rt.Path, w.Code)
					}
				case roleRank(role) < roleRank(rt.Role):
					if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "needs the "+rt.Role+" role") {
						t.Errorf("%s %s as %s: %d %s, want 403", rt.Method, rt.Path, role, w.Code, w.Body)
					}
				default:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 || toLogin {
						t.Errorf("%s %s as %q: %d %q %.200s, want past authorization", rt.Method, rt.Path, role, w.Code, loc, w.Body)
					}
				}
			}
			// A sensitive route also needs a recent password entry.
			if rt.Reauth {
				token := f.login(rt.Role+"-user", testPassword)
				f.clock.add(6 * time.Minute)
				w := f.do(rt.Method, path, token, body)
				if rt.UI {
					if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/reauth?next=") {
						t.Errorf("page %s %s six minutes after login: %d %q, want a redirect to re-authenticate", rt.Method, rt.Path, w.Code, w.Header().Get("Location"))
					}
				} else if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"reauth": true`) {
					t.Errorf("%s %s six minutes after login: %d %s, want 403 asking to re-authenticate", rt.Method, rt.Path, w.Code, w.Body)
				}
				if w := f.do("POST", "/api/reauth", token, `{"password":"`+testPassword+`"}`); w.Code != http.StatusNoContent {
					t.Fatalf("reauth: %d %s", w.Code, w.Body)
				}
				if w := f.do(rt.Method, path, token, body); w.Code == http.StatusForbidden || w.Code == http.StatusUnauthorized {
					t.Errorf("%s %s after re-authenticating: %d %s", rt.Method, rt.Path, w.Code, w.Body)
				}
			}
		}
		// HEAD reaches GET routes: it is checked the same way.
		for _, p := range []string{"/api/users", "/api/findings", "/api/audit"} {
			if w := f.do("HEAD", p, "", ""); w.Code != http.StatusUnauthorized {
				t.Errorf("HEAD %s without a session: %d", p, w.Code)
			}
			if w := f.do("HEAD", p, f.login("viewer-user", testPassword), ""); p != "/api/findings" && w.Code != http.StatusForbidden {
				t.Errorf("HEAD %s as viewer: %d", p, w.Code)
			}
		}
		if w := f.do("GET", "/api/users/", f.login("admin-user", testPassword), ""); w.Code != http.StatusNotFound {
			t.Errorf("trailing slash: %d", w.Code)
		}
		if w := f.do("GET", "/api/nothing-here", "", ""); w.Code != http.StatusNotFound {
			t.Errorf("unknown route: %d", w.Code)
		}
		if w := f.do("DELETE", "/api/users", f.login("admin-user", testPassword), ""); w.Code != http.StatusMethodNotAllowed && w.Code != http.StatusNotFound {
			t.Errorf("wrong method: %d", w.Code)
		}
	})
}

func TestSessionCookieAndLifetime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		w := f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`"}`)
		sc := w.Header().Get("Set-Cookie")
		for _, want := range []string{CookieName + "=", "Path=/", "Max-Age=43200", "HttpOnly", "Secure", "SameSite=Strict"} {
			if !strings.Contains(sc, want) {
				t.Errorf("Set-Cookie %q lacks %s", sc, want)
			}
		}
		if strings.Contains(sc, "Domain=") {
			t.Errorf("Set-Cookie %q names a domain", sc)
		}
		token := f.login("viewer-user", testPassword)
		// The store keeps only the token's hash.
		if _, err := st.Session(context.Background(), token); err == nil {
			t.Error("the store finds a session by its token in clear")
		}
		if _, err := st.Session(context.Background(), tokenHash(token)); err != nil {
			t.Errorf("session by hash: %v", err)
		}
		// Idle for 20 minutes at a time keeps it; 12 hours in all ends it.
		for i := 0; i < 40; i++ {
			f.clock.add(20 * time.Minute)
			if w := f.do("GET", "/api/me", token, ""); w.Code != http.StatusOK {
				if f.clock.now().Sub(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)) <= 12*time.Hour {
					t.Fatalf("active session ended after %s: %d %s", f.clock.now().Sub(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)), w.Code, w.Body)
				}
				if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "session expired") {
					t.Errorf("after 12 hours: %d %s", w.Code, w.Body)
				}
				break
			}
			if i == 39 {
				t.Fatal("the session outlived its absolute timeout")
			}
		}
		idle := f.login("viewer-user", testPassword)
		f.clock.add(31 * time.Minute)
		if w := f.do("GET", "/api/me", idle, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("after 31 idle minutes: %d", w.Code)
		}
		// Logout ends the session and clears the cookie.
		live := f.login("viewer-user", testPassword)
		w = f.do("POST", "/api/logout", live, "")
		if w.Code != http.StatusNoContent || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout: %d %q", w.Code, w.Header().Get("Set-Cookie"))
		}
		if w := f.do("GET", "/api/me", live, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("after logout: %d", w.Code)
		}
	})
}

func TestLoginDefenses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		for _, body := range []string{
			`{"name":"viewer-user","password":"wrong"}`,
			`{"name":"nobody","password":"` + testPassword + `"}`,
			`{"name":"Robert'); DROP TABLE users;--","password":"x"}`,
		} {
			if w := f.do("POST", "/api/login", "", body); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "wrong name, password or code") {
				t.Errorf("%s: %d %s", body, w.Code, w.Body)
			}
		}
		// Cross-origin writes from a browser are refused before any handler.
		if w := f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`"}`, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
			t.Errorf("cross-site login: %d", w.Code)
		}
		if w := f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`"}`, "Origin", "https://evil.example"); w.Code != http.StatusForbidden {
			t.Errorf("login from another origin: %d", w.Code)
		}
		// Five failures lock the name out, even with the right password.
		for range 5 {
			f.do("POST", "/api/login", "", `{"name":"triager-user","password":"guess"}`)
		}
		if w := f.do("POST", "/api/login", "", `{"name":"triager-user","password":"`+testPassword+`"}`); w.Code != http.StatusTooManyRequests {
			t.Errorf("sixth attempt: %d, want 429", w.Code)
		}
		f.clock.add(16 * time.Minute)
		f.srv.throttle.succeed("addr:192.0.2.1") // httptest's client address failed too
		if w := f.do("POST", "/api/login", "", `{"name":"triager-user","password":"`+testPassword+`"}`); w.Code != http.StatusOK {
			t.Errorf("after the lockout: %d %s", w.Code, w.Body)
		}
		// Concurrent guesses cannot slip past the limit: at most five reach
		// the password check.
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() { f.do("POST", "/api/login", "", `{"name":"admin-user","password":"concurrent guess"}`) })
		}
		wg.Wait()
		// Bad bodies.
		for _, tc := range []struct{ body, ct, want string }{
			{`{"name":"a","password":"b","admin":true}`, "application/json", "unknown field"},
			{`{"Name":"viewer-user","PASSWORD":"x"}`, "application/json", `unknown field`},
			{`{"name":"a"} {"name":"b"}`, "application/json", "one JSON object only"},
			{`name=a`, "application/x-www-form-urlencoded", "Content-Type: application/json"},
			{`{"name":"` + strings.Repeat("a", 70000) + `"}`, "application/json", "larger than"},
		} {
			req := httptest.NewRequest("POST", "/api/login", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ct)
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, req)
			if w.Code < 400 || w.Code >= 500 || !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("body %.40q: %d %s, want an error containing %q", tc.body, w.Code, w.Body, tc.want)
			}
		}
		w := f.do("GET", "/healthz", "", "")
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Cache-Control", "Strict-Transport-Security"} {
			if w.Header().Get(h) == "" {
				t.Errorf("response lacks %s", h)
			}
		}
		// The audit log records the failures, and never a password.
		log, err := st.AuditLog(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		failed, locked := 0, 0
		for _, e := range log {
			switch e.Action {
			case "login_failed":
				failed++
			case "login_locked":
				locked++
			}
			if strings.Contains(e.Detail+e.Target+e.Actor, testPassword) {
				t.Errorf("audit entry holds a password: %+v", e)
			}
		}
		// 8 before the concurrent burst, then at most 5 of its 30.
		if failed < 9 || failed > 13 || locked != 2 {
			t.Errorf("%d failed logins and %d lockouts audited, want 9 to 13 and 2", failed, locked)
		}
	})
}

func TestTriageAttestAndUsersThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		res, err := st.RecordScan(ctx, store.Scan{Target: "/repo", Scanners: map[string]string{"secrets": "1"}, StartedAt: f.clock.now(), FinishedAt: f.clock.now(), Status: store.ScanCompleted},
			[]finding.Finding{{RuleID: "aws-access-key-id", Scanner: "secrets", Category: finding.Secret, Severity: finding.High, Title: "AWS key", Message: "AKIA… (20 chars) found in a.py",
				Location: finding.Location{Path: "a.py", StartLine: 1, EndLine: 1}, Fingerprint: "f00d"}})
		if err != nil || res.New != 1 {
			t.Fatalf("record: %+v %v", res, err)
		}
		viewer, triager, admin := f.login("viewer-user", testPassword), f.login("triager-user", testPassword), f.login("admin-user", testPassword)

		var list struct {
			Findings []struct {
				ID     int64  `json:"id"`
				RuleID string `json:"rule_id"`
			} `json:"findings"`
		}
		w := f.do("GET", "/api/findings?min_severity=high", viewer, "")
		if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Findings) != 1 || list.Findings[0].RuleID != "aws-access-key-id" {
			t.Fatalf("findings: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/findings?sort=evil", viewer, ""); w.Code != http.StatusBadRequest {
			t.Errorf("unknown parameter: %d", w.Code)
		}
		if w := f.do("GET", "/api/findings/1%27%20OR%201=1", viewer, ""); w.Code != http.StatusBadRequest {
			t.Errorf("injected id: %d", w.Code)
		}
		if w := f.do("POST", "/api/findings/1/triage", triager, `{"status":"accepted","reason":"rotated, test key","expires":"2027-01-31"}`); w.Code != http.StatusOK {
			t.Fatalf("triage: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/api/findings/1/triage", triager, `{"status":"fixed","reason":"x","expires":"2027-01-31"}`); w.Code != http.StatusBadRequest {
			t.Errorf("expiry on a fixed status: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/api/roadmap/attestations", triager, `{"control":"sdlc-threat-modeling","note":"STRIDE on the order flow","expires":"2027-06-30"}`); w.Code != http.StatusCreated {
			t.Fatalf("attest: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/api/roadmap/attestations", triager, `{"control":"aws-5-sso","note":"x","expires":"2027-06-30"}`); w.Code != http.StatusBadRequest {
			t.Errorf("attesting an evidence control: %d", w.Code)
		}
		w = f.do("GET", "/api/roadmap", viewer, "")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"attested by triager-user 2026-11-27 through 2027-06-30: STRIDE on the order flow"`) {
			t.Errorf("roadmap: %d %.300s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/metrics?window_days=30", viewer, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"accepted": 1`) {
			t.Errorf("metrics: %d %.300s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/services", viewer, ""); w.Code != http.StatusNotFound {
			t.Errorf("services without a catalog: %d", w.Code)
		}

		// Users: created with a policy-checked password, never shown hashed.
		if w := f.do("POST", "/api/users", admin, `{"name":"carla","role":"triager","password":"short"}`); w.Code != http.StatusBadRequest {
			t.Errorf("weak password: %d", w.Code)
		}
		if w := f.do("POST", "/api/users", admin, `{"name":"carla","role":"triager","password":"mountain river orchestra bright"}`); w.Code != http.StatusCreated {
			t.Fatalf("create user: %d %s", w.Code, w.Body)
		}
		if w := f.do("POST", "/api/users", admin, `{"name":"carla","role":"viewer","password":"another long passphrase"}`); w.Code != http.StatusConflict {
			t.Errorf("duplicate user: %d", w.Code)
		}
		w = f.do("GET", "/api/users", admin, "")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "argon2") || !strings.Contains(w.Body.String(), `"carla"`) {
			t.Errorf("users: %d %s", w.Code, w.Body)
		}
		carla := f.login("carla", "mountain river orchestra bright")
		if w := f.do("POST", "/api/users/admin-user", admin, `{"disabled":true}`); w.Code != http.StatusBadRequest {
			t.Errorf("an admin disabled themselves: %d", w.Code)
		}
		if w := f.do("POST", "/api/users/carla", admin, `{"disabled":true}`); w.Code != http.StatusOK {
			t.Fatalf("disable: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/me", carla, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("a disabled user's session still works: %d", w.Code)
		}
		if w := f.do("POST", "/api/login", "", `{"name":"carla","password":"mountain river orchestra bright"}`); w.Code != http.StatusUnauthorized {
			t.Errorf("a disabled user logged in: %d", w.Code)
		}
		// Guessing through the password change is throttled like a login.
		guesser := f.login("admin-user", testPassword)
		for i := range 6 {
			w := f.do("POST", "/api/password", guesser, `{"current":"guess number `+strconv.Itoa(i)+`","new":"whatever long enough"}`)
			if want := http.StatusBadRequest; i == 5 {
				want = http.StatusTooManyRequests
				if w.Code != want {
					t.Errorf("sixth password guess: %d, want 429", w.Code)
				}
			} else if w.Code != want {
				t.Errorf("password guess %d: %d", i, w.Code)
			}
		}
		// Changing a password ends the sessions; the new one works.
		if w := f.do("POST", "/api/password", viewer, `{"current":"`+testPassword+`","new":"a brand new viewer passphrase"}`); w.Code != http.StatusNoContent {
			t.Fatalf("change password: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/me", viewer, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("old session after a password change: %d", w.Code)
		}
		f.login("viewer-user", "a brand new viewer passphrase")

		log, _ := st.AuditLog(ctx, 0)
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		for _, want := range []string{"triage", "attest", "user_created", "user_updated", "password_changed", "login"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Errorf("audit log %v lacks %s", actions, want)
			}
		}
	})
}

func TestLoginRehashesOldParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		old, _ := HashPassword(testPassword, Argon2Params{Memory: 512, Time: 1, Threads: 1})
		u, _ := st.UserByName(context.Background(), "viewer-user")
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{Password: &old}); err != nil {
			t.Fatal(err)
		}
		f.login("viewer-user", testPassword)
		u, _ = st.UserByName(context.Background(), "viewer-user")
		if !strings.Contains(u.Password, "$m=1024,t=1,p=1$") {
			t.Errorf("hash after login %q, want it rehashed with the current parameters", u.Password)
		}
	})
}
