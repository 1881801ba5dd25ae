package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

func TestTerraformJSONSyntax(t *testing.T) {
	cases := []struct {
		name        string
		files       map[string]string
		check       func(t *testing.T, rs map[string]*Resource) // nil: no resource expected
		wantProblem string
	}{
		{
			name: "resource attributes keep their JSON line",
			files: map[string]string{"main.tf.json": `{
  "resource": {
    "aws_ebs_volume": {
      "v": {
        "size": 1,
        "encrypted": false
      }
    }
  }
}`},
			check: func(t *testing.T, rs map[string]*Resource) {
				r := rs["aws_ebs_volume.v"]
				if r == nil || r.Src.Line != 4 || r.Body.Get("encrypted").Line != 6 || r.Body.Get("encrypted").B {
					t.Errorf("resource %+v", r)
				}
			},
		},
		{
			name: "strings are templates, variable defaults are literals",
			files: map[string]string{"main.tf.json": `{
  "variable": {"env": {"default": "prod-${x}", "type": "string"}},
  "locals": {"name": "bucket-${var.env}"},
  "resource": {"aws_s3_bucket": {"b": {"bucket": "${local.name}", "tags": {"owner": "team-a"}}}}
}`},
			check: func(t *testing.T, rs map[string]*Resource) {
				r := rs["aws_s3_bucket.b"]
				if got, _ := r.Body.Get("bucket").Str(); got != "bucket-prod-${x}" {
					t.Errorf("bucket %q", got)
				}
				if got, _ := r.Body.Path("tags", "owner").Str(); got != "team-a" {
					t.Errorf("tags %q", got)
				}
			},
		},
		{
			name: "modules, count, provider default_tags and dynamic blocks",
			files: map[string]string{
				"main.tf.json": `{
  "provider": [{"aws": {"region": "eu-west-1", "default_tags": {"tags": {"owner": "platform"}}}}],
  "module": {"disk": {"source": "./disk", "enc": false}},
  "resource": {"aws_security_group": {"g": {
    "dynamic": {"ingress": {"for_each": "${[22, 443]}", "content": {"from_port": "${ingress.value}", "to_port": "${ingress.value}", "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}}}
  }}}
}`,
				"disk/main.tf.json": `{"variable": {"enc": {}}, "resource": {"aws_ebs_volume": {"v": {"count": 2, "encrypted": "${var.enc}"}}}}`,
			},
			check: func(t *testing.T, rs map[string]*Resource) {
				v := rs["module.disk.aws_ebs_volume.v[1]"]
				if v == nil || v.Body.Get("encrypted").Kind != tree.Bool || v.Body.Get("encrypted").B {
					t.Errorf("module resource %+v", v)
				}
				g := rs["aws_security_group.g"]
				if g == nil || len(g.Body.Get("ingress").Items()) != 2 {
					t.Fatalf("dynamic blocks not expanded: %+v", g)
				}
				if tags, _ := g.DefaultTags.Get("owner").Str(); tags != "platform" {
					t.Errorf("default tags %q", tags)
				}
			},
		},
		{
			name: "a // comment with palisade:ignore suppresses like a comment",
			files: map[string]string{"main.tf.json": `{
  "resource": {
    "aws_ebs_volume": {
      "v": {
        "//": "palisade:ignore AWS-EC2-004 scratch disk",
        "size": 1
      }
    }
  }
}`},
			check: func(t *testing.T, rs map[string]*Resource) {
				r := rs["aws_ebs_volume.v"]
				if r == nil || len(r.Ignores) != 1 || r.Ignores[0].RuleID != "AWS-EC2-004" || r.Ignores[0].Reason != "scratch disk" {
					t.Errorf("ignores %+v", r)
				}
			},
		},
		{
			name:        "invalid JSON is a problem with file and line",
			files:       map[string]string{"main.tf.json": "{\n  \"resource\": {\n    \"aws_s3_bucket\": [\n}\n"},
			wantProblem: "main.tf.json:4:",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			rs, problems := load(t, dir, Options{})
			msg := fmt.Sprint(problems)
			if c.wantProblem == "" && len(problems) > 0 || c.wantProblem != "" && !strings.Contains(msg, c.wantProblem) {
				t.Errorf("problems %s, want %q", msg, c.wantProblem)
			}
			if c.check != nil {
				c.check(t, rs)
			}
		})
	}
}

func TestDirsFindsJSONConfigurations(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a/main.tf.json": "{}", "b/x.json": "{}"})
	dirs, err := Dirs(dir, nil)
	if err != nil || len(dirs) != 1 || dirs[0] != filepath.Join(dir, "a") {
		t.Errorf("dirs %v, %v", dirs, err)
	}
}

