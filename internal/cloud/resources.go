package cloud

// Account is an AWS account and its account-wide settings.
type Account struct {
	Meta
	ID String `json:"id"`
	// PublicAccessBlock is the account-level S3 Block Public Access.
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	PasswordPolicy    *PasswordPolicy    `json:"password_policy,omitempty"`
	// EBSEncryptionByDefault is the region's default EBS encryption switch.
	EBSEncryptionByDefault Bool `json:"ebs_encryption_by_default"`
}

// PasswordPolicy is the account's IAM password policy.
type PasswordPolicy struct {
	Meta
	MinimumLength    Int  `json:"minimum_length"`
	ReusePrevention  Int  `json:"reuse_prevention"`
	RequireSymbols   Bool `json:"require_symbols"`
	RequireNumbers   Bool `json:"require_numbers"`
	RequireUppercase Bool `json:"require_uppercase"`
	RequireLowercase Bool `json:"require_lowercase"`
	MaxAge           Int  `json:"max_age"`
}

// PublicAccessBlock is S3 Block Public Access, for a bucket or an account.
type PublicAccessBlock struct {
	Src                   Source `json:"source,omitzero"`
	BlockPublicAcls       Bool   `json:"block_public_acls"`
	BlockPublicPolicy     Bool   `json:"block_public_policy"`
	IgnorePublicAcls      Bool   `json:"ignore_public_acls"`
	RestrictPublicBuckets Bool   `json:"restrict_public_buckets"`
}

// S3Bucket is a bucket with the settings that decide its exposure.
type S3Bucket struct {
	Meta
	Name String `json:"name"`
	// PublicAccessBlock is nil when the bucket has none.
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	Policy            PolicyDocument     `json:"policy"`
	// ACL is the canned ACL ("private", "public-read", ...).
	ACL String `json:"acl"`
	// ACLGrantsPublic is true when an explicit grant names AllUsers or AuthenticatedUsers.
	ACLGrantsPublic  Bool   `json:"acl_grants_public"`
	Encryption       Bool   `json:"encryption"`
	EncryptionKMSKey String `json:"encryption_kms_key"`
	// EncryptionAlgorithm is "AES256", "aws:kms" or "aws:kms:dsse".
	EncryptionAlgorithm String `json:"encryption_algorithm"`
	Versioning          Bool   `json:"versioning"`
	MFADelete           Bool   `json:"mfa_delete"`
	Logging             Bool   `json:"logging"`
	LoggingTarget       String `json:"logging_target"`
	Replication         Bool   `json:"replication"`
	// ReplicationTargets are the known destination bucket ARNs (or
	// palisade-ref placeholders) of the bucket's replication rules.
	ReplicationTargets []string `json:"replication_targets,omitempty"`
	ObjectLock         Bool     `json:"object_lock"`
	// OwnershipControls is the object ownership setting ("BucketOwnerEnforced", ...).
	ObjectOwnership String `json:"object_ownership"`
	// Website is true when static website hosting is configured.
	Website Bool `json:"website"`
}

// IAMUser is an IAM user with its inline and attached policies.
type IAMUser struct {
	Meta
	Name             String           `json:"name"`
	InlinePolicies   []PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies []string         `json:"attached_policies,omitempty"`
	Groups           []string         `json:"groups,omitempty"`
	HasAccessKey     Bool             `json:"has_access_key"`
	HasLoginProfile  Bool             `json:"has_login_profile"`
}

// IAMGroup is an IAM group with its policies.
type IAMGroup struct {
	Meta
	Name             String           `json:"name"`
	InlinePolicies   []PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies []string         `json:"attached_policies,omitempty"`
}

// IAMRole is an IAM role with its trust policy and permissions.
type IAMRole struct {
	Meta
	Name             String           `json:"name"`
	TrustPolicy      PolicyDocument   `json:"trust_policy"`
	InlinePolicies   []PolicyDocument `json:"inline_policies,omitempty"`
	AttachedPolicies []string         `json:"attached_policies,omitempty"`
}

