package program

import (
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Checklist steps as the rules reference them (finding.RefChecklist). They
// are the strings the posture, audit, secrets and deps packages write; a
// test checks that every step a rule serves is covered by a control here.
const (
	stepSecrets    = "AppSec: Never store secrets in code or config"
	stepDeps       = "AppSec: Test for vulns in 3rd party and open source code"
	stepInventory  = "AWS 1: Inventory"
	stepBackups    = "AWS 2: Have Backups"
	stepVisibility = "AWS 3: Visibility and Initial Remediation"
	stepS3Block    = "AWS 3: Turn on S3 Block Public Access"
	stepDetection  = "AWS 4: Detection"
	stepIAM        = "AWS 5: Secure IAM Access"
	stepSurface    = "AWS 6: Reduce attack surface and mitigate compromises"
	stepOwnership  = "AWS 7: Reproducibility and ownership"
	stepRefine     = "AWS 9: Auto remediation and privilege refinement"
	stepNetwork    = "AWS 10: Secure Network Communication"
	stepIncident   = "AWS 11: Incident preparation"
)

// Sections of the checklist, in its order.
const (
	secApps       = "AppSec: Understand applications that are deployed"
	secDeploy     = "AppSec: Understand application deployment methods"
	secPolicies   = "AppSec: Set policies and standards"
	secSDLC       = "AppSec: Build Security Engineering into the SDLC"
	secContinuous = "AppSec: Employ Continuous Assessments"
	secTraining   = "AppSec: Train the Team on Security"
)

// live is evidence from the live AWS audit (`palisade aws audit`): its
// findings on any account or Organization target.
func live(rules ...string) *FindingsEvidence {
	return &FindingsEvidence{Scan: "aws", FromScanner: "aws", Rules: rules}
}

// liveStep is evidence from the live audit's findings on a checklist step,
// except rules another control lists.
func liveStep(step string) *FindingsEvidence {
	return &FindingsEvidence{Scan: "aws", FromScanner: "aws", Checklist: step}
}

// Controls lists every step of the checklist palisade evaluates, in the
// checklist's order. Step quotes the checklist; what palisade adds to make a
// step checkable, or a control of its own for rules the checklist groups
// under a stage title, is marked "(palisade: ...)". Steps no machine can see
// are attested by a person.
func Controls() []Control {
	return []Control{
		// ---- AppSec: Understand applications and how they are deployed ----
		{ID: "appsec-inventory", Section: secApps,
			Step:    "Make it easy to see all the component parts. (palisade: every service in the catalog has an owner, and every open finding belongs to a service.)",
			Catalog: &CatalogEvidence{Check: everyFindingOwned}},
		{ID: "appsec-risk-ranking", Section: secDeploy,
			Step:    "Continuous Visibility. Automate risk ranking for services based on dependencies, Internet exposure, assets involved. (palisade: every service has classified data and a recent scan.)",
			Catalog: &CatalogEvidence{Check: everyServiceRanked}},

		// ---- AppSec: Set policies and standards ----
		{ID: "appsec-compartmentalization", Section: secPolicies,
			Step:   "Compartmentalization: reduce attack surface; reduce the need to move sensitive data around (e.g. Token Vault).",
			Attest: true},
		{ID: "appsec-input-validation", Section: secPolicies,
			Step:   "Sanitize and validate all input: check for format, range, size, type; use allowlist validation whenever possible.",
			Attest: true},
		{ID: "appsec-secrets", Section: secPolicies,
			Step:     "Never store secrets in code or config: use tools to scan, policies to enforce. (palisade: a recent secrets scan with no open finding.)",
			Findings: &FindingsEvidence{Scan: "secrets", FromScanner: "secrets", Checklist: stepSecrets}},
		{ID: "appsec-vault", Section: secPolicies,
			Step:   "Figure out another location for secret storage: use a vault service like AWS KMS, or Hashicorp Vault.",
			Attest: true},
		{ID: "appsec-dependency-vulns", Section: secPolicies,
			Step:     "Scan for dependencies with known vulnerabilities. (palisade: a recent deps scan with no open high or critical vulnerability.)",
			Findings: &FindingsEvidence{Scan: "deps", FromScanner: "deps", Checklist: stepDeps, MinSeverity: finding.High}},
		{ID: "appsec-dependency-updates", Section: secPolicies,
			Step: "Keep dependencies up to date. (palisade: Dependabot or Renovate is configured in the repository.)",
			Repo: &RepoEvidence{Check: dependencyUpdates}},
		{ID: "appsec-authentication", Section: secPolicies,
			Step:   "Enforce secure authentication: password complexity, passwords stored with scrypt or Argon2 with the ability to upgrade, re-authentication before especially sensitive operations, TLS client authentication.",
			Attest: true},
		{ID: "appsec-least-privilege", Section: secPolicies,
			Step:   "Enforce least privilege: specify the least amount of authorization each role needs; create unit tests that attempt higher-privileged actions with lower-privileged roles.",
			Attest: true},
		{ID: "appsec-data-protection", Section: secPolicies,
			Step:   "Protect sensitive data: categorize it, determine where it is used and exposed, encrypt it at rest and in transit, be careful with data in memory, secure session data.",
			Attest: true},
		{ID: "appsec-owasp-top-10", Section: secPolicies,
			Step:   "Protect against OWASP Top 10: input validation, HTML encoding, parameterize queries.",
			Attest: true},
		{ID: "appsec-secure-templates", Section: secPolicies,
			Step:     "Secure deployment/config standards and templates. (palisade: a recent IaC scan with no open high or critical misconfiguration.)",
			Findings: &FindingsEvidence{Scan: "iac", FromScanner: "iac", Category: finding.Misconfiguration, MinSeverity: finding.High}},
		{ID: "appsec-key-vulnerabilities", Section: secPolicies,
			Step:   "Identify key vulnerabilities: for each vulnerability important to your platform, create development standards and mitigation plans.",
			Attest: true},

		// ---- AppSec: Build Security Engineering into the SDLC ----
		{ID: "sdlc-security-objectives", Section: secSDLC, Step: "Define security objectives as part of requirements and design.", Attest: true},
		{ID: "sdlc-threat-modeling", Section: secSDLC, Step: "Threat modeling.", Attest: true},
		{ID: "sdlc-design-review", Section: secSDLC, Step: "Architecture and design review for security.", Attest: true},
		{ID: "sdlc-code-review", Section: secSDLC, Step: "Code review for security.", Attest: true},
		{ID: "sdlc-penetration-testing", Section: secSDLC, Step: "Penetration testing, both internal and 3rd party.", Attest: true},
		{ID: "sdlc-security-tests", Section: secSDLC, Step: "Security as part of unit testing and integration testing.", Attest: true},
		{ID: "sdlc-deployment-review", Section: secSDLC, Step: "Deployment and configuration review.", Attest: true},

		// ---- AppSec: Employ Continuous Assessments ----
		{ID: "continuous-sast", Section: secContinuous, Step: "Run SAST. (palisade: a CI configuration runs a SAST tool.)",
			Repo: &RepoEvidence{Check: ciRuns(sastCommand, "a SAST tool")}},
		{ID: "continuous-ci-scans", Section: secContinuous, Step: "Run inline scans in CI/CD pipeline, but keep them short. (palisade: a CI configuration runs a security scanner.)",
			Repo: &RepoEvidence{Check: ciRuns(inlineScanCommand, "an inline security scan")}},
		{ID: "continuous-infrastructure-scans", Section: secContinuous,
			Step:     "Run infrastructure scans after every deployment. (palisade: cannot see deployments; a complete live audit within the last 7 days.)",
			Findings: &FindingsEvidence{Scan: "aws", MaxAge: 7 * 24 * time.Hour}},
		{ID: "continuous-dast", Section: secContinuous, Step: "Run DAST scans after every deployment.", Attest: true},
		{ID: "continuous-cspm", Section: secContinuous,
			Step:     "Use a Cloud Security Posture Manager (CSPM) to find misconfigurations and detect overly liberal account permissions. (palisade: a complete live audit within the maximum age.)",
			Findings: &FindingsEvidence{Scan: "aws"}},

		// ---- AppSec: Train the Team on Security ----
		{ID: "training-policies", Section: secTraining, Step: "Security policies.", Attest: true},
		{ID: "training-standards", Section: secTraining, Step: "Security standards and best practices for architecture and code.", Attest: true},
		{ID: "training-lunch-and-learn", Section: secTraining, Step: "Lunch and Learns to discuss vulnerabilities, exploits, mitigations, breaches.", Attest: true},
		{ID: "training-code-mitigation", Section: secTraining, Step: "Code level mitigation instruction.", Attest: true},
		{ID: "training-hands-on", Section: secTraining, Step: "Hands-on style training to create emotional connection to vulnerability impact.", Attest: true},

		// ---- AWS 1: Inventory ----
		{ID: "aws-1-organizations", Section: stepInventory, Stage: 1,
			Step:     "Identify all accounts. Integrate all AWS accounts into AWS Organizations. (palisade: a complete Organization-wide audit.)",
			Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:"}},
		{ID: "aws-1-scps", Section: stepInventory, Stage: 1,
			Step:     "Use Service Control Policies (SCPs).",
			Findings: live("AWS-ORG-001")},
		{ID: "aws-1-security-account", Section: stepInventory, Stage: 1,
			Step:     "Have an AWS account for security, used for log collection: at least three accounts (business, security, and one for the AWS Organization).",
			Findings: live("AWS-ORG-002", "AWS-ORG-004")},
		{ID: "aws-1-resource-inventory", Section: stepInventory, Stage: 1,
			Step:     "(palisade: AWS Config records every resource of every account, the inventory below the accounts.)",
			Findings: liveStep(stepInventory)},

		// ---- AWS 2: Have Backups ----
		{ID: "aws-2-backups", Section: stepBackups, Stage: 2,
			Step:     "Create regular, offline, protected backups. (palisade: a backup plan in every account, vaults locked and encrypted with a customer managed key.)",
			Findings: live("AWS-ACCT-012", "AWS-BAK-001", "AWS-BAK-003")},
		{ID: "aws-2-separate-copy", Section: stepBackups, Stage: 2,
			Step:     "Backups should go to separate AWS account in a different region, or off of AWS entirely. (palisade: backup plans copy to another vault; versioned buckets replicate to another region or account.)",
			Findings: live("AWS-BAK-002", "AWS-S3-014")},
		{ID: "aws-2-recovery-points", Section: stepBackups, Stage: 2,
			Step:     "Use AWS Backup and S3 Replication Policies. (palisade: data stores keep their own recovery points: versioning, point-in-time recovery, retention.)",
			Findings: liveStep(stepBackups)},

		// ---- AWS 3: Visibility and Initial Remediation ----
		{ID: "aws-3-logging", Section: stepVisibility, Stage: 3,
			Step:     "Turn on CloudTrail, GuardDuty, and Access Analyzer to send logs to Security Account.",
			Findings: live("AWS-ACCT-001", "AWS-ACCT-002", "AWS-ACCT-003", "AWS-ORG-003", "AWS-CT-001", "AWS-CT-005", "AWS-GD-001", "AWS-AA-001")},
		{ID: "aws-3-security-role", Section: stepVisibility, Stage: 3,
			Step:     "Create an IAM role on each account that allows security account View access. (palisade: a complete Organization audit, which assumes that role in every account.)",
			Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:"}},
		{ID: "aws-3-public-data", Section: stepVisibility, Stage: 3,
			Step:     "Run a one-time scanning tool for tactical remediations. Look for: public buckets with sensitive contents, public AWS managed ElasticSearch servers, EC2s running publicly accessible services that should be private.",
			Findings: live("AWS-S3-006", "AWS-S3-011", "AWS-ES-008", "AWS-RDS-003", "AWS-SNS-002", "AWS-SQS-002", "AWS-ECR-004")},
		{ID: "aws-3-block-public-access", Section: stepVisibility, Stage: 3,
			Step:     "Turn on S3 Block Public Access.",
			Findings: liveStep(stepS3Block)},
		{ID: "aws-3-account-baseline", Section: stepVisibility, Stage: 3,
			Step:     "Develop an account initialization script and new account process: ensure a secure baseline for new accounts.",
			Findings: live("AWS-ACCT-022")},
		{ID: "aws-3-remediation", Section: stepVisibility, Stage: 3,
			Step:     "(palisade: the stage's other posture rules, such as encryption at rest and log integrity.)",
			Findings: liveStep(stepVisibility)},

		// ---- AWS 4: Detection ----
		{ID: "aws-4-siem", Section: stepDetection, Stage: 4,
			Step: "Detect issues from logs and events: integrate into a SIEM for monitoring and alerting. (palisade: `palisade detect` or `palisade events ingest` recorded a detection run within the last 7 days, and no detection alert stayed open, untriaged, for more than 3 days.)",
			Findings: &FindingsEvidence{Scan: "detect", FromScanner: "detect", Category: finding.Detection,
				PartialRuns: true, MaxAge: 7 * 24 * time.Hour, TriageWithin: DetectionTriageWindow}},
		{ID: "aws-4-guardduty-alerts", Section: stepDetection, Stage: 4,
			Step:   "Ensure you can receive a notification from a GuardDuty alert from any account in any region.",
			Attest: true},
		{ID: "aws-4-access-denied", Section: stepDetection, Stage: 4,
			Step:   "Ensure you can alert on AccessDenied errors.",
			Attest: true},
		{ID: "aws-4-principal-search", Section: stepDetection, Stage: 4,
			Step:   "Ensure you can search on all actions taken by a principal in a time period.",
			Attest: true},
		{ID: "aws-4-regular-scanning", Section: stepDetection, Stage: 4,
			Step:     "Perform regular scanning and assessment. (palisade: a complete live audit within the last 7 days.)",
			Findings: &FindingsEvidence{Scan: "aws", MaxAge: 7 * 24 * time.Hour}},
		{ID: "aws-4-guidelines", Section: stepDetection, Stage: 4,
			Step:   "Document your security guidelines, to ensure teams know what they will be flagged for.",
			Attest: true},
		{ID: "aws-4-logs", Section: stepDetection, Stage: 4,
			Step:     "(palisade: every service logs where detection can read it: trail delivery, access logs, flow logs, log retention.)",
			Findings: liveStep(stepDetection)},

		// ---- AWS 5: Secure IAM Access ----
		{ID: "aws-5-sso", Section: stepIAM, Stage: 5,
			Step:     "Use SSO for all human users.",
			Findings: live("AWS-ACCT-021")},
		{ID: "aws-5-sso-mfa", Section: stepIAM, Stage: 5,
			Step:   "Enforce strong passwords and MFA with your SSO provider.",
			Attest: true},
		{ID: "aws-5-no-iam-users", Section: stepIAM, Stage: 5,
			Step:     "Remove all IAM users: IAM user keys never expire and regularly end up in GitHub. Use IAM roles instead.",
			Findings: live("AWS-IAM-002", "AWS-IAM-003", "AWS-IAM-004", "AWS-ACCT-004", "AWS-ACCT-007", "AWS-ACCT-008", "AWS-EC2-003")},
		{ID: "aws-5-unused-roles", Section: stepIAM, Stage: 5,
			Step:     "Remove unused IAM roles: audit for those not used for a period of time.",
			Findings: live("AWS-ACCT-009")},
		{ID: "aws-5-service-roles", Section: stepIAM, Stage: 5,
			Step:     "Reduce privileges of service roles to necessary services: use Access Advisor to determine minimum privileges.",
			Findings: live("AWS-ACCT-010")},
		{ID: "aws-5-pre-commit", Section: stepIAM, Stage: 5,
			Step: "Implement pre-commit hooks for secret detection.",
			Repo: &RepoEvidence{Check: preCommitSecretScan}},
		{ID: "aws-5-access", Section: stepIAM, Stage: 5,
			Step:     "(palisade: the stage's other IAM rules: root and console MFA, password policy, role trust, database authentication, secret rotation.)",
			Findings: liveStep(stepIAM)},

		// ---- AWS 6: Reduce attack surface and mitigate compromises ----
		{ID: "aws-6-attack-surface", Section: stepSurface, Stage: 6,
			Step:     "Reduce attack surface and mitigate compromises. (palisade: the checklist lists no steps here; the stage's posture rules.)",
			Findings: liveStep(stepSurface)},

		// ---- AWS 7: Reproducibility and ownership ----
		{ID: "aws-7-iac", Section: stepOwnership, Stage: 7,
			Step: "Use infrastructure as code (IaC) such as Terraform or CloudFormation.",
			Repo: &RepoEvidence{Check: infrastructureAsCode}},
		{ID: "aws-7-iac-only", Section: stepOwnership, Stage: 7,
			Step:     "Changes should only be allowed through IaC. (palisade: no drift between live resources and code, from `aws audit --iac`.)",
			Findings: &FindingsEvidence{Scan: "drift", FromScanner: "aws", Rules: []string{"AWS-DRIFT-001", "AWS-DRIFT-002"}}},
		{ID: "aws-7-code-review", Section: stepOwnership, Stage: 7,
			Step:   "Require code review on all changes that impact infrastructure.",
			Attest: true},
		{ID: "aws-7-image-guidelines", Section: stepOwnership, Stage: 7,
			Step:   "Document guidelines on what Amazon Machine Images are allowed (allowlist), and what instance types and OSs are allowed.",
			Attest: true},
		{ID: "aws-7-ami-sourcing", Section: stepOwnership, Stage: 7,
			Step:     "Control AMI and package sourcing. (palisade: every instance runs an image from an approved owner.)",
			Findings: live("AWS-EC2-008")},
		{ID: "aws-7-owner-tags", Section: stepOwnership, Stage: 7,
			Step:     "Apply tagging strategy: ensure all resources are tagged with owners.",
			Findings: live("AWS-TAG-001")},
		{ID: "aws-7-reproducibility", Section: stepOwnership, Stage: 7,
			Step:     "(palisade: the stage's other rules: immutable image tags, tags copied to snapshots, described security groups.)",
			Findings: liveStep(stepOwnership)},

		// ---- AWS 9: Auto remediation and privilege refinement ----
		{ID: "aws-9-auto-remediation", Section: stepRefine, Stage: 9,
			Step:   "Implement automated remediation: removing unused IAM roles, changing security groups that are too open, terminating test EC2s every evening.",
			Attest: true},
		{ID: "aws-9-refine-iam", Section: stepRefine, Stage: 9,
			Step:     "Refine IAM policies: review and refine them to further restrict them.",
			Findings: liveStep(stepRefine)},

		// ---- AWS 10: Secure Network Communication ----
		{ID: "aws-10-private-subnets", Section: stepNetwork, Stage: 10,
			Step:     "Move all non-public resources into private subnets.",
			Findings: live("AWS-ACCT-011", "AWS-EC2-006", "AWS-VPC-009")},
		{ID: "aws-10-proxies", Section: stepNetwork, Stage: 10,
			Step:   "Relay outbound traffic through proxies.",
			Attest: true},
		{ID: "aws-10-egress", Section: stepNetwork, Stage: 10,
			Step:     "Restrict egress network traffic: use AWS PrivateLink to restrict access to resources to certain VPCs and to restrict calls out to the Internet.",
			Findings: live("AWS-VPC-004", "AWS-VPC-012", "AWS-VPC-013")},
		{ID: "aws-10-network", Section: stepNetwork, Stage: 10,
			Step:     "(palisade: the stage's other rules: no administration or file-sharing ports open to the internet, TLS 1.2 or later in transit.)",
			Findings: liveStep(stepNetwork)},

		// ---- AWS 11: Incident preparation ----
		{ID: "aws-11-blast-radius", Section: stepIncident, Stage: 11,
			Step:   "Limit the blast radius: break services into pieces so that if one is compromised, the impact is lessened.",
			Attest: true},
		{ID: "aws-11-resilience", Section: stepIncident, Stage: 11,
			Step:     "(palisade: no workloads in the Organization's management account; deletion protection on databases and load balancers.)",
			Findings: liveStep(stepIncident)},
		{ID: "aws-11-practice", Section: stepIncident, Stage: 11,
			Step:   "Practice responding: how long does it take to identify, understand, and react.",
			Attest: true},
	}
}

// ControlByID returns the control with the given id.
func ControlByID(id string) (Control, bool) {
	for _, c := range Controls() {
		if c.ID == id {
			return c, true
		}
	}
	return Control{}, false
}
