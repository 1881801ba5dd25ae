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
// checklist's order. Steps no machine can see are attested by a person.
func Controls() []Control {
	return []Control{
		// ---- AppSec: Understand applications and how they are deployed ----
		{ID: "appsec-inventory", Section: secApps,
			Step:    "Make it easy to see all the component parts: every service has an owner, and every open finding belongs to a service.",
			Catalog: &CatalogEvidence{Check: everyFindingOwned}},
		{ID: "appsec-risk-ranking", Section: secDeploy,
			Step:    "Continuous visibility: automate risk ranking for services based on internet exposure and the assets involved.",
			Catalog: &CatalogEvidence{Check: everyServiceRanked}},

		// ---- AppSec: Set policies and standards ----
		{ID: "appsec-input-validation", Section: secPolicies,
			Step:   "Sanitize and validate all input: format, range, size, type; allowlist validation whenever possible.",
			Attest: true},
		{ID: "appsec-secrets", Section: secPolicies,
			Step:     "Never store secrets in code or config: use tools to scan, policies to enforce.",
			Findings: &FindingsEvidence{Scan: "secrets", FromScanner: "secrets", Checklist: stepSecrets}},
		{ID: "appsec-dependency-vulns", Section: secPolicies,
			Step:     "Scan for dependencies with known vulnerabilities (no open high or critical one).",
			Findings: &FindingsEvidence{Scan: "deps", FromScanner: "deps", Checklist: stepDeps, MinSeverity: finding.High}},
		{ID: "appsec-dependency-updates", Section: secPolicies,
			Step: "Keep dependencies up to date (automated update pull requests).",
			Repo: &RepoEvidence{Check: dependencyUpdates}},
		{ID: "appsec-authentication", Section: secPolicies,
			Step:   "Enforce secure authentication: password policy, scrypt or Argon2 storage, re-authentication before sensitive operations, TLS client authentication.",
			Attest: true},
		{ID: "appsec-least-privilege", Section: secPolicies,
			Step:   "Enforce least privilege: the least authorization each role needs, with unit tests that try higher-privileged actions with lower-privileged roles.",
			Attest: true},
		{ID: "appsec-data-protection", Section: secPolicies,
			Step:   "Protect sensitive data: categorize it, know where it is used and exposed, encrypt it at rest and in transit, secure session data.",
			Attest: true},
		{ID: "appsec-owasp-top-10", Section: secPolicies,
			Step:   "Protect against the OWASP Top 10: input validation, HTML encoding, parameterized queries.",
			Attest: true},
		{ID: "appsec-secure-templates", Section: secPolicies,
			Step:     "Secure deployment and configuration standards and templates (infrastructure code scanned).",
			Findings: &FindingsEvidence{Scan: "iac"}},
		{ID: "appsec-key-vulnerabilities", Section: secPolicies,
			Step:   "For each vulnerability important to the platform, create development standards and mitigation plans.",
			Attest: true},

		// ---- AppSec: Build Security Engineering into the SDLC ----
		{ID: "sdlc-security-objectives", Section: secSDLC, Step: "Define security objectives as part of requirements and design.", Attest: true},
		{ID: "sdlc-threat-modeling", Section: secSDLC, Step: "Threat modeling.", Attest: true},
		{ID: "sdlc-design-review", Section: secSDLC, Step: "Architecture and design review for security.", Attest: true},
		{ID: "sdlc-code-review", Section: secSDLC, Step: "Code review for security.", Attest: true},
		{ID: "sdlc-penetration-testing", Section: secSDLC, Step: "Penetration testing, both internal and third party.", Attest: true},
		{ID: "sdlc-security-tests", Section: secSDLC, Step: "Security as part of unit testing and integration testing.", Attest: true},
		{ID: "sdlc-deployment-review", Section: secSDLC, Step: "Deployment and configuration review.", Attest: true},

		// ---- AppSec: Employ Continuous Assessments ----
		{ID: "continuous-sast", Section: secContinuous, Step: "Run SAST.",
			Repo: &RepoEvidence{Check: ciRuns(sastCommand, "a SAST tool")}},
		{ID: "continuous-ci-scans", Section: secContinuous, Step: "Run inline scans in the CI/CD pipeline, but keep them short.",
			Repo: &RepoEvidence{Check: ciRuns(inlineScanCommand, "an inline security scan")}},
		{ID: "continuous-infrastructure-scans", Section: secContinuous,
			Step:     "Run infrastructure scans after every deployment (a live audit within the last 7 days).",
			Findings: &FindingsEvidence{Scan: "aws", MaxAge: 7 * 24 * time.Hour}},
		{ID: "continuous-dast", Section: secContinuous, Step: "Run DAST scans after every deployment.", Attest: true},
		{ID: "continuous-cspm", Section: secContinuous,
			Step:     "Use a Cloud Security Posture Manager to find misconfigurations and overly liberal permissions.",
			Findings: &FindingsEvidence{Scan: "aws"}},

		// ---- AppSec: Train the Team on Security ----
		{ID: "training-policies", Section: secTraining, Step: "Security policies.", Attest: true},
		{ID: "training-standards", Section: secTraining, Step: "Security standards and best practices for architecture and code.", Attest: true},
		{ID: "training-lunch-and-learn", Section: secTraining, Step: "Lunch and learns on vulnerabilities, exploits, mitigations, breaches.", Attest: true},
		{ID: "training-code-mitigation", Section: secTraining, Step: "Code-level mitigation instruction.", Attest: true},
		{ID: "training-hands-on", Section: secTraining, Step: "Hands-on training that creates an emotional connection to vulnerability impact.", Attest: true},

		// ---- AWS 1: Inventory ----
		{ID: "aws-1-organizations", Section: stepInventory, Stage: 1,
			Step:     "Identify all accounts and integrate them into AWS Organizations (an Organization-wide audit).",
			Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:"}},
		{ID: "aws-1-scps", Section: stepInventory, Stage: 1,
			Step:     "Use Service Control Policies.",
			Findings: live("AWS-ORG-001")},
		{ID: "aws-1-security-account", Section: stepInventory, Stage: 1,
			Step:     "Have an AWS account for security, used for log collection.",
			Findings: live("AWS-ORG-002", "AWS-ORG-004")},
		{ID: "aws-1-inventory", Section: stepInventory, Stage: 1,
			Step:     "Record every resource of every account (AWS Config).",
			Findings: liveStep(stepInventory)},

		// ---- AWS 2: Have Backups ----
		{ID: "aws-2-backups", Section: stepBackups, Stage: 2,
			Step:     "Create regular, offline, protected backups.",
			Findings: live("AWS-ACCT-012", "AWS-BAK-001", "AWS-BAK-003")},
		{ID: "aws-2-separate-copy", Section: stepBackups, Stage: 2,
			Step:     "Backups go to a separate AWS account in a different region, or off AWS.",
			Findings: live("AWS-BAK-002", "AWS-S3-014")},
		{ID: "aws-2-recovery", Section: stepBackups, Stage: 2,
			Step:     "Use AWS Backup and S3 replication policies; data stores keep recovery points.",
			Findings: liveStep(stepBackups)},

		// ---- AWS 3: Visibility and Initial Remediation ----
		{ID: "aws-3-logging", Section: stepVisibility, Stage: 3,
			Step:     "Turn on CloudTrail, GuardDuty and Access Analyzer, sending logs to the security account.",
			Findings: live("AWS-ACCT-001", "AWS-ACCT-002", "AWS-ACCT-003", "AWS-ORG-003", "AWS-CT-001", "AWS-CT-005", "AWS-GD-001", "AWS-AA-001")},
		{ID: "aws-3-security-role", Section: stepVisibility, Stage: 3,
			Step:     "Create an IAM role in each account that gives the security account view access (an Organization audit that reached every account).",
			Findings: &FindingsEvidence{Scan: "aws", TargetPrefix: "aws-org:", Complete: true}},
		{ID: "aws-3-public-data", Section: stepVisibility, Stage: 3,
			Step:     "Remediate public buckets, public Elasticsearch domains and publicly reachable databases.",
			Findings: live("AWS-S3-006", "AWS-S3-011", "AWS-ES-008", "AWS-RDS-003", "AWS-SNS-002", "AWS-SQS-002", "AWS-ECR-004")},
		{ID: "aws-3-block-public-access", Section: stepVisibility, Stage: 3,
			Step:     "Turn on S3 Block Public Access.",
			Findings: liveStep(stepS3Block)},
		{ID: "aws-3-account-baseline", Section: stepVisibility, Stage: 3,
			Step:     "Develop an account initialization script and new account process: a secure baseline for new accounts.",
			Findings: live("AWS-ACCT-022")},
		{ID: "aws-3-remediation", Section: stepVisibility, Stage: 3,
			Step:     "Tactical remediation of what the first scan finds (encryption at rest, log integrity).",
			Findings: liveStep(stepVisibility)},

		// ---- AWS 4: Detection ----
		{ID: "aws-4-guardduty-alerts", Section: stepDetection, Stage: 4,
			Step:   "Receive a notification from a GuardDuty alert from any account in any region.",
			Attest: true},
		{ID: "aws-4-access-denied", Section: stepDetection, Stage: 4,
			Step:   "Alert on AccessDenied errors.",
			Attest: true},
		{ID: "aws-4-principal-search", Section: stepDetection, Stage: 4,
			Step:   "Search on all actions taken by a principal in a time period.",
			Attest: true},
		{ID: "aws-4-regular-scanning", Section: stepDetection, Stage: 4,
			Step:     "Perform regular scanning and assessment (a live audit within the last 7 days).",
			Findings: &FindingsEvidence{Scan: "aws", MaxAge: 7 * 24 * time.Hour}},
		{ID: "aws-4-guidelines", Section: stepDetection, Stage: 4,
			Step:   "Document your security guidelines, so teams know what they will be flagged for.",
			Attest: true},
		{ID: "aws-4-logs", Section: stepDetection, Stage: 4,
			Step:     "Detect issues from logs and events: every service logs where detection can read it.",
			Findings: liveStep(stepDetection)},

		// ---- AWS 5: Secure IAM Access ----
		{ID: "aws-5-sso", Section: stepIAM, Stage: 5,
			Step:     "Use SSO for all human users.",
			Findings: live("AWS-ACCT-021")},
		{ID: "aws-5-mfa", Section: stepIAM, Stage: 5,
			Step:     "Enforce strong passwords and MFA.",
			Findings: live("AWS-ACCT-005", "AWS-ACCT-006", "AWS-IAM-007", "AWS-IAM-008", "AWS-IAM-011")},
		{ID: "aws-5-no-iam-users", Section: stepIAM, Stage: 5,
			Step:     "Remove all IAM users: their keys never expire and end up in code. Use roles instead.",
			Findings: live("AWS-IAM-002", "AWS-IAM-003", "AWS-IAM-004", "AWS-ACCT-004", "AWS-ACCT-007", "AWS-ACCT-008", "AWS-EC2-003")},
		{ID: "aws-5-unused-roles", Section: stepIAM, Stage: 5,
			Step:     "Remove unused IAM roles.",
			Findings: live("AWS-ACCT-009")},
		{ID: "aws-5-service-roles", Section: stepIAM, Stage: 5,
			Step:     "Reduce the privileges of service roles to the services they use (Access Advisor).",
			Findings: live("AWS-ACCT-010")},
		{ID: "aws-5-pre-commit", Section: stepIAM, Stage: 5,
			Step: "Implement pre-commit hooks for secret detection.",
			Repo: &RepoEvidence{Check: preCommitSecretScan}},
		{ID: "aws-5-access", Section: stepIAM, Stage: 5,
			Step:     "Secure the remaining IAM access paths (role trust, database authentication, secret rotation).",
			Findings: liveStep(stepIAM)},

		// ---- AWS 6: Reduce attack surface and mitigate compromises ----
		{ID: "aws-6-attack-surface", Section: stepSurface, Stage: 6,
			Step:     "Reduce attack surface and mitigate compromises.",
			Findings: liveStep(stepSurface)},

		// ---- AWS 7: Reproducibility and ownership ----
		{ID: "aws-7-iac", Section: stepOwnership, Stage: 7,
			Step: "Use infrastructure as code (Terraform or CloudFormation).",
			Repo: &RepoEvidence{Check: infrastructureAsCode}},
		{ID: "aws-7-iac-only", Section: stepOwnership, Stage: 7,
			Step:     "Changes only through infrastructure as code (no drift between live resources and code).",
			Findings: &FindingsEvidence{Scan: "drift", FromScanner: "aws", Rules: []string{"AWS-DRIFT-001", "AWS-DRIFT-002"}}},
		{ID: "aws-7-code-review", Section: stepOwnership, Stage: 7,
			Step:   "Require code review on all changes that impact infrastructure.",
			Attest: true},
		{ID: "aws-7-ami-sourcing", Section: stepOwnership, Stage: 7,
			Step:     "Control AMI and package sourcing: allowed AMIs only, none shared publicly.",
			Findings: live("AWS-EC2-008", "AWS-EC2-009")},
		{ID: "aws-7-owner-tags", Section: stepOwnership, Stage: 7,
			Step:     "Apply a tagging strategy: every resource tagged with its owner.",
			Findings: live("AWS-TAG-001")},
		{ID: "aws-7-reproducibility", Section: stepOwnership, Stage: 7,
			Step:     "Reproducible, documented resources (immutable image tags, described security groups).",
			Findings: liveStep(stepOwnership)},

		// ---- AWS 9: Auto remediation and privilege refinement ----
		{ID: "aws-9-auto-remediation", Section: stepRefine, Stage: 9,
			Step:   "Implement automated remediation (unused roles, open security groups, test instances).",
			Attest: true},
		{ID: "aws-9-refine-iam", Section: stepRefine, Stage: 9,
			Step:     "Review and refine IAM policies to further restrict them.",
			Findings: liveStep(stepRefine)},

		// ---- AWS 10: Secure Network Communication ----
		{ID: "aws-10-private-subnets", Section: stepNetwork, Stage: 10,
			Step:     "Move all non-public resources into private subnets.",
			Findings: live("AWS-ACCT-011", "AWS-EC2-006", "AWS-VPC-009")},
		{ID: "aws-10-egress", Section: stepNetwork, Stage: 10,
			Step:     "Restrict egress network traffic; use PrivateLink and VPC endpoints.",
			Findings: live("AWS-VPC-004", "AWS-VPC-012", "AWS-VPC-013")},
		{ID: "aws-10-network", Section: stepNetwork, Stage: 10,
			Step:     "Secure network communication: no administration or file-sharing ports open to the internet, TLS 1.2 or later.",
			Findings: liveStep(stepNetwork)},

		// ---- AWS 11: Incident preparation ----
		{ID: "aws-11-blast-radius", Section: stepIncident, Stage: 11,
			Step:     "Limit the blast radius.",
			Findings: liveStep(stepIncident)},
		{ID: "aws-11-practice", Section: stepIncident, Stage: 11,
			Step:   "Practice responding: how long it takes to identify, understand and react.",
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
