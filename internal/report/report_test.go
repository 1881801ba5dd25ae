package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the writers' output")

// fixtureReport is a representative scan: every category, findings with a
// full location, a path only, a resource only and neither, a suppressed
// finding, scan errors, and fixed times. Findings are deliberately out of
// report order.
func fixtureReport() *Report {
	started := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	secret := finding.Finding{
		RuleID: "aws-access-key-id", Scanner: "secrets", Category: finding.Secret, Severity: finding.Critical,
		Title:       "AWS access key ID",
		Message:     "AWS access key ID in config/prod.env",
		Location:    finding.Location{Path: "config/prod.env", StartLine: 3, EndLine: 3, StartColumn: 19, EndColumn: 39},
		Evidence:    finding.Redact("AKIAIOSFODNN7EXAMPLE"),
		Remediation: "Deactivate the key in IAM, rotate it, and load credentials from the environment or a role.",
		References: []finding.Reference{
			{Type: finding.RefCWE, ID: "CWE-798"},
			{Type: finding.RefChecklist, ID: "AppSec 2: Secret scanning in pre-commit and CI"},
		},
		SecretHash:   "3f1c0a9e5b7d2c4e6f8a0b1c2d3e4f50",
		Verification: "unverified",
	}
	vuln := finding.Finding{
		RuleID: "GO-2024-2687", Scanner: "deps", Category: finding.Vulnerability, Severity: finding.High,
		Title:       "HTTP/2 CONTINUATION flood in net/http",
		Message:     "golang.org/x/net 0.21.0 is affected; fixed in 0.23.0",
		Location:    finding.Location{Path: "go.mod", StartLine: 7},
		Remediation: "Upgrade golang.org/x/net to 0.23.0 or later.",
		References: []finding.Reference{
			{Type: finding.RefAdvisory, ID: "GO-2024-2687", URL: "https://pkg.go.dev/vuln/GO-2024-2687"},
			{Type: finding.RefCWE, ID: "400"},
		},
		Package:         &finding.Package{Name: "golang.org/x/net", Version: "0.21.0", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/net@0.21.0"},
		VulnerabilityID: "GO-2024-2687",
		Aliases:         []string{"CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"},
		FixedVersions:   []string{"0.23.0"},
	}
	misconfig := finding.Finding{
		RuleID: "AWS-S3-001", Scanner: "iac", Category: finding.Misconfiguration, Severity: finding.High,
		Title:       "S3 bucket does not block public access",
		Message:     "aws_s3_bucket.logs: public access is not fully blocked",
		Location:    finding.Location{Path: "infra/s3.tf", StartLine: 12, EndLine: 20},
		Resource:    "aws_s3_bucket.logs",
		Remediation: "Add an aws_s3_bucket_public_access_block with all four settings true.",
		References: []finding.Reference{
			{Type: finding.RefCIS, ID: "3.1.4"},
			{Type: finding.RefURL, ID: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"},
		},
	}
	posture := finding.Finding{
		RuleID: "AWS-CT-001", Scanner: "posture", Category: finding.Posture, Severity: finding.Medium,
		Title:       "CloudTrail is not enabled in every region",
		Message:     "no multi-region trail in account 123456789012",
		Resource:    "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
		Remediation: "Create one multi-region organization trail.",
		References:  []finding.Reference{{Type: finding.RefCIS, ID: "3.1"}},
		Status:      finding.StatusAccepted,
	}
	detection := finding.Finding{
		RuleID: "DET-ROOT-LOGIN", Scanner: "detect", Category: finding.Detection, Severity: finding.Low,
		Title:    "Root user console login",
		Message:  "root signed in from 198.51.100.7",
		Resource: "123456789012",
		References: []finding.Reference{
			{Type: finding.RefAttack, ID: "T1078.004"},
		},
		Status: finding.StatusOpen,
	}
	code := finding.Finding{
		RuleID: "go-sql-concat", Scanner: "code", Category: finding.Code, Severity: finding.Medium,
		Title:       "SQL built by string concatenation",
		Message:     "query | built from `name` <user input>",
		Location:    finding.Location{Path: "internal/db/user's query.go", StartLine: 42, StartColumn: 9, Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8"},
		Evidence:    `db.Query("SELECT * FROM users WHERE name = '" + name + "'")`,
		Remediation: "Use a parameterized query: db.Query(\"... WHERE name = $1\", name).",
		References:  []finding.Reference{{Type: finding.RefCWE, ID: "CWE-89"}},
	}
	posture2 := finding.Finding{
		RuleID: "AWS-IAM-004", Scanner: "posture", Category: finding.Posture, Severity: finding.Info,
		Title:   "IAM user exists",
		Message: "account has IAM users instead of federated access",
	}
	scanErr := finding.Finding{
		RuleID: "scan-error", Scanner: "secrets", Category: finding.ScanError, Severity: finding.Info,
		Title:    "File could not be read",
		Message:  "open vendor/blob.bin: permission denied",
		Location: finding.Location{Path: "vendor/blob.bin"},
	}
	all := []finding.Finding{scanErr, posture2, code, detection, posture, misconfig, vuln, secret}
	for i := range all {
		finding.SetFingerprint(&all[i])
	}
	return &Report{
		Version: Version,
		Scan: Scan{
			ID:         7,
			Target:     "/src/shop",
			Tool:       Tool{Name: "palisade", Version: "0.3.0"},
			Scanners:   []string{"secrets", "deps", "iac", "posture", "detect", "code"},
			StartedAt:  started,
			FinishedAt: started.Add(2*time.Second + 250*time.Millisecond),
			Status:     "completed",
			Errors:     []string{"vendor/blob.bin: permission denied"},
		},
		Findings: all,
	}
}

// emptyReport is a clean scan with no findings and no errors.
func emptyReport() *Report {
	r := fixtureReport()
	r.Findings = nil
	r.Scan.Errors = nil
	return r
}

func TestWriteGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		report *Report
		opts   Options
	}{
		{"table", "table", fixtureReport(), Options{}},
		{"table_color", "table", fixtureReport(), Options{Color: true}},
		{"table_empty", "table", emptyReport(), Options{}},
		{"json", "json", fixtureReport(), Options{}},
		{"json_empty", "json", emptyReport(), Options{}},
		{"sarif", "sarif", fixtureReport(), Options{}},
		{"sarif_empty", "sarif", emptyReport(), Options{}},
		{"markdown", "markdown", fixtureReport(), Options{}},
		{"markdown_truncated", "markdown", fixtureReport(), Options{MaxRows: 3}},
		{"markdown_empty", "markdown", emptyReport(), Options{}},
		{"html", "html", htmlFixtureReport(), Options{}},
		{"html_empty", "html", emptyReport(), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(tt.format, &buf, tt.report, tt.opts); err != nil {
				t.Fatalf("Write: %v", err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test ./internal/report -update to create it): %v", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("%s output differs from %s (rerun with -update and review the diff)\ngot:\n%s", tt.format, golden, got)
			}
		})
	}
}

