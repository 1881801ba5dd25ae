package terraform

import (
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// linker finds the resource a reference value points at: by placeholder id,
// by the expression's referenced address, or by name.
type linker[T any] struct {
	byAddr map[string]T
	byBase map[string]T
	byName map[string]T
}

func newLinker[T any]() *linker[T] {
	return &linker[T]{byAddr: map[string]T{}, byBase: map[string]T{}, byName: map[string]T{}}
}

func (l *linker[T]) add(r *Resource, name cloud.String, x T) {
	l.byAddr[r.Address] = x
	if _, ok := l.byBase[r.Base]; !ok {
		l.byBase[r.Base] = x
	}
	if name.Known && name.Val != "" {
		l.byName[name.Val] = x
	}
}

func (l *linker[T]) find(v *tree.Value) (T, bool) {
	var zero T
	if v == nil {
		return zero, false
	}
	if s, ok := v.Str(); ok {
		if strings.HasPrefix(s, tree.RefPrefix) {
			addr := strings.TrimPrefix(s, tree.RefPrefix)
			addr = strings.TrimSuffix(addr, ".arn")
			if x, ok := l.byAddr[addr]; ok {
				return x, true
			}
		}
		if x, ok := l.byName[s]; ok {
			return x, true
		}
		if i := strings.LastIndexAny(s, ":/"); i >= 0 {
			if x, ok := l.byName[s[i+1:]]; ok {
				return x, true
			}
		}
	}
	for _, r := range v.Refs {
		if x, ok := l.byAddr[r]; ok {
			return x, true
		}
		if x, ok := l.byBase[r]; ok {
			return x, true
		}
	}
	return zero, false
}

// meta builds a resource's Meta. Its tags are the provider's default_tags
// overlaid with the resource's own tags, as Terraform applies them; a plan's
// tags_all already holds that merge.
func meta(r *Resource) cloud.Meta {
	m := cloud.Meta{Type: r.Type, Address: r.Address, Src: r.Src, Ignores: r.Ignores, TagsKnown: true}
	add := func(tags *tree.Value) {
		switch {
		case tags.IsUnknown():
			m.TagsKnown = false
		case tags != nil && tags.Kind == tree.Map:
			if m.Tags == nil {
				m.Tags = cloud.Tags{}
			}
			for k, v := range tags.M {
				if s, ok := v.Str(); ok {
					m.Tags[k] = s
				} else {
					m.TagsKnown = false
				}
			}
		}
	}
	if all := r.Body.Get("tags_all"); all != nil && all.Kind == tree.Map {
		add(all)
		return m
	}
	add(r.DefaultTags)
	add(r.Body.Get("tags"))
	return m
}

func boolAt(b *tree.Value, key string, def bool) cloud.Bool { return tree.BoolAttr(b.Get(key), def) }
func strAt(b *tree.Value, key string, def string) cloud.String {
	return tree.StringAttr(b.Get(key), def)
}
func intAt(b *tree.Value, key string, def int64) cloud.Int { return tree.IntAttr(b.Get(key), def) }

// State maps evaluated resources into the cloud model, attaching separate
// resources (bucket policies, rules, attachments) to their targets.
func State(rs []*Resource) *cloud.State {
	s := &cloud.State{}
	buckets := newLinker[*cloud.S3Bucket]()
	users := newLinker[*cloud.IAMUser]()
	groups := newLinker[*cloud.IAMGroup]()
	roles := newLinker[*cloud.IAMRole]()
	policies := newLinker[*cloud.IAMPolicy]()
	sgs := newLinker[*cloud.SecurityGroup]()
	nacls := newLinker[*cloud.NetworkACL]()
	vpcs := newLinker[*cloud.VPC]()
	rts := newLinker[*cloud.RouteTable]()
	lbs := newLinker[*cloud.LoadBalancer]()
	queues := newLinker[*cloud.SQSQueue]()
	topics := newLinker[*cloud.SNSTopic]()
	repos := newLinker[*cloud.ECRRepository]()
	secrets := newLinker[*cloud.Secret]()
	vaults := newLinker[*cloud.BackupVault]()
	amis := newLinker[*cloud.AMI]()
	var account *cloud.Account
	acct := func(r *Resource) *cloud.Account {
		if account == nil {
			account = &cloud.Account{Meta: cloud.Meta{Type: "account", Address: "account", Src: r.Src, TagsKnown: true}}
			s.Accounts = append(s.Accounts, account)
		}
		return account
	}
	var later []*Resource
	amiOwners := map[string]cloud.StringList{} // data.aws_ami address -> owners
	for _, r := range rs {
		if r.Mode == "data" && r.Type == "aws_ami" {
			amiOwners[r.Address] = tree.StringListAttr(r.Body.Get("owners"))
		}
	}
	for _, r := range rs {
		if r.Mode != "managed" {
			continue
		}
		b := r.Body
		switch r.Type {
		case "aws_s3_bucket":
			x := &cloud.S3Bucket{Meta: meta(r), Name: strAt(b, "bucket", "")}
			x.ACL = strAt(b, "acl", "private")
			x.ACLGrantsPublic = grantsPublic(b.Get("grant"))
			x.Policy = tree.Policy(b.Get("policy"))
			x.Versioning = tree.BoolAttr(b.Path("versioning", "enabled"), false)
			if b.Get("versioning").IsUnknown() {
				x.Versioning = cloud.Unknown[bool](b.Get("versioning").Src())
			}
			x.MFADelete = tree.BoolAttr(b.Path("versioning", "mfa_delete"), false)
			x.Logging = tree.PresentAttr(b.Get("logging"), r.Src)
			x.LoggingTarget = tree.StringAttr(b.Path("logging", "target_bucket"), "")
			setEncryption(x, b.Get("server_side_encryption_configuration"))
			x.Replication = tree.PresentAttr(b.Get("replication_configuration"), r.Src)
			x.ReplicationTargets = replicationTargets(b.Path("replication_configuration", "rules"))
			x.ObjectLock = tree.BoolAttr(b.Get("object_lock_enabled"), false)
			if ol := b.Get("object_lock_configuration"); !ol.IsNull() {
				x.ObjectLock = tree.PresentAttr(ol, r.Src)
			}
			x.Website = tree.PresentAttr(b.Get("website"), r.Src)
			x.ObjectOwnership = cloud.Default("")
			buckets.add(r, x.Name, x)
			s.S3Buckets = append(s.S3Buckets, x)
		case "aws_iam_user":
			x := &cloud.IAMUser{Meta: meta(r), Name: strAt(b, "name", "")}
			x.HasAccessKey, x.HasLoginProfile = cloud.Default(false), cloud.Default(false)
			users.add(r, x.Name, x)
			s.IAMUsers = append(s.IAMUsers, x)
		case "aws_iam_group":
			x := &cloud.IAMGroup{Meta: meta(r), Name: strAt(b, "name", "")}
			groups.add(r, x.Name, x)
			s.IAMGroups = append(s.IAMGroups, x)
		case "aws_iam_role":
			x := &cloud.IAMRole{Meta: meta(r), Name: strAt(b, "name", "")}
			x.TrustPolicy = tree.Policy(b.Get("assume_role_policy"))
			for _, ip := range b.Get("inline_policy").Items() {
				if d := tree.Policy(ip.Get("policy")); d.Set {
					x.InlinePolicies = append(x.InlinePolicies, d)
				}
			}
			x.AttachedPolicies = append(x.AttachedPolicies, tree.Strings(b.Get("managed_policy_arns"))...)
			roles.add(r, x.Name, x)
			s.IAMRoles = append(s.IAMRoles, x)
		case "aws_iam_policy":
			x := &cloud.IAMPolicy{Meta: meta(r), Name: strAt(b, "name", ""), Document: tree.Policy(b.Get("policy"))}
			policies.add(r, x.Name, x)
			s.IAMPolicies = append(s.IAMPolicies, x)
		case "aws_iam_account_password_policy":
			x := &cloud.PasswordPolicy{Meta: meta(r),
				MinimumLength: intAt(b, "minimum_password_length", 6), ReusePrevention: intAt(b, "password_reuse_prevention", 0),
				RequireSymbols: boolAt(b, "require_symbols", false), RequireNumbers: boolAt(b, "require_numbers", false),
				RequireUppercase: boolAt(b, "require_uppercase_characters", false), RequireLowercase: boolAt(b, "require_lowercase_characters", false),
				MaxAge: intAt(b, "max_password_age", 0)}
			acct(r).PasswordPolicy = x
			s.PasswordPolicies = append(s.PasswordPolicies, x)
		case "aws_security_group", "aws_default_security_group":
			x := &cloud.SecurityGroup{Meta: meta(r), Name: strAt(b, "name", ""), Description: strAt(b, "description", "Managed by Terraform"), VPCID: strAt(b, "vpc_id", ""), IsDefault: r.Type == "aws_default_security_group"}
			if r.Type == "aws_default_security_group" {
				x.Description = cloud.Default("default VPC security group")
			}
			for _, k := range []string{"ingress", "egress"} {
				if v := b.Get(k); v.IsUnknown() {
					x.Rules = append(x.Rules, cloud.SGRule{Src: v.Src(), Egress: k == "egress", Protocol: cloud.Unknown[string](v.Src()), FromPort: cloud.Unknown[int64](v.Src()), ToPort: cloud.Unknown[int64](v.Src()), CIDRs: cloud.StringList{Unknown: true}})
					continue
				}
				for _, rb := range b.Get(k).Items() {
					x.Rules = append(x.Rules, sgRule(rb, k == "egress", "protocol", "cidr_blocks", "ipv6_cidr_blocks"))
				}
			}
			sgs.add(r, x.Name, x)
			s.SecurityGroups = append(s.SecurityGroups, x)
		case "aws_network_acl", "aws_default_network_acl":
			x := &cloud.NetworkACL{Meta: meta(r)}
			for _, k := range []string{"ingress", "egress"} {
				for _, rb := range b.Get(k).Items() {
					x.Rules = append(x.Rules, cloud.NetworkACLRule{Src: rb.Src(), Egress: k == "egress", Action: strAt(rb, "action", ""), Protocol: strAt(rb, "protocol", ""),
						FromPort: intAt(rb, "from_port", 0), ToPort: intAt(rb, "to_port", 0), CIDR: strAt(rb, "cidr_block", "")})
				}
			}
			nacls.add(r, cloud.String{}, x)
			s.NetworkACLs = append(s.NetworkACLs, x)
		case "aws_vpc", "aws_default_vpc":
			x := &cloud.VPC{Meta: meta(r), CIDR: strAt(b, "cidr_block", ""), IsDefault: r.Type == "aws_default_vpc", FlowLogs: cloud.Default(false)}
			vpcs.add(r, cloud.String{}, x)
			s.VPCs = append(s.VPCs, x)
		case "aws_subnet", "aws_default_subnet":
			s.Subnets = append(s.Subnets, &cloud.Subnet{Meta: meta(r), VPCID: strAt(b, "vpc_id", ""), MapPublicIPOnLaunch: boolAt(b, "map_public_ip_on_launch", r.Type == "aws_default_subnet")})
		case "aws_route_table", "aws_default_route_table":
			x := &cloud.RouteTable{Meta: meta(r)}
			for _, rb := range b.Get("route").Items() {
				x.Routes = append(x.Routes, route(rb))
			}
			rts.add(r, cloud.String{}, x)
			s.RouteTables = append(s.RouteTables, x)
		case "aws_internet_gateway", "aws_nat_gateway", "aws_ec2_transit_gateway", "aws_egress_only_internet_gateway":
			s.Gateways = append(s.Gateways, &cloud.Gateway{Meta: meta(r), Kind: cloud.Default(strings.TrimPrefix(r.Type, "aws_"))})
		case "aws_vpc_endpoint":
			s.VPCEndpoints = append(s.VPCEndpoints, &cloud.VPCEndpoint{Meta: meta(r), ServiceName: strAt(b, "service_name", ""), Policy: tree.Policy(b.Get("policy"))})
		case "aws_flow_log":
			s.FlowLogs = append(s.FlowLogs, &cloud.FlowLog{Meta: meta(r), ResourceID: strAt(b, "vpc_id", "")})
		case "aws_instance", "aws_launch_template", "aws_launch_configuration":
			x := instance(r)
			for _, k := range []string{"ami", "image_id"} {
				if str, ok := b.Get(k).Str(); ok && strings.HasPrefix(str, tree.RefPrefix+"data.aws_ami.") {
					if o, ok := amiOwners[strings.TrimPrefix(str, tree.RefPrefix)]; ok {
						x.AMIOwners = o
					}
				}
				if b.Get(k) == nil {
					continue
				}
				for _, ref := range b.Get(k).Refs {
					if o, ok := amiOwners[ref]; ok && !x.AMIOwners.Set {
						x.AMIOwners = o
					}
				}
			}
			s.EC2Instances = append(s.EC2Instances, x)
		case "aws_ami", "aws_ami_copy":
			x := &cloud.AMI{Meta: meta(r), Public: cloud.Default(false), Encrypted: cloud.Default(false)}
			if r.Type == "aws_ami_copy" {
				x.Encrypted = boolAt(b, "encrypted", false)
			} else {
				for _, d := range b.Get("ebs_block_device").Items() {
					x.Encrypted = boolAt(d, "encrypted", false)
				}
			}
			amis.add(r, strAt(b, "name", ""), x)
			s.AMIs = append(s.AMIs, x)
		case "aws_ebs_volume":
			s.EBSVolumes = append(s.EBSVolumes, &cloud.EBSVolume{Meta: meta(r), Encrypted: boolAt(b, "encrypted", false), KMSKeyID: strAt(b, "kms_key_id", "")})
		case "aws_ebs_snapshot_copy":
			s.EBSSnapshots = append(s.EBSSnapshots, &cloud.EBSSnapshot{Meta: meta(r), Encrypted: boolAt(b, "encrypted", false), Public: cloud.Default(false)})
		case "aws_ebs_encryption_by_default":
			acct(r).EBSEncryptionByDefault = boolAt(b, "enabled", true)
		case "aws_s3_account_public_access_block":
			acct(r).PublicAccessBlock = pab(b, r.Src)
		case "aws_db_instance", "aws_rds_cluster_instance", "aws_neptune_cluster_instance", "aws_docdb_cluster_instance":
			s.RDSInstances = append(s.RDSInstances, dbInstance(r))
		case "aws_rds_cluster", "aws_neptune_cluster", "aws_docdb_cluster":
			s.RDSClusters = append(s.RDSClusters, dbCluster(r))
		case "aws_elasticsearch_domain", "aws_opensearch_domain":
			s.OpenSearchDomains = append(s.OpenSearchDomains, searchDomain(r))
		case "aws_lb", "aws_alb", "aws_elb":
			x := &cloud.LoadBalancer{Meta: meta(r), Type: strAt(b, "load_balancer_type", "application"), Internal: boolAt(b, "internal", false),
				DropInvalidHeaders: boolAt(b, "drop_invalid_header_fields", false), AccessLogs: tree.BoolAttr(b.Path("access_logs", "enabled"), !b.Get("access_logs").IsNull() && r.Type == "aws_elb"),
				DeletionProtection: boolAt(b, "enable_deletion_protection", false)}
			if b.Get("access_logs").IsNull() {
				x.AccessLogs = cloud.Default(false)
			}
			if r.Type == "aws_elb" {
				x.Type = cloud.Default("classic")
				for _, l := range b.Get("listener").Items() {
					proto := strAt(l, "lb_protocol", "")
					proto.Val = strings.ToUpper(proto.Val) // the provider accepts "http" and "HTTP"
					x.Listeners = append(x.Listeners, cloud.Listener{Meta: cloud.Meta{Type: "listener", Address: r.Address, Src: l.Src()}, Protocol: proto, SSLPolicy: cloud.Default(""), RedirectsToHTTPS: cloud.Default(false)})
				}
			}
			lbs.add(r, strAt(b, "name", ""), x)
			s.LoadBalancers = append(s.LoadBalancers, x)
		case "aws_lb_listener", "aws_alb_listener":
			x := &cloud.Listener{Meta: meta(r), LoadBalancerRef: strAt(b, "load_balancer_arn", ""), Protocol: strAt(b, "protocol", "HTTP"), SSLPolicy: strAt(b, "ssl_policy", ""), RedirectsToHTTPS: cloud.Default(false)}
			for _, a := range b.Get("default_action").Items() {
				if t, ok := a.Get("type").Str(); ok && t == "redirect" {
					x.RedirectsToHTTPS = tree.BoolAttr(nil, false)
					if p := a.Path("redirect", "protocol"); p != nil {
						if ps, ok := p.Str(); ok {
							x.RedirectsToHTTPS = cloud.Known(strings.EqualFold(ps, "HTTPS"), p.Src())
						} else {
							x.RedirectsToHTTPS = cloud.Unknown[bool](p.Src())
						}
					}
				}
			}
			s.Listeners = append(s.Listeners, x)
			later = append(later, r)
		case "aws_cloudfront_distribution":
			x := &cloud.CloudFrontDistribution{Meta: meta(r), Logging: tree.PresentAttr(b.Get("logging_config"), r.Src), WAF: tree.PresentAttr(b.Get("web_acl_id"), r.Src)}
			for _, k := range []string{"default_cache_behavior", "ordered_cache_behavior"} {
				for _, cb := range b.Get(k).Items() {
					x.ViewerProtocolPolicies = append(x.ViewerProtocolPolicies, strAt(cb, "viewer_protocol_policy", ""))
				}
			}
			x.DefaultCertificate = tree.BoolAttr(b.Path("viewer_certificate", "cloudfront_default_certificate"), false)
			x.MinimumProtocolVersion = tree.StringAttr(b.Path("viewer_certificate", "minimum_protocol_version"), "TLSv1")
			s.CloudFront = append(s.CloudFront, x)
		case "aws_api_gateway_stage", "aws_apigatewayv2_stage":
			s.APIGatewayStages = append(s.APIGatewayStages, &cloud.APIGatewayStage{Meta: meta(r), AccessLogs: tree.PresentAttr(b.Get("access_log_settings"), r.Src),
				XRayTracing: boolAt(b, "xray_tracing_enabled", false), CacheEncrypted: cloud.Default(false)})
		case "aws_api_gateway_method":
			s.APIGatewayMethods = append(s.APIGatewayMethods, &cloud.APIGatewayMethod{Meta: meta(r), HTTPMethod: strAt(b, "http_method", ""), AuthorizationType: strAt(b, "authorization", ""), APIKeyRequired: boolAt(b, "api_key_required", false)})
		case "aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name":
			pol := strAt(b, "security_policy", "TLS_1_0")
			if r.Type == "aws_apigatewayv2_domain_name" {
				pol = tree.StringAttr(b.Path("domain_name_configuration", "security_policy"), "TLS_1_2")
			}
			s.APIGatewayDomains = append(s.APIGatewayDomains, &cloud.APIGatewayDomain{Meta: meta(r), SecurityPolicy: pol})
		case "aws_lambda_function":
			x := &cloud.LambdaFunction{Meta: meta(r), Runtime: strAt(b, "runtime", ""), Tracing: tree.StringAttr(b.Path("tracing_config", "mode"), "PassThrough"),
				InVPC: tree.PresentAttr(b.Get("vpc_config"), r.Src), EnvKMSKey: strAt(b, "kms_key_arn", ""), DeadLetter: tree.PresentAttr(b.Get("dead_letter_config"), r.Src)}
			x.Environment = tree.StringMapAttr(b.Path("environment", "variables"))
			x.HasEnv = x.Environment != nil
			s.LambdaFunctions = append(s.LambdaFunctions, x)
		case "aws_lambda_function_url":
			s.LambdaURLs = append(s.LambdaURLs, &cloud.LambdaURL{Meta: meta(r), AuthType: strAt(b, "authorization_type", "")})
		case "aws_lambda_permission":
			s.LambdaPermissions = append(s.LambdaPermissions, &cloud.LambdaPermission{Meta: meta(r), Principal: strAt(b, "principal", ""), SourceARN: strAt(b, "source_arn", "")})
		case "aws_kms_key":
			s.KMSKeys = append(s.KMSKeys, &cloud.KMSKey{Meta: meta(r), Rotation: boolAt(b, "enable_key_rotation", false), Usage: strAt(b, "key_usage", "ENCRYPT_DECRYPT"),
				Spec: strAt(b, "customer_master_key_spec", "SYMMETRIC_DEFAULT"), Policy: tree.Policy(b.Get("policy"))})
		case "aws_cloudtrail":
			s.CloudTrails = append(s.CloudTrails, &cloud.CloudTrail{Meta: meta(r), MultiRegion: boolAt(b, "is_multi_region_trail", false), LogValidation: boolAt(b, "enable_log_file_validation", false),
				KMSKeyID: strAt(b, "kms_key_id", ""), CloudWatchLogs: tree.PresentAttr(b.Get("cloud_watch_logs_group_arn"), r.Src), BucketName: strAt(b, "s3_bucket_name", ""),
				Logging: boolAt(b, "enable_logging", true), IncludeGlobalEvent: boolAt(b, "include_global_service_events", true)})
		case "aws_guardduty_detector":
			s.GuardDuty = append(s.GuardDuty, &cloud.GuardDutyDetector{Meta: meta(r), Enabled: boolAt(b, "enable", true)})
		case "aws_accessanalyzer_analyzer":
			s.AccessAnalyzers = append(s.AccessAnalyzers, &cloud.AccessAnalyzer{Meta: meta(r), Type: strAt(b, "type", "ACCOUNT")})
		case "aws_backup_plan":
			x := &cloud.BackupPlan{Meta: meta(r)}
			for _, rb := range b.Get("rule").Items() {
				br := cloud.BackupRule{Src: rb.Src(), DeleteAfterDays: tree.IntAttr(rb.Path("lifecycle", "delete_after"), 0), CopiesElsewhere: tree.PresentAttr(rb.Get("copy_action"), rb.Src())}
				x.Rules = append(x.Rules, br)
			}
			s.BackupPlans = append(s.BackupPlans, x)
		case "aws_backup_vault":
			x := &cloud.BackupVault{Meta: meta(r), KMSKeyID: strAt(b, "kms_key_arn", ""), Locked: cloud.Default(false)}
			vaults.add(r, strAt(b, "name", ""), x)
			s.BackupVaults = append(s.BackupVaults, x)
		case "aws_sqs_queue":
			x := &cloud.SQSQueue{Meta: meta(r), KMSKeyID: strAt(b, "kms_master_key_id", ""), Policy: tree.Policy(b.Get("policy"))}
			// New queues get SSE-SQS unless it is turned off explicitly.
			x.Encrypted = boolAt(b, "sqs_managed_sse_enabled", true)
			if x.KMSKeyID.Known && x.KMSKeyID.Val != "" || x.KMSKeyID.Set && !x.KMSKeyID.Known {
				x.Encrypted = cloud.Known(true, x.KMSKeyID.Src)
			}
			queues.add(r, strAt(b, "name", ""), x)
			s.SQSQueues = append(s.SQSQueues, x)
		case "aws_sns_topic":
			x := &cloud.SNSTopic{Meta: meta(r), KMSKeyID: strAt(b, "kms_master_key_id", ""), Policy: tree.Policy(b.Get("policy"))}
			topics.add(r, strAt(b, "name", ""), x)
			s.SNSTopics = append(s.SNSTopics, x)
		case "aws_dynamodb_table":
			x := &cloud.DynamoDBTable{Meta: meta(r), PointInTimeRecovery: tree.BoolAttr(b.Path("point_in_time_recovery", "enabled"), false),
				CustomerKMS: tree.BoolAttr(b.Path("server_side_encryption", "enabled"), false), KMSKeyID: tree.StringAttr(b.Path("server_side_encryption", "kms_key_arn"), ""),
				DeletionProtection: boolAt(b, "deletion_protection_enabled", false)}
			s.DynamoDBTables = append(s.DynamoDBTables, x)
		case "aws_eks_cluster":
			vc := b.Get("vpc_config")
			x := &cloud.EKSCluster{Meta: meta(r), PublicEndpoint: tree.BoolAttr(vc.Get("endpoint_public_access"), true), PrivateEndpoint: tree.BoolAttr(vc.Get("endpoint_private_access"), false),
				PublicCIDRs: tree.StringListAttr(vc.Get("public_access_cidrs")), LogTypes: tree.StringListAttr(b.Get("enabled_cluster_log_types"))}
			if !x.PublicCIDRs.Set {
				x.PublicCIDRs = cloud.StringList{Vals: []string{"0.0.0.0/0"}}
			}
			x.SecretEncryption = cloud.Default(false)
			for _, ec := range b.Get("encryption_config").Items() {
				l := tree.StringListAttr(ec.Get("resources"))
				switch {
				case l.Contains("secrets"):
					x.SecretEncryption = cloud.Known(true, ec.Src())
				case l.Unknown:
					x.SecretEncryption = cloud.Unknown[bool](ec.Src())
				}
			}
			s.EKSClusters = append(s.EKSClusters, x)
		case "aws_ecr_repository":
			x := &cloud.ECRRepository{Meta: meta(r), ScanOnPush: tree.BoolAttr(b.Path("image_scanning_configuration", "scan_on_push"), false),
				EncryptionType: tree.StringAttr(b.Path("encryption_configuration", "encryption_type"), "AES256")}
			mut := strAt(b, "image_tag_mutability", "MUTABLE")
			x.ImmutableTags = cloud.Attr[bool]{Val: strings.HasPrefix(mut.Val, "IMMUTABLE"), Known: mut.Known, Set: mut.Set, Src: mut.Src}
			repos.add(r, strAt(b, "name", ""), x)
			s.ECRRepositories = append(s.ECRRepositories, x)
		case "aws_secretsmanager_secret":
			x := &cloud.Secret{Meta: meta(r), KMSKeyID: strAt(b, "kms_key_id", ""), Rotation: cloud.Default(false)}
			secrets.add(r, strAt(b, "name", ""), x)
			s.Secrets = append(s.Secrets, x)
		case "aws_cloudwatch_log_group":
			s.LogGroups = append(s.LogGroups, &cloud.LogGroup{Meta: meta(r), Name: strAt(b, "name", ""), RetentionDays: intAt(b, "retention_in_days", 0), KMSKeyID: strAt(b, "kms_key_id", "")})
		case "aws_config_configuration_recorder":
			s.ConfigRecorders = append(s.ConfigRecorders, &cloud.ConfigRecorder{Meta: meta(r), AllSupported: tree.BoolAttr(b.Path("recording_group", "all_supported"), true),
				GlobalResources: tree.BoolAttr(b.Path("recording_group", "include_global_resource_types"), false)})
		case "aws_efs_file_system":
			s.EFSFileSystems = append(s.EFSFileSystems, &cloud.EFSFileSystem{Meta: meta(r), Encrypted: boolAt(b, "encrypted", false)})
		case "aws_elasticache_replication_group", "aws_elasticache_cluster":
			s.ElastiCache = append(s.ElastiCache, &cloud.ElastiCacheGroup{Meta: meta(r), AtRestEncryption: boolAt(b, "at_rest_encryption_enabled", false),
				TransitEncryption: boolAt(b, "transit_encryption_enabled", false), SnapshotRetention: intAt(b, "snapshot_retention_limit", 0), Engine: strAt(b, "engine", "redis")})
		case "aws_redshift_cluster":
			s.RedshiftClusters = append(s.RedshiftClusters, &cloud.RedshiftCluster{Meta: meta(r), Encrypted: boolAt(b, "encrypted", false),
				PubliclyAccessible: boolAt(b, "publicly_accessible", false), InVPC: tree.PresentAttr(b.Get("cluster_subnet_group_name"), r.Src)})
		default:
			later = append(later, r)
		}
	}
	// Second pass: resources that attach to others.
	for _, r := range later {
		b := r.Body
		switch r.Type {
		case "aws_s3_bucket_public_access_block":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.PublicAccessBlock = pab(b, r.Src)
			}
		case "aws_s3_bucket_server_side_encryption_configuration":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				setEncryption(x, b)
			}
		case "aws_s3_bucket_versioning":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				st := b.Path("versioning_configuration", "status")
				x.Versioning = statusAttr(st, "Enabled")
				x.MFADelete = statusAttr(b.Path("versioning_configuration", "mfa_delete"), "Enabled")
			}
		case "aws_s3_bucket_logging":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.Logging = cloud.Known(true, r.Src)
				x.LoggingTarget = strAt(b, "target_bucket", "")
			}
		case "aws_s3_bucket_acl":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				if a := b.Get("acl"); !a.IsNull() {
					x.ACL = tree.StringAttr(a, "private")
				}
				x.ACLGrantsPublic = grantsPublic(b.Path("access_control_policy", "grant"))
			}
		case "aws_s3_bucket_policy":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.Policy = tree.Policy(b.Get("policy"))
			}
		case "aws_s3_bucket_replication_configuration":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.Replication = cloud.Known(true, r.Src)
				x.ReplicationTargets = append(x.ReplicationTargets, replicationTargets(b.Get("rule"))...)
			}
		case "aws_s3_bucket_object_lock_configuration":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.ObjectLock = cloud.Known(true, r.Src)
			}
		case "aws_s3_bucket_ownership_controls":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.ObjectOwnership = tree.StringAttr(b.Path("rule", "object_ownership"), "")
			}
		case "aws_s3_bucket_website_configuration":
			if x, ok := buckets.find(b.Get("bucket")); ok {
				x.Website = cloud.Known(true, r.Src)
			}
		case "aws_iam_user_policy":
			if x, ok := users.find(b.Get("user")); ok {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(b.Get("policy")))
			}
		case "aws_iam_group_policy":
			if x, ok := groups.find(b.Get("group")); ok {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(b.Get("policy")))
			}
		case "aws_iam_role_policy":
			if x, ok := roles.find(b.Get("role")); ok {
				x.InlinePolicies = append(x.InlinePolicies, tree.Policy(b.Get("policy")))
			}
		case "aws_iam_user_policy_attachment":
			if x, ok := users.find(b.Get("user")); ok {
				x.AttachedPolicies = append(x.AttachedPolicies, policyName(b.Get("policy_arn"), policies))
			}
		case "aws_iam_group_policy_attachment":
			if x, ok := groups.find(b.Get("group")); ok {
				x.AttachedPolicies = append(x.AttachedPolicies, policyName(b.Get("policy_arn"), policies))
			}
		case "aws_iam_role_policy_attachment":
			if x, ok := roles.find(b.Get("role")); ok {
				x.AttachedPolicies = append(x.AttachedPolicies, policyName(b.Get("policy_arn"), policies))
			}
		case "aws_iam_policy_attachment":
			name := policyName(b.Get("policy_arn"), policies)
			for _, u := range b.Get("users").Items() {
				if x, ok := users.find(u); ok {
					x.AttachedPolicies = append(x.AttachedPolicies, name)
				}
			}
			for _, g := range b.Get("groups").Items() {
				if x, ok := groups.find(g); ok {
					x.AttachedPolicies = append(x.AttachedPolicies, name)
				}
			}
			for _, ro := range b.Get("roles").Items() {
				if x, ok := roles.find(ro); ok {
					x.AttachedPolicies = append(x.AttachedPolicies, name)
				}
			}
		case "aws_iam_access_key":
			if x, ok := users.find(b.Get("user")); ok {
				x.HasAccessKey = cloud.Known(true, r.Src)
			}
		case "aws_iam_user_login_profile":
			if x, ok := users.find(b.Get("user")); ok {
				x.HasLoginProfile = cloud.Known(true, r.Src)
			}
		case "aws_iam_user_group_membership":
			if x, ok := users.find(b.Get("user")); ok {
				x.Groups = append(x.Groups, tree.Strings(b.Get("groups"))...)
			}
		case "aws_iam_group_membership":
			for _, u := range b.Get("users").Items() {
				if x, ok := users.find(u); ok {
					x.Groups = append(x.Groups, tree.Strings(b.Get("group"))...)
				}
			}
		case "aws_security_group_rule":
			if x, ok := sgs.find(b.Get("security_group_id")); ok {
				t, _ := b.Get("type").Str()
				x.Rules = append(x.Rules, sgRuleAt(sgRule(b, t == "egress", "protocol", "cidr_blocks", "ipv6_cidr_blocks"), r))
			}
		case "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule":
			if x, ok := sgs.find(b.Get("security_group_id")); ok {
				x.Rules = append(x.Rules, sgRuleAt(sgRule(b, r.Type == "aws_vpc_security_group_egress_rule", "ip_protocol", "cidr_ipv4", "cidr_ipv6"), r))
			}
		case "aws_network_acl_rule":
			if x, ok := nacls.find(b.Get("network_acl_id")); ok {
				x.Rules = append(x.Rules, cloud.NetworkACLRule{Src: r.Src, Egress: boolAt(b, "egress", false).Val, Action: strAt(b, "rule_action", ""), Protocol: strAt(b, "protocol", ""),
					FromPort: intAt(b, "from_port", 0), ToPort: intAt(b, "to_port", 0), CIDR: strAt(b, "cidr_block", "")})
			}
		case "aws_route":
			if x, ok := rts.find(b.Get("route_table_id")); ok {
				rt := route(b)
				rt.Src = r.Src
				x.Routes = append(x.Routes, rt)
			}
		case "aws_lb_listener", "aws_alb_listener":
			if x, ok := lbs.find(b.Get("load_balancer_arn")); ok {
				for _, l := range s.Listeners {
					if l.Address == r.Address {
						x.Listeners = append(x.Listeners, *l)
					}
				}
			}
		case "aws_sqs_queue_policy":
			if x, ok := queues.find(b.Get("queue_url")); ok {
				x.Policy = tree.Policy(b.Get("policy"))
			}
		case "aws_sns_topic_policy":
			if x, ok := topics.find(b.Get("arn")); ok {
				x.Policy = tree.Policy(b.Get("policy"))
			}
		case "aws_ecr_repository_policy":
			if x, ok := repos.find(b.Get("repository")); ok {
				x.Policy = tree.Policy(b.Get("policy"))
			}
		case "aws_secretsmanager_secret_rotation":
			if x, ok := secrets.find(b.Get("secret_id")); ok {
				x.Rotation = cloud.Known(true, r.Src)
			}
		case "aws_backup_vault_lock_configuration":
			if x, ok := vaults.find(b.Get("backup_vault_name")); ok {
				x.Locked = cloud.Known(true, r.Src)
			}
		case "aws_ami_launch_permission":
			if x, ok := amis.find(b.Get("image_id")); ok {
				if g, ok := b.Get("group").Str(); ok && g == "all" {
					x.Public = cloud.Known(true, r.Src)
				}
			}
		}
	}
	// Flow logs mark their VPCs.
	for _, f := range s.FlowLogs {
		for _, r := range rs {
			if r.Type == "aws_flow_log" && r.Address == f.Address {
				if v, ok := vpcs.find(r.Body.Get("vpc_id")); ok {
					v.FlowLogs = cloud.Known(true, f.Src)
				} else if r.Body.Get("vpc_id").IsUnknown() {
					// Target unknown: every VPC's flow log state becomes unknown
					// rather than guessed.
					for _, v := range s.VPCs {
						if !v.FlowLogs.Is(true) {
							v.FlowLogs = cloud.Unknown[bool](f.Src)
						}
					}
				}
			}
		}
	}
	return s
}

