package posture

import (
	"fmt"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

func dbs(s *cloud.State) []*cloud.RDSInstance     { return s.RDSInstances }
func clusters(s *cloud.State) []*cloud.RDSCluster { return s.RDSClusters }

func databaseRules() []Rule {
	return []Rule{
		{
			ID: "AWS-RDS-001", Title: "RDS instance storage is not encrypted", Severity: finding.High,
			Rationale:   "Unencrypted database storage, snapshots and replicas expose data to anyone who can copy them.",
			Remediation: Remediation{Text: "Enable storage encryption (requires a new instance or a snapshot restore).", Terraform: "storage_encrypted = true", CloudFormation: "StorageEncrypted: true"},
			Refs:        Refs{CIS: []string{"3.2.1"}, Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.StorageEncrypted), "instance storage is not encrypted", !d.InCluster && d.StorageEncrypted.Is(false)
			}),
		},
		{
			ID: "AWS-RDS-002", Title: "Database cluster storage is not encrypted", Severity: finding.High,
			Rationale:   "Unencrypted cluster storage, snapshots and replicas expose data to anyone who can copy them.",
			Remediation: Remediation{Text: "Enable storage encryption.", Terraform: "storage_encrypted = true", CloudFormation: "StorageEncrypted: true"},
			Refs:        Refs{CIS: []string{"3.2.1"}, Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(clusters, func(c *cloud.RDSCluster) (cloud.Source, string, bool) {
				return isFalse(c, c.StorageEncrypted, "cluster storage is not encrypted")
			}),
		},
		{
			ID: "AWS-RDS-003", Title: "RDS instance is publicly accessible", Severity: finding.High,
			Rationale:   "A publicly accessible database gets a public DNS name and address; one permissive security group away from the internet.",
			Remediation: Remediation{Text: "Turn off public accessibility and reach the database from inside the VPC.", Terraform: "publicly_accessible = false", CloudFormation: "PubliclyAccessible: false"},
			Refs:        Refs{CIS: []string{"3.2.3"}, Checklist: stepVisibility, CWE: []string{"CWE-284"}},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return isTrue(d, d.PubliclyAccessible, "instance is publicly accessible")
			}),
		},
		{
			ID: "AWS-RDS-004", Title: "Database backup retention is one day or less", Severity: finding.Medium,
			Rationale:   "A day of backups is too short to notice and recover from corruption or a destructive attacker.",
			Remediation: Remediation{Text: "Keep automated backups for at least 7 days and copy them to another account.", Terraform: "backup_retention_period = 7", CloudFormation: "BackupRetentionPeriod: 7"},
			Refs:        Refs{Checklist: stepBackups},
			Check: func(s *cloud.State, report Reporter) {
				for _, d := range s.RDSInstances {
					if !d.InCluster && d.BackupRetention.Known && d.BackupRetention.Val < 2 {
						report(d, cloud.At(&d.Meta, d.BackupRetention), fmt.Sprintf("backup retention is %d days", d.BackupRetention.Val))
					}
				}
				for _, c := range s.RDSClusters {
					if c.BackupRetention.Known && c.BackupRetention.Val < 2 {
						report(c, cloud.At(&c.Meta, c.BackupRetention), fmt.Sprintf("backup retention is %d days", c.BackupRetention.Val))
					}
				}
			},
		},
		{
			ID: "AWS-RDS-005", Title: "RDS instance deletion protection is disabled", Severity: finding.Medium,
			Rationale:   "Deletion protection stops an accidental or malicious delete of a production database.",
			Remediation: Remediation{Text: "Enable deletion protection.", Terraform: "deletion_protection = true", CloudFormation: "DeletionProtection: true"},
			Refs:        Refs{Checklist: stepIncident},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.DeletionProtection), "deletion protection is disabled", !d.InCluster && d.DeletionProtection.Is(false)
			}),
		},
		{
			ID: "AWS-RDS-006", Title: "Database cluster deletion protection is disabled", Severity: finding.Medium,
			Rationale:   "Deletion protection stops an accidental or malicious delete of a production cluster.",
			Remediation: Remediation{Text: "Enable deletion protection.", Terraform: "deletion_protection = true", CloudFormation: "DeletionProtection: true"},
			Refs:        Refs{Checklist: stepIncident},
			Check: each(clusters, func(c *cloud.RDSCluster) (cloud.Source, string, bool) {
				return isFalse(c, c.DeletionProtection, "deletion protection is disabled")
			}),
		},
		{
			ID: "AWS-RDS-007", Title: "RDS IAM database authentication is disabled", Severity: finding.Medium,
			Rationale:   "IAM authentication replaces long-lived database passwords with short-lived tokens tied to roles.",
			Remediation: Remediation{Text: "Enable IAM database authentication.", Terraform: "iam_database_authentication_enabled = true", CloudFormation: "EnableIAMDatabaseAuthentication: true"},
			Refs:        Refs{Checklist: stepIAM},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				e := strings.ToLower(d.Engine.Val)
				supported := d.Engine.Known && (strings.Contains(e, "mysql") || strings.Contains(e, "postgres") || strings.Contains(e, "mariadb"))
				return cloud.At(&d.Meta, d.IAMAuth), "IAM database authentication is disabled", !d.InCluster && supported && d.IAMAuth.Is(false)
			}),
		},
		{
			ID: "AWS-RDS-008", Title: "RDS Performance Insights is disabled", Severity: finding.Low,
			Rationale:   "Performance Insights shows unusual query load, which also surfaces abuse such as bulk data extraction.",
			Remediation: Remediation{Text: "Enable Performance Insights with a customer managed key.", Terraform: "performance_insights_enabled    = true\nperformance_insights_kms_key_id = aws_kms_key.rds.arn", CloudFormation: "EnablePerformanceInsights: true\nPerformanceInsightsKMSKeyId: !GetAtt RdsKey.Arn"},
			Refs:        Refs{Checklist: stepDetection},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return isFalse(d, d.PerformanceInsights, "Performance Insights is disabled")
			}),
		},
		{
			ID: "AWS-RDS-009", Title: "RDS automatic minor version upgrade is disabled", Severity: finding.Medium,
			Rationale:   "Minor versions carry security fixes; turning off automatic upgrades leaves known bugs in place.",
			Remediation: Remediation{Text: "Enable automatic minor version upgrades.", Terraform: "auto_minor_version_upgrade = true", CloudFormation: "AutoMinorVersionUpgrade: true"},
			Refs:        Refs{CIS: []string{"3.2.2"}, Checklist: stepSurface, CWE: []string{"CWE-1104"}},
			Check: each(dbs, func(d *cloud.RDSInstance) (cloud.Source, string, bool) {
				return isFalse(d, d.AutoMinorVersionUpgrade, "automatic minor version upgrade is disabled")
			}),
		},
		{
			ID: "AWS-RDS-010", Title: "Database cluster does not export logs to CloudWatch", Severity: finding.Medium,
			Rationale:   "Without exported audit or error logs there is no record of who queried or changed the database.",
			Remediation: Remediation{Text: "Export the engine's audit logs.", Terraform: "enabled_cloudwatch_logs_exports = [\"audit\"]", CloudFormation: "EnableCloudwatchLogsExports: [audit]"},
			Refs:        Refs{Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: each(clusters, func(c *cloud.RDSCluster) (cloud.Source, string, bool) {
				return cloud.AtList(&c.Meta, c.LogExports), "cluster exports no logs", c.Family != "rds" && !c.LogExports.Unknown && len(c.LogExports.Vals) == 0
			}),
		},
		{
			ID: "AWS-RDS-011", Title: "Database cluster is not encrypted with a customer managed key", Severity: finding.Low,
			Rationale:   "A customer managed key lets you control and audit decryption of the cluster's data and snapshots.",
			Remediation: Remediation{Text: "Set the cluster's KMS key.", Terraform: "kms_key_arn = aws_kms_key.db.arn", CloudFormation: "KmsKeyId: !GetAtt DbKey.Arn"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(clusters, func(c *cloud.RDSCluster) (cloud.Source, string, bool) {
				return cloud.At(&c.Meta, c.KMSKeyID), "cluster uses no customer managed key", c.Family == "neptune" && c.KMSKeyID.Is("")
			}),
		},
	}
}
