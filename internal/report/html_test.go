package report

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/palisade-sec/palisade/internal/finding"
)

// cspMeta is the element every HTML report must carry, verbatim.
const cspMeta = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`

// htmlFixtureReport is the shared fixture with what only the HTML report
// shows: a triage reason and expiry for the accepted finding, a false
// positive with its reason, and the advisory and observation times.
func htmlFixtureReport() *Report {
	r := fixtureReport()
	expires := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	published := time.Date(2024, 4, 3, 21, 10, 0, 0, time.UTC)
	observed := time.Date(2026, 3, 13, 22, 4, 11, 0, time.UTC)
	r.Triage = map[string]Triage{}
	for i := range r.Findings {
		f := &r.Findings[i]
		switch f.RuleID {
		case "AWS-CT-001":
			r.Triage[f.Fingerprint] = Triage{Reason: "org trail lands with the landing-zone project (SEC-412)", Expires: &expires}
		case "AWS-IAM-004":
			f.Status = finding.StatusFalsePositive
			r.Triage[f.Fingerprint] = Triage{Reason: "break-glass user, reviewed quarterly"}
		case "GO-2024-2687":
			f.Published = &published
		case "DET-ROOT-LOGIN":
			f.ObservedAt = &observed
		}
	}
	return r
}

func writeHTMLString(t testing.TB, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write("html", &buf, r, Options{}); err != nil {
		t.Fatalf("Write html: %v", err)
	}
	return buf.String()
}

// Payloads that try to run script, load something or disguise text.
const (
	scriptTag   = `<script>alert(1)</script>`
	imgBreakout = `"><img src=x onerror=alert(1)>`
	attrBreak   = `x" onmouseover="alert(1)" class="`
	bidi        = "invoice\u202egpj.exe"
	ansi        = "\x1b[31mred\x1b[0m\x00\x07"
	invalidUTF8 = "bad\xff\xfebyte"
)

