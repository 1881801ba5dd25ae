package posture

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

// rule builds a Rule from its parts, to keep the tables below short.
func rule(id, title string, sev finding.Severity, why, fix, tf, cfn string, refs Refs, check func(*cloud.State, Reporter)) Rule {
	return Rule{ID: id, Title: title, Severity: sev, Rationale: why, Remediation: Remediation{Text: fix, Terraform: tf, CloudFormation: cfn}, Refs: refs, Check: check}
}

// noCFN marks a rule as having no CloudFormation equivalent.
func noCFN(r Rule, why string) Rule {
	r.NoCloudFormation = why
	r.Remediation.CloudFormation = ""
	return r
}

var secretEnvRE = regexp.MustCompile(`(?i)(password|passwd|secret|token|api_?key|private_?key|access_?key)`)

// strongTLSPolicies are load balancer security policies that allow only TLS 1.2 or newer.
func strongELBPolicy(p string) bool {
	return strings.Contains(p, "TLS13") || strings.Contains(p, "TLS-1-2") || strings.Contains(p, "FS-1-2")
}

// trustsOtherAccount reports an Allow statement of a trust policy whose AWS
// principal is an account-scoped ARN or id and that has no sts:ExternalId
// or organisation condition.
func trustsOtherAccount(d cloud.PolicyDocument) bool {
	if !d.Known {
		return false
	}
	for _, st := range d.AllowStatements() {
		if st.Unknown {
			continue
		}
		external := false
		for _, p := range st.Principals["AWS"] {
			if regexp.MustCompile(`^(arn:aws[a-z-]*:iam::)?\d{12}(:|$)`).MatchString(p) {
				external = true
			}
		}
		if !external {
			continue
		}
		guarded := false
		for k := range st.Conditions {
			lk := strings.ToLower(k)
			if strings.HasSuffix(lk, ":sts:externalid") || strings.HasSuffix(lk, ":aws:principalorgid") || strings.HasSuffix(lk, ":aws:principalorgpaths") {
				guarded = true
			}
		}
		if !guarded {
			return true
		}
	}
	return false
}

