package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/palisade-sec/palisade/internal/server"
)

// syncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs palisade with args (a serve command listening on the
// address after --listen) until it answers /healthz, and returns its
// standard error and a stop function that shuts it down and returns its
// exit code.
func startServe(t *testing.T, dir string, env map[string]string, args ...string) (*syncBuffer, func() int) {
	t.Helper()
	addr := ""
	for i, a := range args {
		if a == "--listen" && i+1 < len(args) {
			addr = args[i+1]
		}
	}
	app := testApp(dir, env)
	stderr := &syncBuffer{}
	app.Stderr = stderr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- app.Run(ctx, args) }()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not shut down")
			return -1
		}
	}
	for i := 0; i < 100; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return stderr, stop
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	t.Fatalf("server never answered: %s", stderr)
	return nil, nil
}

// TestServeEndToEnd adds an account with the CLI, serves the API on a real
// loopback socket, logs in over HTTP and shuts the server down cleanly.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	a := testApp(dir, env)
	a.Stdin = strings.NewReader("violet kettle marches north\n")
	if code := a.Run(context.Background(), []string{"user", "add", "ana", "--role", "admin"}); code != 0 {
		t.Fatalf("user add: %d %s", code, a.Stderr)
	}
	if r := palisade(t, dir, env, "user", "list"); r.code != 0 || !strings.Contains(r.stdout, "ana   admin") {
		t.Errorf("user list: %d %q", r.code, r.stdout)
	}
	addr := freeAddr(t)
	stderr, stop := startServe(t, dir, env, "serve", "--listen", addr)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post("http://"+addr+"/api/login", "application/json", strings.NewReader(`{"name":"ana","password":"violet kettle marches north"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var token string
	for _, c := range resp.Cookies() {
		if c.Name == server.CookieName {
			token = c.Value
		}
	}
	if resp.StatusCode != http.StatusOK || token == "" {
		t.Fatalf("login over HTTP: %d, token %v", resp.StatusCode, token != "")
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/users", nil)
	req.AddCookie(&http.Cookie{Name: server.CookieName, Value: token})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/users: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "serving on http://"+addr) {
		t.Errorf("stderr %q", stderr)
	}
}

// TestServeWithSingleSignOn adds a single sign-on user with the CLI and
// serves with an OpenID Connect provider (go-oidc's test server for
// discovery and keys): the login page offers single sign-on, and starting
// it sends the browser to the provider with this server's redirect URI.
func TestServeWithSingleSignOn(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	idp := httptest.NewServer(disc)
	defer idp.Close()
	disc.SetIssuer(idp.URL)

	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db"), "PALISADE_OIDC_CLIENT_SECRET": "s3cret-of-the-client"}
	if r := palisade(t, dir, env, "user", "add", "ana", "--role", "viewer", "--sso-email", "Ana@Example.com"); r.code != 0 || !strings.Contains(r.stdout, "single sign-on as ana@example.com") {
		t.Fatalf("user add --sso-email: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := palisade(t, dir, env, "user", "list"); !strings.Contains(r.stdout, "single sign-on as ana@example.com (not yet signed in)") {
		t.Errorf("user list: %q", r.stdout)
	}
	if r := palisade(t, dir, env, "user", "sso-reset", "ana"); r.code != 2 || !strings.Contains(r.stderr, "no pinned sign-in identity") {
		t.Errorf("sso-reset of an unpinned user: %d %q", r.code, r.stderr)
	}
	addr := freeAddr(t)
	stderr, stop := startServe(t, dir, env, "serve", "--listen", addr, "--oidc-issuer", idp.URL, "--oidc-client-id", "palisade", "--public-url", "http://"+addr+"/")
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exit %d: %s", code, stderr)
		}
	}()
	resp, err := http.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `href="/login/sso?next=%2F"`) {
		t.Errorf("login page without single sign-on: %s", body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.Get("http://" + addr + "/login/sso")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther || loc.Scheme+"://"+loc.Host+loc.Path != idp.URL+"/auth" {
		t.Fatalf("GET /login/sso: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("client_id") != "palisade" || q.Get("redirect_uri") != "http://"+addr+"/login/sso/callback" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("authorization request %v", q)
	}
	if strings.Contains(loc.String(), "s3cret") {
		t.Error("the client secret went to the browser")
	}
}

func TestServeAndUserUsageErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"serve", "--listen", "0.0.0.0:8080"}, "", "not a loopback address: serve over TLS"},
		{[]string{"serve", "--listen", "127.0.0.1:8080", "--tls-cert", "c.pem"}, "", "--tls-cert and --tls-key go together"},
		{[]string{"serve", "--catalog", "missing.yaml"}, "", "missing.yaml not found"},
		{[]string{"user", "add", "Bad Name", "--role", "admin"}, "a long enough password\n", "user name"},
		{[]string{"user", "add", "bo", "--role", "root"}, "a long enough password\n", "--role: one of viewer, triager, admin"},
		{[]string{"user", "add", "bo", "--role", "viewer"}, "short\n", "weak password"},
		{[]string{"user", "add", "bo", "--role", "viewer"}, "", "read the password"},
		{[]string{"user", "mfa-reset", "nobody"}, "", `no user "nobody"`},
		{[]string{"user", "sso-reset", "nobody"}, "", `no user "nobody"`},
		{[]string{"user", "add", "bo", "--role", "viewer", "--sso-email", "bo at example"}, "", "is not an e-mail address"},
		{[]string{"serve", "--oidc-issuer", "https://idp.example.com"}, "", "single sign-on needs --oidc-issuer, --oidc-client-id and --public-url"},
		{[]string{"serve", "--oidc-issuer", "http://127.0.0.1:1", "--oidc-client-id", "c", "--public-url", "http://127.0.0.1:8080"}, "", "single sign-on: discovery at http://127.0.0.1:1"},
		{[]string{"serve", "--oidc-issuer", "http://idp.example.com", "--oidc-client-id", "c", "--public-url", "http://127.0.0.1:8080"}, "", "must use https"},
	} {
		a := testApp(dir, env)
		a.Stdin = strings.NewReader(tc.stdin)
		code := a.Run(context.Background(), tc.args)
		stderr := a.Stderr.(*bytes.Buffer).String()
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