func sgRuleAt(rule cloud.SGRule, r *Resource) cloud.SGRule {
	rule.Src = r.Src
	return rule
}

func statusAttr(v *tree.Value, want string) cloud.Bool {
	if v.IsNull() {
		return cloud.Default(false)
	}
	if s, ok := v.Str(); ok {
		return cloud.Known(strings.EqualFold(s, want), v.Src())
	}
	return cloud.Unknown[bool](v.Src())
}

func policyName(v *tree.Value, policies *linker[*cloud.IAMPolicy]) string {
	if p, ok := policies.find(v); ok {
		return p.Address
	}
	s, _ := v.Str()
	return s
}

func grantsPublic(grants *tree.Value) cloud.Bool {
	if grants.IsNull() {
		return cloud.Default(false)
	}
	if grants.IsUnknown() {
		return cloud.Unknown[bool](grants.Src())
	}
	for _, g := range grants.Items() {
		uri, _ := g.Get("uri").Str()
		if u, ok := g.Path("grantee", "uri").Str(); ok {
			uri = u
		}
		if strings.HasSuffix(uri, "/global/AllUsers") || strings.HasSuffix(uri, "/global/AuthenticatedUsers") {
			return cloud.Known(true, g.Src())
		}
	}
	return cloud.Known(false, grants.Src())
}

