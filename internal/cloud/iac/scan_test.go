package iac

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud/iac/cloudformation"
	"github.com/palisade-sec/palisade/internal/cloud/iac/terraform"
	"github.com/palisade-sec/palisade/internal/finding"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanBehaviour(t *testing.T) {
	cases := []struct {
		name        string
		files       map[string]string
		vars        map[string]string
		wantRules   []string // rule@resource:path:line expected
		noRule      string   // a rule that must not fire
		wantProblem string   // substring of a reported problem
	}{
		{
			name:      "missing attribute is reported at the resource block",
			files:     map[string]string{"main.tf": "resource \"aws_ebs_volume\" \"v\" {\n  size = 1\n}\n"},
			wantRules: []string{"AWS-EC2-004@aws_ebs_volume.v:main.tf:1"},
		},
		{
			name:      "world-open rule of a separate aws_security_group_rule is reported on its group at the cidr_blocks line",
			files:     map[string]string{"main.tf": "resource \"aws_security_group\" \"g\" {\n  description = \"d\"\n}\nresource \"aws_security_group_rule\" \"egress\" {\n  type              = \"egress\"\n  from_port         = 0\n  to_port           = 0\n  protocol          = \"-1\"\n  cidr_blocks       = [\"0.0.0.0/0\"]\n  security_group_id = aws_security_group.g.id\n}\n"},
			wantRules: []string{"AWS-VPC-004@aws_security_group.g:main.tf:9"},
		},
		{
			name:      "Terraform JSON syntax is scanned with JSON lines",
			files:     map[string]string{"main.tf.json": "{\n  \"resource\": {\n    \"aws_ebs_volume\": {\n      \"v\": {\n        \"encrypted\": false\n      }\n    }\n  }\n}\n"},
			wantRules: []string{"AWS-EC2-004@aws_ebs_volume.v:main.tf.json:5"},
		},
		{
			name:      "offending attribute is reported at its line",
			files:     map[string]string{"main.tf": "resource \"aws_ebs_volume\" \"v\" {\n  size = 1\n  encrypted = false\n}\n"},
			wantRules: []string{"AWS-EC2-004@aws_ebs_volume.v:main.tf:3"},
		},
		{
			name:   "unknown variable never produces a finding",
			files:  map[string]string{"main.tf": "variable \"enc\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.enc\n}\n"},
			noRule: "AWS-EC2-004",
		},
		{
			name:      "-var value is applied",
			files:     map[string]string{"main.tf": "variable \"enc\" {\n  type = bool\n}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.enc\n}\n"},
			vars:      map[string]string{"enc": "false"},
			wantRules: []string{"AWS-EC2-004@aws_ebs_volume.v:main.tf:5"},
		},
		{
			name:   "tfvars file is applied",
			files:  map[string]string{"main.tf": "variable \"enc\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.enc\n}\n", "terraform.tfvars": "enc = true\n"},
			noRule: "AWS-EC2-004",
		},
		{
			name:   "palisade:ignore comment suppresses one rule",
			files:  map[string]string{"main.tf": "# palisade:ignore AWS-EC2-004 scratch volume, no data\nresource \"aws_ebs_volume\" \"v\" {\n  size = 1\n}\n"},
			noRule: "AWS-EC2-004",
		},
		{
			name:      "local module resources are scanned with inputs",
			files:     map[string]string{"main.tf": "module \"disk\" {\n  source = \"./modules/disk\"\n  enc    = false\n}\n", "modules/disk/main.tf": "variable \"enc\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.enc\n}\n"},
			wantRules: []string{"AWS-EC2-004@module.disk.aws_ebs_volume.v:modules/disk/main.tf:3"},
		},
		{
			name:        "missing remote module is a problem, the rest is scanned",
			files:       map[string]string{"main.tf": "module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\nresource \"aws_ebs_volume\" \"v\" {\n  size = 1\n}\n"},
			wantRules:   []string{"AWS-EC2-004@aws_ebs_volume.v:main.tf:4"},
			wantProblem: "main.tf:1: module \"vpc\"",
		},
		{
			name:        "invalid HCL is a problem naming file and line, other files still scanned",
			files:       map[string]string{"bad.tf": "resource \"aws_s3_bucket\" {\n  = oops\n", "good.tf": "resource \"aws_ebs_volume\" \"v\" {\n  size = 1\n}\n"},
			wantRules:   []string{"AWS-EC2-004@aws_ebs_volume.v:good.tf:1"},
			wantProblem: "bad.tf:",
		},
		{
			name:        "reference cycle between locals is reported with file and line",
			files:       map[string]string{"main.tf": "locals {\n  a = local.b\n  b = local.a\n}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = local.a\n}\n"},
			noRule:      "AWS-EC2-004",
			wantProblem: "reference cycle",
		},
		{
			name:        "invalid YAML template is a problem with its line",
			files:       map[string]string{"t.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [\n"},
			wantProblem: "t.yaml",
		},
		{
			name:      "CloudFormation JSON is read",
			files:     map[string]string{"t.json": "{\"Resources\": {\"V\": {\"Type\": \"AWS::EC2::Volume\",\n \"Properties\": {\"Encrypted\": false}}}}\n"},
			wantRules: []string{"AWS-EC2-004@V:t.json:2"},
		},
		{
			name:      "Terraform plan JSON is read",
			files:     map[string]string{"plan.json": "{\"format_version\": \"1.2\",\n \"planned_values\": {\"root_module\": {\"resources\": [\n {\"address\": \"aws_ebs_volume.v\", \"mode\": \"managed\", \"type\": \"aws_ebs_volume\", \"values\": {\"encrypted\": false}}]}}}\n"},
			wantRules: []string{"AWS-EC2-004@aws_ebs_volume.v:plan.json:3"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, c.files)
			got := map[string]bool{}
			var problems []string
			_, err := Scan(context.Background(), dir, Options{Vars: c.vars}, func(f finding.Finding) {
				got[f.RuleID+"@"+f.Resource+":"+f.Location.Path+":"+strconv.Itoa(f.Location.StartLine)] = true
				got[f.RuleID] = true
			}, func(p string, err error) { problems = append(problems, err.Error()) })
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.wantRules {
				if !got[w] {
					t.Errorf("missing %s; got %v", w, got)
				}
			}
			if c.noRule != "" && got[c.noRule] {
				t.Errorf("%s fired: %v", c.noRule, got)
			}
			if c.wantProblem != "" && !strings.Contains(strings.Join(problems, "\n"), c.wantProblem) {
				t.Errorf("problems %q do not mention %q", problems, c.wantProblem)
			}
			if c.wantProblem == "" && len(problems) > 0 {
				t.Errorf("unexpected problems: %v", problems)
			}
		})
	}
}

