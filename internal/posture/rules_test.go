package posture_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/cloudformation"
	"github.com/palisade-sec/palisade/internal/cloud/iac/terraform"
	"github.com/palisade-sec/palisade/internal/posture"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

// minRulesWithExamples is a floor: rules with pass/fail examples may only grow.
const minRulesWithExamples = 18

func loadFile(t *testing.T, path string) *cloud.State {
	t.Helper()
	if strings.HasSuffix(path, ".tf") {
		dir := t.TempDir()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		rs := terraform.LoadDirs([]string{dir}, terraform.Options{}, func(p string, err error) { t.Errorf("%s: %v", p, err) })
		return terraform.State(rs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := cloudformation.Parse(path, data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cloudformation.State(tmpl)
}

func TestRulesFireOnFailExamplesAndStayQuietOnPass(t *testing.T) {
	rules := posture.Rules()
	byID := map[string]posture.Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for _, e := range entries {
		rule, ok := byID[e.Name()]
		if !ok {
			t.Errorf("testdata/rules/%s names no rule", e.Name())
			continue
		}
		covered++
		for _, name := range []string{"fail.tf", "pass.tf", "fail.yaml", "pass.yaml"} {
			path := filepath.Join("testdata", "rules", e.Name(), name)
			t.Run(e.Name()+"/"+name, func(t *testing.T) {
				if _, err := os.Stat(path); err != nil {
					t.Fatalf("missing example: %v", err)
				}
				var hits []posture.Result
				posture.Evaluate(loadFile(t, path), []posture.Rule{rule}, func(r posture.Result) { hits = append(hits, r) })
				if strings.HasPrefix(name, "fail") && len(hits) == 0 {
					t.Errorf("%s did not fire", rule.ID)
				}
				if strings.HasPrefix(name, "pass") && len(hits) > 0 {
					t.Errorf("%s fired on a pass example: %s at %s", rule.ID, hits[0].Message, hits[0].At)
				}
				for _, h := range hits {
					if h.At.Line == 0 {
						t.Errorf("finding without a line: %+v", h)
					}
				}
			})
		}
	}
	if covered < minRulesWithExamples {
		t.Errorf("%d rules have examples, want at least %d", covered, minRulesWithExamples)
	}
}

var idRE = regexp.MustCompile(`^AWS-[A-Z0-9]+-\d{3}$`)

func TestRuleMetadataIsComplete(t *testing.T) {
	cis := readCIS(t)
	seen := map[string]bool{}
	for _, r := range posture.Rules() {
		if !idRE.MatchString(r.ID) || seen[r.ID] {
			t.Errorf("bad or duplicate id %q", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Rationale == "" || r.Remediation.Text == "" || r.Remediation.Terraform == "" || r.Remediation.CloudFormation == "" || r.Refs.Checklist == "" || r.Check == nil {
			t.Errorf("%s: incomplete metadata", r.ID)
		}
		for _, id := range r.Refs.CIS {
			if cis != nil && !cis[id] {
				t.Errorf("%s: CIS id %s is not in the benchmark", r.ID, id)
			}
		}
	}
}

func readCIS(t *testing.T) map[string]bool {
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpora")
	}
	data, err := os.ReadFile(filepath.Join(root, "cis", "cis-aws-foundations.csv"))
	if err != nil {
		t.Logf("CIS list not available: %v", err)
		return nil
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		if i := strings.Index(line, ","); i > 0 {
			out[line[:i]] = true
		}
	}
	return out
}

func TestRulesDocMatchesMetadata(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# AWS posture rules\n\nGenerated from `internal/posture` by `go test ./internal/posture -update`; do not edit.\n")
	b.WriteString("Every rule runs on the cloud model, so it applies to Terraform, CloudFormation and (later) live AWS state alike.\n")
	b.WriteString("Suppress a rule on one resource with a `# palisade:ignore RULE-ID reason` comment on or above the resource.\n\n")
	b.WriteString("| id | severity | title | CIS | checklist |\n|---|---|---|---|---|\n")
	rules := posture.Rules()
	for _, r := range rules {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Title, strings.Join(r.Refs.CIS, ", "), r.Refs.Checklist)
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s)\n\n%s\n\n%s\n\nTerraform:\n\n```hcl\n%s\n```\n\nCloudFormation:\n\n```yaml\n%s\n```\n", r.ID, r.Title, r.Severity, r.Rationale, r.Remediation.Text, r.Remediation.Terraform, r.Remediation.CloudFormation)
		if len(r.Refs.CWE) > 0 {
			fmt.Fprintf(&b, "\nCWE: %s\n", strings.Join(r.Refs.CWE, ", "))
		}
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/posture -update)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("docs/rules.md is stale; run go test ./internal/posture -update")
	}
}
