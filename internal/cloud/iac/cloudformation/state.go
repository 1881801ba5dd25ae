package cloudformation

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

func meta(r *Resource) cloud.Meta {
	m := cloud.Meta{Type: r.Type, Address: r.LogicalID, Src: r.Src, Ignores: r.Ignores, TagsKnown: true}
	tags := r.Properties.Get("Tags")
	if tags.IsUnknown() {
		m.TagsKnown = false
	}
	add := func(k string, okKey bool, v *tree.Value) {
		str, ok := v.Str()
		if !okKey || !ok {
			m.TagsKnown = false
			return
		}
		if m.Tags == nil {
			m.Tags = cloud.Tags{}
		}
		m.Tags[k] = str
	}
	if tags != nil && tags.Kind == tree.Map {
		// SAM resources write tags as a map.
		for k, v := range tags.M {
			add(k, true, v)
		}
		return m
	}
	for _, t := range tags.Items() {
		k, ok := t.Get("Key").Str()
		add(k, ok, t.Get("Value"))
	}
	return m
}

// internalScheme reads a load balancer's Scheme: "internal" or, by
// default, internet-facing.
func internalScheme(p *tree.Value) cloud.Bool {
	sc := p.Get("Scheme")
	if sc.IsNull() {
		return cloud.Default(false)
	}
	if str, ok := sc.Str(); ok {
		return cloud.Known(str == "internal", sc.Src())
	}
	return cloud.Unknown[bool](sc.Src())
}

func b(p *tree.Value, def bool, path ...string) cloud.Bool {
	return tree.BoolAttr(p.Path(path...), def)
}
func s(p *tree.Value, def string, path ...string) cloud.String {
	return tree.StringAttr(p.Path(path...), def)
}
func n(p *tree.Value, def int64, path ...string) cloud.Int { return tree.IntAttr(p.Path(path...), def) }
func present(p *tree.Value, at cloud.Source, path ...string) cloud.Bool {
	return tree.PresentAttr(p.Path(path...), at)
}

// refTarget returns the logical id a value refers to.
func refTarget(v *tree.Value) string {
	if v == nil {
		return ""
	}
	if len(v.Refs) > 0 {
		return v.Refs[0]
	}
	if str, ok := v.Str(); ok && strings.HasPrefix(str, tree.RefPrefix) {
		id := strings.TrimPrefix(str, tree.RefPrefix)
		if i := strings.Index(id, "."); i > 0 {
			id = id[:i]
		}
		return id
	}
	return ""
}