// IAMPolicy is a managed policy.
type IAMPolicy struct {
	Meta
	Name     String         `json:"name"`
	Document PolicyDocument `json:"document"`
	// AttachedToUsers names the users a policy attachment ties it to.
	AttachedToUsers []string `json:"attached_to_users,omitempty"`
}

// SecurityGroup is a security group with its rules.
type SecurityGroup struct {
	Meta
	Name        String   `json:"name"`
	Description String   `json:"description"`
	VPCID       String   `json:"vpc_id"`
	Rules       []SGRule `json:"rules,omitempty"`
	// IsDefault is true for a VPC's default security group.
	IsDefault bool `json:"is_default,omitempty"`
}

// SGRule is one ingress or egress rule.
type SGRule struct {
	Src         Source     `json:"source,omitzero"`
	Egress      bool       `json:"egress"`
	Protocol    String     `json:"protocol"`
	FromPort    Int        `json:"from_port"`
	ToPort      Int        `json:"to_port"`
	CIDRs       StringList `json:"cidrs"`
	IPv6CIDRs   StringList `json:"ipv6_cidrs"`
	Description String     `json:"description"`
}

// AllPorts reports whether the rule covers every port (protocol -1 or "all").
func (r SGRule) AllPorts() bool {
	return r.Protocol.Is("-1") || r.Protocol.Is("all")
}

// CoversPort reports whether the rule is known to open port p.
func (r SGRule) CoversPort(p int64) bool {
	if r.AllPorts() {
		return true
	}
	if !r.FromPort.Known || !r.ToPort.Known {
		return false
	}
	if r.Protocol.Known && r.Protocol.Val != "tcp" && r.Protocol.Val != "6" && r.Protocol.Val != "udp" && r.Protocol.Val != "17" {
		return false
	}
	return r.FromPort.Val <= p && p <= r.ToPort.Val
}

// OpenToWorld reports whether a known CIDR of the rule is 0.0.0.0/0 or ::/0.
func (r SGRule) OpenToWorld() bool {
	return r.CIDRs.Contains("0.0.0.0/0") || r.IPv6CIDRs.Contains("::/0")
}

// NetworkACLRule is one rule of a network ACL.
type NetworkACLRule struct {
	Src      Source `json:"source,omitzero"`
	Egress   bool   `json:"egress"`
	Action   String `json:"action"`
	Protocol String `json:"protocol"`
	FromPort Int    `json:"from_port"`
	ToPort   Int    `json:"to_port"`
	CIDR     String `json:"cidr"`
}

// NetworkACL is a VPC network ACL.
type NetworkACL struct {
	Meta
	Rules []NetworkACLRule `json:"rules,omitempty"`
}

// VPC is a virtual network.
type VPC struct {
	Meta
	CIDR      String `json:"cidr"`
	IsDefault bool   `json:"is_default,omitempty"`
	// FlowLogs is true when some flow log targets this VPC.
	FlowLogs Bool `json:"flow_logs"`
}

// Subnet is a VPC subnet.
type Subnet struct {
	Meta
	VPCID               String `json:"vpc_id"`
	MapPublicIPOnLaunch Bool   `json:"map_public_ip_on_launch"`
}

// RouteTable is a VPC route table with its routes.
type RouteTable struct {
	Meta
	Routes []Route `json:"routes,omitempty"`
}

// Route is one route.
type Route struct {
	Src                    Source `json:"source,omitzero"`
	Destination            String `json:"destination"`
	GatewayID              String `json:"gateway_id"`
	VPCPeeringConnectionID String `json:"vpc_peering_connection_id"`
}

// Gateway is an internet, NAT or transit gateway.
type Gateway struct {
	Meta
	Kind String `json:"kind"`
}

// VPCEndpoint is a VPC endpoint (PrivateLink or gateway).
type VPCEndpoint struct {
	Meta
	ServiceName String         `json:"service_name"`
	Policy      PolicyDocument `json:"policy"`
}

