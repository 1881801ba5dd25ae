package server

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// chromium finds Debian's Chromium ($PALISADE_CHROMIUM overrides). In CI
// ($CI set) a missing browser fails the test; elsewhere it skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PALISADE_CHROMIUM"), "/usr/bin/chromium", "chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required in CI (apt-get install chromium; .ci/setup.sh does it)")
	}
	t.Skip("chromium not installed")
	return ""
}

// browse starts Chromium with a profile of its own, closed when the test
// ends, and returns its context and a step runner that fails the test
// with what it was doing.
func browse(t *testing.T, bin string) (context.Context, func(string, chromedp.Action[chromedp.Void])) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	return ctx, step
}

// TestBrowserLogsInAndTriages drives Debian's Chromium through the web UI:
// the login redirect, the findings list, a finding's page and its triage
// form, which a real browser must submit with the session cookie the server
// set (Secure, HttpOnly, SameSite=Strict, __Host- prefix).
func TestBrowserLogsInAndTriages(t *testing.T) {
	bin := chromium(t)
	storetest.Each(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		f.srv.opts.Now = time.Now // the browser's cookie clock is real
		_, err := st.RecordScan(context.Background(), store.Scan{Target: "/repo", Scanners: map[string]string{"secrets": "1"}, StartedAt: time.Now(), FinishedAt: time.Now(), Status: store.ScanCompleted},
			[]finding.Finding{{RuleID: "aws-access-key-id", Scanner: "secrets", Category: finding.Secret, Severity: finding.High,
				Title: "AWS access key id <b>bold</b>", Message: "AKIA… (20 chars) found in app/settings.py", Location: finding.Location{Path: "app/settings.py", StartLine: 2, EndLine: 2}, Fingerprint: "c0ffee"}})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(f.srv)
		defer ts.Close()
		// localhost is a secure context for Chromium, so it keeps Secure
		// and __Host- cookies over plain HTTP in this test.
		base := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)

		ctx, step := browse(t, bin)
		text := func(sel string) string {
			t.Helper()
			v, err := chromedp.Run(ctx, chromedp.Text(sel))
			if err != nil {
				t.Fatalf("browser: text of %s: %v", sel, err)
			}
			return v
		}
		step("open the findings page", chromedp.Navigate(base+"/findings"))
		step("wait for the login form", chromedp.WaitVisible(`input[name="name"]`))
		loginURL, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		step("type the name", chromedp.SendKeys(`input[name="name"]`, "triager-user"))
		step("type the password", chromedp.SendKeys(`input[name="password"]`, testPassword))
		step("log in", chromedp.Submit(`input[name="password"]`))
		step("wait for the findings", chromedp.WaitVisible(`table.findings`))
		list := text(`table.findings`)
		cookies, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
		if err != nil {
			t.Fatal(err)
		}
		step("open the finding", chromedp.Click(`table.findings a`))
		step("wait for the triage form", chromedp.WaitVisible(`select[name="status"]`))
		step("choose accepted", chromedp.SetValue(`select[name="status"]`, "accepted"))
		step("type the reason", chromedp.SendKeys(`input[name="reason"]`, "test fixture key, revoked"))
		step("type the expiry", chromedp.SendKeys(`input[name="expires"]`, "2027-01-31"))
		step("save", chromedp.Submit(`input[name="reason"]`))
		step("wait for the history", chromedp.WaitVisible(`//td[contains(., "open → accepted")]`))
		history := text(`main`)
		if !strings.Contains(loginURL, "/login?next=%2Ffindings") {
			t.Errorf("first page %s, want the login page", loginURL)
		}
		if !strings.Contains(list, "AWS access key id <b>bold</b>") || !strings.Contains(list, "app/settings.py:2") {
			t.Errorf("findings table %q: want the title shown as text", list)
		}
		if cookies != "" {
			t.Errorf("script can read cookies %q: the session cookie must be HttpOnly", cookies)
		}
		if !strings.Contains(history, "triager-user") || !strings.Contains(history, "test fixture key, revoked") {
			t.Errorf("finding page after triage: %q", history)
		}
		rec, err := st.Finding(context.Background(), "c0ffee")
		if err != nil || rec.Status != finding.StatusAccepted || rec.StatusBy != "triager-user" {
			t.Errorf("stored finding %+v, %v: want accepted by triager-user", rec.Status, err)
		}
	})
}

// TestBrowserSignsInWithSSO drives Chromium through single sign-on with a
// provider on another site (127.0.0.1 against palisade's localhost): the
// login page's link, the provider's redirect back, and the page that moves
// on from this site, so the SameSite=Strict session cookie set on the
// provider's cross-site navigation is sent with the page the user asked
// for. The provider shows a page the user continues from, as real ones do:
// a redirect straight back would leave palisade's page the initiator.
func TestBrowserSignsInWithSSO(t *testing.T) {
	bin := chromium(t)
	st := storetest.Open(t, storetest.SQLite(t))
	f, idp := ssoFixture(t, st)
	f.srv.opts.Now = time.Now
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	base := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1)
	sso, err := NewSSO(context.Background(), SSOConfig{Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.secret, RedirectURL: base + ssoCallbackPath})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.opts.SSO = sso
	idp.consentPage = true

	ctx, step := browse(t, bin)
	step("open the findings page", chromedp.Navigate(base+"/findings?status=open"))
	step("wait for the login page", chromedp.WaitVisible(`a[href^="/login/sso"]`))
	step("choose single sign-on", chromedp.Click(`a[href^="/login/sso"]`))
	step("wait for the provider's page", chromedp.WaitVisible(`#consent`))
	step("continue at the provider", chromedp.Click(`#consent`))
	step("wait for the findings", chromedp.WaitVisible(`//h1[.="Findings"]`))
	who, err := chromedp.Run(ctx, chromedp.Text(`header .who`))
	if err != nil {
		t.Fatal(err)
	}
	where, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if who != "ana (triager)" || where != base+"/findings?status=open" {
		t.Errorf("after single sign-on: %q at %s, want ana (triager) at the findings she asked for", who, where)
	}
}