// State maps a template's resources into the cloud model.
func State(t *Template) *cloud.State {
	st := &cloud.State{}
	buckets := map[string]*cloud.S3Bucket{}
	users := map[string]*cloud.IAMUser{}
	groups := map[string]*cloud.IAMGroup{}
	roles := map[string]*cloud.IAMRole{}
	sgs := map[string]*cloud.SecurityGroup{}
	vpcs := map[string]*cloud.VPC{}
	lbs := map[string]*cloud.LoadBalancer{}
	queues := map[string]*cloud.SQSQueue{}
	topics := map[string]*cloud.SNSTopic{}
	secrets := map[string]*cloud.Secret{}
	var later []*Resource
	for _, r := range t.Resources {
		p := r.Properties
		switch r.Type {
		case "AWS::S3::Bucket":
			x := &cloud.S3Bucket{Meta: meta(r), Name: s(p, "", "BucketName"), ACL: s(p, "Private", "AccessControl"), ACLGrantsPublic: cloud.Default(false)}
			if x.ACL.Known {
				x.ACL.Val = cannedACL(x.ACL.Val)
			}
			if pab := p.Get("PublicAccessBlockConfiguration"); !pab.IsNull() {
				x.PublicAccessBlock = &cloud.PublicAccessBlock{Src: pab.Src(), BlockPublicAcls: b(pab, false, "BlockPublicAcls"), BlockPublicPolicy: b(pab, false, "BlockPublicPolicy"),
					IgnorePublicAcls: b(pab, false, "IgnorePublicAcls"), RestrictPublicBuckets: b(pab, false, "RestrictPublicBuckets")}
			}
			x.Encryption, x.EncryptionAlgorithm, x.EncryptionKMSKey = cloud.Default(false), cloud.Default(""), cloud.Default("")
			if enc := p.Get("BucketEncryption"); enc.IsUnknown() {
				x.Encryption = cloud.Unknown[bool](enc.Src())
				x.EncryptionKMSKey = cloud.Unknown[string](enc.Src())
			} else if def := enc.Path("ServerSideEncryptionConfiguration", "ServerSideEncryptionByDefault"); !def.IsNull() {
				x.Encryption = cloud.Known(true, def.Src())
				x.EncryptionAlgorithm = s(def, "", "SSEAlgorithm")
				x.EncryptionKMSKey = s(def, "", "KMSMasterKeyID")
			}
			x.Versioning = cloud.Default(false)
			if v := p.Path("VersioningConfiguration", "Status"); !v.IsNull() {
				if str, ok := v.Str(); ok {
					x.Versioning = cloud.Known(str == "Enabled", v.Src())
				} else {
					x.Versioning = cloud.Unknown[bool](v.Src())
				}
			}
			x.MFADelete = cloud.Default(false)
			x.Logging = present(p, r.Src, "LoggingConfiguration")
			x.LoggingTarget = s(p, "", "LoggingConfiguration", "DestinationBucketName")
			x.Replication = present(p, r.Src, "ReplicationConfiguration")
			for _, rule := range p.Path("ReplicationConfiguration", "Rules").Items() {
				if dst, ok := rule.Path("Destination", "Bucket").Str(); ok && dst != "" {
					x.ReplicationTargets = append(x.ReplicationTargets, dst)
				}
			}
			x.ObjectLock = b(p, false, "ObjectLockEnabled")
			x.ObjectOwnership = s(p, "", "OwnershipControls", "Rules", "ObjectOwnership")
			x.Website = present(p, r.Src, "WebsiteConfiguration")
			buckets[r.LogicalID] = x
			st.S3Buckets = append(st.S3Buckets, x)
		case "AWS::IAM::User":
			x := &cloud.IAMUser{Meta: meta(r), Name: s(p, "", "UserName"), HasAccessKey: cloud.Default(false), HasLoginProfile: present(p, r.Src, "LoginProfile")}
			for _, pol := range p.Get("Policies").Items() {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(pol.Get("PolicyDocument")))
			}
			x.AttachedPolicies = tree.Strings(p.Get("ManagedPolicyArns"))
			x.Groups = tree.Strings(p.Get("Groups"))
			users[r.LogicalID] = x
			st.IAMUsers = append(st.IAMUsers, x)
		case "AWS::IAM::Group":
			x := &cloud.IAMGroup{Meta: meta(r), Name: s(p, "", "GroupName"), AttachedPolicies: tree.Strings(p.Get("ManagedPolicyArns"))}
			for _, pol := range p.Get("Policies").Items() {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(pol.Get("PolicyDocument")))
			}
			groups[r.LogicalID] = x
			st.IAMGroups = append(st.IAMGroups, x)
		case "AWS::IAM::Role":
			x := &cloud.IAMRole{Meta: meta(r), Name: s(p, "", "RoleName"), TrustPolicy: tree.Policy(p.Get("AssumeRolePolicyDocument")), AttachedPolicies: tree.Strings(p.Get("ManagedPolicyArns"))}
			for _, pol := range p.Get("Policies").Items() {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(pol.Get("PolicyDocument")))
			}
			roles[r.LogicalID] = x
			st.IAMRoles = append(st.IAMRoles, x)
		case "AWS::IAM::ManagedPolicy":
			x := &cloud.IAMPolicy{Meta: meta(r), Name: s(p, "", "ManagedPolicyName"), Document: tree.Policy(p.Get("PolicyDocument"))}
			for _, u := range p.Get("Users").Items() {
				x.AttachedToUsers = append(x.AttachedToUsers, refOrString(u))
			}
			st.IAMPolicies = append(st.IAMPolicies, x)
			later = append(later, r)
		case "AWS::EC2::SecurityGroup":
			x := &cloud.SecurityGroup{Meta: meta(r), Name: s(p, "", "GroupName"), Description: s(p, "", "GroupDescription"), VPCID: s(p, "", "VpcId")}
			for _, k := range []string{"SecurityGroupIngress", "SecurityGroupEgress"} {
				for _, rb := range p.Get(k).Items() {
					x.Rules = append(x.Rules, sgRule(rb, k == "SecurityGroupEgress"))
				}
			}
			sgs[r.LogicalID] = x
			st.SecurityGroups = append(st.SecurityGroups, x)
		case "AWS::EC2::NetworkAcl":
			st.NetworkACLs = append(st.NetworkACLs, &cloud.NetworkACL{Meta: meta(r)})
		case "AWS::EC2::VPC":
			x := &cloud.VPC{Meta: meta(r), CIDR: s(p, "", "CidrBlock"), FlowLogs: cloud.Default(false)}
			vpcs[r.LogicalID] = x
			st.VPCs = append(st.VPCs, x)
		case "AWS::EC2::Subnet":
			st.Subnets = append(st.Subnets, &cloud.Subnet{Meta: meta(r), VPCID: s(p, "", "VpcId"), MapPublicIPOnLaunch: b(p, false, "MapPublicIpOnLaunch")})
		case "AWS::EC2::RouteTable":
			st.RouteTables = append(st.RouteTables, &cloud.RouteTable{Meta: meta(r)})
		case "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::TransitGateway":
			st.Gateways = append(st.Gateways, &cloud.Gateway{Meta: meta(r), Kind: cloud.Default(strings.TrimPrefix(r.Type, "AWS::EC2::"))})
		case "AWS::EC2::VPCEndpoint":
			st.VPCEndpoints = append(st.VPCEndpoints, &cloud.VPCEndpoint{Meta: meta(r), ServiceName: s(p, "", "ServiceName"), Policy: tree.Policy(p.Get("PolicyDocument"))})
		case "AWS::EC2::FlowLog":
			st.FlowLogs = append(st.FlowLogs, &cloud.FlowLog{Meta: meta(r), ResourceID: s(p, "", "ResourceId")})
			later = append(later, r)
		case "AWS::EC2::Instance":
			x := &cloud.EC2Instance{Meta: meta(r), AMI: s(p, "", "ImageId"), InstanceType: s(p, "", "InstanceType"), MetadataTokens: cloud.Default("optional"), MetadataEndpoint: cloud.Default("enabled"),
				PublicIP: cloud.Default(false), UserData: s(p, "", "UserData"), IAMProfile: s(p, "", "IamInstanceProfile"), Monitoring: b(p, false, "Monitoring"), EBSOptimized: b(p, false, "EbsOptimized")}
			for _, ni := range p.Get("NetworkInterfaces").Items() {
				x.PublicIP = b(ni, false, "AssociatePublicIpAddress")
			}
			bdm := p.Get("BlockDeviceMappings")
			if bdm.IsNull() {
				x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: r.Src, Root: true, Encrypted: cloud.Default(false)})
			}
			for _, d := range bdm.Items() {
				if d.Get("Ebs").IsNull() {
					continue
				}
				x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: d.Src(), Encrypted: b(d, false, "Ebs", "Encrypted")})
			}
			st.EC2Instances = append(st.EC2Instances, x)
		case "AWS::EC2::LaunchTemplate":
			d := p.Get("LaunchTemplateData")
			x := &cloud.EC2Instance{Meta: meta(r), IsTemplate: true, AMI: s(d, "", "ImageId"), InstanceType: s(d, "", "InstanceType"), MetadataTokens: s(d, "optional", "MetadataOptions", "HttpTokens"),
				MetadataEndpoint: s(d, "enabled", "MetadataOptions", "HttpEndpoint"), PublicIP: b(d, false, "NetworkInterfaces", "AssociatePublicIpAddress"), UserData: s(d, "", "UserData"),
				Monitoring: b(d, false, "Monitoring", "Enabled"), EBSOptimized: b(d, false, "EbsOptimized")}
			for _, bd := range d.Get("BlockDeviceMappings").Items() {
				x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: bd.Src(), Encrypted: b(bd, false, "Ebs", "Encrypted")})
			}
			st.EC2Instances = append(st.EC2Instances, x)
		case "AWS::EC2::Volume":
			st.EBSVolumes = append(st.EBSVolumes, &cloud.EBSVolume{Meta: meta(r), Encrypted: b(p, false, "Encrypted"), KMSKeyID: s(p, "", "KmsKeyId")})
		case "AWS::RDS::DBInstance":
			x := &cloud.RDSInstance{Meta: meta(r), Engine: s(p, "", "Engine"), StorageEncrypted: b(p, false, "StorageEncrypted"), KMSKeyID: s(p, "", "KmsKeyId"),
				PubliclyAccessible: b(p, false, "PubliclyAccessible"), BackupRetention: n(p, 1, "BackupRetentionPeriod"), DeletionProtection: b(p, false, "DeletionProtection"),
				IAMAuth: b(p, false, "EnableIAMDatabaseAuthentication"), MultiAZ: b(p, false, "MultiAZ"), AutoMinorVersionUpgrade: b(p, true, "AutoMinorVersionUpgrade"),
				PerformanceInsights: b(p, false, "EnablePerformanceInsights"), PerformanceInsightsKMS: s(p, "", "PerformanceInsightsKMSKeyId"), CopyTagsToSnapshot: b(p, false, "CopyTagsToSnapshot"),
				LogExports: tree.StringListAttr(p.Get("EnableCloudwatchLogsExports")), InCluster: !p.Get("DBClusterIdentifier").IsNull() || !p.Get("SourceDBInstanceIdentifier").IsNull()}
			st.RDSInstances = append(st.RDSInstances, x)
		case "AWS::RDS::DBCluster", "AWS::Neptune::DBCluster", "AWS::DocDB::DBCluster":
			fam := map[string]string{"AWS::RDS::DBCluster": "rds", "AWS::Neptune::DBCluster": "neptune", "AWS::DocDB::DBCluster": "docdb"}[r.Type]
			st.RDSClusters = append(st.RDSClusters, &cloud.RDSCluster{Meta: meta(r), Family: fam, Engine: s(p, "", "Engine"), StorageEncrypted: b(p, false, "StorageEncrypted"), KMSKeyID: s(p, "", "KmsKeyId"),
				BackupRetention: n(p, 1, "BackupRetentionPeriod"), DeletionProtection: b(p, false, "DeletionProtection"), IAMAuth: b(p, false, "EnableIAMDatabaseAuthentication"),
				LogExports: tree.StringListAttr(p.Get("EnableCloudwatchLogsExports"))})
		case "AWS::Elasticsearch::Domain", "AWS::OpenSearchService::Domain":
			x := &cloud.OpenSearchDomain{Meta: meta(r), EncryptAtRest: b(p, false, "EncryptionAtRestOptions", "Enabled"), NodeToNode: b(p, false, "NodeToNodeEncryptionOptions", "Enabled"),
				EnforceHTTPS: b(p, false, "DomainEndpointOptions", "EnforceHTTPS"), TLSPolicy: s(p, "Policy-Min-TLS-1-0-2019-07", "DomainEndpointOptions", "TLSSecurityPolicy"),
				InVPC: present(p, r.Src, "VPCOptions"), AccessPolicy: tree.Policy(p.Get("AccessPolicies")), FineGrainedControl: b(p, false, "AdvancedSecurityOptions", "Enabled"),
				AuditLogs: present(p, r.Src, "LogPublishingOptions", "AUDIT_LOGS")}
			st.OpenSearchDomains = append(st.OpenSearchDomains, x)
		case "AWS::ElasticLoadBalancingV2::LoadBalancer":
			x := &cloud.LoadBalancer{Meta: meta(r), Type: s(p, "application", "Type"), Internal: internalScheme(p), AccessLogs: cloud.Default(false), DropInvalidHeaders: cloud.Default(false), DeletionProtection: cloud.Default(false)}
			for _, a := range p.Get("LoadBalancerAttributes").Items() {
				k, _ := a.Get("Key").Str()
				switch k {
				case "routing.http.drop_invalid_header_fields.enabled":
					x.DropInvalidHeaders = b(a, false, "Value")
				case "access_logs.s3.enabled":
					x.AccessLogs = b(a, false, "Value")
				case "deletion_protection.enabled":
					x.DeletionProtection = b(a, false, "Value")
				}
			}
			lbs[r.LogicalID] = x
			st.LoadBalancers = append(st.LoadBalancers, x)
		case "AWS::ElasticLoadBalancing::LoadBalancer":
			// A classic load balancer: its listeners live inside it.
			x := &cloud.LoadBalancer{Meta: meta(r), Type: cloud.Default("classic"), Internal: internalScheme(p),
				AccessLogs: b(p, false, "AccessLoggingPolicy", "Enabled"), DropInvalidHeaders: cloud.Default(false), DeletionProtection: cloud.Default(false)}
			for _, l := range p.Get("Listeners").Items() {
				proto := s(l, "", "Protocol")
				proto.Val = strings.ToUpper(proto.Val)
				x.Listeners = append(x.Listeners, cloud.Listener{Meta: cloud.Meta{Type: "listener", Address: x.Address, Src: l.Src()},
					Protocol: proto, SSLPolicy: cloud.Default(""), RedirectsToHTTPS: cloud.Default(false)})
			}
			st.LoadBalancers = append(st.LoadBalancers, x)
		case "AWS::ElasticLoadBalancingV2::Listener":
			x := &cloud.Listener{Meta: meta(r), LoadBalancerRef: s(p, "", "LoadBalancerArn"), Protocol: s(p, "HTTP", "Protocol"), SSLPolicy: s(p, "", "SslPolicy"), RedirectsToHTTPS: cloud.Default(false)}
			for _, a := range p.Get("DefaultActions").Items() {
				if t, _ := a.Get("Type").Str(); t == "redirect" {
					proto := a.Path("RedirectConfig", "Protocol")
					if str, ok := proto.Str(); ok {
						x.RedirectsToHTTPS = cloud.Known(strings.EqualFold(str, "HTTPS"), proto.Src())
					}
				}
			}
			st.Listeners = append(st.Listeners, x)
			if lb := lbs[refTarget(p.Get("LoadBalancerArn"))]; lb != nil {
				lb.Listeners = append(lb.Listeners, *x)
			} else {
				later = append(later, r)
			}
		case "AWS::CloudFront::Distribution":
			c := p.Get("DistributionConfig")
			x := &cloud.CloudFrontDistribution{Meta: meta(r), Logging: present(c, r.Src, "Logging"), WAF: present(c, r.Src, "WebACLId"),
				DefaultCertificate: b(c, false, "ViewerCertificate", "CloudFrontDefaultCertificate"), MinimumProtocolVersion: s(c, "TLSv1", "ViewerCertificate", "MinimumProtocolVersion")}
			x.ViewerProtocolPolicies = append(x.ViewerProtocolPolicies, s(c, "", "DefaultCacheBehavior", "ViewerProtocolPolicy"))
			for _, cb := range c.Get("CacheBehaviors").Items() {
				x.ViewerProtocolPolicies = append(x.ViewerProtocolPolicies, s(cb, "", "ViewerProtocolPolicy"))
			}
			st.CloudFront = append(st.CloudFront, x)
		case "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage":
			st.APIGatewayStages = append(st.APIGatewayStages, &cloud.APIGatewayStage{Meta: meta(r), AccessLogs: present(p, r.Src, "AccessLogSetting"), XRayTracing: b(p, false, "TracingEnabled"), CacheEncrypted: cloud.Default(false)})
		case "AWS::ApiGateway::Method":
			st.APIGatewayMethods = append(st.APIGatewayMethods, &cloud.APIGatewayMethod{Meta: meta(r), HTTPMethod: s(p, "", "HttpMethod"), AuthorizationType: s(p, "NONE", "AuthorizationType"), APIKeyRequired: b(p, false, "ApiKeyRequired")})
		case "AWS::ApiGateway::DomainName":
			st.APIGatewayDomains = append(st.APIGatewayDomains, &cloud.APIGatewayDomain{Meta: meta(r), SecurityPolicy: s(p, "TLS_1_0", "SecurityPolicy")})
		case "AWS::Lambda::Function":
			x := &cloud.LambdaFunction{Meta: meta(r), Runtime: s(p, "", "Runtime"), Tracing: s(p, "PassThrough", "TracingConfig", "Mode"), InVPC: present(p, r.Src, "VpcConfig"),
				EnvKMSKey: s(p, "", "KmsKeyArn"), DeadLetter: present(p, r.Src, "DeadLetterConfig")}
			x.Environment = tree.StringMapAttr(p.Path("Environment", "Variables"))
			x.HasEnv = x.Environment != nil
			st.LambdaFunctions = append(st.LambdaFunctions, x)
		case "AWS::Serverless::Function":
			x := &cloud.LambdaFunction{Meta: meta(r), Runtime: s(p, "", "Runtime"), Tracing: cloud.Default("PassThrough"), InVPC: present(p, r.Src, "VpcConfig"),
				EnvKMSKey: s(p, "", "KmsKeyArn"), DeadLetter: present(p, r.Src, "DeadLetterQueue")}
			if t := samTracing(p); t != nil {
				x.Tracing = tree.StringAttr(t, "PassThrough")
			}
			x.Environment = tree.StringMapAttr(p.Path("Environment", "Variables"))
			x.HasEnv = x.Environment != nil
			st.LambdaFunctions = append(st.LambdaFunctions, x)
			if u := p.Get("FunctionUrlConfig"); u != nil && u.Kind == tree.Map {
				st.LambdaURLs = append(st.LambdaURLs, &cloud.LambdaURL{Meta: cloud.Meta{Type: r.Type, Address: x.Address + ".FunctionUrl", Src: cloud.Source{File: u.File, Line: u.Line}, Ignores: x.Ignores, Tags: x.Tags, TagsKnown: x.TagsKnown},
					AuthType: s(u, "", "AuthType")})
			}
		case "AWS::Serverless::SimpleTable":
			// A SimpleTable is a DynamoDB table without point-in-time recovery.
			st.DynamoDBTables = append(st.DynamoDBTables, &cloud.DynamoDBTable{Meta: meta(r), PointInTimeRecovery: cloud.Default(false),
				CustomerKMS: b(p, false, "SSESpecification", "SSEEnabled"), KMSKeyID: cloud.Default(""), DeletionProtection: cloud.Default(false)})
		case "AWS::Serverless::Api", "AWS::Serverless::HttpApi":
			// The transform creates the API's stage; its settings are here.
			logs := "AccessLogSetting"
			if r.Type == "AWS::Serverless::HttpApi" {
				logs = "AccessLogSettings"
			}
			st.APIGatewayStages = append(st.APIGatewayStages, &cloud.APIGatewayStage{Meta: meta(r), AccessLogs: present(p, r.Src, logs), XRayTracing: b(p, false, "TracingEnabled"), CacheEncrypted: cloud.Default(false)})
		case "AWS::Lambda::Url":
			st.LambdaURLs = append(st.LambdaURLs, &cloud.LambdaURL{Meta: meta(r), AuthType: s(p, "", "AuthType")})
		case "AWS::Lambda::Permission":
			st.LambdaPermissions = append(st.LambdaPermissions, &cloud.LambdaPermission{Meta: meta(r), Principal: s(p, "", "Principal"), SourceARN: s(p, "", "SourceArn")})
		case "AWS::KMS::Key":
			st.KMSKeys = append(st.KMSKeys, &cloud.KMSKey{Meta: meta(r), Rotation: b(p, false, "EnableKeyRotation"), Usage: s(p, "ENCRYPT_DECRYPT", "KeyUsage"), Spec: s(p, "SYMMETRIC_DEFAULT", "KeySpec"), Policy: tree.Policy(p.Get("KeyPolicy"))})
		case "AWS::CloudTrail::Trail":
			st.CloudTrails = append(st.CloudTrails, &cloud.CloudTrail{Meta: meta(r), MultiRegion: b(p, false, "IsMultiRegionTrail"), LogValidation: b(p, false, "EnableLogFileValidation"), KMSKeyID: s(p, "", "KMSKeyId"),
				CloudWatchLogs: present(p, r.Src, "CloudWatchLogsLogGroupArn"), BucketName: s(p, "", "S3BucketName"), Logging: b(p, true, "IsLogging"), IncludeGlobalEvent: b(p, true, "IncludeGlobalServiceEvents")})
		case "AWS::GuardDuty::Detector":
			st.GuardDuty = append(st.GuardDuty, &cloud.GuardDutyDetector{Meta: meta(r), Enabled: b(p, true, "Enable")})
		case "AWS::AccessAnalyzer::Analyzer":
			st.AccessAnalyzers = append(st.AccessAnalyzers, &cloud.AccessAnalyzer{Meta: meta(r), Type: s(p, "ACCOUNT", "Type")})
		case "AWS::Backup::BackupPlan":
			x := &cloud.BackupPlan{Meta: meta(r)}
			for _, rb := range p.Path("BackupPlan", "BackupPlanRule").Items() {
				x.Rules = append(x.Rules, cloud.BackupRule{Src: rb.Src(), DeleteAfterDays: n(rb, 0, "Lifecycle", "DeleteAfterDays"), CopiesElsewhere: present(rb, rb.Src(), "CopyActions")})
			}
			st.BackupPlans = append(st.BackupPlans, x)
		case "AWS::Backup::BackupVault":
			st.BackupVaults = append(st.BackupVaults, &cloud.BackupVault{Meta: meta(r), KMSKeyID: s(p, "", "EncryptionKeyArn"), Locked: present(p, r.Src, "LockConfiguration")})
		case "AWS::SQS::Queue":
			x := &cloud.SQSQueue{Meta: meta(r), KMSKeyID: s(p, "", "KmsMasterKeyId"), Encrypted: b(p, true, "SqsManagedSseEnabled")}
			if x.KMSKeyID.Set {
				x.Encrypted = cloud.Known(true, x.KMSKeyID.Src)
			}
			queues[r.LogicalID] = x
			st.SQSQueues = append(st.SQSQueues, x)
		case "AWS::SNS::Topic":
			x := &cloud.SNSTopic{Meta: meta(r), KMSKeyID: s(p, "", "KmsMasterKeyId")}
			topics[r.LogicalID] = x
			st.SNSTopics = append(st.SNSTopics, x)
		case "AWS::DynamoDB::Table":
			st.DynamoDBTables = append(st.DynamoDBTables, &cloud.DynamoDBTable{Meta: meta(r), PointInTimeRecovery: b(p, false, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"),
				CustomerKMS: b(p, false, "SSESpecification", "SSEEnabled"), KMSKeyID: s(p, "", "SSESpecification", "KMSMasterKeyId"), DeletionProtection: b(p, false, "DeletionProtectionEnabled")})
		case "AWS::EKS::Cluster":
			x := &cloud.EKSCluster{Meta: meta(r), PublicEndpoint: b(p, true, "ResourcesVpcConfig", "EndpointPublicAccess"), PrivateEndpoint: b(p, false, "ResourcesVpcConfig", "EndpointPrivateAccess"),
				PublicCIDRs: tree.StringListAttr(p.Path("ResourcesVpcConfig", "PublicAccessCidrs")), SecretEncryption: cloud.Default(false)}
			if !x.PublicCIDRs.Set {
				x.PublicCIDRs = cloud.StringList{Vals: []string{"0.0.0.0/0"}}
			}
			for _, ec := range p.Get("EncryptionConfig").Items() {
				if tree.StringListAttr(ec.Get("Resources")).Contains("secrets") {
					x.SecretEncryption = cloud.Known(true, ec.Src())
				}
			}
			for _, l := range p.Path("Logging", "ClusterLogging", "EnabledTypes").Items() {
				if t, ok := l.Get("Type").Str(); ok {
					x.LogTypes.Vals = append(x.LogTypes.Vals, t)
				} else {
					x.LogTypes.Unknown = true
				}
				x.LogTypes.Set = true
			}
			st.EKSClusters = append(st.EKSClusters, x)
		case "AWS::ECR::Repository":
			x := &cloud.ECRRepository{Meta: meta(r), ScanOnPush: b(p, false, "ImageScanningConfiguration", "ScanOnPush"), EncryptionType: s(p, "AES256", "EncryptionConfiguration", "EncryptionType"),
				Policy: tree.Policy(p.Get("RepositoryPolicyText"))}
			mut := s(p, "MUTABLE", "ImageTagMutability")
			x.ImmutableTags = cloud.Attr[bool]{Val: strings.HasPrefix(mut.Val, "IMMUTABLE"), Known: mut.Known, Set: mut.Set, Src: mut.Src}
			st.ECRRepositories = append(st.ECRRepositories, x)
		case "AWS::SecretsManager::Secret":
			x := &cloud.Secret{Meta: meta(r), KMSKeyID: s(p, "", "KmsKeyId"), Rotation: cloud.Default(false)}
			secrets[r.LogicalID] = x
			st.Secrets = append(st.Secrets, x)
		case "AWS::Logs::LogGroup":
			st.LogGroups = append(st.LogGroups, &cloud.LogGroup{Meta: meta(r), Name: s(p, "", "LogGroupName"), RetentionDays: n(p, 0, "RetentionInDays"), KMSKeyID: s(p, "", "KmsKeyId")})
		case "AWS::Config::ConfigurationRecorder":
			st.ConfigRecorders = append(st.ConfigRecorders, &cloud.ConfigRecorder{Meta: meta(r), AllSupported: b(p, true, "RecordingGroup", "AllSupported"), GlobalResources: b(p, false, "RecordingGroup", "IncludeGlobalResourceTypes")})
		case "AWS::EFS::FileSystem":
			st.EFSFileSystems = append(st.EFSFileSystems, &cloud.EFSFileSystem{Meta: meta(r), Encrypted: b(p, false, "Encrypted")})
		case "AWS::ElastiCache::ReplicationGroup":
			st.ElastiCache = append(st.ElastiCache, &cloud.ElastiCacheGroup{Meta: meta(r), AtRestEncryption: b(p, false, "AtRestEncryptionEnabled"), TransitEncryption: b(p, false, "TransitEncryptionEnabled"),
				SnapshotRetention: n(p, 0, "SnapshotRetentionLimit"), Engine: s(p, "redis", "Engine")})
		case "AWS::Redshift::Cluster":
			st.RedshiftClusters = append(st.RedshiftClusters, &cloud.RedshiftCluster{Meta: meta(r), Encrypted: b(p, false, "Encrypted"), PubliclyAccessible: b(p, false, "PubliclyAccessible"), InVPC: present(p, r.Src, "ClusterSubnetGroupName")})
		default:
			later = append(later, r)
		}
	}
	for _, r := range later {
		p := r.Properties
		switch r.Type {
		case "AWS::S3::BucketPolicy":
			if x := buckets[refTarget(p.Get("Bucket"))]; x != nil {
				x.Policy = tree.Policy(p.Get("PolicyDocument"))
			}
		case "AWS::IAM::Policy":
			doc := tree.Policy(p.Get("PolicyDocument"))
			for _, u := range p.Get("Users").Items() {
				if x := users[refTarget(u)]; x != nil {
					x.InlinePolicies = append(x.InlinePolicies, doc)
				}
			}
			for _, g := range p.Get("Groups").Items() {
				if x := groups[refTarget(g)]; x != nil {
					x.InlinePolicies = append(x.InlinePolicies, doc)
				}
			}
			for _, ro := range p.Get("Roles").Items() {
				if x := roles[refTarget(ro)]; x != nil {
					x.InlinePolicies = append(x.InlinePolicies, doc)
				}
			}
		case "AWS::IAM::ManagedPolicy":
			for _, u := range p.Get("Users").Items() {
				if x := users[refTarget(u)]; x != nil {
					x.AttachedPolicies = append(x.AttachedPolicies, r.LogicalID)
				}
			}
		case "AWS::IAM::AccessKey":
			if x := users[refTarget(p.Get("UserName"))]; x != nil {
				x.HasAccessKey = cloud.Known(true, r.Src)
			}
		case "AWS::IAM::UserToGroupAddition":
			for _, u := range p.Get("Users").Items() {
				if x := users[refTarget(u)]; x != nil {
					x.Groups = append(x.Groups, refOrString(p.Get("GroupName")))
				}
			}
		case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
			id := refTarget(p.Get("GroupId"))
			if x := sgs[id]; x != nil {
				rule := sgRule(p, r.Type == "AWS::EC2::SecurityGroupEgress")
				rule.Src = r.Src
				x.Rules = append(x.Rules, rule)
			}
		case "AWS::EC2::FlowLog":
			if x := vpcs[refTarget(p.Get("ResourceId"))]; x != nil {
				x.FlowLogs = cloud.Known(true, r.Src)
			}
		case "AWS::SQS::QueuePolicy":
			doc := tree.Policy(p.Get("PolicyDocument"))
			for _, q := range p.Get("Queues").Items() {
				if x := queues[refTarget(q)]; x != nil {
					x.Policy = doc
				}
			}
		case "AWS::SNS::TopicPolicy":
			doc := tree.Policy(p.Get("PolicyDocument"))
			for _, t := range p.Get("Topics").Items() {
				if x := topics[refTarget(t)]; x != nil {
					x.Policy = doc
				}
			}
		case "AWS::SecretsManager::RotationSchedule":
			if x := secrets[refTarget(p.Get("SecretId"))]; x != nil {
				x.Rotation = cloud.Known(true, r.Src)
			}
		case "AWS::EC2::NetworkAclEntry":
			for _, acl := range st.NetworkACLs {
				if acl.Address == refTarget(p.Get("NetworkAclId")) {
					acl.Rules = append(acl.Rules, cloud.NetworkACLRule{Src: r.Src, Egress: b(p, false, "Egress").Val, Action: s(p, "", "RuleAction"), Protocol: s(p, "", "Protocol"),
						FromPort: n(p, 0, "PortRange", "From"), ToPort: n(p, 65535, "PortRange", "To"), CIDR: s(p, "", "CidrBlock")})
				}
			}
		case "AWS::S3::AccountPublicAccessBlock":
		}
	}
	return st
}