// FlowLog is a VPC flow log.
type FlowLog struct {
	Meta
	ResourceID String `json:"resource_id"`
}

// BlockDevice is a volume attached to an instance or launch template.
type BlockDevice struct {
	Src       Source `json:"source,omitzero"`
	Root      bool   `json:"root"`
	Encrypted Bool   `json:"encrypted"`
}

// EC2Instance is an instance or a launch template/configuration that creates one.
type EC2Instance struct {
	Meta
	AMI               String        `json:"ami"`
	InstanceType      String        `json:"instance_type"`
	MetadataTokens    String        `json:"metadata_http_tokens"`
	MetadataEndpoint  String        `json:"metadata_http_endpoint"`
	PublicIP          Bool          `json:"associate_public_ip_address"`
	UserData          String        `json:"user_data"`
	IAMProfile        String        `json:"iam_instance_profile"`
	Monitoring        Bool          `json:"monitoring"`
	EBSOptimized      Bool          `json:"ebs_optimized"`
	BlockDevices      []BlockDevice `json:"block_devices,omitempty"`
	SecurityGroupRefs []string      `json:"security_groups,omitempty"`
	// AMIOwners are the owners of the image lookup the AMI comes from
	// (Terraform data "aws_ami" owners); empty when the image id is literal.
	AMIOwners StringList `json:"ami_owners"`
	// IsTemplate is true for launch templates and launch configurations.
	IsTemplate bool `json:"is_template,omitempty"`
}

// AMI is a machine image.
type AMI struct {
	Meta
	Public    Bool `json:"public"`
	Encrypted Bool `json:"encrypted"`
}

// EBSVolume is a block storage volume.
type EBSVolume struct {
	Meta
	Encrypted Bool   `json:"encrypted"`
	KMSKeyID  String `json:"kms_key_id"`
}

// EBSSnapshot is a volume snapshot (or a snapshot copy).
type EBSSnapshot struct {
	Meta
	Encrypted Bool `json:"encrypted"`
	Public    Bool `json:"public"`
}

// RDSInstance is a database instance.
type RDSInstance struct {
	Meta
	Engine                  String     `json:"engine"`
	StorageEncrypted        Bool       `json:"storage_encrypted"`
	KMSKeyID                String     `json:"kms_key_id"`
	PubliclyAccessible      Bool       `json:"publicly_accessible"`
	BackupRetention         Int        `json:"backup_retention_period"`
	DeletionProtection      Bool       `json:"deletion_protection"`
	IAMAuth                 Bool       `json:"iam_database_authentication"`
	MultiAZ                 Bool       `json:"multi_az"`
	AutoMinorVersionUpgrade Bool       `json:"auto_minor_version_upgrade"`
	PerformanceInsights     Bool       `json:"performance_insights"`
	PerformanceInsightsKMS  String     `json:"performance_insights_kms_key_id"`
	CopyTagsToSnapshot      Bool       `json:"copy_tags_to_snapshot"`
	LogExports              StringList `json:"log_exports"`
	// InCluster is true when the instance belongs to a cluster, which then
	// owns storage encryption and backups.
	InCluster bool `json:"in_cluster,omitempty"`
}

// RDSCluster is an Aurora, Neptune or DocumentDB cluster.
type RDSCluster struct {
	Meta
	Engine             String     `json:"engine"`
	StorageEncrypted   Bool       `json:"storage_encrypted"`
	KMSKeyID           String     `json:"kms_key_id"`
	BackupRetention    Int        `json:"backup_retention_period"`
	DeletionProtection Bool       `json:"deletion_protection"`
	IAMAuth            Bool       `json:"iam_database_authentication"`
	LogExports         StringList `json:"log_exports"`
	// Family is "rds", "neptune" or "docdb".
	Family string `json:"family"`
}

