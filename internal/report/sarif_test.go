package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/palisade-sec/palisade/internal/finding"
)

// corporaRoot is the shared test data folder: PALISADE_CORPORA, or its place
// beside the checkout.
func corporaRoot() string {
	if root := os.Getenv("PALISADE_CORPORA"); root != "" {
		return root
	}
	return filepath.Join("..", "..", "..", "shared", "corpora")
}

// offlineLoader refuses every URL: the SARIF schema is added as a resource
// and its draft-04 meta-schema is built into the compiler, so a fetch would
// mean a reference the test did not expect.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("offline: refusing to load %s", url)
}

// sarifSchema compiles the SARIF 2.1.0 schema from the shared corpora.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(corporaRoot(), "schemas", "sarif-schema-2.1.0.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open SARIF schema (set PALISADE_CORPORA to the corpora folder): %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	const id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	if err := c.AddResource(id, doc); err != nil {
		t.Fatalf("add SARIF schema: %v", err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile SARIF schema: %v", err)
	}
	return sch
}

// oddReport has findings whose paths need care: absolute inside and outside
// the target, Windows separators, spaces and a colon, plus a failed run.
func oddReport() *Report {
	r := emptyReport()
	r.Scan.Status = ScanFailed
	r.Scan.Errors = []string{"deps: osv database missing", "secrets: stopped: context canceled"}
	paths := []string{"/src/shop/cmd/main.go", "/etc/passwd", `win\dir\file.cs`, "docs/a b#1.md", "c:weird.txt", "./rel/./x.go"}
	for i, p := range paths {
		r.Findings = append(r.Findings, finding.Finding{
			RuleID: fmt.Sprintf("RULE-%d", i), Category: finding.Code, Severity: finding.Severity(i % 5),
			Message: "m", Location: finding.Location{Path: p, StartLine: i, EndLine: i - 1, StartColumn: 2},
		})
	}
	return r
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	tests := []struct {
		name   string
		report *Report
	}{
		{"every category with and without locations", fixtureReport()},
		{"empty report", emptyReport()},
		{"odd paths and failed run", oddReport()},
		{"zero report", &Report{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write("sarif", &buf, tt.report, Options{}); err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			if err := sch.Validate(doc); err != nil {
				t.Errorf("output does not match the SARIF 2.1.0 schema: %v", err)
			}
		})
	}
}

func TestSARIFSchemaRejectsInvalidLog(t *testing.T) {
	// Guards the validation test: a schema that accepted anything would pass it.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"version":"2.1.0","runs":[{"results":[{"level":"fatal","message":{"text":"x"}}]}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifSchema(t).Validate(doc); err == nil {
		t.Error("a log with no tool and an invalid level passed schema validation")
	}
}

// sarifOut is the part of a SARIF log the content tests read.
type sarifOut struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string
					HelpURI              string
					DefaultConfiguration struct{ Level string }
					Properties           struct {
						Tags             []string
						SecuritySeverity string `json:"security-severity"`
					}
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct{ Message struct{ Text string } }
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			PartialFingerprints map[string]string
			Suppressions        []struct{ Status string }
			Locations           []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
					Region *struct{ StartLine, EndLine, StartColumn int }
				}
				LogicalLocations []struct{ FullyQualifiedName, Kind string }
			}
			Properties struct{ Category, Severity, Status string }
		}
	}
}

func decodeSARIF(t *testing.T, r *Report) sarifOut {
	t.Helper()
	var buf bytes.Buffer
	if err := Write("sarif", &buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var out sarifOut
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(out.Runs))
	}
	return out
}