func TestHTMLHostileFindingIsInert(t *testing.T) {
	tests := []struct {
		name   string
		modify func(r *Report, f *finding.Finding)
		// shows is text the reader must see, after the page is parsed.
		shows string
	}{
		{"script in title", func(_ *Report, f *finding.Finding) { f.Title = "t " + scriptTag }, "t " + scriptTag},
		{"tag breakout in path", func(_ *Report, f *finding.Finding) { f.Location.Path = "a/" + imgBreakout + ".go" }, "a/" + imgBreakout + ".go:3"},
		{"tag breakout in message", func(_ *Report, f *finding.Finding) { f.Message = imgBreakout + "<svg onload=alert(1)>" }, imgBreakout + "<svg onload=alert(1)>"},
		{"style breakout in target", func(r *Report, _ *finding.Finding) { r.Scan.Target = "</title></style><script>alert(1)</script>" }, "</title></style><script>alert(1)</script>"},
		{"comment in evidence", func(_ *Report, f *finding.Finding) { f.Evidence = "<!-- x --><![CDATA[ y ]]>" + scriptTag }, "<!-- x --><![CDATA[ y ]]>" + scriptTag},
		{"attribute breakout in status", func(_ *Report, f *finding.Finding) { f.Status = finding.Status(attrBreak) }, attrBreak},
		{"attribute breakout in scan status", func(r *Report, _ *finding.Finding) { r.Scan.Status = attrBreak }, attrBreak},
		{"markup in rule, resource, commit and remediation", func(_ *Report, f *finding.Finding) {
			f.RuleID, f.Resource, f.Location.Commit, f.Remediation = scriptTag, imgBreakout, attrBreak, "</dd></dl></article>"+scriptTag
		}, "</dd></dl></article>" + scriptTag},
		{"markup in package and advisory", func(_ *Report, f *finding.Finding) {
			f.Package = &finding.Package{Name: scriptTag, Version: imgBreakout, Ecosystem: attrBreak}
			f.VulnerabilityID, f.Aliases, f.FixedVersions = scriptTag, []string{imgBreakout}, []string{attrBreak}
		}, attrBreak},
		{"markup in category, scanner and verification", func(_ *Report, f *finding.Finding) {
			f.Category, f.Scanner, f.Verification = finding.Category(attrBreak), scriptTag, imgBreakout
		}, attrBreak},
		{"markup in scan metadata", func(r *Report, _ *finding.Finding) {
			r.Scan.Tool = Tool{Name: scriptTag, Version: imgBreakout}
			r.Scan.Scanners = []string{attrBreak}
			r.Scan.DiffBase = "</code>" + scriptTag
		}, "</code>" + scriptTag},
		{"markup in scan errors", func(r *Report, _ *finding.Finding) { r.Scan.Errors = []string{"</li></ul>" + scriptTag} }, "</li></ul>" + scriptTag},
		{"markup in triage reason", func(r *Report, f *finding.Finding) {
			f.Status = finding.StatusAccepted
			r.Triage = map[string]Triage{f.Fingerprint: {Reason: imgBreakout}}
		}, imgBreakout},
		{"javascript reference", func(_ *Report, f *finding.Finding) {
			f.References = []finding.Reference{{Type: finding.RefURL, ID: "javascript:alert(document.domain)"}}
		}, "javascript:alert(document.domain)"},
		{"javascript URL behind an id", func(_ *Report, f *finding.Finding) {
			f.References = []finding.Reference{
				{Type: finding.RefAdvisory, ID: "GHSA-1", URL: "JaVaScRiPt:alert(1)"},
				{Type: finding.RefAdvisory, ID: "GHSA-2", URL: " javascript:alert(2)"},
				{Type: finding.RefAdvisory, ID: "GHSA-3", URL: "java\tscript:alert(3)"},
				{Type: finding.RefAdvisory, ID: "GHSA-4", URL: "data:text/html,<script>alert(4)</script>"},
				{Type: finding.RefAdvisory, ID: "GHSA-5", URL: "vbscript:msgbox(5)"},
				{Type: finding.RefAdvisory, ID: "GHSA-6", URL: "//evil.example/6"},
				{Type: finding.RefAdvisory, ID: "GHSA-7", URL: "file:///etc/passwd"},
				{Type: finding.RefAdvisory, ID: "GHSA-8", URL: "https:alert(8)"},
			}
		}, "GHSA-1 (JaVaScRiPt:alert(1))"},
		{"quote in an http link", func(_ *Report, f *finding.Finding) {
			f.References = []finding.Reference{{Type: finding.RefURL, ID: `https://ok.example/a"onclick="alert(1)`}}
		}, `https://ok.example/a"onclick="alert(1)`},
		{"bidi and control characters", func(_ *Report, f *finding.Finding) {
			f.Title, f.Location.Path, f.Message, f.Evidence = bidi, ansi, invalidUTF8, "\ufeff\u2066x\u2069\u200f"
		}, `invoice\u202egpj.exe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := emptyReport()
			f := finding.Finding{
				RuleID: "R1", Scanner: "code", Category: finding.Code, Severity: finding.High,
				Title: "title", Message: "message", Location: finding.Location{Path: "a.go", StartLine: 3},
				References: []finding.Reference{{Type: finding.RefURL, ID: "https://example.com/ok"}},
			}
			finding.SetFingerprint(&f)
			tt.modify(r, &f)
			r.Findings = []finding.Finding{f}
			out := writeHTMLString(t, r)
			assertInertHTML(t, out)
			if text := pageText(t, out); !strings.Contains(text, tt.shows) {
				t.Errorf("page does not show %q as text:\n%s", tt.shows, out)
			}
		})
	}
}

// allowedElements and allowedAttrs are the markup the writer produces;
// anything else in a page came from data.
var (
	allowedElements = map[string]bool{
		"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
		"header": true, "main": true, "section": true, "article": true, "h1": true, "h2": true, "h3": true, "h4": true,
		"p": true, "dl": true, "dt": true, "dd": true, "ul": true, "li": true, "table": true, "caption": true,
		"thead": true, "tbody": true, "tfoot": true, "tr": true, "th": true, "td": true,
		"a": true, "span": true, "code": true, "pre": true, "time": true,
	}
	allowedAttrs = map[string]bool{
		"lang": true, "charset": true, "http-equiv": true, "name": true, "content": true,
		"id": true, "class": true, "href": true, "rel": true, "datetime": true,
	}
)

// assertInertHTML checks that a page cannot run script or fetch anything:
// the CSP meta is present before any data, raw text has none of the usual
// injection markers, and the parsed document (HTML5 rules, as a browser
// reads it) has only the writer's elements and attributes, only http(s)
// links, one stylesheet equal to the writer's, and no hidden characters.
func assertInertHTML(t *testing.T, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	if i := strings.Index(out, cspMeta); i < 0 {
		t.Errorf("page lacks %s", cspMeta)
	} else if j := strings.Index(out, "<title>"); j < i {
		t.Errorf("the CSP meta comes after the title: it must come before any data")
	}
	for _, bad := range []string{"<script", "<img", "<svg", "<iframe", "<base", "<link", "<object", "<embed", "<form", `href="javascript:`, "url(", "@import"} {
		if strings.Contains(lower, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	doc, err := xhtml.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var metas, styles int
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.ElementNode:
			if !allowedElements[n.Data] {
				t.Errorf("element <%s> is not one the writer writes", n.Data)
			}
			for _, a := range n.Attr {
				if !allowedAttrs[a.Key] || strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s> has attribute %s=%q", n.Data, a.Key, a.Val)
				}
				if a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") && !strings.HasPrefix(a.Val, "#sev-") {
					t.Errorf("link to %q", a.Val)
				}
				if a.Key == "http-equiv" {
					metas++
					if !strings.EqualFold(a.Val, "Content-Security-Policy") {
						t.Errorf("meta http-equiv=%q", a.Val)
					}
				}
				if a.Key == "content" && n.Data == "meta" && hasAttr(n, "http-equiv") && a.Val != htmlCSP {
					t.Errorf("CSP is %q, want %q", a.Val, htmlCSP)
				}
			}
			if n.Data == "style" {
				styles++
				if n.FirstChild == nil || n.FirstChild.Data != htmlStyle || n.FirstChild.NextSibling != nil {
					t.Errorf("the stylesheet is not exactly the writer's")
				}
			}
		case xhtml.TextNode, xhtml.CommentNode:
			if n.Type == xhtml.CommentNode {
				t.Errorf("page has a comment %q", n.Data)
			}
			for _, r := range n.Data {
				if hiddenRune(r) || r == utf8.RuneError {
					t.Errorf("text %q has hidden character %U", n.Data, r)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if metas != 1 || styles != 1 {
		t.Errorf("%d CSP metas and %d style elements, want one each", metas, styles)
	}
}

func hasAttr(n *xhtml.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// pageText is the text a browser shows: the parsed text nodes of the body
// and title, and attribute values where text is hidden from the reader.
func pageText(t *testing.T, out string) string {
	t.Helper()
	doc, err := xhtml.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && n.Data == "style" {
			return
		}
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

func TestHTMLReferenceLinks(t *testing.T) {
	tests := []struct {
		name string
		ref  finding.Reference
		link string // the href, or "" for text only
	}{
		{"https url reference links to itself", finding.Reference{Type: finding.RefURL, ID: "https://example.com/a?b=1&c=2"}, "https://example.com/a?b=1&c=2"},
		{"http advisory url links", finding.Reference{Type: finding.RefAdvisory, ID: "GO-1", URL: "http://example.com/GO-1"}, "http://example.com/GO-1"},
		{"cwe without url is text", finding.Reference{Type: finding.RefCWE, ID: "CWE-79"}, ""},
		{"javascript is text", finding.Reference{Type: finding.RefURL, ID: "javascript:alert(1)"}, ""},
		{"upper-case javascript is text", finding.Reference{Type: finding.RefAdvisory, ID: "X", URL: "JAVASCRIPT:alert(1)"}, ""},
		{"data is text", finding.Reference{Type: finding.RefURL, ID: "data:text/html;base64,PHNjcmlwdD4="}, ""},
		{"protocol-relative is text", finding.Reference{Type: finding.RefURL, ID: "//evil.example/"}, ""},
		{"url without host is text", finding.Reference{Type: finding.RefURL, ID: "https:///path"}, ""},
		{"url with white space is text", finding.Reference{Type: finding.RefURL, ID: "https://example.com/a b"}, ""},
		{"url with bidi control is text", finding.Reference{Type: finding.RefURL, ID: "https://example.com/\u202eexe.pdf"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := emptyReport()
			r.Findings = []finding.Finding{{RuleID: "R", Severity: finding.Low, References: []finding.Reference{tt.ref}}}
			out := writeHTMLString(t, r)
			assertInertHTML(t, out)
			var hrefs []string
			doc, err := xhtml.Parse(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			var walk func(n *xhtml.Node)
			walk = func(n *xhtml.Node) {
				if n.Type == xhtml.ElementNode && n.Data == "a" {
					for _, a := range n.Attr {
						if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
							hrefs = append(hrefs, a.Val)
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			switch {
			case tt.link == "" && len(hrefs) > 0:
				t.Errorf("reference became a link to %q", hrefs)
			case tt.link != "" && (len(hrefs) != 1 || hrefs[0] != tt.link):
				t.Errorf("links = %q, want [%q]", hrefs, tt.link)
			}
		})
	}
}

func TestHTMLContent(t *testing.T) {
	out := writeHTMLString(t, htmlFixtureReport())
	text := pageText(t, out)
	for _, want := range []string{
		"palisade report: /src/shop",
		"8 findings: 1 critical, 2 high, 2 medium, 1 low, 2 info. 6 open.",
		"completed", "palisade 0.3.0", "secrets, deps, iac, posture, detect, code",
		"2026-03-14T09:26:53Z", "(2.25s)",
		"accepted: org trail lands with the landing-zone project (SEC-412) (until 2026-09-30)",
		"false_positive: break-glass user, reviewed quarterly",
		"config/prod.env:3", "infra/s3.tf:12-20", "9fceb02d0ae598e95dc970b74767f19372d61af8",
		"AKIA… (20 chars)",
		"1 scan error: part of the target was not scanned",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not show %q", want)
		}
	}
	// Severity sections come most severe first.
	last := -1
	for _, s := range severitiesDesc {
		i := strings.Index(out, `<section id="sev-`+s.String()+`">`)
		if i < 0 || i < last {
			t.Errorf("section for %s at %d, after %d", s, i, last)
		}
		last = i
	}
	// Nothing a secret writer would hide: the keyed hash stays out.
	if strings.Contains(out, "3f1c0a9e5b7d2c4e6f8a0b1c2d3e4f50") {
		t.Errorf("page shows the secret's keyed hash")
	}
}

func TestHTMLEmptyReport(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    *Report
	}{
		{"clean scan", emptyReport()},
		{"zero report", &Report{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := writeHTMLString(t, tt.r)
			assertInertHTML(t, out)
			if !strings.Contains(pageText(t, out), "No findings.") {
				t.Errorf("empty report does not say so:\n%s", out)
			}
		})
	}
}

// TestHTMLLargeReport renders 20,000 findings; it checks that the page is
// complete, not how long it took.
func TestHTMLLargeReport(t *testing.T) {
	const n = 20000
	r := emptyReport()
	r.Findings = make([]finding.Finding, n)
	for i := range r.Findings {
		r.Findings[i] = finding.Finding{
			RuleID: fmt.Sprintf("R%03d", i%300), Scanner: "iac", Category: finding.Misconfiguration,
			Severity: finding.Severity(i % 5), Title: "bucket <b>policy</b> allows & more",
			Message:     fmt.Sprintf("resource %d is exposed", i),
			Location:    finding.Location{Path: fmt.Sprintf("infra/mod%d/main.tf", i%97), StartLine: i%400 + 1},
			Remediation: "Restrict the policy.", Evidence: "principal = \"*\"",
			References: []finding.Reference{{Type: finding.RefURL, ID: "https://example.com/r"}},
		}
		finding.SetFingerprint(&r.Findings[i])
	}
	out := writeHTMLString(t, r)
	if got := strings.Count(out, "<article "); got != n {
		t.Errorf("%d findings written, want %d", got, n)
	}
	if !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("page is not complete")
	}
	if strings.Contains(out, "<b>") {
		t.Errorf("title markup was not escaped")
	}
}

// FuzzHTMLText checks that escaped text cannot contain markup or a quote
// that ends an attribute, shows no hidden character, and decodes back to
// what was given (with hidden characters made visible).
func FuzzHTMLText(f *testing.F) {
	for _, seed := range []string{"<script>", `"><img src=x onerror=alert(1)>`, "a'b", "&amp;", "\x1b[31m", "\u202e", "\xff", "\t\n", "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlText(s)
		if strings.ContainsAny(out, `<>"'`) {
			t.Fatalf("htmlText(%q) = %q keeps markup", s, out)
		}
		for i, r := range out {
			if hiddenRune(r) || (r == utf8.RuneError && !strings.ContainsRune(s, utf8.RuneError)) {
				t.Fatalf("htmlText(%q) = %q has hidden %U at %d", s, out, r, i)
			}
		}
		if got := html.UnescapeString(out); got != visible(s) {
			t.Fatalf("unescape(htmlText(%q)) = %q, want %q", s, got, visible(s))
		}
		if visible(s) == s && utf8.ValidString(s) && html.UnescapeString(out) != s {
			t.Fatalf("text without hidden characters changed: %q", s)
		}
	})
}