// OpenSearchDomain is an OpenSearch or Elasticsearch domain.
type OpenSearchDomain struct {
	Meta
	EncryptAtRest      Bool           `json:"encrypt_at_rest"`
	NodeToNode         Bool           `json:"node_to_node_encryption"`
	EnforceHTTPS       Bool           `json:"enforce_https"`
	TLSPolicy          String         `json:"tls_security_policy"`
	AuditLogs          Bool           `json:"audit_logs"`
	InVPC              Bool           `json:"in_vpc"`
	AccessPolicy       PolicyDocument `json:"access_policy"`
	FineGrainedControl Bool           `json:"fine_grained_access_control"`
}

// LoadBalancer is an application, network or classic load balancer.
type LoadBalancer struct {
	Meta
	Type               String     `json:"type"`
	Internal           Bool       `json:"internal"`
	DropInvalidHeaders Bool       `json:"drop_invalid_header_fields"`
	AccessLogs         Bool       `json:"access_logs"`
	DeletionProtection Bool       `json:"deletion_protection"`
	Listeners          []Listener `json:"listeners,omitempty"`
}

// Listener is a load balancer listener.
type Listener struct {
	Meta
	LoadBalancerRef String `json:"load_balancer"`
	Protocol        String `json:"protocol"`
	SSLPolicy       String `json:"ssl_policy"`
	// RedirectsToHTTPS is true when the default action redirects to HTTPS.
	RedirectsToHTTPS Bool `json:"redirects_to_https"`
}

// CloudFrontDistribution is a CDN distribution.
type CloudFrontDistribution struct {
	Meta
	ViewerProtocolPolicies []String `json:"viewer_protocol_policies,omitempty"`
	MinimumProtocolVersion String   `json:"minimum_protocol_version"`
	DefaultCertificate     Bool     `json:"cloudfront_default_certificate"`
	Logging                Bool     `json:"logging"`
	WAF                    Bool     `json:"waf"`
}

// APIGatewayStage is a REST or HTTP API stage.
type APIGatewayStage struct {
	Meta
	AccessLogs     Bool `json:"access_logs"`
	XRayTracing    Bool `json:"xray_tracing"`
	CacheEncrypted Bool `json:"cache_encrypted"`
}

// APIGatewayMethod is a REST API method.
type APIGatewayMethod struct {
	Meta
	HTTPMethod        String `json:"http_method"`
	AuthorizationType String `json:"authorization_type"`
	APIKeyRequired    Bool   `json:"api_key_required"`
}

// APIGatewayDomain is a custom domain name.
type APIGatewayDomain struct {
	Meta
	SecurityPolicy String `json:"security_policy"`
}

// LambdaFunction is a function.
type LambdaFunction struct {
	Meta
	Runtime     String            `json:"runtime"`
	Tracing     String            `json:"tracing_mode"`
	InVPC       Bool              `json:"in_vpc"`
	EnvKMSKey   String            `json:"kms_key_arn"`
	HasEnv      bool              `json:"has_environment,omitempty"`
	DeadLetter  Bool              `json:"dead_letter"`
	Environment map[string]String `json:"environment,omitempty"`
}

// LambdaPermission lets a principal invoke a function.
type LambdaPermission struct {
	Meta
	Principal String `json:"principal"`
	SourceARN String `json:"source_arn"`
}

// LambdaURL is a Lambda function URL; AuthType "NONE" makes it public.
type LambdaURL struct {
	Meta
	AuthType String `json:"authorization_type"`
}

// KMSKey is a customer managed key.
type KMSKey struct {
	Meta
	Rotation Bool           `json:"enable_key_rotation"`
	Usage    String         `json:"key_usage"`
	Spec     String         `json:"key_spec"`
	Policy   PolicyDocument `json:"policy"`
}

// CloudTrail is a trail.
type CloudTrail struct {
	Meta
	MultiRegion        Bool   `json:"is_multi_region_trail"`
	LogValidation      Bool   `json:"enable_log_file_validation"`
	KMSKeyID           String `json:"kms_key_id"`
	CloudWatchLogs     Bool   `json:"cloudwatch_logs"`
	BucketName         String `json:"s3_bucket_name"`
	Logging            Bool   `json:"enable_logging"`
	IncludeGlobalEvent Bool   `json:"include_global_service_events"`
}

