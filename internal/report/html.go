package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-sec/palisade/internal/finding"
)

// The HTML report is one page a security lead can attach to a ticket or
// open from a CI artifact. It is self-contained (an inline stylesheet, no
// script, no fonts, images or other fetched resources) and its
// Content-Security-Policy allows nothing else, so even a finding crafted to
// inject markup cannot run script or load anything when the file is opened.
//
// It is written with a small escaping builder rather than html/template:
// executing a template makes the Go linker keep every exported method of
// every type (see internal/hygiene). Markup written in this file goes
// through raw; every string that comes from the report goes through text,
// which makes control and bidirectional characters visible and then applies
// html.EscapeString, in text and attribute values alike (attribute values
// are always double-quoted).

// htmlCSP is the policy the HTML report declares in a <meta http-equiv>
// element: its inline stylesheet and nothing else.
const htmlCSP = "default-src 'none'; style-src 'unsafe-inline'"

// htmlStyle is the report's only stylesheet. It must not reference any
// resource (url(), @import, web fonts): the policy would block it anyway.
const htmlStyle = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { padding: 1rem 1.5rem; background: #1d2430; color: #fff; }
header h1 { font-size: 1.35rem; margin: 0 0 .3rem 0; }
header p { margin: 0; }
main { padding: .5rem 1.5rem 2rem; max-width: 1200px; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
h4 { font-size: 1rem; margin: 0 0 .4rem 0; overflow-wrap: anywhere; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; background: #f1f3f5; padding: .4rem .6rem; margin: 0; border-radius: 4px; }
table { border-collapse: collapse; background: #fff; margin: 0 1.5rem 1rem 0; display: inline-table; vertical-align: top; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e3e6ea; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 600; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; padding: .75rem 1rem; margin: 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
nav a { margin-right: 1rem; }
article { background: #fff; border: 1px solid #e3e6ea; border-left: 6px solid #8a94a3; border-radius: 6px; padding: .75rem 1rem; margin: .6rem 0; }
article p { margin: 0 0 .5rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
article dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
article dt { font-weight: 600; color: #4a5361; }
article dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
article ul { margin: 0; padding-left: 1.2rem; white-space: normal; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: .8rem; font-weight: 700; text-transform: uppercase; color: #fff; background: #8a94a3; vertical-align: middle; }
.sev-critical { border-left-color: #7a0c0f; } .badge.sev-critical { background: #7a0c0f; }
.sev-high { border-left-color: #c4161c; } .badge.sev-high { background: #c4161c; }
.sev-medium { border-left-color: #c77c02; } .badge.sev-medium { background: #b36b00; }
.sev-low { border-left-color: #1f6feb; } .badge.sev-low { background: #1f6feb; }
.sev-info { border-left-color: #8a94a3; } .badge.sev-info { background: #6b7480; }
.status { font-weight: 600; }
.status-accepted, .status-false_positive, .status-fixed { color: #4a5361; }
.status-failed, .status-partial, .warn { color: #a4161a; font-weight: 600; }
.muted { color: #6b7480; }
@media print { body { background: #fff; } header { background: #fff; color: #000; border-bottom: 2px solid #000; } article { break-inside: avoid; } }
`

// htmlDoc writes one page. Write errors stay in the bufio.Writer, which
// ignores later writes after the first failure; flush returns it.
type htmlDoc struct{ w *bufio.Writer }

// raw writes markup written in this file, never data.
func (d *htmlDoc) raw(s string) *htmlDoc {
	_, _ = d.w.WriteString(s)
	return d
}

// text writes a string from the report, made visible and escaped. It is
// also the only way a value gets into an attribute.
func (d *htmlDoc) text(s string) *htmlDoc {
	_, _ = d.w.WriteString(htmlText(s))
	return d
}

// num writes an integer.
func (d *htmlDoc) num(n int) *htmlDoc {
	_, _ = d.w.WriteString(strconv.Itoa(n))
	return d
}

// htmlText escapes text from a report for HTML text or a double-quoted
// attribute value: control characters other than tab and newline,
// bidirectional controls, the byte-order mark and invalid UTF-8 are shown
// as escapes (\x1b, \u202e), then html.EscapeString replaces & < > " '.
func htmlText(s string) string {
	return html.EscapeString(visible(s))
}

// visible returns s with every character that would act on the reader's
// screen instead of showing (see htmlText) written as an escape. It
// returns s itself when there is none.
func visible(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || hiddenRune(r) {
			return visibleFrom(s, i)
		}
		i += size
	}
	return s
}

func visibleFrom(s string, start int) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:start])
	for i := start; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case hiddenRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hiddenRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// hiddenRune reports characters that are not shown as themselves: C0 and
// C1 controls (except tab, newline and carriage return, which HTML treats
// as white space), bidirectional controls and the byte-order mark.
func hiddenRune(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.IsControl(r) || isBidiControl(r) || r == '\uFEFF'
}

// linkURL returns s when it may be a link in the report: an absolute http
// or https URL with a host and no white space or hidden character. Any
// other reference (javascript:, data:, file:, relative) is shown as text.
func linkURL(s string) string {
	if webURL(s) == "" || visible(s) != s || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return ""
	}
	return s
}

// writeHTML writes the report as one self-contained HTML page: scan
// metadata, a summary by severity, category and status, the scan errors,
// and every finding grouped by severity, most severe first. The output
// depends only on r.
func writeHTML(w io.Writer, r *Report) error {
	d := &htmlDoc{w: bufio.NewWriterSize(w, 64<<10)}
	findings := Sorted(r.Findings)

	d.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	d.raw(`<meta http-equiv="Content-Security-Policy" content="`).raw(htmlCSP).raw("\">\n")
	d.raw("<meta name=\"referrer\" content=\"no-referrer\">\n")
	d.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	d.raw("<title>palisade report")
	if r.Scan.Target != "" {
		d.raw(": ").text(r.Scan.Target)
	}
	d.raw("</title>\n<style>").raw(htmlStyle).raw("</style>\n</head>\n<body>\n")

	d.raw("<header>\n<h1>palisade report")
	if r.Scan.Target != "" {
		d.raw(": ").text(r.Scan.Target)
	}
	d.raw("</h1>\n<p>").text(htmlHeadline(findings)).raw("</p>\n</header>\n<main>\n")

	writeHTMLScan(d, &r.Scan)
	writeHTMLSummary(d, findings)
	writeHTMLScanErrors(d, r.Scan.Errors)
	writeHTMLFindings(d, findings, r.Triage)

	d.raw("</main>\n</body>\n</html>\n")
	return d.w.Flush()
}

// htmlHeadline is the line under the title: how many findings of each
// severity and how many of them are open.
func htmlHeadline(findings []finding.Finding) string {
	if len(findings) == 0 {
		return "No findings."
	}
	counts := severityCounts(findings)
	parts := make([]string, 0, len(severitiesDesc))
	for _, s := range severitiesDesc {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	open := 0
	for i := range findings {
		if findings[i].IsOpen() {
			open++
		}
	}
	return fmt.Sprintf("%d %s: %s. %d open.", len(findings), plural(len(findings), "finding", "findings"), strings.Join(parts, ", "), open)
}

// writeHTMLScan writes what ran: target, status, tool, scanners and times.
// Scanners and times unknown (a list of stored findings) are left out.
func writeHTMLScan(d *htmlDoc, s *Scan) {
	d.raw("<section id=\"scan\">\n<h2>Scan</h2>\n<dl class=\"meta\">\n")
	d.raw("<dt>Target</dt><dd>")
	htmlCodeOrDash(d, s.Target)
	d.raw("</dd>\n<dt>Status</dt><dd>")
	if s.Status == "" {
		d.raw("-")
	} else {
		htmlStatus(d, s.Status)
	}
	d.raw("</dd>\n")
	if s.ID != 0 {
		d.raw("<dt>Scan id</dt><dd>").text(strconv.FormatInt(s.ID, 10)).raw("</dd>\n")
	}
	d.raw("<dt>Tool</dt><dd>").text(strings.TrimSpace(s.Tool.Name + " " + s.Tool.Version)).raw("</dd>\n")
	if len(s.Scanners) > 0 {
		d.raw("<dt>Scanners</dt><dd>").text(strings.Join(s.Scanners, ", ")).raw("</dd>\n")
	}
	if !s.StartedAt.IsZero() {
		d.raw("<dt>Started</dt><dd>")
		htmlTime(d, s.StartedAt)
		d.raw("</dd>\n")
	}
	if !s.FinishedAt.IsZero() {
		d.raw("<dt>Finished</dt><dd>")
		htmlTime(d, s.FinishedAt)
		if !s.StartedAt.IsZero() && !s.FinishedAt.Before(s.StartedAt) {
			d.raw(` <span class="muted">(`).text(s.FinishedAt.Sub(s.StartedAt).String()).raw(")</span>")
		}
		d.raw("</dd>\n")
	}
	if s.DiffBase != "" {
		d.raw("<dt>Diff base</dt><dd><code>").text(s.DiffBase).raw("</code></dd>\n")
	}
	d.raw("</dl>\n</section>\n")
}

// htmlStatusClasses are the states that get a class of their own: the
// lifecycle states of a finding and the ends of a scan. Only these words,
// never data, go into a class attribute.
var htmlStatusClasses = []string{
	string(finding.StatusOpen), string(finding.StatusFixed), string(finding.StatusAccepted), string(finding.StatusFalsePositive),
	"completed", "partial", ScanFailed,
}

// htmlStatus writes a finding's or a scan's status in bold, styled by state.
func htmlStatus(d *htmlDoc, status string) {
	d.raw(`<span class="status`)
	if slices.Contains(htmlStatusClasses, status) {
		d.raw(" status-").raw(status)
	}
	d.raw(`">`).text(status).raw("</span>")
}

// htmlTime writes t in UTC as RFC 3339.
func htmlTime(d *htmlDoc, t time.Time) {
	v := t.UTC().Format(time.RFC3339Nano)
	d.raw(`<time datetime="`).text(v).raw(`">`).text(v).raw("</time>")
}

// htmlCodeOrDash writes s in code font, or "-" when it is empty.
func htmlCodeOrDash(d *htmlDoc, s string) {
	if s == "" {
		d.raw("-")
		return
	}
	d.raw("<code>").text(s).raw("</code>")
}

// statusColumns are the lifecycle states the summary counts, in column
// order; a finding never stored counts as open.
var statusColumns = []struct {
	status finding.Status
	label  string
}{
	{finding.StatusOpen, "Open"},
	{finding.StatusAccepted, "Accepted"},
	{finding.StatusFalsePositive, "False positive"},
	{finding.StatusFixed, "Fixed"},
}

// statusCount is one summary row: the total and the count per state of
// statusColumns (the last column is everything else).
type statusCount struct {
	total  int
	states [5]int
}

func (c *statusCount) add(f *finding.Finding) {
	c.total++
	st := f.Status
	if st == "" {
		st = finding.StatusOpen
	}
	for i, col := range statusColumns {
		if col.status == st {
			c.states[i]++
			return
		}
	}
	c.states[len(statusColumns)]++
}

// writeHTMLSummary writes two tables: findings by severity and by
// category, each split by lifecycle state. A state no finding has (often
// fixed) gets no column; neither does a severity or category.
func writeHTMLSummary(d *htmlDoc, findings []finding.Finding) {
	d.raw("<section id=\"summary\">\n<h2>Summary</h2>\n")
	if len(findings) == 0 {
		d.raw("<p>No findings.</p>\n</section>\n")
		return
	}
	var all statusCount
	bySeverity := map[finding.Severity]*statusCount{}
	byCategory := map[finding.Category]*statusCount{}
	var severities []finding.Severity
	var categories []finding.Category
	for i := range findings {
		f := &findings[i]
		all.add(f)
		if bySeverity[f.Severity] == nil {
			bySeverity[f.Severity] = &statusCount{}
			severities = append(severities, f.Severity) // findings are sorted by severity
		}
		bySeverity[f.Severity].add(f)
		if byCategory[f.Category] == nil {
			byCategory[f.Category] = &statusCount{}
			categories = append(categories, f.Category)
		}
		byCategory[f.Category].add(f)
	}
	slices.SortFunc(categories, func(a, b finding.Category) int {
		ia, ib := slices.Index(finding.Categories, a), slices.Index(finding.Categories, b)
		if ia < 0 {
			ia = len(finding.Categories)
		}
		if ib < 0 {
			ib = len(finding.Categories)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(string(a), string(b))
	})
	var cols []int
	for i := range statusColumns {
		if all.states[i] > 0 || i == 0 {
			cols = append(cols, i)
		}
	}
	other := all.states[len(statusColumns)] > 0

	head := func(caption, first string) {
		d.raw("<table>\n<caption>").raw(caption).raw("</caption>\n<thead><tr><th>").raw(first).raw(`</th><th class="n">Total</th>`)
		for _, i := range cols {
			d.raw(`<th class="n">`).raw(statusColumns[i].label).raw("</th>")
		}
		if other {
			d.raw(`<th class="n">Other status</th>`)
		}
		d.raw("</tr></thead>\n<tbody>\n")
	}
	row := func(c *statusCount) {
		d.raw(`<td class="n">`).num(c.total).raw("</td>")
		for _, i := range cols {
			d.raw(`<td class="n">`).num(c.states[i]).raw("</td>")
		}
		if other {
			d.raw(`<td class="n">`).num(c.states[len(statusColumns)]).raw("</td>")
		}
		d.raw("</tr>\n")
	}
	foot := func() {
		d.raw("</tbody>\n<tfoot><tr><td>All</td>")
		row(&all)
		d.raw("</tfoot>\n</table>\n")
	}

	head("By severity", "Severity")
	for _, s := range severities {
		d.raw(`<tr><td><a href="#sev-`).text(s.String()).raw(`"><span class="badge sev-`).text(s.String()).raw(`">`).text(s.String()).raw("</span></a></td>")
		row(bySeverity[s])
	}
	foot()
	head("By category", "Category")
	for _, c := range categories {
		d.raw("<tr><td>")
		if c == "" {
			d.raw("-")
		} else {
			d.text(string(c))
		}
		d.raw("</td>")
		row(byCategory[c])
	}
	foot()
	d.raw("</section>\n")
}

// writeHTMLScanErrors lists the parts of the target that were skipped.
func writeHTMLScanErrors(d *htmlDoc, errs []string) {
	if len(errs) == 0 {
		return
	}
	d.raw("<section id=\"scan-errors\">\n<h2 class=\"warn\">").num(len(errs)).raw(" scan ").raw(plural(len(errs), "error", "errors")).
		raw(": part of the target was not scanned</h2>\n<ul>\n")
	for _, e := range errs {
		d.raw("<li><code>").text(e).raw("</code></li>\n")
	}
	d.raw("</ul>\n</section>\n")
}

// writeHTMLFindings writes one section per severity present, most severe
// first, each finding as an article; nothing when there are none.
func writeHTMLFindings(d *htmlDoc, findings []finding.Finding, triage map[string]Triage) {
	if len(findings) == 0 {
		return
	}
	d.raw("<section id=\"findings\">\n<h2>Findings</h2>\n")
	for start := 0; start < len(findings); {
		sev := findings[start].Severity
		end := start
		for end < len(findings) && findings[end].Severity == sev {
			end++
		}
		name := sev.String()
		d.raw(`<section id="sev-`).text(name).raw("\">\n<h3>")
		d.text(strings.ToUpper(name[:1]) + name[1:]).raw(" (").num(end - start).raw(")</h3>\n")
		for i := start; i < end; i++ {
			writeHTMLFinding(d, &findings[i], triage)
		}
		d.raw("</section>\n")
		start = end
	}
	d.raw("</section>\n")
}

// writeHTMLFinding writes one finding: a heading with severity, rule and
// title, the message, then a list of the fields it has.
func writeHTMLFinding(d *htmlDoc, f *finding.Finding, triage map[string]Triage) {
	sev := f.Severity.String()
	d.raw(`<article class="sev-`).text(sev).raw("\">\n<h4>")
	d.raw(`<span class="badge sev-`).text(sev).raw(`">`).text(sev).raw("</span> <code>").text(f.RuleID).raw("</code> ")
	title := f.Title
	if title == "" {
		title = f.Message
	}
	d.text(title).raw("</h4>\n")
	if f.Message != "" && f.Message != title {
		d.raw("<p>").text(f.Message).raw("</p>\n")
	}
	d.raw("<dl>\n")

	status := string(f.Status)
	if status == "" {
		status = string(finding.StatusOpen)
	}
	d.raw("<dt>Status</dt><dd>")
	htmlStatus(d, status)
	if t, ok := triage[f.Fingerprint]; ok {
		if t.Reason != "" {
			d.raw(": ").text(t.Reason)
		}
		if t.Expires != nil {
			d.raw(` <span class="muted">(until `).text(t.Expires.UTC().Format(time.DateOnly)).raw(")</span>")
		}
	}
	d.raw("</dd>\n")

	if f.Location.Path != "" {
		loc := f.Location.Path
		if f.Location.StartLine > 0 {
			loc += ":" + strconv.Itoa(f.Location.StartLine)
			if f.Location.EndLine > f.Location.StartLine {
				loc += "-" + strconv.Itoa(f.Location.EndLine)
			}
		}
		d.raw("<dt>Location</dt><dd><code>").text(loc).raw("</code></dd>\n")
	}
	if f.Location.Commit != "" {
		d.raw("<dt>Commit</dt><dd><code>").text(f.Location.Commit).raw("</code></dd>\n")
	}
	if f.Resource != "" {
		d.raw("<dt>Resource</dt><dd><code>").text(f.Resource).raw("</code></dd>\n")
	}
	d.raw("<dt>Category</dt><dd>")
	if f.Category == "" {
		d.raw("-")
	} else {
		d.text(string(f.Category))
	}
	if f.Scanner != "" {
		d.raw(` <span class="muted">(`).text(f.Scanner).raw(" scanner)</span>")
	}
	d.raw("</dd>\n")
	if p := f.Package; p != nil {
		d.raw("<dt>Package</dt><dd><code>").text(strings.TrimSpace(p.Name + " " + p.Version)).raw("</code>")
		if p.Ecosystem != "" {
			d.raw(" (").text(p.Ecosystem).raw(")")
		}
		d.raw("</dd>\n")
	}
	if f.VulnerabilityID != "" {
		d.raw("<dt>Advisory</dt><dd>").text(f.VulnerabilityID)
		if len(f.Aliases) > 0 {
			d.raw(` <span class="muted">(`).text(strings.Join(f.Aliases, ", ")).raw(")</span>")
		}
		d.raw("</dd>\n")
	}
	if len(f.FixedVersions) > 0 {
		d.raw("<dt>Fixed in</dt><dd>").text(strings.Join(f.FixedVersions, ", ")).raw("</dd>\n")
	}
	if f.Published != nil {
		d.raw("<dt>Published</dt><dd>")
		htmlTime(d, *f.Published)
		d.raw("</dd>\n")
	}
	if f.ObservedAt != nil {
		d.raw("<dt>Last observed</dt><dd>")
		htmlTime(d, *f.ObservedAt)
		d.raw("</dd>\n")
	}
	if f.Verification != "" {
		d.raw("<dt>Verification</dt><dd>").text(f.Verification).raw("</dd>\n")
	}
	if f.Evidence != "" {
		d.raw("<dt>Evidence</dt><dd><pre>").text(f.Evidence).raw("</pre></dd>\n")
	}
	if f.Remediation != "" {
		d.raw("<dt>Remediation</dt><dd>").text(f.Remediation).raw("</dd>\n")
	}
	if len(f.References) > 0 {
		d.raw("<dt>References</dt><dd><ul>\n")
		for _, ref := range f.References {
			writeHTMLReference(d, ref)
		}
		d.raw("</ul></dd>\n")
	}
	d.raw("<dt>Fingerprint</dt><dd><code>").text(f.Fingerprint).raw("</code></dd>\n")
	d.raw("</dl>\n</article>\n")
}

// writeHTMLReference writes one reference as a list item: its type, and
// its id, linked when the reference has an http or https URL. Any other
// URL is shown as text beside the id and never becomes a link.
func writeHTMLReference(d *htmlDoc, ref finding.Reference) {
	d.raw("<li>")
	if ref.Type != "" {
		d.text(ref.Type).raw(" ")
	}
	target := ref.URL
	if target == "" && ref.Type == finding.RefURL {
		target = ref.ID
	}
	label := ref.ID
	if label == "" {
		label = target
	}
	if href := linkURL(target); href != "" {
		d.raw(`<a href="`).text(href).raw(`" rel="noopener noreferrer">`).text(label).raw("</a>")
	} else {
		d.text(label)
		if target != "" && target != label {
			d.raw(` <span class="muted">(`).text(target).raw(")</span>")
		}
	}
	d.raw("</li>\n")
}
