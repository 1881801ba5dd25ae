package posture

import (
	"fmt"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

// policyOwner is a principal with policies.
type policyOwner struct {
	res  cloud.Resource
	docs []cloud.PolicyDocument
	arns []string
}

func owners(s *cloud.State) []policyOwner {
	var out []policyOwner
	for _, p := range s.IAMPolicies {
		out = append(out, policyOwner{res: p, docs: []cloud.PolicyDocument{p.Document}})
	}
	for _, u := range s.IAMUsers {
		out = append(out, policyOwner{res: u, docs: u.InlinePolicies, arns: u.AttachedPolicies})
	}
	for _, g := range s.IAMGroups {
		out = append(out, policyOwner{res: g, docs: g.InlinePolicies, arns: g.AttachedPolicies})
	}
	for _, r := range s.IAMRoles {
		out = append(out, policyOwner{res: r, docs: r.InlinePolicies, arns: r.AttachedPolicies})
	}
	return out
}

func iamRules() []Rule {
	return []Rule{
		{
			ID: "AWS-IAM-001", Title: "IAM policy grants full administrative privileges (*:*)", Severity: finding.High,
			Rationale:   "A policy allowing every action on every resource gives its holder the whole account; compromise of that identity is compromise of everything.",
			Remediation: Remediation{Text: "Grant only the actions and resources the identity needs.", Terraform: "statement {\n  actions   = [\"s3:GetObject\"]\n  resources = [\"${aws_s3_bucket.data.arn}/*\"]\n}", CloudFormation: "- Effect: Allow\n  Action: s3:GetObject\n  Resource: !Sub \"${Data.Arn}/*\""},
			Refs:        Refs{CIS: []string{"2.14"}, Checklist: stepRefine, CWE: []string{"CWE-269"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, o := range owners(s) {
					for _, d := range o.docs {
						for _, st := range d.AllowStatements() {
							if st.AnyAction() && st.AnyResource() {
								report(o.res, d.Src, "policy allows \"*\" actions on \"*\" resources")
							}
						}
					}
				}
			},
		},
		{
			ID: "AWS-IAM-002", Title: "IAM user has policies attached directly", Severity: finding.Low,
			Rationale:   "Permissions given to users one by one drift and are hard to review; grant them through groups or, better, roles.",
			Remediation: Remediation{Text: "Attach policies to a group and add the user to it (or replace the user with SSO and roles).", Terraform: "resource \"aws_iam_group_policy_attachment\" \"dev\" {\n  group      = aws_iam_group.dev.name\n  policy_arn = aws_iam_policy.dev.arn\n}", CloudFormation: "Type: AWS::IAM::Group\nProperties:\n  ManagedPolicyArns: [!Ref DevPolicy]"},
			Refs:        Refs{CIS: []string{"2.13"}, Checklist: stepIAM},
			Check: each(func(s *cloud.State) []*cloud.IAMUser { return s.IAMUsers }, func(u *cloud.IAMUser) (cloud.Source, string, bool) {
				n := len(u.InlinePolicies) + len(u.AttachedPolicies)
				return u.Src, fmt.Sprintf("user has %d policies attached directly", n), n > 0
			}),
		},
		{
			ID: "AWS-IAM-003", Title: "IAM user defined (use SSO and roles instead)", Severity: finding.Medium,
			Rationale:   "IAM users carry long-lived credentials that end up in code and chat; the checklist asks to remove all IAM users in favour of SSO and roles.",
			Remediation: Remediation{Text: "Replace the user with an SSO permission set or a role assumed by the workload.", Terraform: "resource \"aws_iam_role\" \"app\" {\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}", CloudFormation: "Type: AWS::IAM::Role"},
			Refs:        Refs{CIS: []string{"2.19"}, Checklist: stepIAM},
			Check: each(func(s *cloud.State) []*cloud.IAMUser { return s.IAMUsers }, func(u *cloud.IAMUser) (cloud.Source, string, bool) {
				return u.Src, "IAM user is defined", true
			}),
		},
		{
			ID: "AWS-IAM-004", Title: "IAM access key created for a user", Severity: finding.Medium,
			Rationale:   "Access keys never expire by themselves and are the credential most often leaked; workloads should use roles.",
			Remediation: Remediation{Text: "Remove the access key and give the workload a role.", Terraform: "# remove aws_iam_access_key; use aws_iam_role with an instance profile or IRSA", CloudFormation: "# remove AWS::IAM::AccessKey; use AWS::IAM::Role"},
			Refs:        Refs{CIS: []string{"2.11", "2.12"}, Checklist: stepIAM, CWE: []string{"CWE-798"}},
			Check: each(func(s *cloud.State) []*cloud.IAMUser { return s.IAMUsers }, func(u *cloud.IAMUser) (cloud.Source, string, bool) {
				return isTrue(u, u.HasAccessKey, "user has a long-lived access key")
			}),
		},
		{
			ID: "AWS-IAM-005", Title: "IAM policy allows every action of a service on all resources", Severity: finding.High,
			Rationale:   "\"service:*\" on \"*\" (for example s3:* on every bucket) grants far more than any workload needs, including deletes and policy changes.",
			Remediation: Remediation{Text: "List the actions needed and scope resources to specific ARNs.", Terraform: "actions   = [\"s3:GetObject\", \"s3:PutObject\"]\nresources = [\"${aws_s3_bucket.data.arn}/*\"]", CloudFormation: "Action: [s3:GetObject, s3:PutObject]\nResource: !Sub \"${Data.Arn}/*\""},
			Refs:        Refs{Checklist: stepRefine, CWE: []string{"CWE-269"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, o := range owners(s) {
					for _, d := range o.docs {
						for _, st := range d.AllowStatements() {
							if a := st.ServiceWildcard(); a != "" && st.AnyResource() && !st.AnyAction() {
								report(o.res, d.Src, "policy allows "+a+" on \"*\"")
							}
						}
					}
				}
			},
		},
		{
			ID: "AWS-IAM-006", Title: "IAM role trust policy lets any principal assume the role", Severity: finding.Critical,
			Rationale:   "A trust policy with Principal \"*\" and no condition lets any AWS account assume the role.",
			Remediation: Remediation{Text: "Trust specific accounts, roles or services, and add sts:ExternalId or aws:PrincipalOrgID conditions for third parties.", Terraform: "principals {\n  type        = \"Service\"\n  identifiers = [\"ec2.amazonaws.com\"]\n}", CloudFormation: "Principal:\n  Service: ec2.amazonaws.com"},
			Refs:        Refs{CIS: []string{"2.21"}, Checklist: stepIAM, CWE: []string{"CWE-284"}},
			Check: each(func(s *cloud.State) []*cloud.IAMRole { return s.IAMRoles }, func(r *cloud.IAMRole) (cloud.Source, string, bool) {
				st, ok := publicAllow(r.TrustPolicy)
				return r.TrustPolicy.Src, "trust policy statement " + sidOr(st) + " allows any principal", ok
			}),
		},
		{
			ID: "AWS-IAM-007", NoCloudFormation: "CloudFormation has no resource for the account password policy.", Title: "IAM password policy allows passwords shorter than 14 characters", Severity: finding.Medium,
			Rationale:   "Short passwords are guessed and cracked quickly.",
			Remediation: Remediation{Text: "Set the minimum length to 14 or more.", Terraform: "minimum_password_length = 14", CloudFormation: "# No CloudFormation resource for the account password policy."},
			Refs:        Refs{CIS: []string{"2.8"}, Checklist: stepIAM, CWE: []string{"CWE-521"}},
			Check: each(func(s *cloud.State) []*cloud.PasswordPolicy { return s.PasswordPolicies }, func(p *cloud.PasswordPolicy) (cloud.Source, string, bool) {
				return cloud.At(&p.Meta, p.MinimumLength), fmt.Sprintf("minimum password length is %d", p.MinimumLength.Val), p.MinimumLength.Known && p.MinimumLength.Val < 14
			}),
		},
		{
			ID: "AWS-IAM-008", NoCloudFormation: "CloudFormation has no resource for the account password policy.", Title: "IAM password policy does not prevent password reuse", Severity: finding.Medium,
			Rationale:   "Reusing old passwords brings back credentials that may already be leaked.",
			Remediation: Remediation{Text: "Remember the last 24 passwords.", Terraform: "password_reuse_prevention = 24", CloudFormation: "# No CloudFormation resource for the account password policy."},
			Refs:        Refs{CIS: []string{"2.9"}, Checklist: stepIAM, CWE: []string{"CWE-521"}},
			Check: each(func(s *cloud.State) []*cloud.PasswordPolicy { return s.PasswordPolicies }, func(p *cloud.PasswordPolicy) (cloud.Source, string, bool) {
				return cloud.At(&p.Meta, p.ReusePrevention), fmt.Sprintf("password reuse prevention is %d", p.ReusePrevention.Val), p.ReusePrevention.Known && p.ReusePrevention.Val < 24
			}),
		},
		{
			ID: "AWS-IAM-009", Title: "AdministratorAccess or AWSCloudShellFullAccess attached", Severity: finding.High,
			Rationale:   "AWS managed full-access policies give unbounded rights; CloudShell full access allows file transfer out of the account.",
			Remediation: Remediation{Text: "Attach a least-privilege policy instead.", Terraform: "policy_arn = aws_iam_policy.least_privilege.arn", CloudFormation: "ManagedPolicyArns: [!Ref LeastPrivilegePolicy]"},
			Refs:        Refs{CIS: []string{"2.14", "2.20"}, Checklist: stepRefine, CWE: []string{"CWE-269"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, o := range owners(s) {
					for _, a := range o.arns {
						if strings.HasSuffix(a, ":policy/AdministratorAccess") || strings.HasSuffix(a, ":policy/AWSCloudShellFullAccess") {
							report(o.res, o.res.Base().Src, "attached "+a[strings.LastIndex(a, "/")+1:])
						}
					}
				}
			},
		},
	}
}