func TestSARIFContent(t *testing.T) {
	run := decodeSARIF(t, fixtureReport()).Runs[0]
	rules := run.Tool.Driver.Rules

	t.Run("results point at their rule", func(t *testing.T) {
		for _, res := range run.Results {
			if res.RuleIndex < 0 || res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID {
				t.Errorf("result %s has ruleIndex %d, which is not its rule", res.RuleID, res.RuleIndex)
			}
		}
	})
	t.Run("one rule per distinct rule id", func(t *testing.T) {
		if len(rules) != 8 {
			t.Errorf("got %d rules, want 8", len(rules))
		}
	})

	byID := map[string]int{}
	for i, r := range rules {
		byID[r.ID] = i
	}
	t.Run("rule tags carry category and CWE", func(t *testing.T) {
		tags := rules[byID["aws-access-key-id"]].Properties.Tags
		for _, want := range []string{"secret", "external/cwe/cwe-798", "security"} {
			if !slices.Contains(tags, want) {
				t.Errorf("tags %v lack %q", tags, want)
			}
		}
		if tags := rules[byID["GO-2024-2687"]].Properties.Tags; !slices.Contains(tags, "external/cwe/cwe-400") {
			t.Errorf("a bare CWE number was not tagged: %v", tags)
		}
	})
	t.Run("security severity and level follow severity", func(t *testing.T) {
		want := map[string][2]string{
			"aws-access-key-id": {"9.5", "error"},
			"AWS-S3-001":        {"8.0", "error"},
			"AWS-CT-001":        {"5.5", "warning"},
			"DET-ROOT-LOGIN":    {"3.0", "note"},
			"AWS-IAM-004":       {"0.0", "note"},
		}
		for id, w := range want {
			r := rules[byID[id]]
			if r.Properties.SecuritySeverity != w[0] || r.DefaultConfiguration.Level != w[1] {
				t.Errorf("%s: security-severity %q level %q, want %q %q", id, r.Properties.SecuritySeverity, r.DefaultConfiguration.Level, w[0], w[1])
			}
		}
	})
	t.Run("help uri from a url reference only", func(t *testing.T) {
		if got := rules[byID["AWS-S3-001"]].HelpURI; got == "" {
			t.Error("url reference did not become helpUri")
		}
		if got := rules[byID["GO-2024-2687"]].HelpURI; got != "https://pkg.go.dev/vuln/GO-2024-2687" {
			t.Errorf("advisory URL: helpUri = %q", got)
		}
		if got := rules[byID["DET-ROOT-LOGIN"]].HelpURI; got != "" {
			t.Errorf("rule without URL got helpUri %q", got)
		}
	})

	results := map[string]int{}
	for i, r := range run.Results {
		results[r.RuleID] = i
	}
	t.Run("posture finding has only a logical location", func(t *testing.T) {
		res := run.Results[results["AWS-CT-001"]]
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation != nil {
			t.Fatalf("locations = %+v, want one logical location", res.Locations)
		}
		ll := res.Locations[0].LogicalLocations
		if len(ll) != 1 || ll[0].FullyQualifiedName != "arn:aws:cloudtrail:us-east-1:123456789012:trail/main" || ll[0].Kind != "resource" {
			t.Errorf("logical locations = %+v", ll)
		}
		if len(res.Suppressions) != 1 || res.Suppressions[0].Status != "accepted" || res.Properties.Status != "accepted" {
			t.Errorf("accepted finding: suppressions %+v, status %q", res.Suppressions, res.Properties.Status)
		}
	})
	t.Run("finding without path or resource has no locations", func(t *testing.T) {
		if res := run.Results[results["AWS-IAM-004"]]; len(res.Locations) != 0 {
			t.Errorf("locations = %+v, want none", res.Locations)
		}
	})
	t.Run("misconfiguration has both locations", func(t *testing.T) {
		loc := run.Results[results["AWS-S3-001"]].Locations[0]
		if loc.PhysicalLocation == nil || loc.PhysicalLocation.ArtifactLocation.URI != "infra/s3.tf" || len(loc.LogicalLocations) != 1 {
			t.Errorf("location = %+v", loc)
		}
	})
	t.Run("path without line has no region", func(t *testing.T) {
		loc := run.Results[results["scan-error"]].Locations[0]
		if loc.PhysicalLocation == nil || loc.PhysicalLocation.Region != nil {
			t.Errorf("location = %+v, want artifact without region", loc)
		}
	})
	t.Run("fingerprint and properties", func(t *testing.T) {
		res := run.Results[results["go-sql-concat"]]
		if res.PartialFingerprints["palisade/v1"] == "" {
			t.Error("no palisade/v1 partial fingerprint")
		}
		if res.Properties.Category != "code" || res.Properties.Severity != "medium" || res.Properties.Status != "open" {
			t.Errorf("properties = %+v", res.Properties)
		}
	})
	t.Run("scan errors are notifications", func(t *testing.T) {
		inv := run.Invocations[0]
		if !inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 {
			t.Errorf("invocation = %+v", inv)
		}
	})
}