func setEncryption(x *cloud.S3Bucket, cfg *tree.Value) {
	x.Encryption, x.EncryptionKMSKey, x.EncryptionAlgorithm = cloud.Default(false), cloud.Default(""), cloud.Default("")
	if cfg.IsNull() {
		return
	}
	if cfg.IsUnknown() {
		x.Encryption = cloud.Unknown[bool](cfg.Src())
		x.EncryptionAlgorithm = cloud.Unknown[string](cfg.Src())
		x.EncryptionKMSKey = cloud.Unknown[string](cfg.Src())
		return
	}
	def := cfg.Path("rule", "apply_server_side_encryption_by_default")
	if def.IsUnknown() || cfg.Get("rule").IsUnknown() {
		x.Encryption = cloud.Unknown[bool](cfg.Src())
		x.EncryptionAlgorithm = cloud.Unknown[string](cfg.Src())
		x.EncryptionKMSKey = cloud.Unknown[string](cfg.Src())
		return
	}
	if def.IsNull() {
		return
	}
	x.Encryption = cloud.Known(true, def.Src())
	x.EncryptionAlgorithm = tree.StringAttr(def.Get("sse_algorithm"), "")
	x.EncryptionKMSKey = tree.StringAttr(def.Get("kms_master_key_id"), "")
}

