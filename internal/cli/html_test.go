package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cspMeta is the element every HTML report carries, verbatim.
const cspMeta = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`

// TestHTMLReportFromScanAndFindingsList writes HTML reports of a secret in
// a file whose name is markup, with a triage reason that is markup too,
// through scan --output and findings list, and checks that they are whole
// pages with the policy, show the reason escaped, and hold no secret.
func TestHTMLReportFromScanAndFindingsList(t *testing.T) {
	dir := t.TempDir()
	hostile := `"><img src=x onerror=alert(1)>.env`
	writeFile(t, filepath.Join(dir, hostile), "AWS_ACCESS_KEY_ID="+planted+"\n")
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}

	r := palisade(t, dir, env, "scan", "--format", "html", "--output", "report.html")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("scan --format html --output: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	fp := decodeReport(t, palisade(t, dir, env, "findings", "list", "--format", "json").stdout).Findings[0].Fingerprint
	reason := "<script>alert(1)</script> test key, revoked"
	if tr := palisade(t, dir, env, "findings", "triage", fp[:12], "--status", "accepted", "--reason", reason, "--expires", "2099-01-01"); tr.code != 0 {
		t.Fatalf("triage: exit %d %s", tr.code, tr.stderr)
	}
	rescan := palisade(t, dir, env, "scan", "--format", "html")
	list := palisade(t, dir, env, "findings", "list", "--status", "all", "--format", "html")
	if r := palisade(t, dir, env, "findings", "list", "--format", "html", "--output", "list.html"); r.code != 0 || r.stdout != "" {
		t.Fatalf("findings list --output: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name, page string
		shows      []string
	}{
		{"scan --output", read("report.html"), []string{"aws-access-key-id", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;.env:1", "status-open"}},
		{"rescan after triage", rescan.stdout, []string{"status-accepted", "&lt;script&gt;alert(1)&lt;/script&gt; test key, revoked", "until 2099-01-01"}},
		{"findings list", list.stdout, []string{"status-accepted", "&lt;script&gt;alert(1)&lt;/script&gt; test key, revoked"}},
		{"findings list --output", read("list.html"), []string{"No findings."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.HasPrefix(tt.page, "<!DOCTYPE html>") || !strings.HasSuffix(tt.page, "</html>\n") {
				t.Fatalf("not a whole page:\n%s", tt.page)
			}
			if !strings.Contains(tt.page, cspMeta) {
				t.Errorf("page lacks %s", cspMeta)
			}
			for _, bad := range []string{"<script", "<img", planted, planted[4:]} {
				if strings.Contains(tt.page, bad) {
					t.Errorf("page contains %q", bad)
				}
			}
			for _, want := range tt.shows {
				if !strings.Contains(tt.page, want) {
					t.Errorf("page lacks %q:\n%s", want, tt.page)
				}
			}
		})
	}
}

func TestFindingsListRejectsUnknownFormat(t *testing.T) {
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	r := palisade(t, t.TempDir(), env, "findings", "list", "--format", "pdf")
	if r.code != 2 || !strings.Contains(r.stderr, "table, json, sarif, markdown, html") {
		t.Errorf("exit %d stderr %q, want 2 listing every format", r.code, r.stderr)
	}
}
