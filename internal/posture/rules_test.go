package posture_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/cloudformation"
	"github.com/palisade-sec/palisade/internal/cloud/iac/terraform"
	"github.com/palisade-sec/palisade/internal/posture"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

// minRules is a floor on the number of built-in rules; it may only grow.
const minRules = 120

func loadExample(t *testing.T, name, src string) *cloud.State {
	t.Helper()
	if strings.HasSuffix(name, ".tf") {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		rs := terraform.LoadDirs([]string{dir}, terraform.Options{}, func(p string, err error) { t.Errorf("%s: %v", p, err) })
		return terraform.State(rs)
	}
	tmpl, err := cloudformation.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cloudformation.State(tmpl)
}

// readExamples splits testdata/rules/ID.txt into its "-- name --" sections.
func readExamples(t *testing.T, id string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rules", id+".txt"))
	out := map[string]string{}
	if err != nil {
		t.Errorf("missing examples: %v", err)
		return out
	}
	name := ""
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --")
			out[name] = ""
			continue
		}
		if name != "" {
			out[name] += line
		}
	}
	return out
}

func TestRulesFireOnFailExamplesAndStayQuietOnPass(t *testing.T) {
	rules := posture.Rules()
	if len(rules) < minRules {
		t.Errorf("%d rules, want at least %d", len(rules), minRules)
	}
	ids := map[string]bool{}
	for _, rule := range rules {
		ids[rule.ID] = true
		ex := readExamples(t, rule.ID)
		want := []string{"fail.tf", "pass.tf", "fail.yaml", "pass.yaml"}
		if rule.NoCloudFormation != "" {
			want = want[:2]
			for _, name := range []string{"fail.yaml", "pass.yaml"} {
				if _, ok := ex[name]; ok {
					t.Errorf("%s says it has no CloudFormation equivalent but has %s", rule.ID, name)
				}
			}
		}
		// Besides the four required examples a rule may carry more, named
		// fail-*.tf, pass-*.yaml and so on, for shapes the first ones miss.
		for name := range ex {
			if !slices.Contains(want, name) && (strings.HasPrefix(name, "fail-") || strings.HasPrefix(name, "pass-")) {
				want = append(want, name)
			}
		}
		for _, name := range want {
			t.Run(rule.ID+"/"+name, func(t *testing.T) {
				src, ok := ex[name]
				if !ok {
					t.Fatalf("testdata/rules/%s.txt has no %s example", rule.ID, name)
				}
				var hits []posture.Result
				posture.Evaluate(loadExample(t, name, src), []posture.Rule{rule}, func(r posture.Result) { hits = append(hits, r) })
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
	entries, err := os.ReadDir(filepath.Join("testdata", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !ids[strings.TrimSuffix(e.Name(), ".txt")] {
			t.Errorf("testdata/rules/%s names no rule", e.Name())
		}
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
		if r.Title == "" || r.Rationale == "" || r.Remediation.Text == "" || r.Remediation.Terraform == "" || (r.Remediation.CloudFormation == "" && r.NoCloudFormation == "") || r.Refs.Checklist == "" || r.Check == nil {
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
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s)\n\n%s\n\n%s\n\nTerraform:\n\n```hcl\n%s\n```\n", r.ID, r.Title, r.Severity, r.Rationale, r.Remediation.Text, r.Remediation.Terraform)
		if r.NoCloudFormation != "" {
			fmt.Fprintf(&b, "\nCloudFormation: no equivalent. %s\n", r.NoCloudFormation)
		} else {
			fmt.Fprintf(&b, "\nCloudFormation:\n\n```yaml\n%s\n```\n", r.Remediation.CloudFormation)
		}
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
