package terraform

import (
	"sort"
	"strings"
	"testing"
)

func TestProviderDefaultTags(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  map[string]string // address -> sorted k=v tags, or "unknown"
	}{
		{
			name: "default_tags apply to every resource and the resource's own tags win",
			files: map[string]string{"main.tf": `provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { owner = "team-a", env = "prod" }
  }
}
resource "aws_s3_bucket" "a" {}
resource "aws_s3_bucket" "b" {
  tags = { owner = "team-b" }
}`},
			want: map[string]string{"aws_s3_bucket.a": "env=prod owner=team-a", "aws_s3_bucket.b": "env=prod owner=team-b"},
		},
		{
			name: "a resource on an aliased provider takes that provider's tags",
			files: map[string]string{"main.tf": `provider "aws" {}
provider "aws" {
  alias = "west"
  default_tags {
    tags = { owner = "west-team" }
  }
}
resource "aws_s3_bucket" "a" {}
resource "aws_s3_bucket" "w" {
  provider = aws.west
}`},
			want: map[string]string{"aws_s3_bucket.a": "", "aws_s3_bucket.w": "owner=west-team"},
		},
		{
			name: "default_tags from a variable and a local are evaluated",
			files: map[string]string{"main.tf": `variable "team" { default = "payments" }
locals { common = { owner = var.team } }
provider "aws" {
  default_tags {
    tags = local.common
  }
}
resource "aws_sqs_queue" "q" {}`},
			want: map[string]string{"aws_sqs_queue.q": "owner=payments"},
		},
		{
			name: "unresolvable default_tags make the tags unknown",
			files: map[string]string{"main.tf": `variable "tags" {}
provider "aws" {
  default_tags {
    tags = var.tags
  }
}
resource "aws_sqs_queue" "q" {}`},
			want: map[string]string{"aws_sqs_queue.q": "unknown"},
		},
		{
			name: "a module inherits the default provider unless providers maps another",
			files: map[string]string{
				"main.tf": `provider "aws" {
  default_tags {
    tags = { owner = "root" }
  }
}
provider "aws" {
  alias = "other"
  default_tags {
    tags = { owner = "other" }
  }
}
module "inherit" {
  source = "./mod"
}
module "mapped" {
  source    = "./mod"
  providers = { aws = aws.other }
}`,
				"mod/main.tf": `resource "aws_sqs_queue" "q" {}`,
			},
			want: map[string]string{"module.inherit.aws_sqs_queue.q": "owner=root", "module.mapped.aws_sqs_queue.q": "owner=other"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, problems := load(t, writeFiles(t, c.files), Options{})
			for _, p := range problems {
				t.Errorf("problem: %v", p)
			}
			st := State(sortedResources(rs))
			got := map[string]string{}
			for _, r := range st.All() {
				m := r.Base()
				if !m.TagsKnown {
					got[m.Address] = "unknown"
					continue
				}
				var kv []string
				for k, v := range m.Tags {
					kv = append(kv, k+"="+v)
				}
				sort.Strings(kv)
				got[m.Address] = strings.Join(kv, " ")
			}
			for addr, want := range c.want {
				if got[addr] != want {
					t.Errorf("%s tags %q, want %q (all: %v)", addr, got[addr], want, got)
				}
			}
		})
	}
}

func sortedResources(m map[string]*Resource) []*Resource {
	var out []*Resource
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// A data source attribute only the provider knows must leave the rest of a
// module input known, through try() as well.
func TestProviderOnlyAttributesAreUnknownNotErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.tf": `data "aws_caller_identity" "current" {}
module "m" {
  source = "./mod"
  config = {
    account = data.aws_caller_identity.current.account_id
    rules   = [{ bucket = "arn:aws:s3:::replica", account = data.aws_caller_identity.current.account_id }]
  }
}`,
		"mod/main.tf": `variable "config" {}
resource "aws_s3_bucket_replication_configuration" "r" {
  bucket = "b"
  role   = "r"
  dynamic "rule" {
    for_each = try(var.config.rules, [])
    content {
      destination {
        bucket = rule.value.bucket
      }
    }
  }
}`,
	})
	rs, problems := load(t, dir, Options{})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	r := rs["module.m.aws_s3_bucket_replication_configuration.r"]
	if r == nil {
		t.Fatalf("resource missing: %v", rs)
	}
	if got, ok := r.Body.Get("rule").Path("destination", "bucket").Str(); !ok || got != "arn:aws:s3:::replica" {
		t.Errorf("destination %q (known %v): a data source's account_id made the whole input (or try()) unknown", got, ok)
	}
}
