package cli

import (
	"fmt"
	"path/filepath"
	"testing"
)

const openGroup = `resource "aws_security_group" "%s" {
  name = "%s"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`

func TestIaCScanAndDiffBaseReportsOnlyIntroducedFindings(t *testing.T) {
	dir := t.TempDir()
	gitInit(t, dir)
	writeFile(t, filepath.Join(dir, "infra", "main.tf"), sprintf(openGroup, "old", "old"))
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "base")
	gitRun(t, dir, "checkout", "-qb", "feature")

	full := decodeReport(t, palisade(t, dir, nil, "scan", "--no-store", "--scanners", "iac", "--format", "json").stdout)
	if len(full.Findings) == 0 {
		t.Fatal("iac scan found nothing in an open security group")
	}
	for _, f := range full.Findings {
		if f.Category != "misconfiguration" || f.Location.Path != "infra/main.tf" || f.Location.StartLine == 0 {
			t.Errorf("finding %s at %+v, want a misconfiguration with file and line", f.RuleID, f.Location)
		}
	}

	// The change adds a second open group and shifts the first one down.
	writeFile(t, filepath.Join(dir, "infra", "main.tf"), "# comment\n\n"+sprintf(openGroup, "old", "old")+sprintf(openGroup, "new", "new"))
	gitRun(t, dir, "commit", "-qam", "add group")
	r := palisade(t, dir, nil, "scan", "--no-store", "--scanners", "iac", "--diff-base", "main", "--format", "json", "--fail-on", "low")
	got := decodeReport(t, r.stdout).Findings
	if len(got) == 0 || r.code != 1 {
		t.Fatalf("diff-base: exit %d, %d findings; want the new group's findings and exit 1", r.code, len(got))
	}
	for _, f := range got {
		if f.Resource != "aws_security_group.new" {
			t.Errorf("diff-base reported %s on %s, which the change did not introduce", f.RuleID, f.Resource)
		}
	}
	if r := palisade(t, dir, nil, "scan", "--no-store", "--scanners", "iac", "--diff-base", "HEAD", "--fail-on", "low"); r.code != 0 {
		t.Errorf("diff-base against HEAD: exit %d, want 0 (%s)", r.code, r.stderr)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestIaCConfigOwnerTagAndCustomRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.tf"), `resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
  tags = { team = "platform" }
}
`)
	writeFile(t, filepath.Join(dir, "policies", "naming.yaml"), `id: ACME-001
title: Bucket names start with the company prefix
severity: low
resource_types: [s3_bucket]
expression: "!resource.name.startsWith('acme-prod-')"
`)
	rules := func(cfg string) map[string]bool {
		writeFile(t, filepath.Join(dir, "palisade.yaml"), cfg)
		r := palisade(t, dir, nil, "scan", "--no-store", "--scanners", "iac", "--format", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got := map[string]bool{}
		for _, f := range decodeReport(t, r.stdout).Findings {
			got[f.RuleID] = true
		}
		return got
	}
	if got := rules("version: 1\n"); !got["AWS-TAG-001"] || got["ACME-001"] {
		t.Errorf("default config: rules %v, want AWS-TAG-001 (no owner tag) and no custom rule", got)
	}
	if got := rules("iac:\n  owner_tag: team\n  rules_dir: policies\n"); got["AWS-TAG-001"] || !got["ACME-001"] {
		t.Errorf("owner_tag team + rules_dir: rules %v, want ACME-001 and no AWS-TAG-001", got)
	}
}
