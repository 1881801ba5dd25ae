package posture

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

func ecr(s *cloud.State) []*cloud.ECRRepository       { return s.ECRRepositories }
func eks(s *cloud.State) []*cloud.EKSCluster          { return s.EKSClusters }
func search(s *cloud.State) []*cloud.OpenSearchDomain { return s.OpenSearchDomains }

func serviceRules() []Rule {
	return []Rule{
		{
			ID: "AWS-ECR-001", Title: "ECR repository does not scan images on push", Severity: finding.Medium,
			Rationale:   "Scanning on push reports known vulnerabilities in images before they run.",
			Remediation: Remediation{Text: "Enable scan on push (or enhanced scanning).", Terraform: "image_scanning_configuration {\n  scan_on_push = true\n}", CloudFormation: "ImageScanningConfiguration:\n  ScanOnPush: true"},
			Refs:        Refs{Checklist: stepDetection, CWE: []string{"CWE-1104"}},
			Check: each(ecr, func(r *cloud.ECRRepository) (cloud.Source, string, bool) {
				return isFalse(r, r.ScanOnPush, "images are not scanned on push")
			}),
		},
		{
			ID: "AWS-ECR-002", Title: "ECR repository image tags are mutable", Severity: finding.Medium,
			Rationale:   "Mutable tags let anyone with push rights replace a deployed image under the same tag.",
			Remediation: Remediation{Text: "Make tags immutable.", Terraform: "image_tag_mutability = \"IMMUTABLE\"", CloudFormation: "ImageTagMutability: IMMUTABLE"},
			Refs:        Refs{Checklist: stepOwnership, CWE: []string{"CWE-494"}},
			Check: each(ecr, func(r *cloud.ECRRepository) (cloud.Source, string, bool) {
				return isFalse(r, r.ImmutableTags, "image tags are mutable")
			}),
		},
		{
			ID: "AWS-ECR-003", Title: "ECR repository is not encrypted with a KMS key", Severity: finding.Low,
			Rationale:   "A customer managed key controls who can pull and decrypt image layers.",
			Remediation: Remediation{Text: "Use KMS encryption.", Terraform: "encryption_configuration {\n  encryption_type = \"KMS\"\n  kms_key         = aws_kms_key.ecr.arn\n}", CloudFormation: "EncryptionConfiguration:\n  EncryptionType: KMS\n  KmsKey: !GetAtt EcrKey.Arn"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(ecr, func(r *cloud.ECRRepository) (cloud.Source, string, bool) {
				return cloud.At(&r.Meta, r.EncryptionType), "repository uses AES256, not KMS", r.EncryptionType.Is("AES256")
			}),
		},
		{
			ID: "AWS-EKS-001", Title: "EKS control plane logging is incomplete", Severity: finding.Medium,
			Rationale:   "API and audit logs are the record of who did what in the cluster.",
			Remediation: Remediation{Text: "Enable api, audit, authenticator, controllerManager and scheduler logs.", Terraform: "enabled_cluster_log_types = [\"api\", \"audit\", \"authenticator\", \"controllerManager\", \"scheduler\"]", CloudFormation: "Logging:\n  ClusterLogging:\n    EnabledTypes:\n      - Type: api\n      - Type: audit\n      - Type: authenticator\n      - Type: controllerManager\n      - Type: scheduler"},
			Refs:        Refs{Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: func(s *cloud.State, report Reporter) {
				for _, c := range s.EKSClusters {
					if c.LogTypes.Unknown {
						continue
					}
					for _, t := range []string{"api", "audit", "authenticator", "controllerManager", "scheduler"} {
						if !c.LogTypes.Contains(t) {
							report(c, cloud.AtList(&c.Meta, c.LogTypes), "control plane log type "+t+" is not enabled")
						}
					}
				}
			},
		},
		{
			ID: "AWS-EKS-002", Title: "EKS secrets are not encrypted with a KMS key", Severity: finding.High,
			Rationale:   "Envelope encryption protects Kubernetes secrets in etcd with a key you control.",
			Remediation: Remediation{Text: "Add an encryption config for secrets.", Terraform: "encryption_config {\n  resources = [\"secrets\"]\n  provider { key_arn = aws_kms_key.eks.arn }\n}", CloudFormation: "EncryptionConfig:\n  - Resources: [secrets]\n    Provider:\n      KeyArn: !GetAtt EksKey.Arn"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(eks, func(c *cloud.EKSCluster) (cloud.Source, string, bool) {
				return isFalse(c, c.SecretEncryption, "secrets are not envelope-encrypted")
			}),
		},
		{
			ID: "AWS-EKS-003", Title: "EKS API endpoint is public", Severity: finding.High,
			Rationale:   "A public Kubernetes API is exposed to credential stuffing and to any future API server bug.",
			Remediation: Remediation{Text: "Use the private endpoint only, or restrict public CIDRs.", Terraform: "vpc_config {\n  endpoint_private_access = true\n  endpoint_public_access  = false\n}", CloudFormation: "ResourcesVpcConfig:\n  EndpointPrivateAccess: true\n  EndpointPublicAccess: false"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-284"}},
			Check: each(eks, func(c *cloud.EKSCluster) (cloud.Source, string, bool) {
				return isTrue(c, c.PublicEndpoint, "API endpoint is publicly accessible")
			}),
		},
		{
			ID: "AWS-EKS-004", Title: "EKS public API endpoint is open to all addresses", Severity: finding.Critical,
			Rationale:   "With a public endpoint, public_access_cidrs should name your offices or VPN, not 0.0.0.0/0.",
			Remediation: Remediation{Text: "Restrict public access CIDRs.", Terraform: "public_access_cidrs = [\"203.0.113.0/24\"]", CloudFormation: "PublicAccessCidrs: [203.0.113.0/24]"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-284"}},
			Check: each(eks, func(c *cloud.EKSCluster) (cloud.Source, string, bool) {
				return cloud.AtList(&c.Meta, c.PublicCIDRs), "public API endpoint allows 0.0.0.0/0", c.PublicEndpoint.Is(true) && c.PublicCIDRs.Contains("0.0.0.0/0")
			}),
		},
		{
			ID: "AWS-ES-001", Title: "OpenSearch domain audit logging is disabled", Severity: finding.Medium,
			Rationale:   "Audit logs record who searched and changed the data.",
			Remediation: Remediation{Text: "Publish AUDIT_LOGS to CloudWatch.", Terraform: "log_publishing_options {\n  log_type                 = \"AUDIT_LOGS\"\n  cloudwatch_log_group_arn = aws_cloudwatch_log_group.es.arn\n}", CloudFormation: "LogPublishingOptions:\n  AUDIT_LOGS:\n    Enabled: true\n    CloudWatchLogsLogGroupArn: !GetAtt EsLogs.Arn"},
			Refs:        Refs{Checklist: stepDetection, CWE: []string{"CWE-778"}},
			Check: each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.AuditLogs, "audit logs are not published")
			}),
		},
		{
			ID: "AWS-ES-002", Title: "OpenSearch node-to-node encryption is disabled", Severity: finding.High,
			Rationale:   "Without it, data travels between nodes in clear text.",
			Remediation: Remediation{Text: "Enable node-to-node encryption.", Terraform: "node_to_node_encryption {\n  enabled = true\n}", CloudFormation: "NodeToNodeEncryptionOptions:\n  Enabled: true"},
			Refs:        Refs{Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			Check: each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.NodeToNode, "node-to-node encryption is disabled")
			}),
		},
		{
			ID: "AWS-ES-003", Title: "OpenSearch domain does not enforce HTTPS", Severity: finding.High,
			Rationale:   "Plain HTTP exposes queries, results and credentials on the wire.",
			Remediation: Remediation{Text: "Enforce HTTPS with a modern TLS policy.", Terraform: "domain_endpoint_options {\n  enforce_https       = true\n  tls_security_policy = \"Policy-Min-TLS-1-2-2019-07\"\n}", CloudFormation: "DomainEndpointOptions:\n  EnforceHTTPS: true\n  TLSSecurityPolicy: Policy-Min-TLS-1-2-2019-07"},
			Refs:        Refs{Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			Check: each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.EnforceHTTPS, "HTTPS is not enforced")
			}),
		},
		{
			ID: "AWS-ES-004", Title: "OpenSearch domain is not encrypted at rest", Severity: finding.High,
			Rationale:   "Unencrypted indices and snapshots expose data to anyone who can copy them.",
			Remediation: Remediation{Text: "Enable encryption at rest.", Terraform: "encrypt_at_rest {\n  enabled = true\n}", CloudFormation: "EncryptionAtRestOptions:\n  Enabled: true"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return isFalse(d, d.EncryptAtRest, "encryption at rest is disabled")
			}),
		},
		{
			ID: "AWS-ES-005", Title: "OpenSearch domain allows TLS older than 1.2", Severity: finding.High,
			Rationale:   "TLS 1.0 and 1.1 have known weaknesses and are deprecated.",
			Remediation: Remediation{Text: "Use Policy-Min-TLS-1-2-2019-07 or newer.", Terraform: "tls_security_policy = \"Policy-Min-TLS-1-2-2019-07\"", CloudFormation: "TLSSecurityPolicy: Policy-Min-TLS-1-2-2019-07"},
			Refs:        Refs{Checklist: stepNetwork, CWE: []string{"CWE-326"}},
			Check: each(search, func(d *cloud.OpenSearchDomain) (cloud.Source, string, bool) {
				return cloud.At(&d.Meta, d.TLSPolicy), "TLS policy " + d.TLSPolicy.Val + " allows TLS 1.0", d.TLSPolicy.Is("Policy-Min-TLS-1-0-2019-07")
			}),
		},
		{
			ID: "AWS-ELB-001", Title: "Load balancer is internet-facing", Severity: finding.Low,
			Rationale:   "An internet-facing load balancer is attack surface; the inventory should show which ones are meant to be public.",
			Remediation: Remediation{Text: "Make internal load balancers internal; keep public ones behind a WAF.", Terraform: "internal = true", CloudFormation: "Scheme: internal"},
			Refs:        Refs{Checklist: stepSurface},
			Check: each(func(s *cloud.State) []*cloud.LoadBalancer { return s.LoadBalancers }, func(l *cloud.LoadBalancer) (cloud.Source, string, bool) {
				return isFalse(l, l.Internal, "load balancer is internet-facing")
			}),
		},
		{
			ID: "AWS-ELB-002", Title: "Application load balancer does not drop invalid HTTP headers", Severity: finding.Medium,
			Rationale:   "Passing malformed headers to targets enables HTTP request smuggling.",
			Remediation: Remediation{Text: "Drop invalid header fields.", Terraform: "drop_invalid_header_fields = true", CloudFormation: "LoadBalancerAttributes:\n  - Key: routing.http.drop_invalid_header_fields.enabled\n    Value: \"true\""},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-444"}},
			Check: each(func(s *cloud.State) []*cloud.LoadBalancer { return s.LoadBalancers }, func(l *cloud.LoadBalancer) (cloud.Source, string, bool) {
				return cloud.At(&l.Meta, l.DropInvalidHeaders), "invalid header fields are passed to targets", l.Type.Is("application") && l.DropInvalidHeaders.Is(false)
			}),
		},
		{
			ID: "AWS-ELB-003", Title: "Load balancer listener uses plain HTTP", Severity: finding.High,
			Rationale:   "HTTP listeners carry sessions and credentials in clear text unless they only redirect to HTTPS (a classic load balancer cannot redirect).",
			Remediation: Remediation{Text: "Serve HTTPS, and make HTTP listeners redirect.", Terraform: "default_action {\n  type = \"redirect\"\n  redirect {\n    port        = \"443\"\n    protocol    = \"HTTPS\"\n    status_code = \"HTTP_301\"\n  }\n}", CloudFormation: "DefaultActions:\n  - Type: redirect\n    RedirectConfig:\n      Protocol: HTTPS\n      Port: \"443\"\n      StatusCode: HTTP_301"},
			Refs:        Refs{Checklist: stepNetwork, CWE: []string{"CWE-319"}},
			Check: each(allListeners, func(l *cloud.Listener) (cloud.Source, string, bool) {
				return cloud.At(&l.Meta, l.Protocol), "listener serves plain HTTP", l.Protocol.Is("HTTP") && l.RedirectsToHTTPS.Is(false)
			}),
		},
		{
			ID: "AWS-LMB-001", Title: "Lambda function has X-Ray tracing disabled", Severity: finding.Low,
			Rationale:   "Tracing shows which downstream calls a function made, which helps investigate abuse.",
			Remediation: Remediation{Text: "Enable active tracing.", Terraform: "tracing_config {\n  mode = \"Active\"\n}", CloudFormation: "TracingConfig:\n  Mode: Active"},
			Refs:        Refs{Checklist: stepDetection},
			Check: each(func(s *cloud.State) []*cloud.LambdaFunction { return s.LambdaFunctions }, func(f *cloud.LambdaFunction) (cloud.Source, string, bool) {
				return cloud.At(&f.Meta, f.Tracing), "X-Ray tracing is not active", f.Tracing.Known && !strings.EqualFold(f.Tracing.Val, "Active")
			}),
		},
		{
			ID: "AWS-SQS-001", Title: "SQS queue encryption is turned off", Severity: finding.High,
			Rationale:   "Messages often carry personal data; SSE keeps them encrypted at rest.",
			Remediation: Remediation{Text: "Use SSE-SQS or a KMS key.", Terraform: "sqs_managed_sse_enabled = true", CloudFormation: "SqsManagedSseEnabled: true"},
			Refs:        Refs{Checklist: stepSurface, CWE: []string{"CWE-311"}},
			Check: each(func(s *cloud.State) []*cloud.SQSQueue { return s.SQSQueues }, func(q *cloud.SQSQueue) (cloud.Source, string, bool) {
				return isFalse(q, q.Encrypted, "queue is not encrypted")
			}),
		},
	}
}