func pab(b *tree.Value, src cloud.Source) *cloud.PublicAccessBlock {
	return &cloud.PublicAccessBlock{Src: src, BlockPublicAcls: boolAt(b, "block_public_acls", false), BlockPublicPolicy: boolAt(b, "block_public_policy", false),
		IgnorePublicAcls: boolAt(b, "ignore_public_acls", false), RestrictPublicBuckets: boolAt(b, "restrict_public_buckets", false)}
}

func sgRule(b *tree.Value, egress bool, protoKey, cidrKey, ipv6Key string) cloud.SGRule {
	r := cloud.SGRule{Src: b.Src(), Egress: egress, Protocol: strAt(b, protoKey, ""), FromPort: intAt(b, "from_port", 0), ToPort: intAt(b, "to_port", 0),
		CIDRs: tree.StringListAttr(b.Get(cidrKey)), IPv6CIDRs: tree.StringListAttr(b.Get(ipv6Key)), Description: strAt(b, "description", "")}
	if r.Protocol.Is("-1") || r.Protocol.Is("all") {
		r.FromPort, r.ToPort = cloud.Default[int64](0), cloud.Default[int64](65535)
	}
	return r
}

func route(b *tree.Value) cloud.Route {
	dst := strAt(b, "cidr_block", "")
	if dst.Known && dst.Val == "" {
		dst = strAt(b, "destination_cidr_block", "")
	}
	gw := strAt(b, "gateway_id", "")
	return cloud.Route{Src: b.Src(), Destination: dst, GatewayID: gw, VPCPeeringConnectionID: strAt(b, "vpc_peering_connection_id", "")}
}