func TestSARIFFailedRun(t *testing.T) {
	inv := decodeSARIF(t, oddReport()).Runs[0].Invocations[0]
	if inv.ExecutionSuccessful {
		t.Error("failed scan reported executionSuccessful")
	}
	if len(inv.ToolExecutionNotifications) != 2 {
		t.Errorf("got %d notifications, want 2", len(inv.ToolExecutionNotifications))
	}
}

func TestArtifactURI(t *testing.T) {
	tests := []struct {
		name, path, target, uri, base string
	}{
		{"relative path", "src/app.go", "/repo", "src/app.go", "%SRCROOT%"},
		{"dot segments are cleaned", "./a/./b.go", "", "a/b.go", "%SRCROOT%"},
		{"windows separators become slashes", `a\b\c.cs`, "", "a/b/c.cs", "%SRCROOT%"},
		{"absolute path inside target is made relative", "/repo/x/y.go", "/repo", "x/y.go", "%SRCROOT%"},
		{"absolute path outside target stays a file uri", "/etc/hosts", "/repo", "file:///etc/hosts", ""},
		{"sibling with target as prefix is outside", "/repo2/a.go", "/repo", "file:///repo2/a.go", ""},
		{"spaces and hash are percent-encoded", "docs/a b#1.md", "", "docs/a%20b%231.md", "%SRCROOT%"},
		{"colon in first segment is not a scheme", "c:weird.txt", "", "./c:weird.txt", "%SRCROOT%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri, base := artifactURI(tt.path, tt.target)
			if uri != tt.uri || base != tt.base {
				t.Errorf("artifactURI(%q, %q) = %q, %q; want %q, %q", tt.path, tt.target, uri, base, tt.uri, tt.base)
			}
		})
	}
}

func TestCWENumber(t *testing.T) {
	tests := []struct {
		id   string
		want string
		ok   bool
	}{
		{"CWE-798", "798", true},
		{"cwe-89", "89", true},
		{"400", "400", true},
		{"CWE-", "", false},
		{"CWE-79a", "", false},
		{"T1078", "", false},
	}
	for _, tt := range tests {
		got, ok := cweNumber(tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cweNumber(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSARIFLevel(t *testing.T) {
	want := map[finding.Severity]string{
		finding.Critical: "error", finding.High: "error", finding.Medium: "warning", finding.Low: "note", finding.Info: "note",
	}
	for s, level := range want {
		if got := sarifLevel(s); got != level {
			t.Errorf("sarifLevel(%s) = %q, want %q", s, got, level)
		}
	}
}

// FuzzArtifactURI checks that any finding path becomes a URI reference that
// parses, and that a relative one has no scheme (so %SRCROOT% applies).
func FuzzArtifactURI(f *testing.F) {
	for _, seed := range []string{"a/b.go", "/repo/x.go", `c:\x`, "a b#?%.md", "../up", "http://x/y", ":", "./"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if p == "" {
			return
		}
		uri, base := artifactURI(p, "/repo")
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatalf("artifactURI(%q) = %q, which does not parse: %v", p, uri, err)
		}
		if base != "" && u.Scheme != "" {
			t.Fatalf("artifactURI(%q) = %q has scheme %q with a base id", p, uri, u.Scheme)
		}
		if strings.Contains(uri, `\`) {
			t.Fatalf("artifactURI(%q) = %q keeps a backslash", p, uri)
		}
	})
}
