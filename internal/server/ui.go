package server

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/program"
	"github.com/palisade-sec/palisade/internal/store"
)

// The web UI is server-rendered HTML with plain forms: no script runs, so
// the Content-Security-Policy allows none. Pages are written with an
// escaping builder rather than html/template, whose reflective executor
// makes the Go linker keep every method of every type (the binary grows
// from 68 MB to 200 MB and every command starts 10 MB heavier; see the
// hygiene test).

//go:embed app.css
var appCSS []byte

// pageCSP is the policy of every page: its own stylesheet, forms posting
// to itself, nothing else.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// doc builds one HTML page; every dynamic string goes through t or attr.
type doc struct{ b strings.Builder }

// raw writes markup written in this file, never data.
func (d *doc) raw(s string) *doc { d.b.WriteString(s); return d }

// t writes text, escaped.
func (d *doc) t(s string) *doc { d.b.WriteString(html.EscapeString(s)); return d }

// tf writes formatted text, escaped.
func (d *doc) tf(format string, args ...any) *doc { return d.t(fmt.Sprintf(format, args...)) }

// attr is an escaped attribute value (without quotes).
func attr(s string) string { return html.EscapeString(s) }

func (s *Server) render(w http.ResponseWriter, status int, title string, c *caller, body *doc) {
	var d doc
	d.raw(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`)
	d.raw(`<title>`).t(title).raw(` · palisade</title><link rel="stylesheet" href="/static/app.css"></head><body>`)
	d.raw(`<header><a class="brand" href="/">palisade</a>`)
	if c != nil {
		d.raw(`<nav><a href="/findings">Findings</a><a href="/roadmap">Roadmap</a><a href="/services">Services</a><a href="/account">Account</a></nav>`)
		d.raw(`<form method="post" action="/logout" class="inline"><span class="who">`).t(c.user.Name).raw(` (`).t(c.user.Role).raw(`)</span> <button type="submit">Log out</button></form>`)
	}
	d.raw(`</header><main><h1>`).t(title).raw(`</h1>`)
	d.b.WriteString(body.b.String())
	d.raw(`</main></body></html>`)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(d.b.String())) // the client went away; nothing to do
}

// failPage answers an error with an HTML page.
func (s *Server) failPage(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	status, msg := http.StatusInternalServerError, "internal error"
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		status, msg = he.status, he.msg
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBody)
	case errors.Is(err, context.Canceled):
		s.opts.Logger.Info("client went away", "method", r.Method, "path", r.URL.Path)
	default:
		s.opts.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var d doc
	d.raw(`<p class="error">`).t(msg).raw(`</p><p><a href="/">Back</a></p>`)
	s.render(w, status, http.StatusText(status), nil, &d)
}

// localPath is the request's path and query, for coming back after login.
func localPath(r *http.Request) string {
	p := r.URL.Path
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// safeNext allows only paths on this site as a redirect target ("/x", not
// "//evil.example", "/\evil.example" or "/./\evil.example", which
// http.Redirect would clean into one browsers read as another host), so a
// login link cannot send a user elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.ContainsRune(next, '\\') || len(next) > 2000 || program.Clean(next) != next {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.Contains(u.Path, "//") || strings.HasPrefix(path.Clean(u.Path), "//") {
		return "/"
	}
	return next
}

// form parses a url-encoded form and allows only the named fields.
func form(r *http.Request, allowed ...string) (url.Values, error) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return nil, errorf(http.StatusUnsupportedMediaType, "send a form")
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "form: %s", cleanText(err.Error()))
	}
	for k, v := range r.PostForm {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return nil, errorf(http.StatusBadRequest, "unknown form field%s", echoName(k))
		}
		if len(v) > 1 {
			return nil, errorf(http.StatusBadRequest, "form field %q given twice", k)
		}
	}
	return r.PostForm, nil
}

func stylesheet(_ *Server, w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(appCSS)
	return nil
}

func loginPage(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	if _, err := query(r, "next"); err != nil {
		return err
	}
	s.renderLogin(w, http.StatusOK, safeNext(r.URL.Query().Get("next")), "")
	return nil
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, next, msg string) {
	var d doc
	if msg != "" {
		d.raw(`<p class="error">`).t(msg).raw(`</p>`)
	}
	d.raw(`<form method="post" action="/login" class="card"><input type="hidden" name="next" value="`).raw(attr(next)).raw(`">`)
	d.raw(`<label>Name <input name="name" autocomplete="username" required></label>`)
	d.raw(`<label>Password <input name="password" type="password" autocomplete="current-password" required></label>`)
	d.raw(`<label>Code from your authenticator app, if you enrolled one <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"></label>`)
	d.raw(`<button type="submit">Log in</button></form>`)
	if s.opts.SSO != nil {
		d.raw(`<p class="card"><a href="/login/sso?next=`).raw(attr(url.QueryEscape(next))).raw(`">Sign in with single sign-on</a></p>`)
	}
	s.render(w, status, "Log in", nil, &d)
}

func loginForm(s *Server, w http.ResponseWriter, r *http.Request, _ *caller) error {
	f, err := form(r, "name", "password", "code", "next")
	if err != nil {
		return err
	}
	next := safeNext(f.Get("next"))
	token, status, msg, err := s.startSession(r, f.Get("name"), f.Get("password"), f.Get("code"))
	if err != nil {
		return err
	}
	if token == "" {
		s.renderLogin(w, status, next, msg)
		return nil
	}
	http.SetCookie(w, sessionCookie(token, int(s.opts.AbsoluteTimeout.Seconds())))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func logoutForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.opts.Store.DeleteSession(r.Context(), c.session.IDHash); err != nil {
		return err
	}
	if err := s.audit(r, c.user.Name, "logout", "user "+c.user.Name, ""); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func reauthPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r, "next"); err != nil {
		return err
	}
	s.renderReauth(w, http.StatusOK, c, safeNext(r.URL.Query().Get("next")), "")
	return nil
}

