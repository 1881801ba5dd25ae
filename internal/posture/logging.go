package posture

import (
	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

func trails(s *cloud.State) []*cloud.CloudTrail { return s.CloudTrails }
func keys(s *cloud.State) []*cloud.KMSKey       { return s.KMSKeys }

func loggingRules() []Rule {
	return []Rule{
		{
			ID: "AWS-CT-001", Title: "CloudTrail trail is not multi-region", Severity: finding.Medium,
			Rationale:   "Attackers work in regions nobody watches; a single-region trail misses them.",
			Remediation: Remediation{Text: "Make the trail multi-region.", Terraform: "is_multi_region_trail = true", CloudFormation: "IsMultiRegionTrail: true"},
			Refs:        Refs{CIS: []string{"4.1"}, Checklist: stepVisibility, CWE: []string{"CWE-778"}},
			Check: each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isFalse(t, t.MultiRegion, "trail records one region only")
			}),
		},
		{
			ID: "AWS-CT-002", Title: "CloudTrail log file validation is disabled", Severity: finding.Medium,
			Rationale:   "Validation digests show whether log files were altered or deleted after delivery.",
			Remediation: Remediation{Text: "Enable log file validation.", Terraform: "enable_log_file_validation = true", CloudFormation: "EnableLogFileValidation: true"},
			Refs:        Refs{CIS: []string{"4.2"}, Checklist: stepVisibility, CWE: []string{"CWE-354"}},
			Check: each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isFalse(t, t.LogValidation, "log file validation is disabled")
			}),
		},
		{
			ID: "AWS-CT-003", Title: "CloudTrail logs are not encrypted with a KMS key", Severity: finding.Medium,
			Rationale:   "SSE-KMS adds a key policy between the log bucket and anyone reading the logs.",
			Remediation: Remediation{Text: "Encrypt the trail with a customer managed key.", Terraform: "kms_key_id = aws_kms_key.trail.arn", CloudFormation: "KMSKeyId: !Ref TrailKey"},
			Refs:        Refs{CIS: []string{"4.5"}, Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			Check: each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isEmpty(t, t.KMSKeyID, "trail is not encrypted with a KMS key")
			}),
		},
		{
			ID: "AWS-CT-004", Title: "CloudTrail trail does not send events to CloudWatch Logs", Severity: finding.Low,
			Rationale:   "Metric filters and alarms on API activity (CIS section 5) need the trail delivered to CloudWatch Logs.",
			Remediation: Remediation{Text: "Deliver the trail to a log group.", Terraform: "cloud_watch_logs_group_arn = \"${aws_cloudwatch_log_group.trail.arn}:*\"\ncloud_watch_logs_role_arn  = aws_iam_role.trail.arn", CloudFormation: "CloudWatchLogsLogGroupArn: !GetAtt TrailLogs.Arn\nCloudWatchLogsRoleArn: !GetAtt TrailRole.Arn"},
			Refs:        Refs{CIS: []string{"5.1"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isFalse(t, t.CloudWatchLogs, "trail is not delivered to CloudWatch Logs")
			}),
		},
		{
			ID: "AWS-CT-005", Title: "CloudTrail trail logging is turned off", Severity: finding.High,
			Rationale:   "A stopped trail records nothing; stopping it is a classic first step of an attacker.",
			Remediation: Remediation{Text: "Turn logging on.", Terraform: "enable_logging = true", CloudFormation: "IsLogging: true"},
			Refs:        Refs{CIS: []string{"4.1"}, Checklist: stepVisibility, CWE: []string{"CWE-778"}},
			Check: each(trails, func(t *cloud.CloudTrail) (cloud.Source, string, bool) {
				return isFalse(t, t.Logging, "trail logging is off")
			}),
		},
		{
			ID: "AWS-KMS-001", Title: "KMS key rotation is disabled", Severity: finding.Medium,
			Rationale:   "Yearly rotation limits how much data one key version protects and how long a leaked key stays useful.",
			Remediation: Remediation{Text: "Enable automatic rotation for symmetric keys.", Terraform: "enable_key_rotation = true", CloudFormation: "EnableKeyRotation: true"},
			Refs:        Refs{CIS: []string{"4.6"}, Checklist: stepSurface, CWE: []string{"CWE-320"}},
			Check: each(keys, func(k *cloud.KMSKey) (cloud.Source, string, bool) {
				return cloud.At(&k.Meta, k.Rotation), "key rotation is disabled", k.Usage.Is("ENCRYPT_DECRYPT") && k.Spec.Is("SYMMETRIC_DEFAULT") && k.Rotation.Is(false)
			}),
		},
		{
			ID: "AWS-KMS-002", Title: "KMS key policy allows any principal", Severity: finding.Critical,
			Rationale:   "A key policy allowing \"*\" without conditions lets any AWS account use or manage the key.",
			Remediation: Remediation{Text: "Name the account and roles that may use the key.", Terraform: "principals {\n  type        = \"AWS\"\n  identifiers = [\"arn:aws:iam::111122223333:root\"]\n}", CloudFormation: "Principal:\n  AWS: !Sub arn:aws:iam::${AWS::AccountId}:root"},
			Refs:        Refs{CIS: []string{"2.21"}, Checklist: stepSurface, CWE: []string{"CWE-284"}},
			Check: each(keys, func(k *cloud.KMSKey) (cloud.Source, string, bool) {
				st, ok := publicAllow(k.Policy)
				return k.Policy.Src, "key policy statement " + sidOr(st) + " allows any principal", ok
			}),
		},
		{
			ID: "AWS-GD-001", Title: "GuardDuty detector is disabled", Severity: finding.High,
			Rationale:   "GuardDuty is the checklist's managed threat detection; a disabled detector reports nothing.",
			Remediation: Remediation{Text: "Enable the detector in every region (from the organization's delegated admin).", Terraform: "enable = true", CloudFormation: "Enable: true"},
			Refs:        Refs{Checklist: stepVisibility},
			Check: each(func(s *cloud.State) []*cloud.GuardDutyDetector { return s.GuardDuty }, func(g *cloud.GuardDutyDetector) (cloud.Source, string, bool) {
				return isFalse(g, g.Enabled, "detector is disabled")
			}),
		},
		{
			ID: "AWS-LOG-001", Title: "CloudWatch log group keeps logs forever or has no retention set", Severity: finding.Low,
			Rationale:   "Retention should be a decision: unbounded logs grow cost and keep personal data past its purpose, and too short a retention loses evidence.",
			Remediation: Remediation{Text: "Set retention (for example 365 days) to match your log policy.", Terraform: "retention_in_days = 365", CloudFormation: "RetentionInDays: 365"},
			Refs:        Refs{Checklist: stepDetection},
			Check: each(func(s *cloud.State) []*cloud.LogGroup { return s.LogGroups }, func(l *cloud.LogGroup) (cloud.Source, string, bool) {
				return cloud.At(&l.Meta, l.RetentionDays), "log group has no retention", l.RetentionDays.Is(0)
			}),
		},
		{
			ID: "AWS-LOG-002", Title: "CloudWatch log group is not encrypted with a KMS key", Severity: finding.Low,
			Rationale:   "Logs often hold personal data and secrets by accident; a KMS key restricts who can read them.",
			Remediation: Remediation{Text: "Encrypt the log group with a customer managed key.", Terraform: "kms_key_id = aws_kms_key.logs.arn", CloudFormation: "KmsKeyId: !GetAtt LogsKey.Arn"},
			Refs:        Refs{Checklist: stepDetection, CWE: []string{"CWE-311"}},
			Check: each(func(s *cloud.State) []*cloud.LogGroup { return s.LogGroups }, func(l *cloud.LogGroup) (cloud.Source, string, bool) {
				return isEmpty(l, l.KMSKeyID, "log group is not encrypted with a KMS key")
			}),
		},
	}
}