func instance(r *Resource) *cloud.EC2Instance {
	b := r.Body
	x := &cloud.EC2Instance{Meta: meta(r), AMI: strAt(b, "ami", ""), InstanceType: strAt(b, "instance_type", ""), IsTemplate: r.Type != "aws_instance"}
	if r.Type == "aws_launch_template" {
		x.AMI = strAt(b, "image_id", "")
	}
	if r.Type == "aws_launch_configuration" {
		x.AMI = strAt(b, "image_id", "")
	}
	mo := b.Get("metadata_options")
	x.MetadataTokens = tree.StringAttr(mo.Get("http_tokens"), "optional")
	x.MetadataEndpoint = tree.StringAttr(mo.Get("http_endpoint"), "enabled")
	if mo.IsUnknown() {
		x.MetadataTokens = cloud.Unknown[string](mo.Src())
	}
	x.PublicIP = boolAt(b, "associate_public_ip_address", false)
	if r.Type == "aws_launch_template" {
		x.PublicIP = tree.BoolAttr(b.Path("network_interfaces", "associate_public_ip_address"), false)
	}
	x.UserData = strAt(b, "user_data", "")
	if ud := b.Get("user_data_base64"); !ud.IsNull() {
		x.UserData = tree.StringAttr(ud, "")
	}
	x.IAMProfile = strAt(b, "iam_instance_profile", "")
	x.Monitoring = boolAt(b, "monitoring", false)
	if r.Type == "aws_launch_template" {
		x.Monitoring = tree.BoolAttr(b.Path("monitoring", "enabled"), false)
	}
	x.EBSOptimized = boolAt(b, "ebs_optimized", false)
	if r.Type == "aws_launch_template" {
		for _, d := range b.Get("block_device_mappings").Items() {
			x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: d.Src(), Encrypted: tree.BoolAttr(d.Path("ebs", "encrypted"), false)})
		}
	} else {
		rb := b.Get("root_block_device")
		if rb.IsUnknown() {
			x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: rb.Src(), Root: true, Encrypted: cloud.Unknown[bool](rb.Src())})
		} else if rb.IsNull() {
			x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: r.Src, Root: true, Encrypted: cloud.Default(false)})
		}
		for _, d := range rb.Items() {
			x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: d.Src(), Root: true, Encrypted: boolAt(d, "encrypted", false)})
		}
		for _, d := range b.Get("ebs_block_device").Items() {
			x.BlockDevices = append(x.BlockDevices, cloud.BlockDevice{Src: d.Src(), Encrypted: boolAt(d, "encrypted", false)})
		}
	}
	x.SecurityGroupRefs = append(tree.Strings(b.Get("vpc_security_group_ids")), tree.Strings(b.Get("security_groups"))...)
	return x
}