func (s *Server) renderReauth(w http.ResponseWriter, status int, c *caller, next, msg string) {
	var d doc
	if c != nil && c.user.SSO() {
		// The identity provider checks a single sign-on user again.
		d.raw(`<p>This action changes what palisade reports. Sign in again at your identity provider to go on.</p>`)
		d.raw(`<p class="card"><a href="/reauth/sso?next=`).raw(attr(url.QueryEscape(next))).raw(`">Sign in again</a></p>`)
		s.render(w, status, "Confirm it is you", c, &d)
		return
	}
	d.raw(`<p>This action changes what palisade reports. Enter your password again to go on.</p>`)
	if msg != "" {
		d.raw(`<p class="error">`).t(msg).raw(`</p>`)
	}
	d.raw(`<form method="post" action="/reauth" class="card"><input type="hidden" name="next" value="`).raw(attr(next)).raw(`">`)
	d.raw(`<label>Password <input name="password" type="password" autocomplete="current-password" required></label>`)
	if c != nil && c.user.TOTPSecret != "" {
		d.raw(`<label>Code from your authenticator app <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>`)
	}
	d.raw(`<button type="submit">Confirm</button></form>`)
	s.render(w, status, "Confirm it is you", c, &d)
}

func reauthForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := form(r, "password", "code", "next")
	if err != nil {
		return err
	}
	next := safeNext(f.Get("next"))
	ok, err := s.confirmIdentity(r, c, f.Get("password"), f.Get("code"))
	if err != nil {
		return err
	}
	if !ok {
		s.renderReauth(w, http.StatusBadRequest, c, next, "Wrong password or code.")
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func dashboardPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	results, ev, err := s.roadmapResults(r)
	if err != nil {
		return err
	}
	sum := program.Summarize(results)
	m, err := program.Measure(r.Context(), s.opts.Store, ev.Scans, ev.Now, 90*24*time.Hour, nil)
	if err != nil {
		return err
	}
	var d doc
	d.raw(`<section class="cards"><div class="card"><h2>AWS maturity</h2><p class="big">`).tf("level %d of 11", sum.Level).raw(`</p><p>`).
		tf("%d of %d roadmap controls met", sum.Met, sum.Total).raw(` · <a href="/roadmap">roadmap</a></p></div>`)
	d.raw(`<div class="card"><h2>Open findings</h2><table><tr><th>severity</th><th>open</th><th>over SLA</th></tr>`)
	for _, sev := range []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info} {
		k := sev.String()
		d.raw(`<tr><td><a href="/findings?min_severity=`).raw(attr(k)).raw(`">`).t(k).raw(`</a></td><td>`).tf("%d", m.Open[k]).raw(`</td><td>`).tf("%d", m.OverSLA[k]).raw(`</td></tr>`)
	}
	d.raw(`</table></div><div class="card"><h2>Last 90 days</h2><p>`).tf("%d new, %d fixed", m.NewInWindow, m.FixedInWindow).raw(`</p></div></section>`)
	s.render(w, http.StatusOK, "Overview", c, &d)
	return nil
}

