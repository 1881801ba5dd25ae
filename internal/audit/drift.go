package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/aws"
	"github.com/palisade-sec/palisade/internal/finding"
)

const stepOwnership = "AWS 7: Reproducibility and ownership"

// Drift rules.
var (
	driftUnmanaged = Rule{
		ID: "AWS-DRIFT-001", Title: "Live resource is not managed by infrastructure as code", Severity: finding.Low,
		Remediation: "Import the resource into Terraform or CloudFormation (or delete it if nobody owns it), so changes go through code review.",
		Checklist:   stepOwnership,
	}
	driftChanged = Rule{
		ID: "AWS-DRIFT-002", Title: "Live resource differs from its infrastructure as code", Severity: finding.Medium,
		Remediation: "Apply the code again, or change the code to match and review it; forbid console changes with an SCP or permission boundary.",
		Checklist:   stepOwnership,
	}
)

// named is a resource with a name, as drift matches them.
type named struct {
	res  cloud.Resource
	name cloud.String
}

// kinds lists the resource kinds drift compares, with how to name them.
var driftKinds = []struct {
	kind string
	list func(*cloud.State) []named
}{
	{"S3 bucket", func(s *cloud.State) []named {
		var out []named
		for _, b := range s.S3Buckets {
			out = append(out, named{b, b.Name})
		}
		return out
	}},
	{"IAM user", func(s *cloud.State) []named {
		var out []named
		for _, u := range s.IAMUsers {
			out = append(out, named{u, u.Name})
		}
		return out
	}},
	{"IAM role", func(s *cloud.State) []named {
		var out []named
		for _, r := range s.IAMRoles {
			if strings.Contains(r.Address, ":role/aws-service-role/") || strings.Contains(r.Address, ":role/aws-reserved/") {
				continue // AWS creates these
			}
			out = append(out, named{r, r.Name})
		}
		return out
	}},
	{"security group", func(s *cloud.State) []named {
		var out []named
		for _, g := range s.SecurityGroups {
			if g.IsDefault {
				continue // every VPC has one
			}
			out = append(out, named{g, g.Name})
		}
		return out
	}},
}

// Drift compares every live account with the IaC state want: live
// resources with no IaC resource of the same kind and name, and known IaC
// attributes that the live resource no longer has. A kind whose IaC names
// are not all known is not checked for unmanaged resources (any of them
// could be the one).
func Drift(res *aws.Result, want *cloud.State) []finding.Finding {
	var out []finding.Finding
	for _, k := range driftKinds {
		code := map[string]cloud.Resource{}
		unknownNames := false
		for _, n := range k.list(want) {
			if !n.name.Known {
				unknownNames = true
				continue
			}
			code[n.name.Val] = n.res
		}
		for _, acct := range res.Accounts {
			for _, n := range k.list(acct.State) {
				arn := n.res.Base().Address
				c, ok := code[n.name.Val]
				if !ok {
					if !unknownNames {
						out = append(out, driftUnmanaged.finding(arn, fmt.Sprintf("%s %s is not declared in the IaC", k.kind, n.name.Val)))
					}
					continue
				}
				for _, d := range differences(c, n.res) {
					f := driftChanged.finding(arn, fmt.Sprintf("%s %s: %s (declared at %s)", k.kind, n.name.Val, d, c.Base().Src))
					out = append(out, f)
				}
			}
		}
	}
	for i := range out {
		finding.SetFingerprint(&out[i])
	}
	return out
}

// differences lists the known, written IaC attributes the live resource
// does not match.
func differences(code, live cloud.Resource) []string {
	var out []string
	cmpBool := func(what string, c, l cloud.Bool) {
		if c.Known && c.Set && l.Known && c.Val != l.Val {
			out = append(out, fmt.Sprintf("%s is %t live, %t in code", what, l.Val, c.Val))
		}
	}
	switch c := code.(type) {
	case *cloud.S3Bucket:
		l := live.(*cloud.S3Bucket)
		cmpBool("versioning", c.Versioning, l.Versioning)
		cmpBool("default encryption", c.Encryption, l.Encryption)
		cmpBool("logging", c.Logging, l.Logging)
		if c.PublicAccessBlock != nil && l.PublicAccessBlock == nil {
			out = append(out, "public access block is declared but missing live")
		}
		if c.PublicAccessBlock != nil && l.PublicAccessBlock != nil {
			cmpBool("block_public_acls", c.PublicAccessBlock.BlockPublicAcls, l.PublicAccessBlock.BlockPublicAcls)
			cmpBool("block_public_policy", c.PublicAccessBlock.BlockPublicPolicy, l.PublicAccessBlock.BlockPublicPolicy)
			cmpBool("ignore_public_acls", c.PublicAccessBlock.IgnorePublicAcls, l.PublicAccessBlock.IgnorePublicAcls)
			cmpBool("restrict_public_buckets", c.PublicAccessBlock.RestrictPublicBuckets, l.PublicAccessBlock.RestrictPublicBuckets)
		}
	case *cloud.SecurityGroup:
		l := live.(*cloud.SecurityGroup)
		want, wantOK := ruleSet(c.Rules)
		got, _ := ruleSet(l.Rules)
		if wantOK {
			for _, r := range sortedKeys(got) {
				if !want[r] {
					out = append(out, "rule "+r+" exists live only")
				}
			}
			for _, r := range sortedKeys(want) {
				if !got[r] {
					out = append(out, "rule "+r+" is declared but missing live")
				}
			}
		}
	case *cloud.IAMRole:
		l := live.(*cloud.IAMRole)
		for _, p := range l.AttachedPolicies {
			if len(c.AttachedPolicies) > 0 && !contains(c.AttachedPolicies, p) {
				out = append(out, "policy "+p+" is attached live only")
			}
		}
	}
	return out
}

// ruleSet renders security group rules with known values as strings; ok is
// false when some rule has an unknown part (the set cannot be compared).
func ruleSet(rules []cloud.SGRule) (map[string]bool, bool) {
	set := map[string]bool{}
	for _, r := range rules {
		if !r.Protocol.Known || r.CIDRs.Unknown || r.IPv6CIDRs.Unknown {
			return set, false
		}
		if len(r.CIDRs.Vals)+len(r.IPv6CIDRs.Vals) == 0 {
			continue // group references are not compared
		}
		dir := "ingress"
		if r.Egress {
			dir = "egress"
		}
		proto := r.Protocol.Val
		switch proto {
		case "6":
			proto = "tcp"
		case "17":
			proto = "udp"
		case "all":
			proto = "-1"
		}
		ports := ""
		if proto != "-1" {
			ports = fmt.Sprintf(" %d-%d", r.FromPort.Val, r.ToPort.Val)
		}
		for _, c := range append(append([]string{}, r.CIDRs.Vals...), r.IPv6CIDRs.Vals...) {
			set[fmt.Sprintf("%s %s%s %s", dir, proto, ports, c)] = true
		}
	}
	return set, true
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
