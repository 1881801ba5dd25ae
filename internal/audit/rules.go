package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/aws"
	"github.com/palisade-sec/palisade/internal/finding"
)

// Checklist steps of the AWS roadmap (the same text the posture rules use).
const (
	stepBackups    = "AWS 2: Have Backups"
	stepVisibility = "AWS 3: Visibility and Initial Remediation"
	stepIAM        = "AWS 5: Secure IAM Access"
	stepInventory  = "AWS 1: Inventory"
	stepNetwork    = "AWS 10: Secure Network Communication"
	stepIncident   = "AWS 11: Incident preparation"
)

func days(d time.Duration) int { return int(d.Hours() / 24) }

// missingRegions lists the regions where service was read and ok is false.
func missingRegions(a *aws.Account, service string, ok func(region string) bool) []string {
	var out []string
	for _, r := range a.Evidence.ServiceRegions[service] {
		if !ok(r) {
			out = append(out, r)
		}
	}
	return out
}

// AccountRules are the rules run once per account.
func AccountRules() []Rule {
	return []Rule{
		{
			ID: "AWS-ACCT-001", Title: "No CloudTrail trail is logging in some regions", Severity: finding.High,
			Remediation: "Create a multi-region trail (an organization trail from the management account covers every account) and keep it logging.",
			CIS:         []string{"4.1"}, Checklist: stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				multi := false
				home := map[string]bool{}
				for _, t := range a.Evidence.Trails {
					if !t.Logging {
						continue
					}
					multi = multi || t.MultiRegion
					home[t.HomeRegion] = true
				}
				if multi {
					return
				}
				for _, r := range missingRegions(a, "cloudtrail", func(r string) bool { return home[r] }) {
					report(regionARN("cloudtrail", r, a.ID), "no CloudTrail trail records API activity in "+r)
				}
			},
		},
		{
			ID: "AWS-ACCT-002", Title: "GuardDuty is not enabled in a region", Severity: finding.High,
			Remediation: "Enable GuardDuty in every region, managed from a delegated administrator account with auto-enable for new accounts.",
			Checklist:   stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range missingRegions(a, "guardduty", func(r string) bool { return a.Evidence.GuardDuty[r] }) {
					report(regionARN("guardduty", r, a.ID), "no enabled GuardDuty detector in "+r)
				}
			},
		},
		{
			ID: "AWS-ACCT-003", Title: "IAM Access Analyzer is not enabled in a region", Severity: finding.Medium,
			Remediation: "Create an analyzer (type ORGANIZATION in the delegated administrator account) in every region.",
			CIS:         []string{"2.18"}, Checklist: stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range missingRegions(a, "accessanalyzer", func(r string) bool { return len(a.Evidence.AccessAnalyzers[r]) > 0 }) {
					report(regionARN("access-analyzer", r, a.ID), "no active IAM Access Analyzer in "+r)
				}
			},
		},
		{
			ID: "AWS-ACCT-004", Title: "Root user has access keys", Severity: finding.Critical,
			Remediation: "Delete the root user's access keys; use roles for automation.",
			CIS:         []string{"2.4"}, Checklist: stepIAM,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range a.Evidence.CredentialReport {
					if r.IsRoot() && (r.AccessKey1Active || r.AccessKey2Active) {
						report(accountARN(a.ID), "the root user has an active access key")
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-005", Title: "Root user has no MFA", Severity: finding.Critical,
			Remediation: "Enable MFA (hardware or passkey) on the root user, or centralise root access in the Organization and remove root credentials.",
			CIS:         []string{"2.5"}, Checklist: stepIAM,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range a.Evidence.CredentialReport {
					if r.IsRoot() && !r.MFAActive && (r.PasswordEnabled || r.AccessKey1Active || r.AccessKey2Active) {
						report(accountARN(a.ID), "the root user has credentials and no MFA")
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-006", Title: "IAM user with a console password has no MFA", Severity: finding.High,
			Remediation: "Require MFA for every console user, or better replace IAM users with SSO.",
			CIS:         []string{"2.10"}, Checklist: stepIAM,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range a.Evidence.CredentialReport {
					if !r.IsRoot() && r.PasswordEnabled && !r.MFAActive {
						report(r.ARN, "user "+r.User+" signs in to the console without MFA")
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-007", Title: "IAM access key is older than the rotation limit", Severity: finding.Medium,
			Remediation: "Rotate the key (create a new one, switch, delete the old one), or replace the user with a role.",
			CIS:         []string{"2.12"}, Checklist: stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				for _, k := range a.Evidence.AccessKeys {
					if k.Active && !k.Created.IsZero() && cfg.Now.Sub(k.Created) > cfg.KeyMaxAge {
						report(k.UserARN, fmt.Sprintf("access key %s of %s is %d days old (limit %d)", maskKey(k.ID), k.User, days(cfg.Now.Sub(k.Created)), days(cfg.KeyMaxAge)))
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-008", Title: "IAM credential unused for too long", Severity: finding.Medium,
			Remediation: "Deactivate or delete credentials nobody uses.",
			CIS:         []string{"2.11"}, Checklist: stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				for _, k := range a.Evidence.AccessKeys {
					if !k.Active {
						continue
					}
					last := k.LastUsed
					if last.IsZero() {
						last = k.Created
					}
					if !last.IsZero() && cfg.Now.Sub(last) > cfg.CredentialUnused {
						report(k.UserARN, fmt.Sprintf("access key %s of %s unused for %d days", maskKey(k.ID), k.User, days(cfg.Now.Sub(last))))
					}
				}
				for _, r := range a.Evidence.CredentialReport {
					if r.IsRoot() || !r.PasswordEnabled || r.PasswordLastUsed.IsZero() {
						continue
					}
					if cfg.Now.Sub(r.PasswordLastUsed) > cfg.CredentialUnused {
						report(r.ARN, fmt.Sprintf("console password of %s unused for %d days", r.User, days(cfg.Now.Sub(r.PasswordLastUsed))))
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-009", Title: "IAM role unused for a long time", Severity: finding.Low,
			Remediation: "Delete roles nobody assumes (detach their policies first); `palisade aws fix` can plan it.",
			Checklist:   stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				for _, r := range a.Evidence.Roles {
					if strings.HasPrefix(r.Path, "/aws-service-role/") || strings.HasPrefix(r.Path, "/aws-reserved/") {
						continue
					}
					last := r.LastUsed
					if last.IsZero() {
						last = r.Created
					}
					if !last.IsZero() && cfg.Now.Sub(last) > cfg.RoleUnused {
						what := "never used"
						if !r.LastUsed.IsZero() {
							what = "last used " + r.LastUsed.Format("2006-01-02")
						}
						report(r.ARN, fmt.Sprintf("role %s %s (created %s)", r.Name, what, r.Created.Format("2006-01-02")))
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-010", Title: "IAM role is allowed services it does not use", Severity: finding.Low,
			Remediation: "Remove the unused services from the role's policies (least privilege from service-last-accessed data).",
			Checklist:   stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				for _, r := range a.Evidence.Roles {
					var unused []string
					for _, s := range r.Services {
						if s.LastAccessed.IsZero() || cfg.Now.Sub(s.LastAccessed) > cfg.RoleUnused {
							unused = append(unused, s.Namespace)
						}
					}
					if len(unused) > 0 && len(unused) < len(r.Services)+1 {
						sort.Strings(unused)
						report(r.ARN, fmt.Sprintf("role %s may drop %s (not accessed in %d days)", r.Name, strings.Join(unused, ", "), days(cfg.RoleUnused)))
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-011", Title: "Instance runs in a public subnet", Severity: finding.Medium,
			Remediation: "Move instances that are not public endpoints to private subnets behind a load balancer or NAT.",
			Checklist:   stepNetwork,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, i := range a.Evidence.Instances {
					if i.PublicSubnet && i.State != "stopped" {
						report(i.ARN, "instance "+i.ID+" is in subnet "+i.SubnetID+", which routes to an internet gateway")
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-012", Title: "No backup plan in the account", Severity: finding.Medium,
			Remediation: "Create AWS Backup plans for the account's data, with a copy to another account or region.",
			Checklist:   stepBackups,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				if len(a.Evidence.ServiceRegions["backup"]) > 0 && len(a.State.BackupPlans) == 0 && hasData(a.State) {
					report(accountARN(a.ID), "the account holds data (buckets, databases or volumes) and has no backup plan in the regions read")
				}
			},
		},
		{
			ID: "AWS-ACCT-013", Title: "No role can manage incidents with AWS Support", Severity: finding.Low,
			Remediation: "Create a role with the AWSSupportAccess managed policy for the people who open support cases.",
			CIS:         []string{"2.15"}, Checklist: stepIAM,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				if !a.Evidence.IAMRead {
					return
				}
				for _, r := range a.Evidence.Roles {
					for _, p := range r.AttachedPolicies {
						if strings.HasSuffix(p, ":policy/AWSSupportAccess") {
							return
						}
					}
				}
				report(accountARN(a.ID), "no role has the AWSSupportAccess policy attached")
			},
		},
		{
			ID: "AWS-ACCT-014", Title: "Instance has no IAM role", Severity: finding.Low,
			Remediation: "Give the instance an instance profile with a role, so software on it never needs stored access keys.",
			CIS:         []string{"2.16"}, Checklist: stepIAM,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, i := range a.State.EC2Instances {
					if i.IAMProfile.Is("") && !i.IsTemplate {
						report(i.Address, "instance runs without an instance profile")
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-015", Title: "Security group allows CIFS/SMB from the internet", Severity: finding.High,
			Remediation: "Allow port 445 only from trusted networks.",
			CIS:         []string{"6.1.2"}, Checklist: stepNetwork,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, g := range a.State.SecurityGroups {
					for _, r := range g.Rules {
						if !r.Egress && r.OpenToWorld() && r.CoversPort(445) {
							report(g.Address, "ingress from the internet to port 445 (CIFS/SMB)")
							break
						}
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-016", Title: "S3 object-level write events are not recorded", Severity: finding.Medium,
			Remediation: "Add a data event selector for AWS::S3::Object on every bucket (write or all events) to a logging multi-region trail.",
			CIS:         []string{"4.8"}, Checklist: stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				if s3DataUnknown(a) || s3DataRecorded(a, func(t aws.Trail) bool { return t.S3DataWrite }) {
					return
				}
				report(accountARN(a.ID), "no logging multi-region trail records S3 object-level write events for every bucket")
			},
		},
		{
			ID: "AWS-ACCT-017", Title: "S3 object-level read events are not recorded", Severity: finding.Low,
			Remediation: "Add a data event selector for AWS::S3::Object on every bucket (read or all events) to a logging multi-region trail.",
			CIS:         []string{"4.9"}, Checklist: stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				if s3DataUnknown(a) || s3DataRecorded(a, func(t aws.Trail) bool { return t.S3DataRead }) {
					return
				}
				report(accountARN(a.ID), "no logging multi-region trail records S3 object-level read events for every bucket")
			},
		},
		{
			ID: "AWS-ACCT-018", Title: "Security Hub is not enabled in a region", Severity: finding.Medium,
			Remediation: "Enable Security Hub in every region (from the delegated administrator account, with auto-enable for new accounts) and turn on the CIS and AWS Foundational standards.",
			CIS:         []string{"5.16"}, Checklist: stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range missingRegions(a, "securityhub", func(r string) bool { return a.Evidence.SecurityHub[r] }) {
					report(regionARN("securityhub", r, a.ID), "Security Hub is not enabled in "+r)
				}
			},
		},
		{
			ID: "AWS-ACCT-019", Title: "Expired server certificate stored in IAM", Severity: finding.Medium,
			Remediation: "Delete expired certificates (aws iam delete-server-certificate) after making sure nothing serves them; prefer ACM, which renews.",
			CIS:         []string{"2.17"}, Checklist: stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				for _, c := range a.Evidence.ServerCertificates {
					if !c.Expiration.IsZero() && c.Expiration.Before(cfg.Now) {
						report(c.ARN, fmt.Sprintf("server certificate %s expired on %s", c.Name, c.Expiration.Format("2006-01-02")))
					}
				}
			},
		},
		{
			ID: "AWS-ACCT-020", Title: "AWS Config is not recording in a region", Severity: finding.Medium,
			Remediation: "Create a configuration recorder for all supported resource types in every region and start it (an Organization-wide conformance setup or Control Tower does this for every account).",
			CIS:         []string{"4.3"}, Checklist: stepInventory,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				for _, r := range missingRegions(a, "config", func(r string) bool { return a.Evidence.ConfigRecording[r] }) {
					report(regionARN("config", r, a.ID), "no AWS Config recorder is recording in "+r)
				}
			},
		},
		{
			ID: "AWS-ACCT-021", Title: "People sign in with IAM users and IAM Identity Center is not in use", Severity: finding.Medium,
			Remediation: "Set up IAM Identity Center (from the Organization's management account) with your identity provider, give people permission sets, and delete the IAM users' console passwords.",
			Checklist:   stepIAM,
			Check: func(a *aws.Account, cfg Config, report func(string, string)) {
				if len(a.Evidence.ServiceRegions["sso-admin"]) == 0 || len(a.Evidence.IdentityCenter) > 0 || cfg.orgIdentityCenter {
					return // not read, or in use here or in the organization
				}
				users := consoleUsers(a)
				if len(users) == 0 {
					return
				}
				report(accountARN(a.ID), fmt.Sprintf("%d IAM users sign in to the console with a password (%s) and no IAM Identity Center instance is visible in %s",
					len(users), strings.Join(firstN(users, 5), ", "), strings.Join(a.Evidence.ServiceRegions["sso-admin"], ", ")))
			},
		},
		{
			ID: "AWS-ACCT-022", Title: "Account security baseline is incomplete", Severity: finding.Medium,
			Remediation: "Apply the account baseline to every account (an account initialization script, Control Tower or StackSets): CloudTrail, GuardDuty, Access Analyzer, Security Hub and AWS Config in every region, EBS encryption by default, account-level S3 Block Public Access.",
			Checklist:   stepVisibility,
			Check: func(a *aws.Account, _ Config, report func(string, string)) {
				if missing := baselineGaps(a); len(missing) > 0 {
					report(accountARN(a.ID)+"/baseline", "the account baseline is missing: "+strings.Join(missing, "; "))
				}
			},
		},
	}
}

// consoleUsers lists the IAM users (not root) with a console password,
// from the credential report or, without it, the users' login profiles.
func consoleUsers(a *aws.Account) []string {
	var out []string
	if a.Evidence.CredentialReport != nil {
		for _, r := range a.Evidence.CredentialReport {
			if !r.IsRoot() && r.PasswordEnabled {
				out = append(out, r.User)
			}
		}
		return out
	}
	for _, u := range a.State.IAMUsers {
		if u.HasLoginProfile.Is(true) {
			out = append(out, u.Name.Val)
		}
	}
	return out
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
}

// baselineGaps lists the controls of the account baseline that are missing,
// each with the regions it is missing in. A control whose evidence was not
// read is not judged.
func baselineGaps(a *aws.Account) []string {
	var out []string
	regional := func(name, service string, ok func(string) bool) {
		if miss := missingRegions(a, service, ok); len(miss) > 0 {
			out = append(out, name+" ("+strings.Join(miss, ", ")+")")
		}
	}
	multi := false
	home := map[string]bool{}
	for _, t := range a.Evidence.Trails {
		if t.Logging {
			multi = multi || t.MultiRegion
			home[t.HomeRegion] = true
		}
	}
	if !multi {
		regional("CloudTrail", "cloudtrail", func(r string) bool { return home[r] })
	}
	regional("GuardDuty", "guardduty", func(r string) bool { return a.Evidence.GuardDuty[r] })
	regional("Access Analyzer", "accessanalyzer", func(r string) bool { return len(a.Evidence.AccessAnalyzers[r]) > 0 })
	regional("Security Hub", "securityhub", func(r string) bool { return a.Evidence.SecurityHub[r] })
	regional("AWS Config", "config", func(r string) bool { return a.Evidence.ConfigRecording[r] })
	ebsOff := map[string]bool{}
	for _, acct := range a.State.Accounts {
		if acct.Type == "aws_ebs_encryption_by_default" && acct.EBSEncryptionByDefault.Is(false) {
			ebsOff[splitRegion(acct.Address)] = true
		}
	}
	regional("EBS encryption by default", "ec2", func(r string) bool { return !ebsOff[r] })
	if a.Evidence.AccountBPARead {
		on := false
		for _, acct := range a.State.Accounts {
			if p := acct.PublicAccessBlock; p != nil {
				on = on || p.BlockPublicAcls.Is(true) && p.BlockPublicPolicy.Is(true) && p.IgnorePublicAcls.Is(true) && p.RestrictPublicBuckets.Is(true)
			}
		}
		if !on {
			out = append(out, "account-level S3 Block Public Access")
		}
	}
	return out
}

// splitRegion is the region field of an ARN.
func splitRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// s3DataUnknown reports whether the account's trails were not read well
// enough to judge object-level logging: CloudTrail was read in no region,
// or some trail's event selectors are unknown.
func s3DataUnknown(a *aws.Account) bool {
	if len(a.Evidence.ServiceRegions["cloudtrail"]) == 0 {
		return true
	}
	for _, t := range a.Evidence.Trails {
		if !t.SelectorsRead {
			return true
		}
	}
	return false
}

// s3DataRecorded reports whether a logging multi-region trail has ok.
func s3DataRecorded(a *aws.Account, ok func(aws.Trail) bool) bool {
	for _, t := range a.Evidence.Trails {
		if t.Logging && t.MultiRegion && ok(t) {
			return true
		}
	}
	return false
}

// hasData reports whether the state holds data worth a backup.
func hasData(s *cloud.State) bool {
	return len(s.S3Buckets)+len(s.RDSInstances)+len(s.RDSClusters)+len(s.DynamoDBTables)+len(s.EBSVolumes)+len(s.EFSFileSystems)+len(s.EC2Instances) > 0
}

// maskKey shows an access key id's first four and last four characters.
func maskKey(id string) string {
	if len(id) < 12 {
		return id
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// guardrailActions are the actions the checklist says an SCP must deny.
var guardrailActions = []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector", "organizations:LeaveOrganization"}

// OrgRules are the rules run once per Organization.
func OrgRules() []Rule {
	return []Rule{
		{
			ID: "AWS-ORG-001", Title: "No service control policy denies a guardrail action", Severity: finding.High,
			Remediation: "Attach an SCP to the root (or every OU) that denies cloudtrail:StopLogging, cloudtrail:DeleteTrail, guardduty:DeleteDetector and organizations:LeaveOrganization.",
			CIS:         []string{"2.1.2"}, Checklist: stepInventory,
			CheckOrg: func(res *aws.Result, _ Config, report func(string, string)) {
				if res.Org.SCPs == nil {
					return // not read
				}
				for _, action := range guardrailActions {
					if !scpDenies(res.Org.SCPs, action) {
						report(orgARN(res.Org), "no attached SCP denies "+action)
					}
				}
			},
		},
		{
			ID: "AWS-ORG-002", Title: "Security services have no delegated administrator outside the management account", Severity: finding.Medium,
			Remediation: "Register a dedicated security account as delegated administrator for GuardDuty, Security Hub and Access Analyzer.",
			CIS:         []string{"2.1.6"}, Checklist: stepInventory,
			CheckOrg: func(res *aws.Result, _ Config, report func(string, string)) {
				for _, svc := range []string{"guardduty.amazonaws.com", "securityhub.amazonaws.com", "access-analyzer.amazonaws.com"} {
					admins := res.Org.DelegatedAdmins[svc]
					if len(admins) == 0 {
						report(orgARN(res.Org)+"/"+svc, svc+" has no delegated administrator")
					} else if slices.Contains(admins, res.Org.ManagementAccountID) {
						report(orgARN(res.Org)+"/"+svc, svc+" is administered from the management account")
					}
				}
			},
		},
		{
			ID: "AWS-ORG-003", Title: "No organization trail", Severity: finding.High,
			Remediation: "Create a multi-region organization trail in the management account, logging to a bucket in a log archive account.",
			CIS:         []string{"4.1"}, Checklist: stepVisibility,
			CheckOrg: func(res *aws.Result, _ Config, report func(string, string)) {
				for _, a := range res.Accounts {
					for _, t := range a.Evidence.Trails {
						if t.Organization && t.MultiRegion && t.Logging {
							return
						}
					}
				}
				report(orgARN(res.Org), "no logging multi-region organization trail was found")
			},
		},
		{
			ID: "AWS-ORG-005", Title: "Workloads run in the Organization's management account", Severity: finding.Medium,
			Remediation: "Move workloads to member accounts: the management account cannot be restricted by SCPs, so a compromise there reaches the whole Organization. Keep it for billing and Organization administration only.",
			Checklist:   stepIncident,
			CheckOrg: func(res *aws.Result, _ Config, report func(string, string)) {
				for _, a := range res.Accounts {
					if a.ID != res.Org.ManagementAccountID {
						continue
					}
					if w := workloads(a.State); len(w) > 0 {
						report(accountARN(a.ID)+"/workloads", "the management account "+a.ID+" runs "+strings.Join(w, ", "))
					}
				}
			},
		},
		{
			ID: "AWS-ORG-004", Title: "CloudTrail logs are stored in the account they record", Severity: finding.Medium,
			Remediation: "Send the trail to a bucket in a separate log archive account, so an intruder in the recorded account cannot delete the evidence.",
			Checklist:   stepVisibility,
			CheckOrg: func(res *aws.Result, _ Config, report func(string, string)) {
				for _, a := range res.Accounts {
					own := map[string]bool{}
					for _, b := range a.State.S3Buckets {
						own[b.Name.Val] = true
					}
					for _, t := range a.Evidence.Trails {
						if own[t.BucketName] {
							report(t.ARN, "trail "+t.Name+" writes to bucket "+t.BucketName+" in its own account "+a.ID)
						}
					}
				}
			},
		},
	}
}

// workloads counts the compute and data services in s, by kind.
func workloads(s *cloud.State) []string {
	var out []string
	add := func(n int, kind string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, kind))
		}
	}
	add(len(s.EC2Instances), "EC2 instances")
	add(len(s.LambdaFunctions), "Lambda functions")
	add(len(s.EKSClusters), "EKS clusters")
	add(len(s.RDSInstances)+len(s.RDSClusters), "RDS databases")
	add(len(s.DynamoDBTables), "DynamoDB tables")
	add(len(s.LoadBalancers), "load balancers")
	add(len(s.ElastiCache), "ElastiCache clusters")
	add(len(s.RedshiftClusters), "Redshift clusters")
	add(len(s.EFSFileSystems), "EFS file systems")
	return out
}

func orgARN(o *aws.Organization) string {
	return "arn:aws:organizations::" + o.ManagementAccountID + ":organization/" + o.ID
}

// scpDenies reports whether an attached SCP denies action without conditions.
func scpDenies(scps []aws.SCP, action string) bool {
	for _, p := range scps {
		if len(p.Targets) == 0 || !p.Document.Known {
			continue
		}
		for _, st := range p.Document.Statements {
			if !strings.EqualFold(st.Effect, "Deny") || st.HasCondition() {
				continue
			}
			for _, a := range st.Actions {
				if actionMatches(a, action) {
					return true
				}
			}
		}
	}
	return false
}

// actionMatches reports whether an IAM action pattern (with * and ?)
// matches action, case-insensitively.
func actionMatches(pattern, action string) bool {
	return wildcard(strings.ToLower(pattern), strings.ToLower(action))
}

func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return s == ""
}
