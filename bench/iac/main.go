// Command iac-compare scans a folder with palisade's IaC scanner and
// compares the result with trivy's expected findings summary
// (corpora/iac/expected/expected_trivy_*.json): it lists, per trivy check
// mapped to palisade rules, the resources trivy reports that palisade
// misses, and palisade findings trivy does not have.
//
//	go run ./bench/iac -dir ../shared/corpora/iac/terragoat/terraform/aws \
//	    -expected ../shared/corpora/iac/expected/expected_trivy_terragoat_aws.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud/iac"
	"github.com/palisade-sec/palisade/internal/finding"
)

// trivyToPalisade maps trivy check ids to the palisade rules that cover the
// same weakness. A trivy id absent here has no palisade equivalent yet.
var trivyToPalisade = map[string][]string{
	"AWS-0026": {"AWS-EC2-004"}, "AWS-0027": {"AWS-EC2-005"}, "AWS-0028": {"AWS-EC2-001"}, "AWS-0029": {"AWS-EC2-003"},
	"AWS-0030": {"AWS-ECR-001"}, "AWS-0031": {"AWS-ECR-002"}, "AWS-0033": {"AWS-ECR-003"}, "AWS-0038": {"AWS-EKS-001"},
	"AWS-0039": {"AWS-EKS-002"}, "AWS-0040": {"AWS-EKS-003"}, "AWS-0041": {"AWS-EKS-004"}, "AWS-0042": {"AWS-ES-001"},
	"AWS-0043": {"AWS-ES-002"}, "AWS-0046": {"AWS-ES-003"}, "AWS-0048": {"AWS-ES-004"}, "AWS-0053": {"AWS-ELB-001"},
	"AWS-0065": {"AWS-KMS-001"}, "AWS-0066": {"AWS-LMB-001"}, "AWS-0075": {"AWS-RDS-010"}, "AWS-0076": {"AWS-RDS-002"},
	"AWS-0077": {"AWS-RDS-004"}, "AWS-0079": {"AWS-RDS-002"}, "AWS-0080": {"AWS-RDS-001"},
	"AWS-0086": {"AWS-S3-001", "AWS-S3-002"}, "AWS-0087": {"AWS-S3-001", "AWS-S3-003"}, "AWS-0091": {"AWS-S3-001", "AWS-S3-004"},
	"AWS-0093": {"AWS-S3-001", "AWS-S3-005"}, "AWS-0094": {"AWS-S3-001"}, "AWS-0089": {"AWS-S3-010"}, "AWS-0090": {"AWS-S3-009"},
	"AWS-0092": {"AWS-S3-006"}, "AWS-0132": {"AWS-S3-008"}, "AWS-0096": {"AWS-SQS-001"},
	"AWS-0099": {"AWS-VPC-005"}, "AWS-0104": {"AWS-VPC-004"}, "AWS-0107": {"AWS-VPC-001"}, "AWS-0124": {"AWS-VPC-006"},
	"AWS-0126": {"AWS-ES-005"}, "AWS-0128": {"AWS-RDS-011"}, "AWS-0131": {"AWS-EC2-002"}, "AWS-0133": {"AWS-RDS-008"},
	"AWS-0143": {"AWS-IAM-002"}, "AWS-0164": {"AWS-VPC-009"}, "AWS-0176": {"AWS-RDS-007"}, "AWS-0177": {"AWS-RDS-005"},
	"AWS-0178": {"AWS-VPC-010"}, "AWS-0180": {"AWS-RDS-003"}, "AWS-0343": {"AWS-RDS-006"}, "AWS-0345": {"AWS-IAM-005"},
}