// GuardDutyDetector is a GuardDuty detector.
type GuardDutyDetector struct {
	Meta
	Enabled Bool `json:"enable"`
}

// AccessAnalyzer is an IAM Access Analyzer.
type AccessAnalyzer struct {
	Meta
	Type String `json:"type"`
}

// BackupPlan is an AWS Backup plan.
type BackupPlan struct {
	Meta
	Rules []BackupRule `json:"rules,omitempty"`
}

// BackupRule is one rule of a backup plan.
type BackupRule struct {
	Src Source `json:"source,omitzero"`
	// DeleteAfterDays is the retention; unknown when lifecycle is computed.
	DeleteAfterDays Int `json:"delete_after_days"`
	// CopiesElsewhere is true when a copy action targets another vault.
	CopiesElsewhere Bool `json:"copies_elsewhere"`
}

// BackupVault is an AWS Backup vault.
type BackupVault struct {
	Meta
	KMSKeyID String `json:"kms_key_arn"`
	Locked   Bool   `json:"locked"`
}

// SQSQueue is a queue.
type SQSQueue struct {
	Meta
	Encrypted Bool           `json:"encrypted"`
	KMSKeyID  String         `json:"kms_master_key_id"`
	Policy    PolicyDocument `json:"policy"`
}

// SNSTopic is a topic.
type SNSTopic struct {
	Meta
	KMSKeyID String         `json:"kms_master_key_id"`
	Policy   PolicyDocument `json:"policy"`
}

// DynamoDBTable is a table.
type DynamoDBTable struct {
	Meta
	PointInTimeRecovery Bool   `json:"point_in_time_recovery"`
	CustomerKMS         Bool   `json:"customer_kms"`
	KMSKeyID            String `json:"kms_key_arn"`
	DeletionProtection  Bool   `json:"deletion_protection"`
}

// EKSCluster is a Kubernetes control plane.
type EKSCluster struct {
	Meta
	PublicEndpoint   Bool       `json:"endpoint_public_access"`
	PrivateEndpoint  Bool       `json:"endpoint_private_access"`
	PublicCIDRs      StringList `json:"public_access_cidrs"`
	SecretEncryption Bool       `json:"secrets_encryption"`
	LogTypes         StringList `json:"enabled_log_types"`
}

// ECRRepository is a container registry repository.
type ECRRepository struct {
	Meta
	ScanOnPush     Bool           `json:"scan_on_push"`
	ImmutableTags  Bool           `json:"immutable_tags"`
	EncryptionType String         `json:"encryption_type"`
	Policy         PolicyDocument `json:"policy"`
}

// Secret is a Secrets Manager secret.
type Secret struct {
	Meta
	KMSKeyID String `json:"kms_key_id"`
	Rotation Bool   `json:"rotation"`
}

// LogGroup is a CloudWatch log group.
type LogGroup struct {
	Meta
	Name          String `json:"name"`
	RetentionDays Int    `json:"retention_in_days"`
	KMSKeyID      String `json:"kms_key_id"`
}

// ConfigRecorder is an AWS Config configuration recorder.
type ConfigRecorder struct {
	Meta
	AllSupported    Bool `json:"all_supported"`
	GlobalResources Bool `json:"include_global_resource_types"`
}

// EFSFileSystem is an Elastic File System.
type EFSFileSystem struct {
	Meta
	Encrypted Bool `json:"encrypted"`
}

// ElastiCacheGroup is an ElastiCache replication group or cluster.
type ElastiCacheGroup struct {
	Meta
	AtRestEncryption  Bool `json:"at_rest_encryption"`
	TransitEncryption Bool `json:"transit_encryption"`
	SnapshotRetention Int  `json:"snapshot_retention_limit"`
	// Engine is "redis", "valkey" or "memcached".
	Engine String `json:"engine"`
}

