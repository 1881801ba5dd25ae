package iac

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

func corpora() string {
	if c := os.Getenv("PALISADE_CORPORA"); c != "" {
		return c
	}
	return filepath.Join("..", "..", "..", "..", "shared", "corpora")
}

func scanDir(t *testing.T, dir string) ([]finding.Finding, []string) {
	t.Helper()
	var fs []finding.Finding
	var problems []string
	_, err := Scan(context.Background(), dir, Options{}, func(f finding.Finding) { fs = append(fs, f) }, func(p string, err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	return fs, problems
}

func TestCorpusFindsKnownMisconfigurations(t *testing.T) {
	cases := []struct {
		name string
		dir  string
		want map[string]string // rule -> resource that must be reported
	}{
		{"terragoat aws", "iac/terragoat/terraform/aws", map[string]string{
			"AWS-EC2-001": "aws_instance.web_host", "AWS-S3-001": "aws_s3_bucket.data", "AWS-RDS-003": "aws_db_instance.default",
			"AWS-EC2-003": "aws_instance.web_host", "AWS-VPC-001": "aws_security_group.web-node", "AWS-KMS-001": "aws_kms_key.logs_key",
			"AWS-ES-004": "aws_elasticsearch_domain.monitoring-framework", "AWS-EKS-002": "aws_eks_cluster.eks_cluster",
		}},
		{"cfngoat", "iac/cfngoat", map[string]string{
			"AWS-S3-001": "DataBucket", "AWS-EC2-001": "EC2Instance", "AWS-RDS-003": "DefaultDB", "AWS-EKS-002": "EKSCluster",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(corpora(), c.dir)
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("corpus not present: %v", err)
			}
			fs, problems := scanDir(t, dir)
			got := map[string]bool{}
			for _, f := range fs {
				got[f.RuleID+" "+f.Resource] = true
				if f.Location.StartLine == 0 || f.Fingerprint == "" || f.Scanner != Scanner {
					t.Errorf("finding without line/fingerprint: %+v", f)
				}
			}
			for rule, res := range c.want {
				if !got[rule+" "+res] {
					t.Errorf("missing %s on %s", rule, res)
				}
			}
			if os.Getenv("IAC_DUMP") != "" {
				var keys []string
				for k := range got {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					t.Log(k)
				}
				t.Log(problems)
			}
		})
	}
}
