package posture

import (
	"regexp"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

var awsKeyRE = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)

func instances(s *cloud.State) []*cloud.EC2Instance { return s.EC2Instances }

func computeRules() []Rule {
	return []Rule{
		{
			ID: "AWS-EC2-001", Title: "Instance metadata service does not require IMDSv2 tokens", Severity: finding.High,
			Rationale:   "IMDSv1 answers any request, so an SSRF bug in the application hands out the instance role's credentials.",
			Remediation: Remediation{Text: "Require session tokens.", Terraform: "metadata_options {\n  http_tokens = \"required\"\n}", CloudFormation: "# On a LaunchTemplate:\nMetadataOptions:\n  HttpTokens: required"},
			Refs:        Refs{CIS: []string{"6.7"}, Checklist: stepSurface, CWE: []string{"CWE-918"}},
			Check: each(instances, func(i *cloud.EC2Instance) (cloud.Source, string, bool) {
				return cloud.At(&i.Meta, i.MetadataTokens), "metadata service accepts requests without a token", i.MetadataTokens.Is("optional") && !i.MetadataEndpoint.Is("disabled")
			}),
		},
		{
			ID: "AWS-EC2-002", Title: "Instance block device is not encrypted", Severity: finding.High,
			Rationale:   "Unencrypted volumes and their snapshots expose data to anyone who can copy them.",
			Remediation: Remediation{Text: "Encrypt root and data volumes (or turn on EBS encryption by default).", Terraform: "root_block_device {\n  encrypted = true\n}", CloudFormation: "BlockDeviceMappings:\n  - DeviceName: /dev/xvda\n    Ebs:\n      Encrypted: true"},
			Refs:        Refs{CIS: []string{"6.1.1"}, Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: func(s *cloud.State, report Reporter) {
				byDefault := false
				for _, a := range s.Accounts {
					byDefault = byDefault || a.EBSEncryptionByDefault.Is(true)
				}
				if byDefault {
					return
				}
				for _, i := range s.EC2Instances {
					for _, d := range i.BlockDevices {
						if d.Encrypted.Is(false) {
							at := d.Encrypted.Src
							if !d.Encrypted.Set {
								at = d.Src
							}
							report(i, at, "block device is not encrypted")
						}
					}
				}
			},
		},
		{
			ID: "AWS-EC2-003", Title: "Instance user data contains an AWS access key", Severity: finding.Critical,
			Rationale:   "User data is readable by anyone with ec2:DescribeInstanceAttribute and from the instance itself; keys in it are leaked keys.",
			Remediation: Remediation{Text: "Remove the key, rotate it, and give the instance a role.", Terraform: "iam_instance_profile = aws_iam_instance_profile.app.name", CloudFormation: "IamInstanceProfile: !Ref AppProfile"},
			Refs:        Refs{Checklist: stepIAM, CWE: []string{"CWE-798"}},
			Check: each(instances, func(i *cloud.EC2Instance) (cloud.Source, string, bool) {
				return cloud.At(&i.Meta, i.UserData), "user data contains an AWS access key id", i.UserData.Known && awsKeyRE.MatchString(i.UserData.Val)
			}),
		},
		{
			ID: "AWS-EC2-004", Title: "EBS volume is not encrypted", Severity: finding.High,
			Rationale:   "Unencrypted volumes and their snapshots expose data to anyone who can copy them.",
			Remediation: Remediation{Text: "Encrypt the volume.", Terraform: "encrypted = true", CloudFormation: "Encrypted: true"},
			Refs:        Refs{CIS: []string{"6.1.1"}, Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(func(s *cloud.State) []*cloud.EBSVolume { return s.EBSVolumes }, func(v *cloud.EBSVolume) (cloud.Source, string, bool) {
				return isFalse(v, v.Encrypted, "volume is not encrypted")
			}),
		},
		{
			ID: "AWS-EC2-005", Title: "EBS volume is not encrypted with a customer managed key", Severity: finding.Low,
			Rationale:   "A customer managed key lets you control and audit decryption and share snapshots safely.",
			Remediation: Remediation{Text: "Set kms_key_id to your key.", Terraform: "kms_key_id = aws_kms_key.ebs.arn", CloudFormation: "KmsKeyId: !GetAtt EbsKey.Arn"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(func(s *cloud.State) []*cloud.EBSVolume { return s.EBSVolumes }, func(v *cloud.EBSVolume) (cloud.Source, string, bool) {
				return isEmpty(v, v.KMSKeyID, "volume uses the AWS managed key")
			}),
		},
		{
			ID: "AWS-EC2-006", Title: "Instance has a public IP address", Severity: finding.Medium,
			Rationale:   "Instances with public addresses are reachable from the internet whenever a security group slips; the checklist asks to move non-public resources into private subnets.",
			Remediation: Remediation{Text: "Launch in a private subnet without a public address; expose services through a load balancer.", Terraform: "associate_public_ip_address = false", CloudFormation: "NetworkInterfaces:\n  - AssociatePublicIpAddress: false\n    DeviceIndex: 0"},
			Refs:        Refs{Checklist: stepNetwork},
			Check: each(instances, func(i *cloud.EC2Instance) (cloud.Source, string, bool) {
				return isTrue(i, i.PublicIP, "instance is given a public IP address")
			}),
		},
		{
			ID: "AWS-EC2-007", NoCloudFormation: "CloudFormation has no resource for the region's EBS encryption-by-default switch.", Title: "EBS encryption by default is turned off", Severity: finding.Medium,
			Rationale:   "Encryption by default makes every new volume and snapshot encrypted, whoever creates it.",
			Remediation: Remediation{Text: "Enable EBS encryption by default in every region.", Terraform: "resource \"aws_ebs_encryption_by_default\" \"this\" {\n  enabled = true\n}", CloudFormation: "# No CloudFormation resource: enable it with the CLI or Terraform."},
			Refs:        Refs{CIS: []string{"6.1.1"}, Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(func(s *cloud.State) []*cloud.Account { return s.Accounts }, func(a *cloud.Account) (cloud.Source, string, bool) {
				return isFalse(a, a.EBSEncryptionByDefault, "EBS encryption by default is disabled")
			}),
		},
	}
}