func dbInstance(r *Resource) *cloud.RDSInstance {
	b := r.Body
	x := &cloud.RDSInstance{Meta: meta(r), Engine: strAt(b, "engine", ""), StorageEncrypted: boolAt(b, "storage_encrypted", false), KMSKeyID: strAt(b, "kms_key_id", ""),
		PubliclyAccessible: boolAt(b, "publicly_accessible", false), BackupRetention: intAt(b, "backup_retention_period", 1), DeletionProtection: boolAt(b, "deletion_protection", false),
		IAMAuth: boolAt(b, "iam_database_authentication_enabled", false), MultiAZ: boolAt(b, "multi_az", false), AutoMinorVersionUpgrade: boolAt(b, "auto_minor_version_upgrade", true),
		PerformanceInsights: boolAt(b, "performance_insights_enabled", false), PerformanceInsightsKMS: strAt(b, "performance_insights_kms_key_id", ""),
		CopyTagsToSnapshot: boolAt(b, "copy_tags_to_snapshot", false), LogExports: tree.StringListAttr(b.Get("enabled_cloudwatch_logs_exports")),
		InCluster: r.Type != "aws_db_instance"}
	if c := b.Get("cluster_identifier"); !c.IsNull() {
		x.InCluster = true
	}
	if rep := b.Get("replicate_source_db"); !rep.IsNull() {
		// A replica inherits encryption and backups from its source.
		x.InCluster = true
	}
	return x
}

