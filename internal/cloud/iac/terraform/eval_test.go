package terraform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// load evaluates dir as one root and returns resources by address and the problems.
func load(t *testing.T, dir string, opts Options) (map[string]*Resource, []error) {
	t.Helper()
	var problems []error
	rs := LoadDirs([]string{dir}, opts, func(_ string, err error) { problems = append(problems, err) })
	out := map[string]*Resource{}
	for _, r := range rs {
		out[r.Address] = r
	}
	return out, problems
}

const bucketModule = `
variable "name" {}
variable "policy" { default = "" }
resource "aws_s3_bucket" "this" {
  bucket = var.name
}
resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = var.policy
}
output "arn" { value = "arn:aws:s3:::${var.name}" }
output "policy_used" { value = var.policy }
`

func TestEvaluationBehaviour(t *testing.T) {
	cases := []struct {
		name        string
		files       map[string]string
		vars        map[string]string
		want        map[string]string // address -> attribute=value
		wantProblem string            // substring; "" means no problem at all
		problemLine string            // "file:line" the problem must name
	}{
		{
			name: "data source reading one module output while feeding another input is not a cycle",
			files: map[string]string{
				"mod/main.tf": bucketModule,
				"main.tf": `
module "b" {
  source = "./mod"
  name   = "logs"
  policy = data.aws_iam_policy_document.p.json
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [module.b.arn]
  }
}
`},
			want: map[string]string{"module.b.aws_s3_bucket.this": "bucket=logs"},
		},
		{
			name: "module output that really depends on its own input through a data source is a cycle with file and line",
			files: map[string]string{
				"mod/main.tf": bucketModule,
				"main.tf": `
module "b" {
  source = "./mod"
  name   = "x"
  policy = data.aws_iam_policy_document.p.json
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [module.b.policy_used]
  }
}
`},
			wantProblem: "reference cycle",
			problemLine: "main.tf:",
		},
		{
			name:        "locals referring to each other are a cycle",
			files:       map[string]string{"main.tf": "locals {\n  a = local.b\n  b = local.a\n}\n"},
			wantProblem: "reference cycle",
			problemLine: "main.tf:",
		},
		{
			name:  "count expands into indexed instances",
			files: map[string]string{"main.tf": "resource \"aws_sqs_queue\" \"q\" {\n  count = 2\n  name = \"q${count.index}\"\n}\n"},
			want:  map[string]string{"aws_sqs_queue.q[0]": "name=q0", "aws_sqs_queue.q[1]": "name=q1"},
		},
		{
			name:  "for_each over a map expands with each.key and each.value",
			files: map[string]string{"main.tf": "resource \"aws_sqs_queue\" \"q\" {\n  for_each = { a = \"one\" }\n  name = \"${each.key}-${each.value}\"\n}\n"},
			want:  map[string]string{`aws_sqs_queue.q["a"]`: "name=a-one"},
		},
		{
			name:  "dynamic block expands into nested blocks",
			files: map[string]string{"main.tf": "resource \"aws_security_group\" \"s\" {\n  dynamic \"ingress\" {\n    for_each = [22, 443]\n    content {\n      from_port = ingress.value\n    }\n  }\n}\n"},
			want:  map[string]string{"aws_security_group.s": "ingress.1.from_port=443"},
		},
		{
			name:  "tfvars and -var set root variables, -var last",
			files: map[string]string{"main.tf": "variable \"n\" {}\nvariable \"m\" {}\nresource \"aws_sqs_queue\" \"q\" {\n  name = \"${var.n}-${var.m}\"\n}\n", "terraform.tfvars": "n = \"file\"\nm = \"file\"\n"},
			vars:  map[string]string{"m": "flag"},
			want:  map[string]string{"aws_sqs_queue.q": "name=file-flag"},
		},
		{
			name:  "functions and locals resolve",
			files: map[string]string{"main.tf": "locals {\n  p = upper(\"ab\")\n}\nresource \"aws_sqs_queue\" \"q\" {\n  name = join(\"-\", [local.p, lower(\"CD\")])\n}\n"},
			want:  map[string]string{"aws_sqs_queue.q": "name=AB-cd"},
		},
		{
			name:        "missing downloaded module is reported with file and line, the rest still loads",
			files:       map[string]string{"main.tf": "module \"m\" {\n  source = \"terraform-aws-modules/x/aws\"\n}\nresource \"aws_sqs_queue\" \"q\" {\n  name = \"still\"\n}\n"},
			want:        map[string]string{"aws_sqs_queue.q": "name=still"},
			wantProblem: "module not found",
			problemLine: "main.tf:1",
		},
		{
			name:        "invalid HCL is reported with file and line",
			files:       map[string]string{"main.tf": "resource \"aws_sqs_queue\" \"q\" {\n  name = \n}\n", "ok.tf": "resource \"aws_sqs_queue\" \"r\" {}\n"},
			want:        map[string]string{"aws_sqs_queue.r": ""},
			wantProblem: "main.tf:",
			problemLine: "main.tf:",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			rs, problems := load(t, dir, Options{Vars: c.vars})
			for addr, kv := range c.want {
				r := rs[addr]
				if r == nil {
					t.Fatalf("no resource %s; have %v", addr, keys(rs))
				}
				if kv == "" {
					continue
				}
				k, v, _ := strings.Cut(kv, "=")
				node := r.Body
				for _, part := range strings.Split(k, ".") {
					if node != nil && len(node.L) > 0 {
						i := 0
						for j := range part {
							i = i*10 + int(part[j]-'0')
						}
						if i < len(node.L) {
							node = node.L[i]
							continue
						}
					}
					node = node.Get(part)
				}
				if got, _ := node.Str(); got != v && !(node != nil && node.N != 0 && formatNum(node.N) == v) {
					t.Errorf("%s %s = %q (%+v), want %q", addr, k, got, node, v)
				}
			}
			if c.wantProblem == "" && len(problems) > 0 {
				t.Errorf("unexpected problems: %v", problems)
			}
			if c.wantProblem != "" {
				found := false
				for _, p := range problems {
					if strings.Contains(p.Error(), c.wantProblem) && strings.Contains(p.Error(), c.problemLine) {
						found = true
					}
				}
				if !found {
					t.Errorf("want problem %q at %q, got %v", c.wantProblem, c.problemLine, problems)
				}
			}
		})
	}
}

