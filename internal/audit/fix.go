package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Remediation kinds.
const (
	FixRevokeIngress = "revoke-open-ingress"
	FixAccountBPA    = "account-block-public-access"
	FixBucketBPA     = "bucket-block-public-access"
	FixDeleteRole    = "delete-unused-role"
	FixStopInstance  = "stop-instance"
)

// ErrNoFix is returned for a finding palisade has no automatic fix for.
var ErrNoFix = errors.New("no automatic fix for this rule")

// Action is one planned change to an AWS account.
type Action struct {
	Kind        string `json:"kind"`
	Account     string `json:"account"`
	Region      string `json:"region,omitempty"`
	Resource    string `json:"resource"`
	Description string `json:"description"`
	// RuleID is the finding the action fixes, when it came from one.
	RuleID string `json:"rule_id,omitempty"`

	sgID       string
	perms      []ec2types.IpPermission
	bucket     string
	roleName   string
	instanceID string
}

// Fixer plans and applies remediations in one account with cfg's credentials.
type Fixer struct {
	// Cfg is the SDK configuration (credentials of the account to change).
	Cfg sdk.Config
	// Account is the account Cfg acts in; actions for other accounts are refused.
	Account string
	// S3Control, when set, is the S3 Control endpoint (an emulator).
	S3Control func(*s3control.Options)
}

// Plan returns the actions that fix f, reading the current state so a plan
// shows exactly what will change.
func (x *Fixer) Plan(ctx context.Context, f finding.Finding) ([]Action, error) {
	arn := splitResource(f.Resource)
	if arn.account != "" && arn.account != x.Account {
		return nil, fmt.Errorf("%s is in account %s; run fix with credentials for that account", f.Resource, arn.account)
	}
	switch f.RuleID {
	case "AWS-VPC-001", "AWS-VPC-002", "AWS-VPC-003":
		return x.planRevoke(ctx, f, arn)
	case "AWS-S3-013":
		return []Action{{Kind: FixAccountBPA, Account: x.Account, Resource: f.Resource, RuleID: f.RuleID,
			Description: "turn on all four account-level S3 Block Public Access settings in " + x.Account}}, nil
	case "AWS-S3-001", "AWS-S3-002", "AWS-S3-003", "AWS-S3-004", "AWS-S3-005":
		name := strings.TrimPrefix(f.Resource, "arn:aws:s3:::")
		return []Action{{Kind: FixBucketBPA, Account: x.Account, Resource: f.Resource, RuleID: f.RuleID, bucket: name,
			Description: "turn on all four S3 Block Public Access settings of bucket " + name}}, nil
	case "AWS-ACCT-009":
		return x.planDeleteRole(ctx, f, arn)
	}
	return nil, fmt.Errorf("%s: %w", f.RuleID, ErrNoFix)
}

// worldOpen reports whether an address range is the whole internet.
func worldOpen(cidr string) bool { return cidr == "0.0.0.0/0" || cidr == "::/0" }

func (x *Fixer) ec2(region string) *ec2.Client {
	return ec2.NewFromConfig(x.Cfg, func(o *ec2.Options) { o.Region = region })
}

func (x *Fixer) planRevoke(ctx context.Context, f finding.Finding, arn resourceARN) ([]Action, error) {
	id := strings.TrimPrefix(arn.resource, "security-group/")
	out, err := x.ec2(arn.region).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", id, err)
	}
	var perms []ec2types.IpPermission
	var what []string
	for _, g := range out.SecurityGroups {
		for _, p := range g.IpPermissions {
			open := ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
			for _, r := range p.IpRanges {
				if worldOpen(sdk.ToString(r.CidrIp)) {
					open.IpRanges = append(open.IpRanges, ec2types.IpRange{CidrIp: r.CidrIp})
				}
			}
			for _, r := range p.Ipv6Ranges {
				if worldOpen(sdk.ToString(r.CidrIpv6)) {
					open.Ipv6Ranges = append(open.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: r.CidrIpv6})
				}
			}
			if len(open.IpRanges)+len(open.Ipv6Ranges) == 0 {
				continue
			}
			perms = append(perms, open)
			what = append(what, fmt.Sprintf("%s %d-%d", sdk.ToString(p.IpProtocol), sdk.ToInt32(p.FromPort), sdk.ToInt32(p.ToPort)))
		}
	}
	if len(perms) == 0 {
		return nil, nil // already fixed
	}
	return []Action{{Kind: FixRevokeIngress, Account: x.Account, Region: arn.region, Resource: f.Resource, RuleID: f.RuleID, sgID: id, perms: perms,
		Description: fmt.Sprintf("revoke ingress from the internet on %s of %s", strings.Join(what, ", "), id)}}, nil
}

