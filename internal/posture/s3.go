package posture

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

func pabFlag(id, flag, title string, get func(*cloud.PublicAccessBlock) cloud.Bool, tf, cfn string) Rule {
	return Rule{
		ID: id, Title: title, Severity: finding.High,
		Rationale:   "S3 Block Public Access is the guard rail that keeps a mistaken ACL or policy from exposing a bucket; each of its four switches closes a different path.",
		Remediation: Remediation{Text: "Set " + flag + " to true in the bucket's public access block.", Terraform: tf, CloudFormation: cfn},
		Refs:        Refs{CIS: []string{"3.1.4"}, Checklist: stepS3Block, CWE: []string{"CWE-284"}},
		Check: func(s *cloud.State, report Reporter) {
			for _, b := range s.S3Buckets {
				if b.PublicAccessBlock == nil {
					continue
				}
				if v := get(b.PublicAccessBlock); v.Is(false) {
					at := v.Src
					if !v.Set {
						at = b.PublicAccessBlock.Src
					}
					report(b, at, "public access block leaves "+flag+" off")
				}
			}
		},
	}
}

const pabTF = `resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}`

const pabCFN = `PublicAccessBlockConfiguration:
  BlockPublicAcls: true
  BlockPublicPolicy: true
  IgnorePublicAcls: true
  RestrictPublicBuckets: true`