func dbCluster(r *Resource) *cloud.RDSCluster {
	b := r.Body
	fam := map[string]string{"aws_rds_cluster": "rds", "aws_neptune_cluster": "neptune", "aws_docdb_cluster": "docdb"}[r.Type]
	x := &cloud.RDSCluster{Meta: meta(r), Family: fam, Engine: strAt(b, "engine", ""), StorageEncrypted: boolAt(b, "storage_encrypted", false), KMSKeyID: strAt(b, "kms_key_id", ""),
		BackupRetention: intAt(b, "backup_retention_period", 1), DeletionProtection: boolAt(b, "deletion_protection", false),
		IAMAuth: boolAt(b, "iam_database_authentication_enabled", false), LogExports: tree.StringListAttr(b.Get("enabled_cloudwatch_logs_exports"))}
	if fam == "neptune" {
		x.KMSKeyID = strAt(b, "kms_key_arn", "")
		x.LogExports = tree.StringListAttr(b.Get("enable_cloudwatch_logs_exports"))
	}
	if rs := b.Get("replication_source_identifier"); !rs.IsNull() && fam == "rds" && !x.StorageEncrypted.Set {
		x.StorageEncrypted = cloud.Unknown[bool](rs.Src())
	}
	return x
}

func searchDomain(r *Resource) *cloud.OpenSearchDomain {
	b := r.Body
	x := &cloud.OpenSearchDomain{Meta: meta(r), EncryptAtRest: tree.BoolAttr(b.Path("encrypt_at_rest", "enabled"), false), NodeToNode: tree.BoolAttr(b.Path("node_to_node_encryption", "enabled"), false),
		EnforceHTTPS: tree.BoolAttr(b.Path("domain_endpoint_options", "enforce_https"), false), TLSPolicy: tree.StringAttr(b.Path("domain_endpoint_options", "tls_security_policy"), "Policy-Min-TLS-1-0-2019-07"),
		InVPC: tree.PresentAttr(b.Get("vpc_options"), r.Src), AccessPolicy: tree.Policy(b.Get("access_policies")), FineGrainedControl: tree.BoolAttr(b.Path("advanced_security_options", "enabled"), false)}
	x.AuditLogs = cloud.Default(false)
	for _, l := range b.Get("log_publishing_options").Items() {
		t, ok := l.Get("log_type").Str()
		if !ok {
			x.AuditLogs = cloud.Unknown[bool](l.Src())
			continue
		}
		if t == "AUDIT_LOGS" {
			x.AuditLogs = tree.BoolAttr(l.Get("enabled"), true)
			if !x.AuditLogs.Set {
				x.AuditLogs.Src, x.AuditLogs.Set = l.Src(), true
			}
		}
	}
	return x
}

// replicationTargets lists the known destination buckets of replication rules.
func replicationTargets(rules *tree.Value) []string {
	var out []string
	for _, rule := range rules.Items() {
		if dst, ok := rule.Path("destination", "bucket").Str(); ok && dst != "" {
			out = append(out, dst)
		}
	}
	return out
}