func (x *Fixer) planDeleteRole(ctx context.Context, f finding.Finding, arn resourceARN) ([]Action, error) {
	name := arn.resource[strings.LastIndex(arn.resource, "/")+1:]
	cl := iam.NewFromConfig(x.Cfg)
	att, err := cl.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(name)})
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	inl, err := cl.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: sdk.String(name)})
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	prof, err := cl.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: sdk.String(name)})
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	desc := fmt.Sprintf("delete role %s after detaching %d managed policies, deleting %d inline policies and leaving %d instance profiles",
		name, len(att.AttachedPolicies), len(inl.PolicyNames), len(prof.InstanceProfiles))
	return []Action{{Kind: FixDeleteRole, Account: x.Account, Resource: f.Resource, RuleID: f.RuleID, roleName: name, Description: desc}}, nil
}

// PlanStopTagged plans stopping the running instances of region whose tag
// key has value (for example env=test, stopped every evening).
func (x *Fixer) PlanStopTagged(ctx context.Context, region, key, value string) ([]Action, error) {
	out, err := x.ec2(region).DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: sdk.String("tag:" + key), Values: []string{value}},
		{Name: sdk.String("instance-state-name"), Values: []string{"running"}},
	}})
	if err != nil {
		return nil, fmt.Errorf("describe instances in %s: %w", region, err)
	}
	var acts []Action
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			id := sdk.ToString(i.InstanceId)
			acts = append(acts, Action{Kind: FixStopInstance, Account: x.Account, Region: region, instanceID: id,
				Resource:    fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", region, x.Account, id),
				Description: fmt.Sprintf("stop instance %s (tag %s=%s)", id, key, value)})
		}
	}
	return acts, nil
}

// Apply carries out one planned action.
func (x *Fixer) Apply(ctx context.Context, a Action) error {
	switch a.Kind {
	case FixRevokeIngress:
		_, err := x.ec2(a.Region).RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sdk.String(a.sgID), IpPermissions: a.perms})
		return err
	case FixAccountBPA:
		on := sdk.Bool(true)
		var opts []func(*s3control.Options)
		if x.S3Control != nil {
			opts = append(opts, x.S3Control)
		}
		_, err := s3control.NewFromConfig(x.Cfg, opts...).PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
			AccountId:                      sdk.String(x.Account),
			PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{BlockPublicAcls: on, BlockPublicPolicy: on, IgnorePublicAcls: on, RestrictPublicBuckets: on},
		})
		return err
	case FixBucketBPA:
		on := sdk.Bool(true)
		cl := s3.NewFromConfig(x.Cfg, func(o *s3.Options) { o.UsePathStyle = x.Cfg.BaseEndpoint != nil })
		_, err := cl.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: sdk.String(a.bucket),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: on, BlockPublicPolicy: on, IgnorePublicAcls: on, RestrictPublicBuckets: on}})
		return err
	case FixDeleteRole:
		return x.deleteRole(ctx, a.roleName)
	case FixStopInstance:
		_, err := x.ec2(a.Region).StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{a.instanceID}})
		return err
	}
	return fmt.Errorf("unknown action %q", a.Kind)
}

func (x *Fixer) deleteRole(ctx context.Context, name string) error {
	cl := iam.NewFromConfig(x.Cfg)
	role := sdk.String(name)
	att, err := cl.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: role})
	if err != nil {
		return err
	}
	for _, p := range att.AttachedPolicies {
		if _, err := cl.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: p.PolicyArn}); err != nil {
			return fmt.Errorf("detach %s: %w", sdk.ToString(p.PolicyArn), err)
		}
	}
	inl, err := cl.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: role})
	if err != nil {
		return err
	}
	for _, p := range inl.PolicyNames {
		if _, err := cl.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: sdk.String(p)}); err != nil {
			return fmt.Errorf("delete inline policy %s: %w", p, err)
		}
	}
	prof, err := cl.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: role})
	if err != nil {
		return err
	}
	for _, p := range prof.InstanceProfiles {
		if _, err := cl.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: role, InstanceProfileName: p.InstanceProfileName}); err != nil {
			return fmt.Errorf("leave instance profile %s: %w", sdk.ToString(p.InstanceProfileName), err)
		}
	}
	_, err = cl.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
	return err
}

// resourceARN is a finding's resource split into its ARN parts.
type resourceARN struct{ service, region, account, resource string }

func splitResource(arn string) resourceARN {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 || p[0] != "arn" {
		return resourceARN{}
	}
	return resourceARN{service: p[2], region: p[3], account: p[4], resource: p[5]}
}