// RedshiftCluster is a Redshift cluster.
type RedshiftCluster struct {
	Meta
	Encrypted          Bool `json:"encrypted"`
	PubliclyAccessible Bool `json:"publicly_accessible"`
	InVPC              Bool `json:"in_vpc"`
}

// State is everything one source (a folder of IaC, a plan, one account's
// live collection) knows about AWS. Resources keep their order of discovery.
type State struct {
	Accounts          []*Account                `json:"accounts,omitempty"`
	PasswordPolicies  []*PasswordPolicy         `json:"password_policies,omitempty"`
	S3Buckets         []*S3Bucket               `json:"s3_buckets,omitempty"`
	IAMUsers          []*IAMUser                `json:"iam_users,omitempty"`
	IAMGroups         []*IAMGroup               `json:"iam_groups,omitempty"`
	IAMRoles          []*IAMRole                `json:"iam_roles,omitempty"`
	IAMPolicies       []*IAMPolicy              `json:"iam_policies,omitempty"`
	SecurityGroups    []*SecurityGroup          `json:"security_groups,omitempty"`
	NetworkACLs       []*NetworkACL             `json:"network_acls,omitempty"`
	VPCs              []*VPC                    `json:"vpcs,omitempty"`
	Subnets           []*Subnet                 `json:"subnets,omitempty"`
	RouteTables       []*RouteTable             `json:"route_tables,omitempty"`
	Gateways          []*Gateway                `json:"gateways,omitempty"`
	VPCEndpoints      []*VPCEndpoint            `json:"vpc_endpoints,omitempty"`
	FlowLogs          []*FlowLog                `json:"flow_logs,omitempty"`
	EC2Instances      []*EC2Instance            `json:"ec2_instances,omitempty"`
	AMIs              []*AMI                    `json:"amis,omitempty"`
	EBSVolumes        []*EBSVolume              `json:"ebs_volumes,omitempty"`
	EBSSnapshots      []*EBSSnapshot            `json:"ebs_snapshots,omitempty"`
	RDSInstances      []*RDSInstance            `json:"rds_instances,omitempty"`
	RDSClusters       []*RDSCluster             `json:"rds_clusters,omitempty"`
	OpenSearchDomains []*OpenSearchDomain       `json:"opensearch_domains,omitempty"`
	LoadBalancers     []*LoadBalancer           `json:"load_balancers,omitempty"`
	Listeners         []*Listener               `json:"listeners,omitempty"`
	CloudFront        []*CloudFrontDistribution `json:"cloudfront_distributions,omitempty"`
	APIGatewayStages  []*APIGatewayStage        `json:"api_gateway_stages,omitempty"`
	APIGatewayMethods []*APIGatewayMethod       `json:"api_gateway_methods,omitempty"`
	APIGatewayDomains []*APIGatewayDomain       `json:"api_gateway_domains,omitempty"`
	LambdaFunctions   []*LambdaFunction         `json:"lambda_functions,omitempty"`
	LambdaPermissions []*LambdaPermission       `json:"lambda_permissions,omitempty"`
	LambdaURLs        []*LambdaURL              `json:"lambda_urls,omitempty"`
	KMSKeys           []*KMSKey                 `json:"kms_keys,omitempty"`
	CloudTrails       []*CloudTrail             `json:"cloudtrails,omitempty"`
	GuardDuty         []*GuardDutyDetector      `json:"guardduty_detectors,omitempty"`
	AccessAnalyzers   []*AccessAnalyzer         `json:"access_analyzers,omitempty"`
	BackupPlans       []*BackupPlan             `json:"backup_plans,omitempty"`
	BackupVaults      []*BackupVault            `json:"backup_vaults,omitempty"`
	SQSQueues         []*SQSQueue               `json:"sqs_queues,omitempty"`
	SNSTopics         []*SNSTopic               `json:"sns_topics,omitempty"`
	DynamoDBTables    []*DynamoDBTable          `json:"dynamodb_tables,omitempty"`
	EKSClusters       []*EKSCluster             `json:"eks_clusters,omitempty"`
	ECRRepositories   []*ECRRepository          `json:"ecr_repositories,omitempty"`
	Secrets           []*Secret                 `json:"secrets,omitempty"`
	LogGroups         []*LogGroup               `json:"log_groups,omitempty"`
	ConfigRecorders   []*ConfigRecorder         `json:"config_recorders,omitempty"`
	EFSFileSystems    []*EFSFileSystem          `json:"efs_file_systems,omitempty"`
	ElastiCache       []*ElastiCacheGroup       `json:"elasticache,omitempty"`
	RedshiftClusters  []*RedshiftCluster        `json:"redshift_clusters,omitempty"`
}

