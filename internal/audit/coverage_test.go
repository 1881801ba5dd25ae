package audit

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/posture"
)

var update = flag.Bool("update", false, "rewrite docs/coverage.md")

// roadmap is the AWS roadmap of issue 6, item by item, with the rules that
// evidence it. The test fails when a rule named here does not exist.
var roadmap = []struct{ step, item string }{
	{"AWS 1", "Organizations: SCPs deny cloudtrail:StopLogging, guardduty:DeleteDetector, organizations:LeaveOrganization"},
	{"AWS 1", "A security account (delegated administrator) separate from the management account"},
	{"AWS 1", "No workloads in the management account (Business, Security and Organization accounts apart)"},
	{"AWS 1", "AWS Config recording in every region (inventory)"},
	{"AWS 2", "Backup plans, with copies to another account or region"},
	{"AWS 3", "CloudTrail in every region (multi-region or organization trail)"},
	{"AWS 3", "CloudTrail log bucket in another account"},
	{"AWS 3", "CloudTrail log file validation and KMS encryption"},
	{"AWS 3", "GuardDuty in every region"},
	{"AWS 3", "Access Analyzer in every region"},
	{"AWS 3", "S3 Block Public Access (account level and buckets)"},
	{"AWS 3", "A secure baseline for every account (CloudTrail, GuardDuty, Access Analyzer, Security Hub, Config, EBS encryption, S3 Block Public Access)"},
	{"AWS 5", "SSO (IAM Identity Center) for all human users"},
	{"AWS 5", "No IAM users"},
	{"AWS 5", "Access key age and last use"},
	{"AWS 5", "Root MFA and no root keys"},
	{"AWS 5", "Roles unused for N days"},
	{"AWS 5", "Least privilege from service-last-accessed data"},
	{"AWS 7", "Owner tag on every resource"},
	{"AWS 7", "AMI owner allowlist"},
	{"AWS 7", "Live resources managed by IaC (drift)"},
	{"AWS 10", "Security groups open to the world (ingress by port)"},
	{"AWS 10", "Security groups with unrestricted egress"},
	{"AWS 10", "Instances in public subnets"},
	{"AWS 10", "VPC endpoints (PrivateLink) in use"},
	{"AWS 11", "Limit the blast radius (no workloads beside the Organization's administration)"},
}

var roadmapRules = map[string][]string{
	"Organizations: SCPs deny cloudtrail:StopLogging, guardduty:DeleteDetector, organizations:LeaveOrganization": {"AWS-ORG-001"},
	"A security account (delegated administrator) separate from the management account":                          {"AWS-ORG-002"},
	"Backup plans, with copies to another account or region":                                                     {"AWS-ACCT-012", "AWS-BAK-002"},
	"CloudTrail in every region (multi-region or organization trail)":                                            {"AWS-ACCT-001", "AWS-CT-001", "AWS-ORG-003"},
	"CloudTrail log bucket in another account":                                                                   {"AWS-ORG-004"},
	"CloudTrail log file validation and KMS encryption":                                                          {"AWS-CT-002", "AWS-CT-003"},
	"GuardDuty in every region":                                                                                  {"AWS-ACCT-002", "AWS-GD-001"},
	"Access Analyzer in every region":                                                                            {"AWS-ACCT-003", "AWS-AA-001"},
	"S3 Block Public Access (account level and buckets)":                                                         {"AWS-S3-013", "AWS-S3-001"},
	"No workloads in the management account (Business, Security and Organization accounts apart)":                {"AWS-ORG-005"},
	"AWS Config recording in every region (inventory)":                                                           {"AWS-ACCT-020", "AWS-CFG-001"},
	"A secure baseline for every account (CloudTrail, GuardDuty, Access Analyzer, Security Hub, Config, EBS encryption, S3 Block Public Access)": {"AWS-ACCT-022"},
	"SSO (IAM Identity Center) for all human users":                                  {"AWS-ACCT-021", "AWS-ACCT-006"},
	"Limit the blast radius (no workloads beside the Organization's administration)": {"AWS-ORG-005"},
	"No IAM users":                                        {"AWS-IAM-003"},
	"Access key age and last use":                         {"AWS-ACCT-007", "AWS-ACCT-008"},
	"Root MFA and no root keys":                           {"AWS-ACCT-004", "AWS-ACCT-005"},
	"Roles unused for N days":                             {"AWS-ACCT-009"},
	"Least privilege from service-last-accessed data":     {"AWS-ACCT-010"},
	"Owner tag on every resource":                         {"AWS-TAG-001"},
	"AMI owner allowlist":                                 {"AWS-EC2-008"},
	"Live resources managed by IaC (drift)":               {"AWS-DRIFT-001", "AWS-DRIFT-002"},
	"Security groups open to the world (ingress by port)": {"AWS-VPC-001", "AWS-VPC-002", "AWS-VPC-003"},
	"Security groups with unrestricted egress":            {"AWS-VPC-004"},
	"Instances in public subnets":                         {"AWS-ACCT-011", "AWS-EC2-006"},
	"VPC endpoints (PrivateLink) in use":                  {"AWS-VPC-012", "AWS-VPC-013"},
}