func TestWriteDoesNotModifyReport(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			r := fixtureReport()
			before := r.Findings[0].RuleID
			if err := Write(format, &bytes.Buffer{}, r, Options{}); err != nil {
				t.Fatal(err)
			}
			if r.Findings[0].RuleID != before {
				t.Errorf("Write reordered the caller's findings: first is %q, was %q", r.Findings[0].RuleID, before)
			}
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	for _, format := range []string{"xml", "", "JSON", "HTML", "htm"} {
		t.Run("format "+format, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(format, &buf, fixtureReport(), Options{})
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("Write(%q) error = %v, want ErrUnknownFormat", format, err)
			}
			if !strings.Contains(err.Error(), `"`+format+`"`) {
				t.Errorf("error %q does not name the format %q", err, format)
			}
			if buf.Len() != 0 {
				t.Errorf("unknown format wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestWriteNilReport(t *testing.T) {
	if err := Write("json", &bytes.Buffer{}, nil, Options{}); err == nil {
		t.Fatal("Write with a nil report returned no error")
	}
}

// failingWriter accepts limit bytes, then fails every write.
type failingWriter struct{ limit int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errDiskFull
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestWriteErrorPropagates(t *testing.T) {
	for _, format := range Formats {
		for _, limit := range []int{0, 10, 200} {
			t.Run(format, func(t *testing.T) {
				err := Write(format, &failingWriter{limit: limit}, fixtureReport(), Options{})
				if !errors.Is(err, errDiskFull) {
					t.Errorf("Write(%s) to a writer failing after %d bytes: error = %v, want errDiskFull", format, limit, err)
				}
			})
		}
	}
}

func TestSortedOrder(t *testing.T) {
	got := Sorted(fixtureReport().Findings)
	var ids []string
	for _, f := range got {
		ids = append(ids, f.RuleID)
	}
	want := "aws-access-key-id GO-2024-2687 AWS-S3-001 AWS-CT-001 go-sql-concat DET-ROOT-LOGIN AWS-IAM-004 scan-error"
	if strings.Join(ids, " ") != want {
		t.Errorf("report order = %s\nwant %s", strings.Join(ids, " "), want)
	}
}