func main() {
	dir := flag.String("dir", "", "folder to scan")
	expected := flag.String("expected", "", "trivy expected summary JSON")
	list := flag.Bool("list", false, "print every palisade finding (rule, resource, file:line, message), for review")
	rules := flag.String("rules", "", "folder of custom CEL rules to run as well (iac.Options.RulesDir)")
	flag.Parse()
	if err := run(*dir, *expected, *rules, *list); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir, expected, rulesDir string, list bool) error {
	got := map[string]bool{} // rule + " " + resource (instance key stripped)
	var all []finding.Finding
	n := 0
	stats, err := iac.Scan(context.Background(), dir, iac.Options{RulesDir: rulesDir}, func(f finding.Finding) {
		n++
		all = append(all, f)
		got[f.RuleID+" "+shortAddr(f.Resource)] = true
	}, func(p string, err error) { fmt.Println("problem:", err) })
	if err != nil {
		return err
	}
	fmt.Printf("palisade: %d findings, %d distinct rule/resource pairs, stats %+v\n", n, len(got), stats)
	if list {
		for _, f := range all {
			fmt.Printf("%s\t%s\t%s:%d\t%s\n", f.RuleID, f.Resource, f.Location.Path, f.Location.StartLine, f.Message)
		}
	}
	if expected == "" {
		return nil
	}
	data, err := os.ReadFile(expected)
	if err != nil {
		return err
	}
	var exp struct {
		Findings []struct {
			ID, Type, Resource, File, Title string
			StartLine                       int `json:"start_line"`
			EndLine                         int `json:"end_line"`
		}
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		return fmt.Errorf("%s: %w", expected, err)
	}
	covered := map[string]bool{}
	var missed, unmapped []string
	for _, f := range exp.Findings {
		if f.Type != "terraform" && f.Type != "cloudformation" {
			continue // Dockerfile checks are another scanner's
		}
		rules, ok := trivyToPalisade[f.ID]
		if !ok {
			unmapped = append(unmapped, f.ID+" "+f.Resource+" ("+f.Title+")")
			continue
		}
		hit := false
		for _, r := range rules {
			for _, pf := range all {
				if pf.RuleID == r && (sameResource(pf, f.Resource) || sameLines(pf, f.File, f.StartLine, f.EndLine)) {
					hit = true
					covered[r+" "+shortAddr(pf.Resource)] = true
				}
			}
		}
		if !hit {
			missed = append(missed, f.ID+" "+f.Resource+" -> "+strings.Join(rules, "/")+" ("+f.Title+")")
		}
	}
	var extra []string
	for k := range got {
		if !covered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missed)
	sort.Strings(unmapped)
	sort.Strings(extra)
	fmt.Printf("\ntrivy reports, palisade misses (%d):\n", len(missed))
	for _, m := range missed {
		fmt.Println("  " + m)
	}
	fmt.Printf("\ntrivy checks with no palisade rule (%d):\n", len(unmapped))
	for _, m := range unmapped {
		fmt.Println("  " + m)
	}
	fmt.Printf("\npalisade reports, trivy does not (%d):\n", len(extra))
	for _, m := range extra {
		fmt.Println("  " + m)
	}
	return nil
}

var rangeRE = regexp.MustCompile(`^(.+):(\d+)-(\d+)$`)

// sameResource matches trivy's resource name against a palisade finding:
// a CloudFormation "file:start-end" range by file and line, a Terraform
// module call by address prefix, anything else by address.
func sameResource(f finding.Finding, trivy string) bool {
	if m := rangeRE.FindStringSubmatch(trivy); m != nil {
		a, _ := strconv.Atoi(m[2])
		b, _ := strconv.Atoi(m[3])
		return path.Base(f.Location.Path) == path.Base(m[1]) && f.Location.StartLine >= a && f.Location.StartLine <= b
	}
	addr := shortAddr(f.Resource)
	t := shortAddr(trivy)
	return addr == t || strings.HasPrefix(addr, t+".")
}

// shortAddr drops instance keys so trivy's and palisade's addresses compare.
func shortAddr(a string) string {
	if i := strings.Index(a, "["); i > 0 {
		return a[:i]
	}
	return a
}

// sameLines matches a palisade finding placed inside trivy's line range of
// the same file: the same issue reported on the attached resource (a
// security group rule, a role policy) or, for CloudFormation, on the
// resource trivy names by its line range rather than its logical id.
func sameLines(f finding.Finding, file string, start, end int) bool {
	if start == 0 || end == 0 {
		return false
	}
	return path.Base(f.Location.Path) == path.Base(file) && f.Location.StartLine >= start-1 && f.Location.StartLine <= end // start-1: a CloudFormation logical id sits on the line above trivy's range
}