func TestCycleErrorWrapsErrCycle(t *testing.T) {
	dir := writeFiles(t, map[string]string{"main.tf": "locals {\n  a = local.a\n}\n"})
	_, problems := load(t, dir, Options{})
	if len(problems) != 1 || !errors.Is(problems[0], ErrCycle) {
		t.Fatalf("want one ErrCycle, got %v", problems)
	}
}

func keys(m map[string]*Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func formatNum(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(strings.TrimRight(strconvF(f), "0"), "."), ".")
}

func strconvF(f float64) string { return fmt.Sprintf("%f", f) }

// TestRootsParsedAgainGiveTheSameResult: past a size budget LoadDirs keeps
// no syntax trees between its passes and parses roots (and the modules they
// call) again; the resources must be the same and each problem reported once.
func TestRootsParsedAgainGiveTheSameResult(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"modules/bucket/main.tf": bucketModule,
		"a/main.tf":              "module \"b\" {\n  source = \"../modules/bucket\"\n  name   = \"a-logs\"\n}\nresource \"aws_sqs_queue\" \"q\" { name = \"a\" }\n",
		"b/main.tf":              "module \"b\" {\n  source = \"../modules/bucket\"\n  name   = \"b-logs\"\n}\n",
		"c/main.tf":              "resource \"aws_sns_topic\" \"t\" {\n  name = \n}\n",
	})
	dirs, err := Dirs(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(opts Options) ([]string, []string) {
		var problems, got []string
		for _, r := range LoadDirs(dirs, opts, func(p string, err error) { problems = append(problems, err.Error()) }) {
			v, _ := r.Body.Get("bucket").Str()
			got = append(got, r.Src.File[len(dir):]+" "+r.Address+" "+v)
		}
		sort.Strings(got)
		return got, problems
	}
	want, wantProblems := run(Options{})
	got, gotProblems := run(Options{keptSource: 1})
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parsed again:\n%s\nkept:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(wantProblems) != 1 || len(gotProblems) != 1 {
		t.Errorf("problems kept %q, parsed again %q: want the broken file reported once each time", wantProblems, gotProblems)
	}
	if len(want) < 5 {
		t.Errorf("only %d resources: %q", len(want), want)
	}
}