func FuzzTerraformJSON(f *testing.F) {
	f.Add([]byte(`{"resource": {"aws_s3_bucket": {"b": {"bucket": "x", "tags": {"a": "${var.x}"}}}}}`))
	f.Add([]byte(`{"variable": {"v": {"default": {"a": ["%{if x}y%{endif}"]}}}, "module": {"m": {"source": "./m", "providers": {"aws": "aws.west"}}}}`))
	f.Add([]byte(`{"resource": [{"t": {"n": [{"dynamic": {"d": {"for_each": "${[1]}", "content": {}}}}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		native, err := nativeFromJSON("f.tf.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.tf.json") {
				t.Fatalf("error without file: %v", err)
			}
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		LoadDirs([]string{dir}, Options{}, func(string, error) {})
		_ = native
	})
}

// TestOpenTofuFiles: OpenTofu reads .tofu and .tofu.json files, and x.tofu
// replaces x.tf when both exist.
func TestOpenTofuFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.tf":     `resource "aws_s3_bucket" "old" { bucket = "from-tf" }`,
		"main.tofu":   `resource "aws_s3_bucket" "new" { bucket = "from-tofu" }`,
		"extra.tofu":  `resource "aws_sqs_queue" "q" { name = "q" }`,
		"other.tf":    `resource "aws_sns_topic" "t" { name = "t" }`,
		"j.tofu.json": `{"resource": {"aws_kms_key": {"k": {"enable_key_rotation": true}}}}`,
		"only/x.tofu": `resource "aws_s3_bucket" "b" { bucket = "b" }`,
	})
	rs, problems := load(t, dir, Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	for _, want := range []string{"aws_s3_bucket.new", "aws_sqs_queue.q", "aws_sns_topic.t", "aws_kms_key.k"} {
		if rs[want] == nil {
			t.Errorf("%s missing; got %d resources", want, len(rs))
		}
	}
	if rs["aws_s3_bucket.old"] != nil {
		t.Error("main.tf was read although main.tofu replaces it")
	}
	dirs, err := Dirs(dir, nil)
	if err != nil || len(dirs) != 2 {
		t.Errorf("Dirs found %v, %v; want the root and only/", dirs, err)
	}
}

// TestOverrideFiles: override.tf and *_override.tf are merged into the
// blocks of the other files (arguments replaced, nested blocks of a type
// replaced, lifecycle merged), their arguments keep their own file and
// line, and an override of nothing is reported.
func TestOverrideFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.tf": `variable "env" { default = "prod" }
resource "aws_s3_bucket" "b" {
  bucket = "data"
  acl    = "private"
  tags   = { owner = local.owner, env = var.env }
  logging {
    target_bucket = "old-logs"
  }
  lifecycle {
    prevent_destroy = true
  }
}
locals { owner = "team-a" }
`,
		"override.tf": `resource "aws_s3_bucket" "b" {
  acl = "public-read"
  logging {
    target_bucket = "new-logs"
  }
  lifecycle {
    ignore_changes = [tags]
  }
}
`,
		"z_override.tf": `locals { owner = "team-b" }
variable "env" { default = "dev" }
resource "aws_sqs_queue" "nothing" { name = "q" }
`,
	})
	rs, problems := load(t, dir, Options{})
	b := rs["aws_s3_bucket.b"]
	if b == nil || len(rs) != 1 {
		t.Fatalf("resources %v, problems %v", rs, problems)
	}
	acl := b.Body.Get("acl")
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"an overridden argument", acl.S, "public-read"},
		{"it is placed in the override file", filepath.Base(acl.File), "override.tf"},
		{"at its line there", acl.Line, 2},
		{"an argument not overridden stays", b.Body.Get("bucket").S, "data"},
		{"nested blocks of a type are replaced", b.Body.Path("logging").Items()[0].Get("target_bucket").S, "new-logs"},
		{"the resource stays in main.tf", filepath.Base(b.Src.File), "main.tf"},
		{"one problem: the override of nothing", len(problems), 1},
		{"a local value is replaced", b.Body.Path("tags", "owner").S, "team-b"},
		{"a variable's default is replaced", b.Body.Path("tags", "env").S, "dev"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if len(problems) == 1 && !strings.Contains(problems[0].Error(), "z_override.tf:3: override of resource aws_sqs_queue.nothing") {
		t.Errorf("problem %v", problems[0])
	}
}
