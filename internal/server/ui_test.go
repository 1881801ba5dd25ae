package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/findings?status=open": "/findings?status=open",
		"":                      "/",
		"//evil.example/x":      "/",
		"/\\evil.example":       "/",
		"https://evil.example":  "/",
		"javascript:alert(1)":   "/",
		"/x\r\nSet-Cookie: a=b": "/",
		"/./\\evil.example":     "/",
		"/../\\evil.example/x":  "/",
		"/.//evil.example":      "/",
		"/%2F%2Fevil.example":   "/",
		"/findings/12":          "/findings/12",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// postForm sends a url-encoded form.
func (f *fixture) postForm(path, token string, v url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: token})
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w
}

func TestWebUIFlowAndEscaping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		_, err := st.RecordScan(context.Background(), store.Scan{Target: "/repo", Scanners: map[string]string{"iac": "1"}, StartedAt: f.clock.now(), FinishedAt: f.clock.now(), Status: store.ScanCompleted},
			[]finding.Finding{{RuleID: "custom-1", Scanner: "iac", Category: finding.Misconfiguration, Severity: finding.High,
				Title: `<script>alert("x")</script>`, Message: `"><img src=x onerror=alert(1)>`, Location: finding.Location{Path: "main.tf", StartLine: 3, EndLine: 3}, Fingerprint: "beef"}})
		if err != nil {
			t.Fatal(err)
		}
		// A page without a session sends the browser to log in, and back.
		w := f.do("GET", "/findings/1", "", "")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Ffindings%2F1" {
			t.Fatalf("anonymous page: %d %q", w.Code, w.Header().Get("Location"))
		}
		w = f.postForm("/login", "", url.Values{"name": {"triager-user"}, "password": {"wrong password here"}, "next": {"/findings/1"}})
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "wrong name, password or code") {
			t.Errorf("wrong password: %d", w.Code)
		}
		w = f.postForm("/login", "", url.Values{"name": {"triager-user"}, "password": {testPassword}, "next": {"//evil.example/"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
			t.Errorf("login with an off-site next: %d %q, want /", w.Code, w.Header().Get("Location"))
		}
		w = f.postForm("/login", "", url.Values{"name": {"triager-user"}, "password": {testPassword}, "next": {"/findings/1"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/findings/1" {
			t.Fatalf("login: %d %q", w.Code, w.Header().Get("Location"))
		}
		var token string
		for _, c := range w.Result().Cookies() {
			if c.Name == CookieName {
				token = c.Value
			}
		}
		page := f.do("GET", "/findings/1", token, "")
		body := page.Body.String()
		if page.Code != http.StatusOK || strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") ||
			!strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("finding page does not escape: %d %.600s", page.Code, body)
		}
		if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") ||
			!strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("page CSP %q", csp)
		}
		for _, p := range []string{"/", "/findings", "/roadmap", "/services"} {
			if w := f.do("GET", p, token, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<h1>") {
				t.Errorf("GET %s: %d", p, w.Code)
			}
		}
		// Triage through the form; after the window it asks for the password.
		w = f.postForm("/findings/1/triage", token, url.Values{"status": {"accepted"}, "reason": {"fixed in the next release"}, "expires": {"2027-01-31"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/findings/1" {
			t.Fatalf("triage form: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		if w := f.postForm("/findings/1/triage", token, url.Values{"status": {"open"}, "reason": {"x"}, "admin": {"1"}}); w.Code != http.StatusBadRequest {
			t.Errorf("unknown form field: %d", w.Code)
		}
		dup := url.Values{"status": {"open", "fixed"}, "reason": {"x"}}
		if w := f.postForm("/findings/1/triage", token, dup); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "given twice") {
			t.Errorf("duplicate form field: %d", w.Code)
		}
		// Error pages do not repeat a sentence an attacker put in the URL.
		if w := f.do("GET", "/findings?Your+account+is+locked.+Call+555-0100=1", token, ""); w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), "555-0100") {
			t.Errorf("spoofed error page: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/?x=1", token, ""); w.Code != http.StatusBadRequest {
			t.Errorf("overview with a query: %d", w.Code)
		}
		f.clock.add(10 * time.Minute)
		w = f.postForm("/findings/1/triage", token, url.Values{"status": {"open"}, "reason": {"reopen"}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/reauth?next=%2Ffindings%2F1" {
			t.Fatalf("stale triage: %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := f.postForm("/reauth", token, url.Values{"password": {"not it at all"}, "next": {"/findings/1"}}); w.Code != http.StatusBadRequest {
			t.Errorf("wrong reauth password: %d", w.Code)
		}
		if w := f.postForm("/reauth", token, url.Values{"password": {testPassword}, "next": {"/findings/1"}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/findings/1" {
			t.Errorf("reauth: %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := f.postForm("/findings/1/triage", token, url.Values{"status": {"open"}, "reason": {"reopen"}}); w.Code != http.StatusSeeOther {
			t.Errorf("triage after reauth: %d %s", w.Code, w.Body)
		}
		rec, _ := st.Finding(context.Background(), "1")
		if rec.Status != finding.StatusOpen {
			t.Errorf("status %s after the second triage", rec.Status)
		}
		// A viewer sees no triage form.
		viewer := f.login("viewer-user", testPassword)
		if w := f.do("GET", "/findings/1", viewer, ""); strings.Contains(w.Body.String(), "/triage") {
			t.Error("a viewer is shown the triage form")
		}
		if w := f.postForm("/logout", token, nil); w.Code != http.StatusSeeOther {
			t.Errorf("logout: %d", w.Code)
		}
	})
}

func TestAccountPageEnrollsAndChangesPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		f.srv.opts.SecretKey = []byte(strings.Repeat("u", 32))
		token := f.login("viewer-user", testPassword)
		if w := f.do("GET", "/account", token, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Enroll an authenticator app") {
			t.Fatalf("account page: %d", w.Code)
		}
		w := f.postForm("/account/mfa/enroll", token, url.Values{})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "otpauth://totp/palisade:viewer-user") {
			t.Fatalf("enroll form: %d %.300s", w.Code, w.Body)
		}
		secret := between(w.Body.String(), "<p><code>", "</code>")
		code, _ := totpCode(secret, f.clock.now().Unix()/30)
		if w := f.postForm("/account/mfa/confirm", token, url.Values{"code": {code}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Fatalf("confirm form: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
		}
		u, _ := st.UserByName(context.Background(), "viewer-user")
		if u.TOTPSecret == "" {
			t.Fatal("the second factor is not on")
		}
		// The session ended; a stale form after ten minutes asks for the
		// password again and comes back to the account page.
		f.clock.add(30 * time.Second)
		code, _ = totpCode(secret, f.clock.now().Unix()/30)
		w = f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`","code":"`+code+`"}`)
		var fresh string
		for _, c := range w.Result().Cookies() {
			if c.Name == CookieName {
				fresh = c.Value
			}
		}
		f.clock.add(10 * time.Minute)
		if w := f.postForm("/account/mfa/enroll", fresh, url.Values{"code": {"123456"}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/reauth?next=%2Faccount" {
			t.Errorf("stale enroll: %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := f.postForm("/account/password", fresh, url.Values{"current": {"not the password"}, "new": {"a brand new passphrase"}}); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "wrong current password") {
			t.Errorf("wrong current password: %d", w.Code)
		}
		if w := f.postForm("/account/password", fresh, url.Values{"current": {testPassword}, "new": {"a brand new passphrase"}}); w.Code != http.StatusSeeOther {
			t.Errorf("password form: %d %s", w.Code, w.Body)
		}
	})
}