// evidence gathers what the controls are judged on.
func (s *Server) evidence(r *http.Request, controls []program.Control) (program.Evidence, error) {
	ev := program.Evidence{Now: s.opts.Now().UTC()}
	var err error
	if ev.Catalog, err = s.catalog(); err != nil {
		return ev, err
	}
	if ev.Scans, err = s.opts.Store.Scans(r.Context(), 0); err != nil {
		return ev, err
	}
	if err := ev.Gather(r.Context(), s.opts.Store, controls); err != nil {
		return ev, err
	}
	if ev.Attestations, err = s.opts.Store.Attestations(r.Context()); err != nil {
		return ev, err
	}
	return ev, nil
}

func findingsPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := query(r, "status", "min_severity")
	if err != nil {
		return err
	}
	f := store.Filter{Limit: 500, Statuses: []finding.Status{finding.StatusOpen}}
	if v := q.Get("status"); v != "" {
		st, err := finding.ParseStatus(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "status: not a finding status")
		}
		f.Statuses = []finding.Status{st}
	}
	if v := q.Get("min_severity"); v != "" {
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return errorf(http.StatusBadRequest, "min_severity: not a severity")
		}
		f.MinSeverity = sev
	}
	recs, err := s.opts.Store.Findings(r.Context(), f)
	if err != nil {
		return err
	}
	var d doc
	d.raw(`<form method="get" action="/findings" class="filters"><label>Status <select name="status">`)
	for _, st := range finding.Statuses {
		sel := ""
		if len(f.Statuses) == 1 && f.Statuses[0] == st {
			sel = " selected"
		}
		d.raw(`<option value="`).raw(attr(string(st))).raw(`"` + sel + `>`).t(string(st)).raw(`</option>`)
	}
	d.raw(`</select></label><button type="submit">Show</button></form>`)
	d.raw(`<table class="findings"><tr><th>id</th><th>severity</th><th>rule</th><th>title</th><th>where</th><th>status</th></tr>`)
	for _, rec := range recs {
		where := rec.Location.Path
		if rec.Location.StartLine > 0 {
			where += ":" + strconv.Itoa(rec.Location.StartLine)
		}
		if where == "" {
			where = rec.Resource
		}
		id := strconv.FormatInt(rec.ID, 10)
		d.raw(`<tr><td><a href="/findings/`).raw(id).raw(`">`).t(id).raw(`</a></td><td class="sev-`).raw(attr(rec.Severity.String())).raw(`">`).t(rec.Severity.String()).
			raw(`</td><td>`).t(rec.RuleID).raw(`</td><td>`).t(rec.Title).raw(`</td><td>`).t(where).raw(`</td><td>`).t(string(rec.Status)).raw(`</td></tr>`)
	}
	d.raw(`</table>`)
	if len(recs) == 0 {
		d.raw(`<p>No finding matches.</p>`)
	}
	s.render(w, http.StatusOK, "Findings", c, &d)
	return nil
}

func findingPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	rec, hist, err := s.findingWithHistory(r)
	if err != nil {
		return err
	}
	var d doc
	d.raw(`<dl class="card">`)
	for _, kv := range [][2]string{{"Rule", rec.RuleID}, {"Severity", rec.Severity.String()}, {"Status", string(rec.Status)}, {"Target", rec.Target},
		{"Where", fmt.Sprintf("%s:%d", rec.Location.Path, rec.Location.StartLine)}, {"Resource", rec.Resource}, {"Message", rec.Message},
		{"Evidence", rec.Evidence}, {"Remediation", rec.Remediation}, {"First seen", rec.FirstSeen.Format(time.DateTime)}, {"Last seen", rec.LastSeen.Format(time.DateTime)}} {
		if kv[1] == "" || kv[1] == ":0" {
			continue
		}
		d.raw(`<dt>`).t(kv[0]).raw(`</dt><dd>`).t(kv[1]).raw(`</dd>`)
	}
	d.raw(`</dl><h2>History</h2><table><tr><th>when</th><th>change</th><th>by</th><th>reason</th></tr>`)
	for _, e := range hist {
		d.raw(`<tr><td>`).t(e.At.Format(time.DateTime)).raw(`</td><td>`).tf("%s → %s", e.From, e.To).raw(`</td><td>`).t(e.Actor).raw(`</td><td>`).t(e.Reason).raw(`</td></tr>`)
	}
	d.raw(`</table>`)
	if roleRank(c.user.Role) >= roleRank(store.RoleTriager) {
		idStr := strconv.FormatInt(rec.ID, 10)
		d.raw(`<h2>Triage</h2><form method="post" action="/findings/`).raw(idStr).raw(`/triage" class="card"><label>Status <select name="status">`)
		for _, st := range finding.Statuses {
			d.raw(`<option value="`).raw(attr(string(st))).raw(`">`).t(string(st)).raw(`</option>`)
		}
		d.raw(`</select></label><label>Reason <input name="reason" required maxlength="2000"></label>`)
		d.raw(`<label>Accepted until (YYYY-MM-DD, for accepted) <input name="expires" pattern="\d{4}-\d{2}-\d{2}"></label>`)
		d.raw(`<button type="submit">Save</button></form>`)
	}
	s.render(w, http.StatusOK, "Finding "+strconv.FormatInt(rec.ID, 10)+": "+rec.Title, c, &d)
	return nil
}

func triageForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := findingID(r)
	if err != nil {
		return err
	}
	f, err := form(r, "status", "reason", "expires")
	if err != nil {
		return err
	}
	rec, err := s.triage(r, c, id, f.Get("status"), f.Get("reason"), f.Get("expires"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/findings/"+strconv.FormatInt(rec.ID, 10), http.StatusSeeOther)
	return nil
}

func roadmapPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	results, _, err := s.roadmapResults(r)
	if err != nil {
		return err
	}
	sum := program.Summarize(results)
	var d doc
	d.raw(`<p>`).tf("AWS maturity level %d of 11; %d of %d controls met.", sum.Level, sum.Met, sum.Total).raw(`</p>`)
	section := ""
	for _, res := range results {
		if res.Control.Section != section {
			if section != "" {
				d.raw(`</table>`)
			}
			section = res.Control.Section
			d.raw(`<h2>`).t(section).raw(`</h2><table><tr><th>state</th><th>control</th><th>step</th><th>evidence</th></tr>`)
		}
		d.raw(`<tr class="state-`).raw(attr(string(res.State))).raw(`"><td>`).t(strings.ReplaceAll(string(res.State), "_", " ")).raw(`</td><td>`).t(res.Control.ID).
			raw(`</td><td>`).t(res.Control.Step).raw(`</td><td>`).t(res.Detail).raw(`</td></tr>`)
	}
	if section != "" {
		d.raw(`</table>`)
	}
	s.render(w, http.StatusOK, "Roadmap", c, &d)
	return nil
}

func servicesPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	rk, err := s.ranking(r)
	if err != nil {
		return err
	}
	var d doc
	if rk == nil {
		d.raw(`<p>No service catalog is configured (palisade serve --catalog services.yaml).</p>`)
		s.render(w, http.StatusOK, "Services", c, &d)
		return nil
	}
	d.raw(`<table><tr><th>rank</th><th>service</th><th>owner</th><th>score</th><th>exposure</th><th>data</th><th>weaknesses</th><th>privilege</th></tr>`)
	for i, x := range rk.Services {
		d.raw(`<tr><td>`).tf("%d", i+1).raw(`</td><td>`).t(x.Service.Name).raw(`</td><td>`).t(x.Service.Owner).raw(`</td><td><strong>`).tf("%d", x.Score).raw(`</strong></td>`)
		for _, term := range x.Terms {
			d.raw(`<td>`).tf("%d: %s", term.Points, term.Why).raw(`</td>`)
		}
		d.raw(`</tr>`)
	}
	d.raw(`</table>`)
	s.render(w, http.StatusOK, "Services", c, &d)
	return nil
}

func accountPage(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	if _, err := query(r); err != nil {
		return err
	}
	s.renderAccount(w, http.StatusOK, c, "", "")
	return nil
}

// renderAccount shows the password form and the second factor's state;
// secret is set only on the page right after an enrollment starts.
func (s *Server) renderAccount(w http.ResponseWriter, status int, c *caller, msg, secret string) {
	var d doc
	if msg != "" {
		d.raw(`<p class="error">`).t(msg).raw(`</p>`)
	}
	if c.user.SSO() {
		d.raw(`<p>You sign in with single sign-on as `).t(c.user.SSOEmail).raw(`; your identity provider checks your password and second factor.</p>`)
		s.render(w, status, "Account", c, &d)
		return
	}
	d.raw(`<h2>Password</h2><form method="post" action="/account/password" class="card">`)
	d.raw(`<label>Current password <input name="current" type="password" autocomplete="current-password" required></label>`)
	d.raw(`<label>New password (at least 12 characters) <input name="new" type="password" autocomplete="new-password" minlength="12" required></label>`)
	d.raw(`<button type="submit">Change password</button></form>`)
	d.raw(`<h2>Second factor</h2>`)
	switch {
	case secret != "":
		d.raw(`<div class="card"><p>Add this key to your authenticator app, then enter the code it shows. It is shown this once.</p><p><code>`).t(secret).
			raw(`</code></p><p><code>`).t(otpauthURL(c.user.Name, secret)).raw(`</code></p>`)
		d.raw(`<form method="post" action="/account/mfa/confirm"><label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>`)
		d.raw(`<button type="submit">Turn on</button></form></div>`)
	case c.user.TOTPSecret != "":
		d.raw(`<p>On. To move it to another app, enter a current code:</p><form method="post" action="/account/mfa/enroll" class="card">`)
		d.raw(`<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label><button type="submit">Enroll a new app</button></form>`)
	default:
		d.raw(`<p>Off.</p><form method="post" action="/account/mfa/enroll" class="card"><button type="submit">Enroll an authenticator app</button></form>`)
	}
	s.render(w, status, "Account", c, &d)
}

func passwordForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := form(r, "current", "new")
	if err != nil {
		return err
	}
	if err := s.setPassword(r, c, f.Get("current"), f.Get("new")); err != nil {
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusBadRequest {
			s.renderAccount(w, http.StatusBadRequest, c, he.msg, "")
			return nil
		}
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func enrollForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := form(r, "code")
	if err != nil {
		return err
	}
	secret, err := s.startEnrollment(r, c, f.Get("code"))
	if err != nil {
		return err
	}
	fresh, err := s.opts.Store.UserByID(r.Context(), c.user.ID)
	if err != nil {
		return err
	}
	c.user = fresh
	s.renderAccount(w, http.StatusOK, c, "", secret)
	return nil
}

func confirmForm(s *Server, w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := form(r, "code")
	if err != nil {
		return err
	}
	if err := s.finishEnrollment(r, c, f.Get("code")); err != nil {
		return err
	}
	http.SetCookie(w, sessionCookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