func FuzzCloudFormation(f *testing.F) {
	f.Add([]byte("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub '${AWS::Region}-x'\n"))
	f.Add([]byte("{\"Resources\": {\"V\": {\"Type\": \"AWS::EC2::Volume\"}}}"))
	f.Add([]byte("Conditions:\n  A: !Condition A\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Condition: A\n"))
	f.Add([]byte("Globals:\n  Function:\n    Tracing: Active\n    Environment:\n      Variables: {A: b}\n    Layers: [x]\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Layers: [y]\n      Tags: {owner: t}\n      FunctionUrlConfig: {AuthType: NONE}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := cloudformation.Parse("fuzz.yaml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if tmpl != nil {
			cloudformation.State(tmpl)
		}
	})
}

func FuzzTerraform(f *testing.F) {
	f.Add([]byte("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n"))
	f.Add([]byte("locals {\n  a = local.b\n  b = local.a\n}\n"))
	f.Add([]byte("resource \"aws_security_group\" \"g\" {\n  dynamic \"ingress\" {\n    for_each = [1]\n    content { from_port = ingress.value }\n  }\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		rs := terraform.LoadDirs([]string{dir}, terraform.Options{}, func(p string, err error) {
			if err == nil || errors.Is(err, nil) {
				t.Fatal("nil problem")
			}
		})
		terraform.State(rs)
	})
}

func TestScanRunsCustomRulesFromRulesDir(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"main.tf":        "resource \"aws_ebs_volume\" \"v\" {\n  encrypted = true\n  size      = 2000\n}\n",
		"stack.yaml":     "Resources:\n  V:\n    Type: AWS::EC2::Volume\n    Properties:\n      Encrypted: true\n      Size: 10\n",
		"rules/big.yaml": "# Looks like a template to a quick check: Resources, AWS::EC2::Volume\nid: ACME-EBS-001\ntitle: Volume is not encrypted\nseverity: medium\nresource_types: [ebs_volume]\nexpression: resource.encrypted == true && resource.address.startsWith('aws_')\nmessage: \"'custom rule on ' + resource.address\"\n",
		"rules/bad.yaml": "id: ACME-BAD-001\ntitle: t\nseverity: low\nresource_types: [ebs_volume]\nexpression: resource.nope\n",
	})
	var got []string
	var problems []string
	st, err := Scan(context.Background(), root, Options{RulesDir: filepath.Join(root, "rules")}, func(f finding.Finding) {
		if strings.HasPrefix(f.RuleID, "ACME") {
			got = append(got, f.RuleID+"@"+f.Location.Path+":"+strconv.Itoa(f.Location.StartLine)+" "+f.Message)
		}
	}, func(p string, err error) { problems = append(problems, err.Error()) })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "ACME-EBS-001@main.tf:2 custom rule on aws_ebs_volume.v" {
		t.Errorf("custom findings %q", got)
	}
	if st.CustomRules != 1 || len(problems) != 1 || !strings.Contains(problems[0], filepath.Join(root, "rules", "bad.yaml")+":5: invalid rule file") {
		t.Errorf("custom rules %d, problems %q", st.CustomRules, problems)
	}
	if _, err := Scan(context.Background(), root, Options{RulesDir: filepath.Join(root, "missing")}, func(finding.Finding) {}, func(string, error) {}); err == nil {
		t.Error("a missing rules folder did not stop the scan")
	}
}