func moreRules(cfg Config) []Rule {
	kms := "arn:aws:kms:eu-west-1:111122223333:key/abc"
	_ = kms
	return []Rule{
		// S3
		rule("AWS-S3-014", "S3 bucket is not replicated to another region or account", finding.Low,
			"A bucket without replication has one copy in one region: a regional outage, a deleted bucket or a compromised account loses the data.",
			"Replicate important buckets to a bucket in another region or a backup account.",
			"resource \"aws_s3_bucket_replication_configuration\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n  role   = aws_iam_role.replication.arn\n  rule {\n    status = \"Enabled\"\n    destination { bucket = aws_s3_bucket.replica.arn }\n  }\n}",
			"ReplicationConfiguration:\n  Role: !GetAtt ReplicationRole.Arn\n  Rules:\n    - Status: Enabled\n      Destination:\n        Bucket: !GetAtt Replica.Arn",
			Refs{Checklist: stepBackups},
			func(s *cloud.State, report Reporter) {
				// A bucket that is itself a replication destination is the second copy.
				var targets []string
				for _, b := range s.S3Buckets {
					targets = append(targets, b.ReplicationTargets...)
				}
				for _, b := range s.S3Buckets {
					if b.Versioning.Is(true) && b.Replication.Is(false) && !isReplicaOf(b, targets) {
						report(b, b.Src, "bucket has no replication configuration")
					}
				}
			}),
		rule("AWS-S3-015", "S3 bucket ACLs are enabled (object ownership is not BucketOwnerEnforced)", finding.Medium,
			"With ACLs enabled, object writers can grant access outside the bucket policy; BucketOwnerEnforced disables ACLs and leaves access to policies alone.",
			"Set object ownership to BucketOwnerEnforced.",
			"resource \"aws_s3_bucket_ownership_controls\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n  rule { object_ownership = \"BucketOwnerEnforced\" }\n}",
			"OwnershipControls:\n  Rules:\n    - ObjectOwnership: BucketOwnerEnforced",
			Refs{Checklist: stepS3Block, CWE: []string{"CWE-732"}},
			each(func(s *cloud.State) []*cloud.S3Bucket { return s.S3Buckets }, func(b *cloud.S3Bucket) (cloud.Source, string, bool) {
				return cloud.At(&b.Meta, b.ObjectOwnership), "object ownership " + b.ObjectOwnership.Val + " keeps ACLs enabled", b.ObjectOwnership.Is("ObjectWriter") || b.ObjectOwnership.Is("BucketOwnerPreferred")
			})),
		rule("AWS-S3-016", "S3 bucket serves a static website", finding.Medium,
			"Website hosting serves objects over plain HTTP without authentication; put CloudFront with an origin access control in front of a private bucket instead.",
			"Remove the website configuration and serve the content through CloudFront with origin access control.",
			"# remove aws_s3_bucket_website_configuration; use aws_cloudfront_distribution with aws_cloudfront_origin_access_control",
			"# remove WebsiteConfiguration; use AWS::CloudFront::Distribution with an OriginAccessControl",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-319"}},
			each(func(s *cloud.State) []*cloud.S3Bucket { return s.S3Buckets }, func(b *cloud.S3Bucket) (cloud.Source, string, bool) {
				return cloud.At(&b.Meta, b.Website), "bucket has website hosting enabled", b.Website.Is(true)
			})),
		// IAM
		rule("AWS-IAM-010", "IAM role trusts another account without an ExternalId condition", finding.High,
			"A role that another account may assume without sts:ExternalId (or an organisation condition) is open to the confused-deputy problem: any customer of that third party can make it assume your role.",
			"Require sts:ExternalId (for vendors) or aws:PrincipalOrgID (for your own organisation) in the trust policy.",
			"assume_role_policy = jsonencode({\n  Statement = [{\n    Effect    = \"Allow\"\n    Action    = \"sts:AssumeRole\"\n    Principal = { AWS = \"arn:aws:iam::999988887777:root\" }\n    Condition = { StringEquals = { \"sts:ExternalId\" = var.external_id } }\n  }]\n})",
			"AssumeRolePolicyDocument:\n  Statement:\n    - Effect: Allow\n      Action: sts:AssumeRole\n      Principal:\n        AWS: arn:aws:iam::999988887777:root\n      Condition:\n        StringEquals:\n          sts:ExternalId: !Ref ExternalId",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-441"}},
			each(func(s *cloud.State) []*cloud.IAMRole { return s.IAMRoles }, func(r *cloud.IAMRole) (cloud.Source, string, bool) {
				return r.TrustPolicy.Src, "trust policy lets an account assume the role without sts:ExternalId", trustsOtherAccount(r.TrustPolicy)
			})),
		noCFN(rule("AWS-IAM-011", "IAM password policy does not require all character classes", finding.Low,
			"Without symbols, numbers, upper and lower case requirements, users pick guessable console passwords.",
			"Require symbols, numbers, uppercase and lowercase characters (better: no IAM users, SSO only).",
			"resource \"aws_iam_account_password_policy\" \"this\" {\n  minimum_password_length      = 14\n  require_symbols              = true\n  require_numbers              = true\n  require_uppercase_characters = true\n  require_lowercase_characters = true\n}", "",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-521"}},
			each(func(s *cloud.State) []*cloud.PasswordPolicy { return s.PasswordPolicies }, func(p *cloud.PasswordPolicy) (cloud.Source, string, bool) {
				for _, a := range []cloud.Bool{p.RequireSymbols, p.RequireNumbers, p.RequireUppercase, p.RequireLowercase} {
					if a.Is(false) {
						return cloud.At(&p.Meta, a), "password policy does not require every character class", true
					}
				}
				return p.Src, "", false
			})), "CloudFormation has no resource for the account password policy."),
		rule("AWS-IAM-012", "IAM policy allows iam:PassRole on every role", finding.High,
			"iam:PassRole on \"*\" lets the holder hand any role, including administrator roles, to a service it controls: a direct privilege escalation.",
			"Limit iam:PassRole to the roles the workload needs, and add an iam:PassedToService condition.",
			"statement {\n  actions   = [\"iam:PassRole\"]\n  resources = [aws_iam_role.worker.arn]\n}",
			"- Effect: Allow\n  Action: iam:PassRole\n  Resource: !GetAtt WorkerRole.Arn",
			Refs{Checklist: stepRefine, CWE: []string{"CWE-269"}},
			func(s *cloud.State, report Reporter) {
				for _, o := range owners(s) {
					for _, d := range o.docs {
						for _, st := range d.AllowStatements() {
							if st.AnyResource() && !st.AnyAction() && (slices.Contains(st.Actions, "iam:PassRole") || slices.Contains(st.Actions, "iam:*")) {
								report(o.res, d.Src, "policy allows iam:PassRole on \"*\"")
							}
						}
					}
				}
			}),
		rule("AWS-IAM-013", "GitHub Actions OIDC trust does not restrict the repository (sub claim)", finding.Critical,
			"A role trusting token.actions.githubusercontent.com without a condition on the sub claim can be assumed by a workflow in any GitHub repository.",
			"Add a StringLike condition on token.actions.githubusercontent.com:sub naming your organisation and repository (and branch or environment).",
			"Condition = {\n  StringEquals = { \"token.actions.githubusercontent.com:aud\" = \"sts.amazonaws.com\" }\n  StringLike   = { \"token.actions.githubusercontent.com:sub\" = \"repo:my-org/my-repo:ref:refs/heads/main\" }\n}",
			"Condition:\n  StringLike:\n    token.actions.githubusercontent.com:sub: repo:my-org/my-repo:ref:refs/heads/main",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-284"}},
			each(func(s *cloud.State) []*cloud.IAMRole { return s.IAMRoles }, func(r *cloud.IAMRole) (cloud.Source, string, bool) {
				if !r.TrustPolicy.Known {
					return r.Src, "", false
				}
				for _, st := range r.TrustPolicy.AllowStatements() {
					gh := false
					for _, f := range st.Principals["Federated"] {
						gh = gh || strings.Contains(f, "token.actions.githubusercontent.com")
					}
					if !gh || st.Unknown {
						continue
					}
					sub := false
					for k := range st.Conditions {
						sub = sub || strings.HasSuffix(k, "token.actions.githubusercontent.com:sub")
					}
					if !sub {
						return r.TrustPolicy.Src, "GitHub OIDC trust has no sub condition", true
					}
				}
				return r.Src, "", false
			})),
		rule("AWS-IAM-014", "IAM policy allows with NotAction", finding.Medium,
			"An Allow with NotAction grants every action except the few listed, including actions AWS adds later; it is almost always broader than meant.",
			"List the allowed actions explicitly instead of NotAction.",
			"statement {\n  actions   = [\"s3:GetObject\"]\n  resources = [\"arn:aws:s3:::data/*\"]\n}",
			"- Effect: Allow\n  Action: s3:GetObject\n  Resource: arn:aws:s3:::data/*",
			Refs{Checklist: stepRefine, CWE: []string{"CWE-269"}},
			func(s *cloud.State, report Reporter) {
				for _, o := range owners(s) {
					for _, d := range o.docs {
						for _, st := range d.AllowStatements() {
							if len(st.NotActions) > 0 {
								report(o.res, d.Src, "policy allows every action except "+strings.Join(st.NotActions, ", "))
							}
						}
					}
				}
			}),
		// VPC
		rule("AWS-VPC-011", "Network ACL allows all traffic from the internet", finding.Medium,
			"An ingress rule allowing every protocol from 0.0.0.0/0 or ::/0 makes the network ACL no control at all.",
			"Allow only the ports the subnet serves; deny the rest.",
			"ingress {\n  rule_no    = 100\n  action     = \"allow\"\n  protocol   = \"tcp\"\n  from_port  = 443\n  to_port    = 443\n  cidr_block = \"0.0.0.0/0\"\n}",
			"Protocol: 6\nRuleAction: allow\nPortRange: { From: 443, To: 443 }\nCidrBlock: 0.0.0.0/0",
			Refs{CIS: []string{"6.2"}, Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			func(s *cloud.State, report Reporter) {
				for _, a := range s.NetworkACLs {
					for _, r := range a.Rules {
						if !r.Egress && r.Action.Is("allow") && (r.CIDR.Is("0.0.0.0/0") || r.CIDR.Is("::/0")) && (r.Protocol.Is("-1") || r.Protocol.Is("all")) {
							report(a, r.Src, "network ACL allows all protocols from the internet")
						}
					}
				}
			}),
		rule("AWS-VPC-012", "VPC has no S3 gateway endpoint", finding.Low,
			"Without an S3 gateway endpoint, traffic to S3 leaves through NAT or the internet gateway, and bucket policies cannot pin access to the VPC (aws:SourceVpce).",
			"Add a gateway VPC endpoint for S3 (and DynamoDB) to every VPC's route tables.",
			"resource \"aws_vpc_endpoint\" \"s3\" {\n  vpc_id       = aws_vpc.this.id\n  service_name = \"com.amazonaws.eu-west-1.s3\"\n}",
			"S3Endpoint:\n  Type: AWS::EC2::VPCEndpoint\n  Properties:\n    VpcId: !Ref VPC\n    ServiceName: !Sub com.amazonaws.${AWS::Region}.s3",
			Refs{Checklist: stepNetwork},
			func(s *cloud.State, report Reporter) {
				for _, e := range s.VPCEndpoints {
					if !e.ServiceName.Known || strings.HasSuffix(e.ServiceName.Val, ".s3") || strings.Contains(e.ServiceName.Val, "palisade-ref:") {
						return
					}
				}
				for _, v := range s.VPCs {
					if !v.IsDefault {
						report(v, v.Src, "VPC has no S3 gateway endpoint")
					}
				}
			}),
		rule("AWS-VPC-013", "VPC endpoint policy allows any principal", finding.Medium,
			"An endpoint policy that allows \"*\" to do anything lets the VPC reach any account's buckets or APIs through it: an exfiltration path.",
			"Restrict the endpoint policy to your organisation (aws:PrincipalOrgID / aws:ResourceOrgID) or to named resources.",
			"policy = jsonencode({\n  Statement = [{\n    Effect = \"Allow\", Principal = \"*\", Action = \"s3:*\", Resource = \"*\"\n    Condition = { StringEquals = { \"aws:ResourceOrgID\" = var.org_id } }\n  }]\n})",
			"PolicyDocument:\n  Statement:\n    - Effect: Allow\n      Principal: \"*\"\n      Action: s3:*\n      Resource: \"*\"\n      Condition:\n        StringEquals:\n          aws:ResourceOrgID: !Ref OrgId",
			Refs{CIS: []string{"2.21"}, Checklist: stepNetwork, CWE: []string{"CWE-284"}},
			each(func(s *cloud.State) []*cloud.VPCEndpoint { return s.VPCEndpoints }, func(e *cloud.VPCEndpoint) (cloud.Source, string, bool) {
				st, ok := publicAllow(e.Policy)
				return e.Policy.Src, "endpoint policy statement " + sidOr(st) + " allows any principal without a condition", ok
			})),
		noCFN(rule("AWS-VPC-014", "Default VPC is managed in code", finding.Low,
			"Default VPCs come with public subnets and an internet gateway in every region; workloads belong in purpose-built VPCs and default VPCs should be deleted.",
			"Create a dedicated VPC and delete the default VPCs.",
			"resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}",
			"VPC:\n  Type: AWS::EC2::VPC\n  Properties:\n    CidrBlock: 10.0.0.0/16",
			Refs{Checklist: stepSurface},
			each(func(s *cloud.State) []*cloud.VPC { return s.VPCs }, func(v *cloud.VPC) (cloud.Source, string, bool) {
				return v.Src, "resource manages the default VPC", v.IsDefault
			})), "CloudFormation cannot manage default VPCs."),
		// EC2
		noCFN(rule("AWS-EC2-008", "Instance image does not come from an approved AMI owner", finding.Medium,
			"Images from unknown publishers can carry malware or miners; instances should start from images the organisation or AWS published.",
			"Look the image up with owners limited to the approved list (amazon, self, or your image factory's account).",
			"data \"aws_ami\" \"base\" {\n  most_recent = true\n  owners      = [\"self\"]\n}", "",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-494"}},
			each(instances, func(i *cloud.EC2Instance) (cloud.Source, string, bool) {
				if !i.AMIOwners.Set || i.AMIOwners.Unknown {
					return i.Src, "", false
				}
				for _, o := range i.AMIOwners.Vals {
					if !slices.Contains(cfg.ApprovedAMIOwners, o) {
						return cloud.AtList(&i.Meta, i.AMIOwners), "image owner " + o + " is not approved", true
					}
				}
				return i.Src, "", false
			})), "CloudFormation names an image id, not a lookup by owner; the owner of a literal id is known only to the live collector."),
		noCFN(rule("AWS-EC2-009", "AMI is shared publicly", finding.High,
			"A public AMI exposes whatever was baked into it (keys, configuration, code) to every AWS account.",
			"Remove the launch permission for group \"all\"; share with named accounts only.",
			"resource \"aws_ami_launch_permission\" \"share\" {\n  image_id   = aws_ami.this.id\n  account_id = \"111122223333\"\n}", "",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-200"}},
			each(func(s *cloud.State) []*cloud.AMI { return s.AMIs }, func(a *cloud.AMI) (cloud.Source, string, bool) {
				return isTrue(a, a.Public, "image is launchable by everyone")
			})), "CloudFormation has no resource for AMIs or their launch permissions."),
		noCFN(rule("AWS-EC2-010", "EBS snapshot copy is not encrypted", finding.Medium,
			"An unencrypted snapshot can be shared or copied without any key policy controlling who reads the data.",
			"Set encrypted = true (and a customer managed key) on snapshot copies.",
			"resource \"aws_ebs_snapshot_copy\" \"this\" {\n  source_snapshot_id = aws_ebs_snapshot.src.id\n  source_region      = \"eu-west-1\"\n  encrypted          = true\n}", "",
			Refs{CIS: []string{"6.1.1"}, Checklist: stepBackups, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.EBSSnapshot { return s.EBSSnapshots }, func(n *cloud.EBSSnapshot) (cloud.Source, string, bool) {
				return isFalse(n, n.Encrypted, "snapshot copy is not encrypted")
			})), "CloudFormation has no resource for EBS snapshots."),
		rule("AWS-EC2-011", "Launch template does not require IMDSv2 tokens", finding.High,
			"Instances started from the template accept metadata requests without a token, so an SSRF in the workload can read the instance role's credentials.",
			"Set http_tokens = \"required\" in the template's metadata options.",
			"metadata_options {\n  http_tokens = \"required\"\n}",
			"LaunchTemplateData:\n  MetadataOptions:\n    HttpTokens: required",
			Refs{CIS: []string{"6.7"}, Checklist: stepSurface, CWE: []string{"CWE-918"}},
			each(instances, func(i *cloud.EC2Instance) (cloud.Source, string, bool) {
				return cloud.At(&i.Meta, i.MetadataTokens), "launch template allows metadata requests without a token", i.IsTemplate && i.MetadataTokens.Is("optional") && !i.MetadataEndpoint.Is("disabled")
			})),
		// RDS
		rule("AWS-RDS-012", "Aurora cluster IAM database authentication is disabled", finding.Medium,
			"IAM authentication replaces long-lived database passwords with short-lived tokens tied to IAM identities.",
			"Enable IAM database authentication on the cluster.",
			"iam_database_authentication_enabled = true",
			"EnableIAMDatabaseAuthentication: true",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-798"}},
			each(clusters, func(c *cloud.RDSCluster) (cloud.Source, string, bool) {
				e := strings.ToLower(c.Engine.Val)
				ok := c.Family == "rds" && c.Engine.Known && (strings.Contains(e, "mysql") || strings.Contains(e, "postgres"))
				return cloud.At(&c.Meta, c.IAMAuth), "IAM database authentication is disabled", ok && c.IAMAuth.Is(false)
			})),
		rule("AWS-RDS-013", "RDS instance is not Multi-AZ", finding.Low,
			"A single-AZ database is down for the length of an AZ outage or a host failure, and restores lose recent writes.",
			"Enable Multi-AZ for production databases.",
			"multi_az = true",
			"MultiAZ: true",
			Refs{CIS: []string{"3.2.4"}, Checklist: stepBackups},
			each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.MultiAZ), "instance runs in one availability zone", !d.InCluster && d.MultiAZ.Is(false)
			})),
		rule("AWS-RDS-014", "RDS instance does not copy tags to snapshots", finding.Low,
			"Snapshots without the instance's tags lose their owner and data classification, so nobody knows who may delete or share them.",
			"Set copy_tags_to_snapshot = true.",
			"copy_tags_to_snapshot = true",
			"CopyTagsToSnapshot: true",
			Refs{Checklist: stepOwnership},
			each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.CopyTagsToSnapshot), "tags are not copied to snapshots", !d.InCluster && d.CopyTagsToSnapshot.Is(false)
			})),
		// OpenSearch
		rule("AWS-ES-006", "OpenSearch fine-grained access control is disabled", finding.Medium,
			"Without fine-grained access control every principal the access policy admits has full access to every index.",
			"Enable advanced security options with an internal user database or IAM master user.",
			"advanced_security_options {\n  enabled = true\n  master_user_options { master_user_arn = aws_iam_role.os_admin.arn }\n}",
			"AdvancedSecurityOptions:\n  Enabled: true\n  MasterUserOptions:\n    MasterUserARN: !GetAtt OsAdmin.Arn",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-284"}},
			each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.FineGrainedControl, "fine-grained access control is disabled")
			})),
		rule("AWS-ES-007", "OpenSearch domain has a public endpoint", finding.High,
			"A domain outside a VPC has an internet-reachable endpoint guarded only by its access policy.",
			"Place the domain in a VPC with vpc_options.",
			"vpc_options {\n  subnet_ids         = [aws_subnet.private.id]\n  security_group_ids = [aws_security_group.os.id]\n}",
			"VPCOptions:\n  SubnetIds: [!Ref PrivateSubnet]\n  SecurityGroupIds: [!Ref OsSecurityGroup]",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-284"}},
			each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.InVPC, "domain is not in a VPC")
			})),
		rule("AWS-ES-008", "OpenSearch access policy allows any principal", finding.Critical,
			"An access policy allowing \"*\" without a condition lets anyone on the network read and write the indices.",
			"Name the IAM principals allowed, or restrict by source IP and use fine-grained access control.",
			"access_policies = jsonencode({\n  Statement = [{ Effect = \"Allow\", Principal = { AWS = aws_iam_role.app.arn }, Action = \"es:ESHttp*\", Resource = \"${aws_opensearch_domain.this.arn}/*\" }]\n})",
			"AccessPolicies:\n  Statement:\n    - Effect: Allow\n      Principal:\n        AWS: !GetAtt AppRole.Arn\n      Action: es:ESHttp*\n      Resource: \"*\"",
			Refs{CIS: []string{"2.21"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				st, ok := publicAllow(d.AccessPolicy)
				return d.AccessPolicy.Src, "access policy statement " + sidOr(st) + " allows any principal", ok
			})),
		// ELB
		rule("AWS-ELB-004", "Load balancer listener allows TLS older than 1.2", finding.High,
			"Policies that accept TLS 1.0 or 1.1 allow downgrade to ciphers with known weaknesses.",
			"Use ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy).",
			"ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\"",
			"SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06",
			Refs{Checklist: stepNetwork, CWE: []string{"CWE-326"}},
			each(func(s *cloud.State) []*cloud.Listener { return s.Listeners }, func(l *cloud.Listener) (cloud.Source, string, bool) {
				tls := l.Protocol.Is("HTTPS") || l.Protocol.Is("TLS")
				return cloud.At(&l.Meta, l.SSLPolicy), "listener TLS policy " + l.SSLPolicy.Val + " allows TLS older than 1.2", tls && l.SSLPolicy.Known && (l.SSLPolicy.Val == "" || !strongELBPolicy(l.SSLPolicy.Val))
			})),
		rule("AWS-ELB-005", "Load balancer access logs are disabled", finding.Medium,
			"Access logs are the record of who called the service; without them an incident cannot be reconstructed.",
			"Enable access logs to an S3 bucket.",
			"access_logs {\n  bucket  = aws_s3_bucket.lb_logs.id\n  enabled = true\n}",
			"LoadBalancerAttributes:\n  - Key: access_logs.s3.enabled\n    Value: \"true\"\n  - Key: access_logs.s3.bucket\n    Value: !Ref LbLogs",
			Refs{CIS: []string{"4.10"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			each(func(s *cloud.State) []*cloud.LoadBalancer { return s.LoadBalancers }, func(l *cloud.LoadBalancer) (cloud.Source, string, bool) {
				return cloud.At(&l.Meta, l.AccessLogs), "access logs are disabled", l.AccessLogs.Is(false)
			})),
		rule("AWS-ELB-006", "Load balancer deletion protection is disabled", finding.Low,
			"An internet-facing load balancer deleted by mistake or by an attacker takes the service down until it is rebuilt.",
			"Enable deletion protection.",
			"enable_deletion_protection = true",
			"LoadBalancerAttributes:\n  - Key: deletion_protection.enabled\n    Value: \"true\"",
			Refs{Checklist: stepIncident},
			each(func(s *cloud.State) []*cloud.LoadBalancer { return s.LoadBalancers }, func(l *cloud.LoadBalancer) (cloud.Source, string, bool) {
				return cloud.At(&l.Meta, l.DeletionProtection), "deletion protection is disabled", !l.Type.Is("classic") && l.DeletionProtection.Is(false)
			})),
		// CloudFront
		rule("AWS-CF-001", "CloudFront distribution allows plain HTTP to viewers", finding.High,
			"viewer_protocol_policy allow-all serves content and cookies over plain HTTP.",
			"Use redirect-to-https or https-only for every cache behavior.",
			"viewer_protocol_policy = \"redirect-to-https\"",
			"ViewerProtocolPolicy: redirect-to-https",
			Refs{Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			func(s *cloud.State, report Reporter) {
				for _, d := range s.CloudFront {
					for _, p := range d.ViewerProtocolPolicies {
						if p.Is("allow-all") {
							report(d, cloud.At(&d.Meta, p), "cache behavior allows plain HTTP")
							break
						}
					}
				}
			}),
		rule("AWS-CF-002", "CloudFront distribution allows TLS older than 1.2", finding.High,
			"A minimum protocol version below TLSv1.2_2021 accepts TLS 1.0/1.1 from viewers.",
			"Use a custom certificate with minimum_protocol_version TLSv1.2_2021.",
			"viewer_certificate {\n  acm_certificate_arn      = aws_acm_certificate.this.arn\n  ssl_support_method       = \"sni-only\"\n  minimum_protocol_version = \"TLSv1.2_2021\"\n}",
			"ViewerCertificate:\n  AcmCertificateArn: !Ref Certificate\n  SslSupportMethod: sni-only\n  MinimumProtocolVersion: TLSv1.2_2021",
			Refs{Checklist: stepNetwork, CWE: []string{"CWE-326"}},
			each(func(s *cloud.State) []*cloud.CloudFrontDistribution { return s.CloudFront }, func(d *cloud.CloudFrontDistribution) (cloud.Source, string, bool) {
				v := d.MinimumProtocolVersion
				return cloud.At(&d.Meta, v), "minimum viewer TLS version is " + v.Val, !d.DefaultCertificate.Is(true) && v.Known && !strings.HasPrefix(v.Val, "TLSv1.2") && !strings.HasPrefix(v.Val, "TLSv1.3")
			})),
		rule("AWS-CF-003", "CloudFront distribution has no WAF web ACL", finding.Medium,
			"Without a web ACL the distribution has no rate limiting or managed rules against common web attacks.",
			"Associate an AWS WAF web ACL (scope CLOUDFRONT).",
			"web_acl_id = aws_wafv2_web_acl.edge.arn",
			"WebACLId: !GetAtt EdgeAcl.Arn",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-693"}},
			each(func(s *cloud.State) []*cloud.CloudFrontDistribution { return s.CloudFront }, func(d *cloud.CloudFrontDistribution) (cloud.Source, string, bool) {
				return d.Src, "distribution has no WAF web ACL", d.WAF.Is(false)
			})),
		rule("AWS-CF-004", "CloudFront distribution access logging is disabled", finding.Medium,
			"Without access logs there is no record of who fetched what from the edge.",
			"Configure logging_config to an S3 bucket.",
			"logging_config {\n  bucket = aws_s3_bucket.cf_logs.bucket_domain_name\n}",
			"Logging:\n  Bucket: !GetAtt CfLogs.DomainName",
			Refs{CIS: []string{"4.10"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			each(func(s *cloud.State) []*cloud.CloudFrontDistribution { return s.CloudFront }, func(d *cloud.CloudFrontDistribution) (cloud.Source, string, bool) {
				return d.Src, "distribution has no access logging", d.Logging.Is(false)
			})),
		// API Gateway
		rule("AWS-APIGW-001", "API Gateway stage access logging is disabled", finding.Medium,
			"Stage access logs record every caller; without them abuse of the API cannot be traced.",
			"Configure access log settings with a CloudWatch log group destination.",
			"access_log_settings {\n  destination_arn = aws_cloudwatch_log_group.api.arn\n  format          = jsonencode({ requestId = \"$context.requestId\", ip = \"$context.identity.sourceIp\" })\n}",
			"AccessLogSetting:\n  DestinationArn: !GetAtt ApiLogs.Arn\n  Format: '{\"requestId\":\"$context.requestId\"}'",
			Refs{CIS: []string{"4.10"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			each(func(s *cloud.State) []*cloud.APIGatewayStage { return s.APIGatewayStages }, func(g *cloud.APIGatewayStage) (cloud.Source, string, bool) {
				return g.Src, "stage has no access logging", g.AccessLogs.Is(false)
			})),
		rule("AWS-APIGW-002", "API Gateway method has no authorization", finding.Medium,
			"A method with authorization NONE and no API key is callable by anyone on the internet.",
			"Use an IAM, Cognito or Lambda authorizer (or require an API key for public read-only APIs).",
			"authorization = \"AWS_IAM\"",
			"AuthorizationType: AWS_IAM",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-306"}},
			each(func(s *cloud.State) []*cloud.APIGatewayMethod { return s.APIGatewayMethods }, func(m *cloud.APIGatewayMethod) (cloud.Source, string, bool) {
				return cloud.At(&m.Meta, m.AuthorizationType), "method " + m.HTTPMethod.Val + " has no authorization", m.AuthorizationType.Is("NONE") && !m.HTTPMethod.Is("OPTIONS") && m.APIKeyRequired.Is(false)
			})),
		rule("AWS-APIGW-003", "API Gateway domain allows TLS 1.0", finding.High,
			"The TLS_1_0 security policy accepts TLS 1.0 and 1.1 connections.",
			"Set the security policy to TLS_1_2.",
			"security_policy = \"TLS_1_2\"",
			"SecurityPolicy: TLS_1_2",
			Refs{Checklist: stepNetwork, CWE: []string{"CWE-326"}},
			each(func(s *cloud.State) []*cloud.APIGatewayDomain { return s.APIGatewayDomains }, func(d *cloud.APIGatewayDomain) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.SecurityPolicy), "domain security policy is TLS_1_0", d.SecurityPolicy.Is("TLS_1_0")
			})),
		rule("AWS-APIGW-004", "API Gateway stage X-Ray tracing is disabled", finding.Low,
			"Tracing shows which backend a request reached, which is what an investigation needs after an API abuse.",
			"Enable X-Ray tracing on the stage.",
			"xray_tracing_enabled = true",
			"TracingEnabled: true",
			Refs{Checklist: stepDetection},
			each(func(s *cloud.State) []*cloud.APIGatewayStage { return s.APIGatewayStages }, func(g *cloud.APIGatewayStage) (cloud.Source, string, bool) {
				return cloud.At(&g.Meta, g.XRayTracing), "stage tracing is disabled", (g.Type == "aws_api_gateway_stage" || g.Type == "AWS::ApiGateway::Stage" || g.Type == "AWS::Serverless::Api") && g.XRayTracing.Is(false)
			})),
		// Lambda
		rule("AWS-LMB-002", "Lambda permission lets any principal invoke the function", finding.Critical,
			"A resource policy with principal \"*\" (or a service principal without a source ARN) lets any account invoke the function.",
			"Name the calling principal and restrict it with source_arn (and source_account).",
			"resource \"aws_lambda_permission\" \"s3\" {\n  action        = \"lambda:InvokeFunction\"\n  function_name = aws_lambda_function.this.function_name\n  principal     = \"s3.amazonaws.com\"\n  source_arn    = aws_s3_bucket.in.arn\n}",
			"Type: AWS::Lambda::Permission\nProperties:\n  Action: lambda:InvokeFunction\n  FunctionName: !Ref Fn\n  Principal: s3.amazonaws.com\n  SourceArn: !GetAtt In.Arn",
			Refs{CIS: []string{"2.21"}, Checklist: stepSurface, CWE: []string{"CWE-284"}},
			each(func(s *cloud.State) []*cloud.LambdaPermission { return s.LambdaPermissions }, func(p *cloud.LambdaPermission) (cloud.Source, string, bool) {
				if p.Principal.Is("*") {
					return cloud.At(&p.Meta, p.Principal), "any principal may invoke the function", true
				}
				svc := p.Principal.Known && strings.HasSuffix(p.Principal.Val, ".amazonaws.com")
				return cloud.At(&p.Meta, p.SourceARN), "service principal " + p.Principal.Val + " may invoke the function from any account", svc && p.SourceARN.Is("")
			})),
		rule("AWS-LMB-003", "Lambda environment variable holds a secret in clear", finding.High,
			"Environment variables are visible to anyone with lambda:GetFunctionConfiguration and end up in templates and state files.",
			"Keep secrets in Secrets Manager or SSM Parameter Store and read them at run time; pass only their names.",
			"environment {\n  variables = { DB_PASSWORD_SECRET = aws_secretsmanager_secret.db.name }\n}",
			"Environment:\n  Variables:\n    DB_PASSWORD_SECRET: !Ref DbSecret",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-798"}},
			func(s *cloud.State, report Reporter) {
				for _, f := range s.LambdaFunctions {
					names := make([]string, 0, len(f.Environment))
					for k := range f.Environment {
						names = append(names, k)
					}
					slices.Sort(names)
					for _, k := range names {
						v := f.Environment[k]
						if !v.Known || v.Val == "" || strings.HasPrefix(v.Val, "palisade-ref:") {
							continue
						}
						if awsKeyRE.MatchString(v.Val) || secretEnvRE.MatchString(k) && !strings.HasPrefix(v.Val, "arn:") && !strings.HasPrefix(v.Val, "{{resolve:") && len(v.Val) >= 8 {
							report(f, cloud.At(&f.Meta, v), "environment variable "+k+" holds a literal secret")
							break
						}
					}
				}
			}),
		rule("AWS-LMB-004", "Lambda function URL has no authentication", finding.High,
			"A function URL with authorization type NONE is a public HTTPS endpoint anyone can call.",
			"Use authorization_type AWS_IAM, or front the function with API Gateway and an authorizer.",
			"resource \"aws_lambda_function_url\" \"this\" {\n  function_name      = aws_lambda_function.this.function_name\n  authorization_type = \"AWS_IAM\"\n}",
			"Type: AWS::Lambda::Url\nProperties:\n  TargetFunctionArn: !GetAtt Fn.Arn\n  AuthType: AWS_IAM",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-306"}},
			each(func(s *cloud.State) []*cloud.LambdaURL { return s.LambdaURLs }, func(u *cloud.LambdaURL) (cloud.Source, string, bool) {
				return cloud.At(&u.Meta, u.AuthType), "function URL is public (authorization NONE)", u.AuthType.Is("NONE")
			})),
		rule("AWS-LMB-005", "Lambda function uses a deprecated runtime", finding.Medium,
			"AWS stops patching a runtime when it deprecates it: the language and its libraries keep their known vulnerabilities, and updates to the function are blocked soon after.",
			"Move the function to a supported runtime of the same language (python3.13, nodejs22.x, java21, dotnet8, ruby3.4, provided.al2023).",
			"runtime = \"python3.13\"",
			"Runtime: python3.13",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-1104"}},
			each(func(s *cloud.State) []*cloud.LambdaFunction { return s.LambdaFunctions }, func(f *cloud.LambdaFunction) (cloud.Source, string, bool) {
				return cloud.At(&f.Meta, f.Runtime), "runtime " + f.Runtime.Val + " is deprecated", f.Runtime.Known && deprecatedLambdaRuntimes[strings.ToLower(f.Runtime.Val)]
			})),
		// CloudTrail
		rule("AWS-CT-006", "CloudTrail bucket has no public access block", finding.High,
			"The trail's bucket holds the evidence of everything done in the account; it must never become public.",
			"Add a public access block with all four settings to the trail's bucket (and enable it account-wide).",
			pabTF, pabCFN,
			Refs{CIS: []string{"3.1.4"}, Checklist: stepDetection, CWE: []string{"CWE-284"}},
			func(s *cloud.State, report Reporter) {
				for _, a := range s.Accounts {
					if p := a.PublicAccessBlock; p != nil && p.BlockPublicPolicy.Is(true) && p.RestrictPublicBuckets.Is(true) {
						return
					}
				}
				for _, t := range s.CloudTrails {
					if !t.BucketName.Known || t.BucketName.Val == "" {
						continue
					}
					for _, b := range s.S3Buckets {
						if (b.Name.Is(t.BucketName.Val) || t.BucketName.Val == "palisade-ref:"+b.Address) && (b.PublicAccessBlock == nil || b.PublicAccessBlock.BlockPublicPolicy.Is(false) || b.PublicAccessBlock.RestrictPublicBuckets.Is(false)) {
							report(t, cloud.At(&t.Meta, t.BucketName), "trail bucket "+b.Address+" does not block public policies")
						}
					}
				}
			}),
		rule("AWS-CT-007", "CloudTrail trail does not record global service events", finding.Medium,
			"IAM, STS and CloudFront calls are global; a trail without them misses credential and permission changes.",
			"Set include_global_service_events = true.",
			"include_global_service_events = true",
			"IncludeGlobalServiceEvents: true",
			Refs{CIS: []string{"4.1"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isFalse(t, t.IncludeGlobalEvent, "trail does not record global service events")
			})),
		// Access Analyzer
		rule("AWS-AA-001", "IAM Access Analyzer covers one account only", finding.Low,
			"An organisation-wide analyzer finds resources shared outside the organisation in every account; an account analyzer sees only its own.",
			"Create the analyzer with type ORGANIZATION in the delegated administrator account.",
			"resource \"aws_accessanalyzer_analyzer\" \"org\" {\n  analyzer_name = \"org\"\n  type          = \"ORGANIZATION\"\n}",
			"Type: AWS::AccessAnalyzer::Analyzer\nProperties:\n  Type: ORGANIZATION",
			Refs{CIS: []string{"2.18"}, Checklist: stepVisibility},
			each(func(s *cloud.State) []*cloud.AccessAnalyzer { return s.AccessAnalyzers }, func(a *cloud.AccessAnalyzer) (cloud.Source, string, bool) {
				return cloud.At(&a.Meta, a.Type), "analyzer type is ACCOUNT", a.Type.Is("ACCOUNT")
			})),
		// Backup
		rule("AWS-BAK-001", "Backup vault has no vault lock", finding.Medium,
			"Without vault lock, whoever compromises the account (or ransomware using its credentials) can delete the recovery points.",
			"Add a vault lock configuration with a minimum retention.",
			"resource \"aws_backup_vault_lock_configuration\" \"this\" {\n  backup_vault_name  = aws_backup_vault.this.name\n  min_retention_days = 7\n}",
			"LockConfiguration:\n  MinRetentionDays: 7",
			Refs{Checklist: stepBackups},
			each(func(s *cloud.State) []*cloud.BackupVault { return s.BackupVaults }, func(v *cloud.BackupVault) (cloud.Source, string, bool) {
				return v.Src, "vault is not locked", v.Locked.Is(false)
			})),
		rule("AWS-BAK-002", "Backup plan rule keeps no copy in another vault", finding.Medium,
			"Backups in the same account and region as the data fall with it; the checklist asks for copies in another region or account.",
			"Add a copy_action to a vault in another region or a backup account.",
			"copy_action {\n  destination_vault_arn = \"arn:aws:backup:eu-central-1:999988887777:backup-vault:central\"\n}",
			"CopyActions:\n  - DestinationBackupVaultArn: arn:aws:backup:eu-central-1:999988887777:backup-vault:central",
			Refs{Checklist: stepBackups},
			func(s *cloud.State, report Reporter) {
				for _, p := range s.BackupPlans {
					for _, r := range p.Rules {
						if r.CopiesElsewhere.Is(false) {
							report(p, r.Src, "backup rule has no copy action")
						}
					}
				}
			}),
		rule("AWS-BAK-003", "Backup vault is not encrypted with a customer managed key", finding.Low,
			"A customer managed key lets you control and audit who may decrypt recovery points, separately from who runs backups.",
			"Set kms_key_arn to a customer managed key.",
			"kms_key_arn = aws_kms_key.backup.arn",
			"EncryptionKeyArn: !GetAtt BackupKey.Arn",
			Refs{Checklist: stepBackups, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.BackupVault { return s.BackupVaults }, func(v *cloud.BackupVault) (cloud.Source, string, bool) {
				return isEmpty(v, v.KMSKeyID, "vault uses the AWS managed key")
			})),
		// SQS / SNS
		rule("AWS-SQS-002", "SQS queue policy allows any principal", finding.Critical,
			"A queue policy open to \"*\" lets anyone send or read messages.",
			"Name the principals, or add an aws:SourceArn / aws:SourceAccount condition.",
			"Condition = { ArnEquals = { \"aws:SourceArn\" = aws_sns_topic.events.arn } }",
			"Condition:\n  ArnEquals:\n    aws:SourceArn: !Ref Events",
			Refs{CIS: []string{"2.21"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			each(func(s *cloud.State) []*cloud.SQSQueue { return s.SQSQueues }, func(q *cloud.SQSQueue) (cloud.Source, string, bool) {
				st, ok := publicAllow(q.Policy)
				return q.Policy.Src, "queue policy statement " + sidOr(st) + " allows any principal", ok
			})),
		rule("AWS-SQS-003", "SQS queue is not encrypted with a customer managed key", finding.Low,
			"SSE-SQS protects the disk; a customer managed key also lets key policy decide who reads messages.",
			"Set kms_master_key_id to a customer managed key.",
			"kms_master_key_id = aws_kms_key.queue.arn",
			"KmsMasterKeyId: !Ref QueueKey",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.SQSQueue { return s.SQSQueues }, func(q *cloud.SQSQueue) (cloud.Source, string, bool) {
				return isEmpty(q, q.KMSKeyID, "queue uses no customer managed key")
			})),
		rule("AWS-SNS-001", "SNS topic is not encrypted", finding.Medium,
			"Messages on an unencrypted topic are stored in clear until delivered.",
			"Set kms_master_key_id (alias/aws/sns or a customer managed key).",
			"kms_master_key_id = aws_kms_key.topic.arn",
			"KmsMasterKeyId: !Ref TopicKey",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.SNSTopic { return s.SNSTopics }, func(t *cloud.SNSTopic) (cloud.Source, string, bool) {
				return isEmpty(t, t.KMSKeyID, "topic is not encrypted")
			})),
		rule("AWS-SNS-002", "SNS topic policy allows any principal", finding.Critical,
			"A topic policy open to \"*\" lets anyone publish to or subscribe to the topic.",
			"Name the principals, or add an aws:SourceArn / aws:SourceOwner condition.",
			"Condition = { ArnLike = { \"aws:SourceArn\" = aws_s3_bucket.in.arn } }",
			"Condition:\n  ArnLike:\n    aws:SourceArn: !GetAtt In.Arn",
			Refs{CIS: []string{"2.21"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			each(func(s *cloud.State) []*cloud.SNSTopic { return s.SNSTopics }, func(t *cloud.SNSTopic) (cloud.Source, string, bool) {
				st, ok := publicAllow(t.Policy)
				return t.Policy.Src, "topic policy statement " + sidOr(st) + " allows any principal", ok
			})),
		// DynamoDB
		rule("AWS-DDB-001", "DynamoDB point-in-time recovery is disabled", finding.Medium,
			"Without PITR a bad deploy or a malicious delete cannot be rolled back to a second before it happened.",
			"Enable point-in-time recovery.",
			"point_in_time_recovery {\n  enabled = true\n}",
			"PointInTimeRecoverySpecification:\n  PointInTimeRecoveryEnabled: true",
			Refs{Checklist: stepBackups},
			each(func(s *cloud.State) []*cloud.DynamoDBTable { return s.DynamoDBTables }, func(t *cloud.DynamoDBTable) (cloud.Source, string, bool) {
				return isFalse(t, t.PointInTimeRecovery, "point-in-time recovery is disabled")
			})),
		rule("AWS-DDB-002", "DynamoDB table is not encrypted with a customer managed key", finding.Low,
			"The default AWS owned key gives no control or audit over who may decrypt the table.",
			"Enable server-side encryption with a customer managed KMS key.",
			"server_side_encryption {\n  enabled     = true\n  kms_key_arn = aws_kms_key.table.arn\n}",
			"SSESpecification:\n  SSEEnabled: true\n  SSEType: KMS\n  KMSMasterKeyId: !Ref TableKey",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.DynamoDBTable { return s.DynamoDBTables }, func(t *cloud.DynamoDBTable) (cloud.Source, string, bool) {
				return isFalse(t, t.CustomerKMS, "table uses the AWS owned key")
			})),
		rule("AWS-DDB-003", "DynamoDB table deletion protection is disabled", finding.Low,
			"Deletion protection stops a mistaken or malicious DeleteTable from destroying the data.",
			"Enable deletion protection.",
			"deletion_protection_enabled = true",
			"DeletionProtectionEnabled: true",
			Refs{Checklist: stepBackups},
			each(func(s *cloud.State) []*cloud.DynamoDBTable { return s.DynamoDBTables }, func(t *cloud.DynamoDBTable) (cloud.Source, string, bool) {
				return isFalse(t, t.DeletionProtection, "deletion protection is disabled")
			})),
		// ECR
		rule("AWS-ECR-004", "ECR repository policy allows any principal", finding.Critical,
			"A repository policy open to \"*\" lets any AWS account pull (or push) images.",
			"Name the accounts or the organisation (aws:PrincipalOrgID) allowed to pull.",
			"Condition = { StringEquals = { \"aws:PrincipalOrgID\" = var.org_id } }",
			"Condition:\n  StringEquals:\n    aws:PrincipalOrgID: !Ref OrgId",
			Refs{CIS: []string{"2.21"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			each(ecr, func(r *cloud.ECRRepository) (cloud.Source, string, bool) {
				st, ok := publicAllow(r.Policy)
				return r.Policy.Src, "repository policy statement " + sidOr(st) + " allows any principal", ok
			})),
		// Secrets Manager
		rule("AWS-SM-001", "Secrets Manager secret has no rotation", finding.Medium,
			"A secret that never rotates stays valid forever once leaked.",
			"Configure rotation with a rotation Lambda and a schedule.",
			"resource \"aws_secretsmanager_secret_rotation\" \"this\" {\n  secret_id           = aws_secretsmanager_secret.this.id\n  rotation_lambda_arn = aws_lambda_function.rotate.arn\n  rotation_rules { automatically_after_days = 30 }\n}",
			"Type: AWS::SecretsManager::RotationSchedule\nProperties:\n  SecretId: !Ref Secret\n  RotationLambdaARN: !GetAtt Rotate.Arn\n  RotationRules:\n    AutomaticallyAfterDays: 30",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-798"}},
			each(func(s *cloud.State) []*cloud.Secret { return s.Secrets }, func(x *cloud.Secret) (cloud.Source, string, bool) {
				return x.Src, "secret is never rotated", x.Rotation.Is(false)
			})),
		rule("AWS-SM-002", "Secrets Manager secret is not encrypted with a customer managed key", finding.Low,
			"With the default key anyone allowed secretsmanager:GetSecretValue reads the secret; a customer managed key adds a second, auditable gate and allows cross-account sharing.",
			"Set kms_key_id to a customer managed key.",
			"kms_key_id = aws_kms_key.secrets.arn",
			"KmsKeyId: !Ref SecretsKey",
			Refs{Checklist: stepIAM, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.Secret { return s.Secrets }, func(x *cloud.Secret) (cloud.Source, string, bool) {
				return isEmpty(x, x.KMSKeyID, "secret uses the AWS managed key")
			})),
		// EFS, ElastiCache, Redshift, Config
		rule("AWS-EFS-001", "EFS file system is not encrypted", finding.High,
			"An unencrypted file system stores its data in clear on AWS disks.",
			"Create the file system with encrypted = true.",
			"encrypted = true",
			"Encrypted: true",
			Refs{CIS: []string{"3.3.1"}, Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.EFSFileSystem { return s.EFSFileSystems }, func(f *cloud.EFSFileSystem) (cloud.Source, string, bool) {
				return isFalse(f, f.Encrypted, "file system is not encrypted")
			})),
		rule("AWS-EC-001", "ElastiCache data is not encrypted at rest", finding.Medium,
			"Cache contents (sessions, tokens) and snapshots are stored in clear.",
			"Set at_rest_encryption_enabled = true.",
			"at_rest_encryption_enabled = true",
			"AtRestEncryptionEnabled: true",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.ElastiCacheGroup { return s.ElastiCache }, func(c *cloud.ElastiCacheGroup) (cloud.Source, string, bool) {
				return cloud.At(&c.Meta, c.AtRestEncryption), "cache is not encrypted at rest", !c.Engine.Is("memcached") && c.AtRestEncryption.Is(false)
			})),
		rule("AWS-EC-002", "ElastiCache traffic is not encrypted in transit", finding.High,
			"Without TLS, cached sessions and tokens cross the network in clear.",
			"Set transit_encryption_enabled = true.",
			"transit_encryption_enabled = true",
			"TransitEncryptionEnabled: true",
			Refs{Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			each(func(s *cloud.State) []*cloud.ElastiCacheGroup { return s.ElastiCache }, func(c *cloud.ElastiCacheGroup) (cloud.Source, string, bool) {
				return cloud.At(&c.Meta, c.TransitEncryption), "cache traffic is not encrypted", c.TransitEncryption.Is(false)
			})),
		rule("AWS-EC-003", "ElastiCache Redis has no automatic backups", finding.Low,
			"With a snapshot retention of zero a failed node or a FLUSHALL loses the data.",
			"Set snapshot_retention_limit to at least 1 day.",
			"snapshot_retention_limit = 7",
			"SnapshotRetentionLimit: 7",
			Refs{Checklist: stepBackups},
			each(func(s *cloud.State) []*cloud.ElastiCacheGroup { return s.ElastiCache }, func(c *cloud.ElastiCacheGroup) (cloud.Source, string, bool) {
				return cloud.At(&c.Meta, c.SnapshotRetention), "snapshot retention is 0", !c.Engine.Is("memcached") && c.SnapshotRetention.Is(0)
			})),
		rule("AWS-RS-001", "Redshift cluster is not encrypted", finding.High,
			"An unencrypted warehouse stores its data and snapshots in clear.",
			"Set encrypted = true (with a customer managed key).",
			"encrypted  = true\nkms_key_id = aws_kms_key.redshift.arn",
			"Encrypted: true\nKmsKeyId: !Ref RedshiftKey",
			Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			each(func(s *cloud.State) []*cloud.RedshiftCluster { return s.RedshiftClusters }, func(c *cloud.RedshiftCluster) (cloud.Source, string, bool) {
				return isFalse(c, c.Encrypted, "cluster is not encrypted")
			})),
		rule("AWS-RS-002", "Redshift cluster is publicly accessible", finding.High,
			"A public cluster endpoint exposes the warehouse to password guessing from the internet.",
			"Set publicly_accessible = false and reach it through the VPC.",
			"publicly_accessible = false",
			"PubliclyAccessible: false",
			Refs{Checklist: stepSurface, CWE: []string{"CWE-284"}},
			each(func(s *cloud.State) []*cloud.RedshiftCluster { return s.RedshiftClusters }, func(c *cloud.RedshiftCluster) (cloud.Source, string, bool) {
				return isTrue(c, c.PubliclyAccessible, "cluster is publicly accessible")
			})),
		rule("AWS-CFG-001", "AWS Config recorder does not record all resource types", finding.Medium,
			"Config is the inventory of the account; a recorder limited to some types leaves the rest invisible.",
			"Record all supported types, including global resources in one region.",
			"recording_group {\n  all_supported                 = true\n  include_global_resource_types = true\n}",
			"RecordingGroup:\n  AllSupported: true\n  IncludeGlobalResourceTypes: true",
			Refs{CIS: []string{"4.3"}, Checklist: stepInventory},
			each(func(s *cloud.State) []*cloud.ConfigRecorder { return s.ConfigRecorders }, func(c *cloud.ConfigRecorder) (cloud.Source, string, bool) {
				if c.AllSupported.Is(false) {
					return cloud.At(&c.Meta, c.AllSupported), "recorder records only some resource types", true
				}
				return cloud.At(&c.Meta, c.GlobalResources), "recorder leaves out global resources such as IAM", c.AllSupported.Is(true) && c.GlobalResources.Is(false)
			})),
		// Ownership
		rule("AWS-TAG-001", "Resource has no owner tag", finding.Info,
			"The checklist asks that every resource has an owner, so findings and incidents reach the right team; the owner tag is how palisade and people find it. "+
				"The tag key is matched without regard to case (Owner counts as owner). "+
				"Terraform provider default_tags count (including an aliased provider's, and those a module inherits). "+
				"CloudFormation stack-level tags are given at deploy time and are not in the template, so palisade cannot see them: "+
				"where a stack's tags carry the owner, suppress the rule with palisade:ignore or check live state instead.",
			fmt.Sprintf("Tag the resource with %q (provider default_tags in Terraform, or stack-level tags in CloudFormation).", cfg.OwnerTag),
			fmt.Sprintf("tags = {\n  %s = \"team-payments\"\n}", cfg.OwnerTag),
			fmt.Sprintf("Tags:\n  - Key: %s\n    Value: team-payments", cfg.OwnerTag),
			Refs{Checklist: stepOwnership},
			func(s *cloud.State, report Reporter) {
				if cfg.OwnerTag == "" {
					return
				}
				for _, r := range s.All() {
					switch r.(type) {
					case *cloud.LambdaPermission, *cloud.APIGatewayMethod, *cloud.ConfigRecorder, *cloud.LambdaURL, *cloud.Listener:
						continue
					}
					m := r.Base()
					if !m.TagsKnown {
						continue
					}
					if !hasTagFold(m.Tags, cfg.OwnerTag) {
						report(r, m.Src, "resource has no "+cfg.OwnerTag+" tag")
					}
				}
			}),
	}
}

// isReplicaOf reports whether a replication target names bucket b: by ARN,
// or by the placeholder an adapter gives a reference to b
// ("palisade-ref:aws_s3_bucket.replica.arn", "palisade-ref:Replica.Arn").
func isReplicaOf(b *cloud.S3Bucket, targets []string) bool {
	ref := "palisade-ref:" + b.Address
	for _, t := range targets {
		if b.Name.Known && b.Name.Val != "" && t == "arn:aws:s3:::"+b.Name.Val {
			return true
		}
		if t == ref || strings.HasPrefix(t, ref+".") {
			return true
		}
	}
	return false
}

// hasTagFold reports whether tags has key, compared without regard to case:
// tag keys are case-sensitive in AWS, but Owner and owner say the same thing
// to the people reading them.
func hasTagFold(tags cloud.Tags, key string) bool {
	for k := range tags {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// deprecatedLambdaRuntimes are the Lambda runtimes AWS had deprecated by
// November 2026 (Lambda runtime deprecation schedule): no more security
// patches, and creating or updating functions on them is blocked. Only
// runtimes whose deprecation date has passed are listed, so a scan never
// reports a runtime that is still supported.
var deprecatedLambdaRuntimes = map[string]bool{
	"nodejs": true, "nodejs4.3": true, "nodejs4.3-edge": true, "nodejs6.10": true, "nodejs8.10": true,
	"nodejs10.x": true, "nodejs12.x": true, "nodejs14.x": true, "nodejs16.x": true, "nodejs18.x": true,
	"python2.7": true, "python3.6": true, "python3.7": true, "python3.8": true, "python3.9": true,
	"java8": true, "go1.x": true, "provided": true,
	"ruby2.5": true, "ruby2.7": true,
	"dotnetcore1.0": true, "dotnetcore2.0": true, "dotnetcore2.1": true, "dotnetcore3.1": true, "dotnet5.0": true, "dotnet6": true, "dotnet7": true,
}