// Merge appends every resource of o to s.
func (s *State) Merge(o *State) {
	s.Accounts = append(s.Accounts, o.Accounts...)
	s.PasswordPolicies = append(s.PasswordPolicies, o.PasswordPolicies...)
	s.S3Buckets = append(s.S3Buckets, o.S3Buckets...)
	s.IAMUsers = append(s.IAMUsers, o.IAMUsers...)
	s.IAMGroups = append(s.IAMGroups, o.IAMGroups...)
	s.IAMRoles = append(s.IAMRoles, o.IAMRoles...)
	s.IAMPolicies = append(s.IAMPolicies, o.IAMPolicies...)
	s.SecurityGroups = append(s.SecurityGroups, o.SecurityGroups...)
	s.NetworkACLs = append(s.NetworkACLs, o.NetworkACLs...)
	s.VPCs = append(s.VPCs, o.VPCs...)
	s.Subnets = append(s.Subnets, o.Subnets...)
	s.RouteTables = append(s.RouteTables, o.RouteTables...)
	s.Gateways = append(s.Gateways, o.Gateways...)
	s.VPCEndpoints = append(s.VPCEndpoints, o.VPCEndpoints...)
	s.FlowLogs = append(s.FlowLogs, o.FlowLogs...)
	s.EC2Instances = append(s.EC2Instances, o.EC2Instances...)
	s.AMIs = append(s.AMIs, o.AMIs...)
	s.EBSVolumes = append(s.EBSVolumes, o.EBSVolumes...)
	s.EBSSnapshots = append(s.EBSSnapshots, o.EBSSnapshots...)
	s.RDSInstances = append(s.RDSInstances, o.RDSInstances...)
	s.RDSClusters = append(s.RDSClusters, o.RDSClusters...)
	s.OpenSearchDomains = append(s.OpenSearchDomains, o.OpenSearchDomains...)
	s.LoadBalancers = append(s.LoadBalancers, o.LoadBalancers...)
	s.Listeners = append(s.Listeners, o.Listeners...)
	s.CloudFront = append(s.CloudFront, o.CloudFront...)
	s.APIGatewayStages = append(s.APIGatewayStages, o.APIGatewayStages...)
	s.APIGatewayMethods = append(s.APIGatewayMethods, o.APIGatewayMethods...)
	s.APIGatewayDomains = append(s.APIGatewayDomains, o.APIGatewayDomains...)
	s.LambdaFunctions = append(s.LambdaFunctions, o.LambdaFunctions...)
	s.LambdaPermissions = append(s.LambdaPermissions, o.LambdaPermissions...)
	s.LambdaURLs = append(s.LambdaURLs, o.LambdaURLs...)
	s.KMSKeys = append(s.KMSKeys, o.KMSKeys...)
	s.CloudTrails = append(s.CloudTrails, o.CloudTrails...)
	s.GuardDuty = append(s.GuardDuty, o.GuardDuty...)
	s.AccessAnalyzers = append(s.AccessAnalyzers, o.AccessAnalyzers...)
	s.BackupPlans = append(s.BackupPlans, o.BackupPlans...)
	s.BackupVaults = append(s.BackupVaults, o.BackupVaults...)
	s.SQSQueues = append(s.SQSQueues, o.SQSQueues...)
	s.SNSTopics = append(s.SNSTopics, o.SNSTopics...)
	s.DynamoDBTables = append(s.DynamoDBTables, o.DynamoDBTables...)
	s.EKSClusters = append(s.EKSClusters, o.EKSClusters...)
	s.ECRRepositories = append(s.ECRRepositories, o.ECRRepositories...)
	s.Secrets = append(s.Secrets, o.Secrets...)
	s.LogGroups = append(s.LogGroups, o.LogGroups...)
	s.ConfigRecorders = append(s.ConfigRecorders, o.ConfigRecorders...)
	s.EFSFileSystems = append(s.EFSFileSystems, o.EFSFileSystems...)
	s.ElastiCache = append(s.ElastiCache, o.ElastiCache...)
	s.RedshiftClusters = append(s.RedshiftClusters, o.RedshiftClusters...)
}

