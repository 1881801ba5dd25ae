package custom_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/cloudformation"
	"github.com/palisade-sec/palisade/internal/cloud/iac/terraform"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
	"github.com/palisade-sec/palisade/internal/posture/custom"
)

func newEnv(t testing.TB) *custom.Env {
	t.Helper()
	env, err := custom.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func loadState(t *testing.T, name, src string) *cloud.State {
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

// run evaluates the testdata rules and returns "ID@line: message" per hit.
func run(t *testing.T, rules []posture.Rule, st *cloud.State) []string {
	t.Helper()
	var out []string
	posture.Evaluate(st, rules, func(r posture.Result) {
		out = append(out, r.Rule.ID+"@"+strconv.Itoa(r.At.Line)+": "+r.Message)
	})
	sort.Strings(out)
	return out
}

func loadTestRules(t *testing.T) []posture.Rule {
	t.Helper()
	rules, problems, err := newEnv(t).LoadDir(filepath.Join("testdata", "rules"), posture.Rules())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	return rules
}

func TestCustomRulesFireOnFailAndStayQuietOnPass(t *testing.T) {
	rules := loadTestRules(t)
	if len(rules) != 3 {
		t.Fatalf("loaded %d rules, want 3", len(rules))
	}
	cases := []struct {
		name, file, src string
		want            []string
	}{
		{
			name: "confidential bucket with AES256 fires at the encryption attribute in Terraform",
			file: "fail.tf",
			src: `resource "aws_s3_bucket" "b" {
  bucket = "x"
  tags = { "data-class" = "confidential", "cost-centre" = "42" }
}
resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}
`,
			want: []string{"ACME-S3-001@9: bucket aws_s3_bucket.b is confidential but encrypted with AES256"},
		},
		{
			name: "confidential bucket with KMS is quiet in Terraform",
			file: "pass.tf",
			src: `resource "aws_s3_bucket" "b" {
  bucket = "x"
  tags = { "data-class" = "confidential", "cost-centre" = "42" }
}
resource "aws_s3_bucket_server_side_encryption_configuration" "e" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
`,
		},
		{
			name: "confidential bucket with AES256 fires in CloudFormation",
			file: "fail.yaml",
			src: `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - {Key: data-class, Value: confidential}
        - {Key: cost-centre, Value: "42"}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: AES256
`,
			want: []string{"ACME-S3-001@12: bucket Bucket is confidential but encrypted with AES256"},
		},
		{
			name: "public bucket with KMS is quiet in CloudFormation",
			file: "pass.yaml",
			src: `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      Tags:
        - {Key: data-class, Value: confidential}
        - {Key: cost-centre, Value: "42"}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
`,
		},
		{
			name: "SSH from anywhere fires in Terraform; a rule naming two types runs on both",
			file: "fail.tf",
			src: `resource "aws_security_group" "sg" {
  ingress {
    from_port   = 0
    to_port     = 1024
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
  }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "eu-west-1a"
  encrypted         = true
}
`,
			want: []string{"ACME-SG-001@1: Security group allows SSH from anywhere", "ACME-TAG-001@9: no cost-centre tag on aws_ebs_volume.v"},
		},
		{
			name: "SSH from the VPC only is quiet in Terraform",
			file: "pass.tf",
			src: `resource "aws_security_group" "sg" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "eu-west-1a"
  encrypted         = true
  tags = { cost-centre = "42" }
}
`,
		},
		{
			name: "SSH from anywhere fires in CloudFormation",
			file: "fail.yaml",
			src: `Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  Volume:
    Type: AWS::EC2::Volume
    Properties:
      Encrypted: true
      Tags: [{Key: owner, Value: team-a}]
`,
			want: []string{"ACME-SG-001@2: Security group allows SSH from anywhere", "ACME-TAG-001@8: no cost-centre tag on Volume"},
		},
		{
			name: "SSH from a private range is quiet in CloudFormation",
			file: "pass.yaml",
			src: `Resources:
  SG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}
  Volume:
    Type: AWS::EC2::Volume
    Properties:
      Encrypted: true
      Tags: [{Key: cost-centre, Value: "42"}]
`,
		},
		{
			name: "unknown values never fire",
			file: "unknown.tf",
			src: `variable "tags" {}
variable "port" {}
resource "aws_security_group" "sg" {
  ingress {
    from_port   = var.port
    to_port     = var.port
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_ebs_volume" "v" {
  availability_zone = "eu-west-1a"
  tags              = var.tags
}
`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, rules, loadState(t, c.file, c.src))
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestCustomRuleMetadataReachesTheFinding(t *testing.T) {
	var rule posture.Rule
	for _, r := range loadTestRules(t) {
		if r.ID == "ACME-S3-001" {
			rule = r
		}
	}
	if rule.Severity != finding.High || !strings.HasPrefix(rule.Rationale, "Buckets tagged") || rule.Remediation.Text == "" {
		t.Fatalf("metadata not read: %+v", rule)
	}
	f := posture.Result{Rule: &rule, Resource: &cloud.Meta{Address: "b"}}.Finding("iac", finding.Misconfiguration)
	var refs []string
	for _, r := range f.References {
		refs = append(refs, r.Type+":"+r.ID)
	}
	want := "checklist:AWS 3: Visibility and Initial Remediation cwe:CWE-311 url:https://wiki.example.com/standards/s3"
	if strings.Join(refs, " ") != want {
		t.Errorf("references %q, want %q", strings.Join(refs, " "), want)
	}
}

func TestBrokenRulesAreReportedWithFileAndLine(t *testing.T) {
	good := "id: OK-001\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: resource.versioning == false\n"
	cases := []struct {
		name string
		body string
		want string // "line: substring"
	}{
		{"YAML syntax error", "id: X-1\ntitle: t\n  bad: indent\n", "3: invalid rule file: yaml: line 3: mapping values are not allowed"},
		{"unknown resource type", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_buckets]\nexpression: 'true'\n", `4: invalid rule file: unknown resource type "s3_buckets"`},
		{"CEL syntax error on the third line of a block", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: |\n  resource.versioning == false &&\n  resource.logging == false &&\n  resource.acl ==\n", "8: invalid rule file: expression (resource type s3_bucket, column"},
		{"unknown field is a type error", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: resource.versionning == false\n", "5: invalid rule file: expression (resource type s3_bucket, column 9): undefined field 'versionning'"},
		{"field missing from one of two types", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket, ebs_volume]\nexpression: resource.versioning == false\n", "undefined field 'versioning'"},
		{"non-bool expression", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: resource.acl\n", "5: invalid rule file: expression (resource type s3_bucket) is string?, want bool"},
		{"non-string message", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: 'true'\nmessage: resource.versioning\n", "6: invalid rule file: message (resource type s3_bucket) is bool?, want string"},
		{"unknown severity", "id: X-1\ntitle: t\nseverity: urgent\nresource_types: [s3_bucket]\nexpression: 'true'\n", `3: invalid rule file: unknown severity "urgent"`},
		{"unknown key", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpresion: 'true'\n", `5: invalid rule file: unknown key "expresion"`},
		{"missing expression", "id: X-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\n", "1: invalid rule file: rule has no expression"},
		{"bad id", "id: 'no spaces'\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: 'true'\n", `1: invalid rule file: id "no spaces"`},
		{"id of a built-in rule", "id: AWS-S3-001\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: 'true'\n", "1: invalid rule file: id AWS-S3-001 is already used by a built-in rule"},
		{"rule is not a mapping", "- id: X-1\n", "1: invalid rule file: a rule is a mapping"},
		{"second document broken, first loads", good + "---\nid: X-2\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: resource.nope\n", "11: invalid rule file: expression"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a-good.yaml"), []byte(strings.Replace(good, "OK-001", "OK-000", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(dir, "b-bad.yml")
			if err := os.WriteFile(bad, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			rules, problems, err := newEnv(t).LoadDir(dir, posture.Rules())
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 {
				t.Fatalf("want one problem, got %v", problems)
			}
			msg := problems[0].Error()
			if !strings.HasPrefix(msg, bad+":"+c.want) && !(strings.HasPrefix(msg, bad+":") && strings.Contains(msg, c.want)) {
				t.Errorf("problem %q, want prefix %q", msg, bad+":"+c.want)
			}
			if !errors.Is(problems[0], custom.ErrRuleFile) || custom.ErrorFile(problems[0]) != bad {
				t.Errorf("problem %v is not an ErrRuleFile about %s", problems[0], bad)
			}
			if len(rules) == 0 || rules[0].ID != "OK-000" {
				t.Errorf("the good rule did not load: %d rules", len(rules))
			}
		})
	}
}

func TestDuplicateCustomIDIsReportedAtTheSecondRule(t *testing.T) {
	dir := t.TempDir()
	rule := "id: DUP-1\ntitle: t\nseverity: low\nresource_types: [s3_bucket]\nexpression: 'true'\n"
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(rule+"---\n"+rule), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, problems, err := newEnv(t).LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || len(problems) != 1 || !strings.Contains(problems[0].Error(), "a.yaml:7: invalid rule file: id DUP-1 is already used by "+filepath.Join(dir, "a.yaml")+":1") {
		t.Errorf("rules %d, problems %v", len(rules), problems)
	}
}

func TestMissingRulesFolderIsAnError(t *testing.T) {
	if _, _, err := newEnv(t).LoadDir(filepath.Join(t.TempDir(), "nope"), nil); err == nil {
		t.Error("no error for a missing folder")
	}
}

func TestValueShowsUnknownAsNullAndKeepsKnownValues(t *testing.T) {
	b := &cloud.S3Bucket{
		Meta:       cloud.Meta{Type: "aws_s3_bucket", Address: "aws_s3_bucket.b", TagsKnown: false, Tags: cloud.Tags{"a": "b"}},
		Versioning: cloud.Known(true, cloud.Source{}),
		Logging:    cloud.Unknown[bool](cloud.Source{}),
		Policy:     cloud.PolicyDocument{Set: true},
	}
	v := custom.Value(b)
	if v["versioning"] != true || v["logging"] != nil || v["tags"] != nil || v["policy"] != nil || v["address"] != "aws_s3_bucket.b" {
		t.Errorf("value %v", v)
	}
	if _, ok := v["logging"]; !ok {
		t.Error("unknown field is missing instead of null")
	}
	b.Policy = cloud.PolicyDocument{}
	if p, ok := custom.Value(b)["policy"].(map[string]any); !ok || p["set"] != false {
		t.Errorf("absent policy %v, want {set: false, statements: []}", custom.Value(b)["policy"])
	}
}

func TestEveryStateFieldIsAKind(t *testing.T) {
	kinds := custom.Kinds()
	if len(kinds) < 40 {
		t.Fatalf("%d kinds", len(kinds))
	}
	seen := map[string]bool{}
	for _, k := range kinds {
		if seen[k.Name] || strings.HasSuffix(k.Name, "s") && k.Name != "elasticache" && k.Name != "access" {
			t.Errorf("kind %q is duplicated or still plural", k.Name)
		}
		seen[k.Name] = true
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "rules", "acme.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("id: X\n---\n- a\n---\n{"))
	f.Add([]byte("references: {cwe: [1, [2]]}\n"))
	env := newEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, errs := custom.Parse("f.yaml", data)
		for _, err := range errs {
			if !strings.HasPrefix(err.Error(), "f.yaml:") || !errors.Is(err, custom.ErrRuleFile) {
				t.Fatalf("error without file and line: %v", err)
			}
		}
		for _, s := range specs {
			if s.ID == "" || s.Expression == "" || len(s.ResourceTypes) == 0 {
				t.Fatalf("incomplete spec accepted: %+v", s)
			}
			if _, err := env.Compile(s); err != nil && !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Fatalf("compile error without file and line: %v", err)
			}
		}
	})
}

func TestModelExpressionsTypeCheckAndRun(t *testing.T) {
	env := newEnv(t)
	cases := []struct{ kind, expr string }{
		{"s3_bucket", "resource.versioning"},
		{"s3_bucket", "resource.public_access_block == null || resource.public_access_block.block_public_acls == false"},
		{"s3_bucket", "resource.policy != null && resource.policy.statements.exists(s, s.effect == 'Allow' && '*' in s.principals[?'AWS'].orValue([]))"},
		{"iam_role", "resource.trust_policy.statements.exists(s, s.actions.exists(a, a.startsWith('sts:')) && s.conditions.size() == 0)"},
		{"security_group", "resource.rules.exists(r, r.description == null || r.description == '')"},
		{"lambda_function", "resource.environment.exists(k, k.lowerAscii().contains('secret'))"},
		{"ec2_instance", "sets.intersects(resource.security_groups, ['sg-1']) || resource.block_devices.exists(d, d.encrypted == false)"},
		{"load_balancer", "resource.listeners.exists(l, l.protocol == 'HTTP' && l.redirects_to_https != true)"},
		{"account", "resource.password_policy != null && resource.password_policy.minimum_length < 14"},
	}
	st := loadState(t, "main.tf", `resource "aws_s3_bucket" "b" {}
resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({Statement = [{Effect = "Allow", Action = "sts:AssumeRole", Principal = {Service = "ec2.amazonaws.com"}}]})
}
resource "aws_security_group" "sg" {
  ingress {
    from_port = 22
    to_port   = 22
    protocol  = "tcp"
  }
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  environment {
    variables = { DB_SECRET = "x" }
  }
}
resource "aws_instance" "i" {
  ami = "ami-1"
  root_block_device {
    encrypted = false
  }
}
`)
	for _, c := range cases {
		t.Run(c.kind+": "+c.expr, func(t *testing.T) {
			spec := &custom.Spec{ID: "T-1", Title: "t", Severity: "low", ResourceTypes: []string{c.kind}, Expression: c.expr, File: "t.yaml"}
			rule, err := env.Compile(spec)
			if err != nil {
				t.Fatal(err)
			}
			posture.Evaluate(st, []posture.Rule{rule}, func(posture.Result) {})
		})
	}
}

// BenchmarkRuleOnBucket measures converting one bucket and evaluating one
// rule on it (go test ./internal/posture/custom -bench . -run '^$').
func BenchmarkRuleOnBucket(b *testing.B) {
	env := newEnv(b)
	rule, err := env.Compile(&custom.Spec{ID: "B-1", Title: "t", Severity: "low", ResourceTypes: []string{"s3_bucket"}, File: "b.yaml",
		Expression: "resource.tags_known && resource.tags[?'data-class'].orValue('') == 'confidential' && resource.encryption_algorithm != 'aws:kms'"})
	if err != nil {
		b.Fatal(err)
	}
	st := &cloud.State{S3Buckets: []*cloud.S3Bucket{{
		Meta:                cloud.Meta{Type: "aws_s3_bucket", Address: "aws_s3_bucket.b", TagsKnown: true, Tags: cloud.Tags{"data-class": "confidential", "owner": "x"}},
		EncryptionAlgorithm: cloud.Known("AES256", cloud.Source{}),
	}}}
	hits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rule.Check(st, func(cloud.Resource, cloud.Source, string) { hits++ })
	}
	if hits != b.N {
		b.Fatalf("%d hits in %d runs", hits, b.N)
	}
}

func TestValueHasExactlyTheDeclaredFields(t *testing.T) {
	declared := map[string][]string{}
	for _, o := range custom.Objects() {
		for _, f := range o.Fields {
			declared[o.Name] = append(declared[o.Name], f.Name)
		}
	}
	check := func(name string, v map[string]any) {
		var got []string
		for k := range v {
			got = append(got, k)
		}
		sort.Strings(got)
		want := append([]string(nil), declared[name]...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: value has %v, declared %v", name, got, want)
		}
	}
	for _, k := range custom.Kinds() {
		r := reflect.New(reflect.TypeOf(cloud.State{}).Field(fieldIndex(k.Field)).Type.Elem().Elem()).Interface().(cloud.Resource)
		check(k.TypeName, custom.Value(r))
	}
	sg := &cloud.SecurityGroup{Rules: []cloud.SGRule{{}}}
	check("palisade.SGRule", custom.Value(sg)["rules"].([]any)[0].(map[string]any))
	b := &cloud.S3Bucket{Policy: cloud.PolicyDocument{Known: true, Set: true, Statements: []cloud.Statement{{}}}, PublicAccessBlock: &cloud.PublicAccessBlock{}}
	check("palisade.PolicyDocument", custom.Value(b)["policy"].(map[string]any))
	check("palisade.Statement", custom.Value(b)["policy"].(map[string]any)["statements"].([]any)[0].(map[string]any))
	check("palisade.PublicAccessBlock", custom.Value(b)["public_access_block"].(map[string]any))
}

func fieldIndex(name string) int {
	f, _ := reflect.TypeOf(cloud.State{}).FieldByName(name)
	return f.Index[0]
}