func corpora() string {
	if d := os.Getenv("PALISADE_CORPORA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "corpora")
}

// ruleRefs maps every rule id (posture, account, organization, drift) to
// its title and CIS ids.
func ruleRefs() (map[string]string, map[string][]string) {
	titles := map[string]string{}
	byCIS := map[string][]string{}
	add := func(id, title string, cis []string) {
		titles[id] = title
		for _, c := range cis {
			byCIS[c] = append(byCIS[c], id)
		}
	}
	for _, r := range posture.Rules() {
		add(r.ID, r.Title, r.Refs.CIS)
	}
	for _, r := range append(append(AccountRules(), OrgRules()...), driftUnmanaged, driftChanged) {
		add(r.ID, r.Title, r.CIS)
	}
	for _, ids := range byCIS {
		sort.Strings(ids)
	}
	return titles, byCIS
}

func TestCoverageDoc(t *testing.T) {
	f, err := os.Open(filepath.Join(corpora(), "cis", "cis-aws-foundations.csv"))
	if err != nil {
		t.Fatalf("CIS recommendations: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	titles, byCIS := ruleRefs()
	var b strings.Builder
	b.WriteString("# AWS coverage\n\nGenerated by `go test ./internal/audit -run TestCoverageDoc -update` from the rules'\nmetadata and `shared/corpora/cis/cis-aws-foundations.csv` (CIS AWS Foundations v7.0, with\nProwler's check ids); do not edit by hand.\n\n")
	b.WriteString("## The checklist's AWS roadmap\n\n| step | item | palisade rules |\n|---|---|---|\n")
	for _, r := range roadmap {
		ids := roadmapRules[r.item]
		if len(ids) == 0 {
			t.Errorf("roadmap item %q names no rule", r.item)
		}
		for _, id := range ids {
			if titles[id] == "" {
				t.Errorf("roadmap item %q names unknown rule %s", r.item, id)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.step, r.item, strings.Join(ids, ", "))
	}
	automated, covered := 0, 0
	b.WriteString("\n## CIS AWS Foundations v7.0: automated recommendations\n\n| CIS | recommendation | palisade rules | Prowler checks |\n|---|---|---|---|\n")
	var manual strings.Builder
	for _, row := range rows[1:] {
		id, title, assessment, prowler := row[0], row[1], row[4], row[5]
		ids := byCIS[id]
		if assessment != "Automated" {
			if len(ids) > 0 {
				fmt.Fprintf(&manual, "| %s | %s | %s |\n", id, title, strings.Join(ids, ", "))
			}
			continue
		}
		automated++
		rules := "not covered"
		if len(ids) > 0 {
			covered++
			rules = strings.Join(ids, ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", id, title, rules, strings.Join(strings.Fields(prowler), ", "))
	}
	fmt.Fprintf(&b, "\npalisade covers %d of the %d automated recommendations.\n", covered, automated)
	b.WriteString("\n## Manual CIS recommendations palisade gathers evidence for\n\n| CIS | recommendation | palisade rules |\n|---|---|---|\n")
	b.WriteString(manual.String())
	got := b.String()

	path := filepath.Join("..", "..", "docs", "coverage.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("docs/coverage.md is stale: run go test ./internal/audit -run TestCoverageDoc -update")
	}
	if !slices.Contains(byCIS["2.4"], "AWS-ACCT-004") {
		t.Error("CIS 2.4 (root access keys) must be covered by AWS-ACCT-004")
	}
}