// All returns every resource of the state, for checks that apply to any
// resource (such as required tags).
func (s *State) All() []Resource {
	var out []Resource
	add := func(r Resource) { out = append(out, r) }
	for _, r := range s.S3Buckets {
		add(r)
	}
	for _, r := range s.IAMUsers {
		add(r)
	}
	for _, r := range s.IAMGroups {
		add(r)
	}
	for _, r := range s.IAMRoles {
		add(r)
	}
	for _, r := range s.IAMPolicies {
		add(r)
	}
	for _, r := range s.SecurityGroups {
		add(r)
	}
	for _, r := range s.NetworkACLs {
		add(r)
	}
	for _, r := range s.VPCs {
		add(r)
	}
	for _, r := range s.Subnets {
		add(r)
	}
	for _, r := range s.RouteTables {
		add(r)
	}
	for _, r := range s.Gateways {
		add(r)
	}
	for _, r := range s.VPCEndpoints {
		add(r)
	}
	for _, r := range s.FlowLogs {
		add(r)
	}
	for _, r := range s.EC2Instances {
		add(r)
	}
	for _, r := range s.AMIs {
		add(r)
	}
	for _, r := range s.EBSVolumes {
		add(r)
	}
	for _, r := range s.EBSSnapshots {
		add(r)
	}
	for _, r := range s.RDSInstances {
		add(r)
	}
	for _, r := range s.RDSClusters {
		add(r)
	}
	for _, r := range s.OpenSearchDomains {
		add(r)
	}
	for _, r := range s.LoadBalancers {
		add(r)
	}
	for _, r := range s.Listeners {
		add(r)
	}
	for _, r := range s.CloudFront {
		add(r)
	}
	for _, r := range s.APIGatewayStages {
		add(r)
	}
	for _, r := range s.APIGatewayMethods {
		add(r)
	}
	for _, r := range s.APIGatewayDomains {
		add(r)
	}
	for _, r := range s.LambdaFunctions {
		add(r)
	}
	for _, r := range s.LambdaPermissions {
		add(r)
	}
	for _, r := range s.LambdaURLs {
		add(r)
	}
	for _, r := range s.KMSKeys {
		add(r)
	}
	for _, r := range s.CloudTrails {
		add(r)
	}
	for _, r := range s.GuardDuty {
		add(r)
	}
	for _, r := range s.AccessAnalyzers {
		add(r)
	}
	for _, r := range s.BackupPlans {
		add(r)
	}
	for _, r := range s.BackupVaults {
		add(r)
	}
	for _, r := range s.SQSQueues {
		add(r)
	}
	for _, r := range s.SNSTopics {
		add(r)
	}
	for _, r := range s.DynamoDBTables {
		add(r)
	}
	for _, r := range s.EKSClusters {
		add(r)
	}
	for _, r := range s.ECRRepositories {
		add(r)
	}
	for _, r := range s.Secrets {
		add(r)
	}
	for _, r := range s.LogGroups {
		add(r)
	}
	for _, r := range s.ConfigRecorders {
		add(r)
	}
	for _, r := range s.EFSFileSystems {
		add(r)
	}
	for _, r := range s.ElastiCache {
		add(r)
	}
	for _, r := range s.RedshiftClusters {
		add(r)
	}
	return out
}