func s3Rules() []Rule {
	return []Rule{
		{
			ID: "AWS-S3-001", Title: "S3 bucket has no public access block", Severity: finding.High,
			Rationale:   "Without Block Public Access a single public ACL or bucket policy exposes the bucket's data to the internet.",
			Remediation: Remediation{Text: "Add a public access block with all four settings true (and enable it account-wide).", Terraform: pabTF, CloudFormation: pabCFN},
			Refs:        Refs{CIS: []string{"3.1.4"}, Checklist: stepS3Block, CWE: []string{"CWE-284"}},
			Check: func(s *cloud.State, report Reporter) {
				acctBlocks := false
				for _, a := range s.Accounts {
					if p := a.PublicAccessBlock; p != nil && p.BlockPublicAcls.Is(true) && p.BlockPublicPolicy.Is(true) && p.IgnorePublicAcls.Is(true) && p.RestrictPublicBuckets.Is(true) {
						acctBlocks = true
					}
				}
				for _, b := range s.S3Buckets {
					if b.PublicAccessBlock == nil && !acctBlocks {
						report(b, b.Src, "bucket has no public access block")
					}
				}
			},
		},
		pabFlag("AWS-S3-002", "block_public_acls", "S3 public access block does not block public ACLs", func(p *cloud.PublicAccessBlock) cloud.Bool { return p.BlockPublicAcls }, pabTF, pabCFN),
		pabFlag("AWS-S3-003", "block_public_policy", "S3 public access block does not block public policies", func(p *cloud.PublicAccessBlock) cloud.Bool { return p.BlockPublicPolicy }, pabTF, pabCFN),
		pabFlag("AWS-S3-004", "ignore_public_acls", "S3 public access block does not ignore public ACLs", func(p *cloud.PublicAccessBlock) cloud.Bool { return p.IgnorePublicAcls }, pabTF, pabCFN),
		pabFlag("AWS-S3-005", "restrict_public_buckets", "S3 public access block does not restrict public buckets", func(p *cloud.PublicAccessBlock) cloud.Bool { return p.RestrictPublicBuckets }, pabTF, pabCFN),
		{
			ID: "AWS-S3-006", Title: "S3 bucket ACL grants public access", Severity: finding.Critical,
			Rationale:   "A public-read, public-read-write or authenticated-read ACL (or a grant to AllUsers/AuthenticatedUsers) lets anyone list or read, and possibly write, objects.",
			Remediation: Remediation{Text: "Use the private ACL, or disable ACLs with BucketOwnerEnforced object ownership.", Terraform: "resource \"aws_s3_bucket_ownership_controls\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n  rule { object_ownership = \"BucketOwnerEnforced\" }\n}", CloudFormation: "AccessControl: Private"},
			Refs:        Refs{CIS: []string{"3.1.4"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					if b.ACL.Known && (b.ACL.Val == "public-read" || b.ACL.Val == "public-read-write" || b.ACL.Val == "authenticated-read") {
						report(b, cloud.At(&b.Meta, b.ACL), "bucket ACL is "+b.ACL.Val)
					} else if b.ACLGrantsPublic.Is(true) {
						report(b, cloud.At(&b.Meta, b.ACLGrantsPublic), "bucket ACL grants access to all users")
					}
				}
			},
		},
		{
			ID: "AWS-S3-007", Title: "S3 bucket does not declare its default encryption", Severity: finding.Info,
			Rationale:   "Since January 2023 S3 encrypts every new object with SSE-S3 when a bucket declares nothing, so such a bucket is encrypted; declaring the encryption (SSE-KMS where the data is sensitive) documents the intent, is what reviewers and auditors read, and survives changes of defaults.",
			Remediation: Remediation{Text: "Configure server-side encryption (SSE-KMS preferred).", Terraform: "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n  rule {\n    apply_server_side_encryption_by_default { sse_algorithm = \"aws:kms\" }\n  }\n}", CloudFormation: "BucketEncryption:\n  ServerSideEncryptionConfiguration:\n    - ServerSideEncryptionByDefault:\n        SSEAlgorithm: aws:kms"},
			Refs:        Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					if b.Encryption.Is(false) {
						report(b, cloud.At(&b.Meta, b.Encryption), "bucket declares no server-side encryption configuration (S3 applies SSE-S3 by default)")
					}
				}
			},
		},
		{
			ID: "AWS-S3-008", Title: "S3 bucket is not encrypted with a customer managed KMS key", Severity: finding.Low,
			Rationale:   "A customer managed key lets you control and audit who can decrypt the data, and revoke access by key policy.",
			Remediation: Remediation{Text: "Use sse_algorithm aws:kms with your own KMS key.", Terraform: "apply_server_side_encryption_by_default {\n  sse_algorithm     = \"aws:kms\"\n  kms_master_key_id = aws_kms_key.s3.arn\n}", CloudFormation: "ServerSideEncryptionByDefault:\n  SSEAlgorithm: aws:kms\n  KMSMasterKeyID: !GetAtt S3Key.Arn"},
			Refs:        Refs{Checklist: stepVisibility, CWE: []string{"CWE-311"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					if b.Encryption.Is(false) || b.EncryptionKMSKey.Is("") && b.EncryptionAlgorithm.Known && !strings.HasPrefix(b.EncryptionAlgorithm.Val, "aws:kms") || b.EncryptionKMSKey.Is("") && b.EncryptionAlgorithm.Known && strings.HasPrefix(b.EncryptionAlgorithm.Val, "aws:kms") {
						at := cloud.At(&b.Meta, b.EncryptionAlgorithm)
						if !b.EncryptionAlgorithm.Set {
							at = cloud.At(&b.Meta, b.Encryption)
						}
						report(b, at, "bucket is not encrypted with a customer managed KMS key")
					}
				}
			},
		},
		{
			ID: "AWS-S3-009", Title: "S3 bucket versioning is not enabled", Severity: finding.Medium,
			Rationale:   "Versioning keeps earlier object versions, so deleted or overwritten data (by mistake or by ransomware) can be recovered. A bucket with Object Lock is versioned whatever its configuration says.",
			Remediation: Remediation{Text: "Enable versioning.", Terraform: "resource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n  versioning_configuration { status = \"Enabled\" }\n}", CloudFormation: "VersioningConfiguration:\n  Status: Enabled"},
			Refs:        Refs{Checklist: stepBackups},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					// Object Lock turns versioning on and keeps it on.
					if b.Versioning.Is(false) && !b.ObjectLock.Is(true) {
						report(b, cloud.At(&b.Meta, b.Versioning), "bucket versioning is not enabled")
					}
				}
			},
		},
		{
			ID: "AWS-S3-010", Title: "S3 bucket access logging is not enabled", Severity: finding.Low,
			Rationale:   "Server access logs record who read or changed objects; without them an investigation of a data leak has nothing to go on.",
			Remediation: Remediation{Text: "Send access logs to a dedicated log bucket.", Terraform: "resource \"aws_s3_bucket_logging\" \"this\" {\n  bucket        = aws_s3_bucket.this.id\n  target_bucket = aws_s3_bucket.logs.id\n  target_prefix = \"s3/\"\n}", CloudFormation: "LoggingConfiguration:\n  DestinationBucketName: !Ref LogBucket\n  LogFilePrefix: s3/"},
			Refs:        Refs{CIS: []string{"4.4"}, Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: func(s *cloud.State, report Reporter) {
				targets := map[string]bool{}
				for _, b := range s.S3Buckets {
					if b.LoggingTarget.Known && b.LoggingTarget.Val != "" {
						targets[b.LoggingTarget.Val] = true
					}
				}
				for _, b := range s.S3Buckets {
					if b.ACL.Is("log-delivery-write") || b.Name.Known && targets[b.Name.Val] || targets["palisade-ref:"+b.Address] {
						continue // a log bucket does not log to itself
					}
					if b.Logging.Is(false) {
						report(b, cloud.At(&b.Meta, b.Logging), "bucket has no access logging")
					}
				}
			},
		},
		{
			ID: "AWS-S3-011", Title: "S3 bucket policy allows access to everyone", Severity: finding.Critical,
			Rationale:   "An Allow statement for Principal \"*\" without a condition makes the bucket readable (or writable) by anyone on the internet.",
			Remediation: Remediation{Text: "Name the principals that need access, or add conditions such as aws:SourceVpce or aws:PrincipalOrgID.", Terraform: "principals {\n  type        = \"AWS\"\n  identifiers = [\"arn:aws:iam::111122223333:root\"]\n}", CloudFormation: "Principal:\n  AWS: arn:aws:iam::111122223333:root"},
			Refs:        Refs{CIS: []string{"2.21"}, Checklist: stepVisibility, CWE: []string{"CWE-732"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					if st, ok := publicAllow(b.Policy); ok {
						report(b, b.Policy.Src, "bucket policy statement "+sidOr(st)+" allows any principal without a condition")
					}
				}
			},
		},
		{
			ID: "AWS-S3-012", Title: "S3 bucket policy does not deny requests over plain HTTP", Severity: finding.Medium,
			Rationale:   "Without a Deny on aws:SecureTransport=false, clients may read and write objects over unencrypted HTTP.",
			Remediation: Remediation{Text: "Add a Deny statement for all principals when aws:SecureTransport is false.", Terraform: "statement {\n  effect  = \"Deny\"\n  actions = [\"s3:*\"]\n  resources = [aws_s3_bucket.this.arn, \"${aws_s3_bucket.this.arn}/*\"]\n  principals {\n    type        = \"*\"\n    identifiers = [\"*\"]\n  }\n  condition {\n    test     = \"Bool\"\n    variable = \"aws:SecureTransport\"\n    values   = [\"false\"]\n  }\n}", CloudFormation: "- Effect: Deny\n  Principal: \"*\"\n  Action: s3:*\n  Resource: [!GetAtt Bucket.Arn, !Sub \"${Bucket.Arn}/*\"]\n  Condition:\n    Bool:\n      aws:SecureTransport: false"},
			Refs:        Refs{CIS: []string{"3.1.1"}, Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, b := range s.S3Buckets {
					if b.Policy.Set && !b.Policy.Known {
						continue
					}
					denies := false
					for _, st := range b.Policy.Statements {
						if st.Unknown {
							denies = true // cannot tell; stay quiet
						}
						if strings.EqualFold(st.Effect, "Deny") {
							for _, v := range st.ConditionValues("Bool", "aws:SecureTransport") {
								if strings.EqualFold(v, "false") {
									denies = true
								}
							}
							for _, v := range st.ConditionValues("NumericLessThan", "s3:TlsVersion") {
								if v != "" {
									denies = true
								}
							}
						}
					}
					if !denies {
						at := b.Policy.Src
						if !b.Policy.Set {
							at = b.Src
						}
						report(b, at, "bucket policy does not deny insecure transport")
					}
				}
			},
		},
		{
			ID: "AWS-S3-013", NoCloudFormation: "CloudFormation has no resource for the account-level S3 Block Public Access; set it with Terraform, the CLI or an organization SCP.", Title: "S3 account-level public access block is not fully enabled", Severity: finding.High,
			Rationale:   "The account-level setting protects every bucket, including ones created later by hand.",
			Remediation: Remediation{Text: "Enable all four account-level settings.", Terraform: "resource \"aws_s3_account_public_access_block\" \"this\" {\n  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}", CloudFormation: "# No CloudFormation resource: set it with the AWS CLI or in Terraform."},
			Refs:        Refs{CIS: []string{"3.1.4"}, Checklist: stepS3Block},
			Check: func(s *cloud.State, report Reporter) {
				for _, a := range s.Accounts {
					p := a.PublicAccessBlock
					if p == nil {
						continue
					}
					for _, v := range []cloud.Bool{p.BlockPublicAcls, p.BlockPublicPolicy, p.IgnorePublicAcls, p.RestrictPublicBuckets} {
						if v.Is(false) {
							at := v.Src
							if !v.Set {
								at = p.Src
							}
							report(a, at, "account public access block has a setting turned off")
							break
						}
					}
				}
			},
		},
	}
}

// publicAllow returns the first Allow statement open to everyone without a
// condition, in a known document.
func publicAllow(d cloud.PolicyDocument) (cloud.Statement, bool) {
	if !d.Known {
		return cloud.Statement{}, false
	}
	for _, st := range d.Statements {
		if st.Allows() && st.PublicPrincipal() && !st.HasCondition() && !st.Unknown {
			return st, true
		}
	}
	return cloud.Statement{}, false
}

func sidOr(st cloud.Statement) string {
	if st.Sid != "" {
		return "\"" + st.Sid + "\""
	}
	return "(no Sid)"
}