func refOrString(v *tree.Value) string {
	if id := refTarget(v); id != "" {
		return id
	}
	str, _ := v.Str()
	return str
}

func cannedACL(v string) string {
	switch v {
	case "Private":
		return "private"
	case "PublicRead":
		return "public-read"
	case "PublicReadWrite":
		return "public-read-write"
	case "AuthenticatedRead":
		return "authenticated-read"
	case "LogDeliveryWrite":
		return "log-delivery-write"
	case "BucketOwnerRead":
		return "bucket-owner-read"
	case "BucketOwnerFullControl":
		return "bucket-owner-full-control"
	}
	return v
}

func sgRule(rb *tree.Value, egress bool) cloud.SGRule {
	r := cloud.SGRule{Src: rb.Src(), Egress: egress, Protocol: s(rb, "", "IpProtocol"), FromPort: n(rb, 0, "FromPort"), ToPort: n(rb, 65535, "ToPort"),
		CIDRs: tree.StringListAttr(rb.Get("CidrIp")), IPv6CIDRs: tree.StringListAttr(rb.Get("CidrIpv6")), Description: s(rb, "", "Description")}
	if r.Protocol.Is("-1") {
		r.FromPort, r.ToPort = cloud.Default[int64](0), cloud.Default[int64](65535)
	}
	return r
}
