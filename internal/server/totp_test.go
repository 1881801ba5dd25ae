package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// RFC 6238 appendix B, SHA-1, truncated to the 6 digits apps show.
func TestTOTPVectors(t *testing.T) {
	secret := b32.EncodeToString([]byte("12345678901234567890"))
	for _, tc := range []struct {
		unix int64
		code string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		got, err := totpCode(secret, tc.unix/30)
		if err != nil || got != tc.code {
			t.Errorf("T=%d: %s %v, want %s", tc.unix, got, err, tc.code)
		}
		step, ok, err := checkTOTP(secret, tc.code, time.Unix(tc.unix+30, 0))
		if err != nil || !ok || step != tc.unix/30 {
			t.Errorf("T=%d a step later: step %d ok %v %v", tc.unix, step, ok, err)
		}
		if _, ok, _ := checkTOTP(secret, tc.code, time.Unix(tc.unix+95, 0)); ok {
			t.Errorf("T=%d: code accepted three steps later", tc.unix)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "28708 "} {
		if _, ok, _ := checkTOTP(secret, bad, time.Unix(59, 0)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSealedTOTPSecrets(t *testing.T) {
	s := New(Options{SecretKey: []byte(strings.Repeat("k", 32))})
	sealed, err := s.sealTOTP(7, "JBSWY3DPEHPK3PXP")
	if err != nil || strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := s.openTOTP(7, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("open: %q %v", got, err)
	}
	if _, err := s.openTOTP(8, sealed); err == nil {
		t.Error("a secret sealed for user 7 opened for user 8")
	}
	other := New(Options{SecretKey: []byte(strings.Repeat("x", 32))})
	if _, err := other.openTOTP(7, sealed); err == nil {
		t.Error("a secret opened under another key")
	}
	if _, err := New(Options{}).sealTOTP(7, "X"); err != ErrNoSecretKey {
		t.Errorf("no key: %v", err)
	}
	if k, err := ParseSecretKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="); err != nil || len(k) != 32 {
		t.Errorf("ParseSecretKey: %v", err)
	}
	if _, err := ParseSecretKey("c2hvcnQ="); err == nil {
		t.Error("a 5-byte key accepted")
	}
}

func TestSecondFactorEnrollAndLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		f.srv.opts.SecretKey = []byte(strings.Repeat("s", 32))
		token := f.login("viewer-user", testPassword)
		w := f.do("POST", "/api/mfa/enroll", token, "{}")
		if w.Code != http.StatusOK {
			t.Fatalf("enroll: %d %s", w.Code, w.Body)
		}
		secret := between(w.Body.String(), `"secret": "`, `"`)
		if len(secret) != 32 || !strings.Contains(w.Body.String(), "otpauth://totp/palisade:viewer-user?") {
			t.Fatalf("enroll answer %s", w.Body)
		}
		u, _ := st.UserByName(context.Background(), "viewer-user")
		if u.TOTPPending == "" || strings.Contains(u.TOTPPending, secret) || u.TOTPSecret != "" {
			t.Fatalf("stored enrollment %+v", u)
		}
		// Until confirmed, the password alone still logs in.
		f.login("viewer-user", testPassword)
		code := func(at time.Time) string {
			c, _ := totpCode(secret, at.Unix()/30)
			return c
		}
		if w := f.do("POST", "/api/mfa/confirm", token, `{"code":"000000"}`); w.Code != http.StatusBadRequest {
			t.Errorf("wrong confirm code: %d", w.Code)
		}
		if w := f.do("POST", "/api/mfa/confirm", token, `{"code":"`+code(f.clock.now())+`"}`); w.Code != http.StatusNoContent {
			t.Fatalf("confirm: %d %s", w.Code, w.Body)
		}
		login := func(code string) int {
			return f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`","code":"`+code+`"}`).Code
		}
		f.clock.add(30 * time.Second)
		if got := login(""); got != http.StatusUnauthorized {
			t.Errorf("password without a code: %d", got)
		}
		now := code(f.clock.now())
		if got := login(now); got != http.StatusOK {
			t.Errorf("password and code: %d", got)
		}
		if got := login(now); got != http.StatusUnauthorized {
			t.Errorf("the same code again: %d, want it refused", got)
		}
		// Confirming ended the enrolling session; with the factor on, the
		// failure message is the same as for a wrong password.
		if w := f.do("GET", "/api/me", token, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("the enrolling session survived the confirmation: %d", w.Code)
		}
		fresh := f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`","code":"000000"}`)
		if fresh.Code != http.StatusUnauthorized || !strings.Contains(fresh.Body.String(), "wrong name, password or code") {
			t.Errorf("wrong code: %d %s", fresh.Code, fresh.Body)
		}
		// Re-authentication and replacing the factor need a current code.
		f.clock.add(30 * time.Second)
		session := func() string {
			w := f.do("POST", "/api/login", "", `{"name":"viewer-user","password":"`+testPassword+`","code":"`+code(f.clock.now())+`"}`)
			for _, c := range w.Result().Cookies() {
				if c.Name == CookieName {
					return c.Value
				}
			}
			t.Fatalf("login with a code: %d %s", w.Code, w.Body)
			return ""
		}
		s2 := session()
		if w := f.do("POST", "/api/reauth", s2, `{"password":"`+testPassword+`"}`); w.Code != http.StatusBadRequest {
			t.Errorf("reauth without a code: %d", w.Code)
		}
		if w := f.do("POST", "/api/mfa/enroll", s2, `{}`); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "current code") {
			t.Errorf("replacing the factor without a code: %d %s", w.Code, w.Body)
		}
		f.clock.add(30 * time.Second)
		if w := f.do("POST", "/api/reauth", s2, `{"password":"`+testPassword+`","code":"`+code(f.clock.now())+`"}`); w.Code != http.StatusNoContent {
			t.Errorf("reauth with a code: %d %s", w.Code, w.Body)
		}
		// Only the pending secret a code was checked against is installed.
		f.clock.add(30 * time.Second)
		w = f.do("POST", "/api/mfa/enroll", s2, `{"code":"`+code(f.clock.now())+`"}`)
		if w.Code != http.StatusOK {
			t.Fatalf("re-enroll with a code: %d %s", w.Code, w.Body)
		}
		u, _ = st.UserByName(context.Background(), "viewer-user")
		racedPending := u.TOTPPending
		other := "second pending secret"
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{TOTPPending: &other}); err != nil {
			t.Fatal(err)
		}
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{ConfirmTOTP: racedPending}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("confirming a pending secret that changed: %v, want ErrConflict", err)
		}

		// An admin removes the second factor; the user's sessions end.
		admin := f.login("admin-user", testPassword)
		if w := f.do("POST", "/api/users/viewer-user", admin, `{"mfa_reset":true}`); w.Code != http.StatusOK {
			t.Fatalf("reset: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/api/me", s2, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("a session survived the reset: %d", w.Code)
		}
		if got := login(""); got != http.StatusOK {
			t.Errorf("after the reset, the password alone: %d", got)
		}
		if w := f.do("POST", "/api/users/viewer-user", admin, `{"mfa_reset":true}`); w.Code != http.StatusBadRequest {
			t.Errorf("resetting a factor that is not there: %d", w.Code)
		}
		// Without a server key there is no enrollment.
		f.srv.opts.SecretKey = nil
		if w := f.do("POST", "/api/mfa/enroll", f.login("triager-user", testPassword), "{}"); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "PALISADE_SECRET_KEY") {
			t.Errorf("enroll without a key: %d %s", w.Code, w.Body)
		}
	})
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return ""
}

func TestServeRefusesSecretsItCannotOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		f.srv.opts.SecretKey = []byte(strings.Repeat("a", 32))
		u, _ := st.UserByName(context.Background(), "viewer-user")
		sealed, err := f.srv.sealTOTP(u.ID, "JBSWY3DPEHPK3PXP")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{TOTPPending: &sealed}); err != nil {
			t.Fatal(err)
		}
		if err := st.ChangeUser(context.Background(), u.ID, store.UserChange{ConfirmTOTP: sealed}); err != nil {
			t.Fatal(err)
		}
		if err := f.srv.CheckSecrets(context.Background()); err != nil {
			t.Errorf("right key: %v", err)
		}
		other := New(Options{Store: st, SecretKey: []byte(strings.Repeat("b", 32))})
		if err := other.CheckSecrets(context.Background()); err == nil || !strings.Contains(err.Error(), "mfa-reset viewer-user") {
			t.Errorf("wrong key: %v", err)
		}
		if err := New(Options{Store: st}).CheckSecrets(context.Background()); err == nil {
			t.Error("no key: CheckSecrets passed")
		}
	})
}
