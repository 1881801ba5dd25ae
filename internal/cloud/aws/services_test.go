package aws

import (
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	classicelb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	classictypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/aws/awsfake"
)

// TestServicesOnMoto seeds one resource of most newly collected kinds in
// moto_server and checks that each lands in the model with the attributes
// the posture rules read (the CLI acceptance test covers RDS, SQS, KMS,
// Lambda and OpenSearch through the rules).
func TestServicesOnMoto(t *testing.T) {
	url := awstest.Moto(t)
	for k, v := range map[string]string{"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": testKey, "AWS_SECRET_ACCESS_KEY": testSecret} {
		t.Setenv(k, v)
	}
	ctx := awstest.Background(t)
	cfg := awstest.Config(url, testKey, testSecret)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	ddb := dynamodb.NewFromConfig(cfg)
	must(ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: sdk.String("orders"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: sdk.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: sdk.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		Tags:                 []ddbtypes.Tag{{Key: sdk.String("owner"), Value: sdk.String("shop")}}}))
	must(ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: sdk.String("orders"),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: sdk.Bool(true)}}))
	must(secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: sdk.String("db"), SecretString: sdk.String("not-a-secret")}))
	logs := cloudwatchlogs.NewFromConfig(cfg)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: sdk.String("/app/kept"), Tags: map[string]string{"owner": "shop"}}))
	must(logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: sdk.String("/app/kept"), RetentionInDays: sdk.Int32(30)}))
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: sdk.String("/app/forever")}))
	must(sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: sdk.String("alerts")}))
	must(ecr.NewFromConfig(cfg).CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: sdk.String("web"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true}}))

	ec := ec2.NewFromConfig(cfg)
	vol, err := ec.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: sdk.String("us-east-1a"), Size: sdk.Int32(8)})
	must(vol, err)
	snap, err := ec.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
	must(snap, err)
	must(ec.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: snap.SnapshotId, Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}}))
	subnets, err := ec.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	must(subnets, err)
	elb := elasticloadbalancingv2.NewFromConfig(cfg)
	lb, err := elb.CreateLoadBalancer(ctx, &elasticloadbalancingv2.CreateLoadBalancerInput{Name: sdk.String("web"),
		Subnets: []string{sdk.ToString(subnets.Subnets[0].SubnetId), sdk.ToString(subnets.Subnets[1].SubnetId)}})
	must(lb, err)
	must(elb.CreateListener(ctx, &elasticloadbalancingv2.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: sdk.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: sdk.String("HTTPS"), Port: sdk.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}}}))

	must(eks.NewFromConfig(cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: sdk.String("apps"), RoleArn: sdk.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{sdk.ToString(subnets.Subnets[0].SubnetId)}, EndpointPublicAccess: sdk.Bool(true), PublicAccessCidrs: []string{"0.0.0.0/0"}}}))

	gw := apigateway.NewFromConfig(cfg)
	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: sdk.String("shop")})
	must(api, err)
	must(gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: sdk.String("POST"), AuthorizationType: sdk.String("NONE")}))

	must(cloudfront.NewFromConfig(cfg).CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: sdk.String("t"), Comment: sdk.String("site"), Enabled: sdk.Bool(true),
		Origins:              &cftypes.Origins{Quantity: sdk.Int32(1), Items: []cftypes.Origin{{Id: sdk.String("o"), DomainName: sdk.String("example.com"), CustomOriginConfig: &cftypes.CustomOriginConfig{HTTPPort: sdk.Int32(80), HTTPSPort: sdk.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: sdk.String("o"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll}}}))

	must(efs.NewFromConfig(cfg).CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: sdk.String("shared")}))
	must(redshift.NewFromConfig(cfg).CreateCluster(ctx, &redshift.CreateClusterInput{ClusterIdentifier: sdk.String("warehouse"), NodeType: sdk.String("ra3.xlplus"),
		MasterUsername: sdk.String("admin"), MasterUserPassword: sdk.String("Not-a-secret-1"), PubliclyAccessible: sdk.Bool(true)}))
	must(elasticache.NewFromConfig(cfg).CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{CacheClusterId: sdk.String("sessions"), Engine: sdk.String("memcached"),
		CacheNodeType: sdk.String("cache.t3.micro"), NumCacheNodes: sdk.Int32(1)}))
	must(classicelb.NewFromConfig(cfg).CreateLoadBalancer(ctx, &classicelb.CreateLoadBalancerInput{LoadBalancerName: sdk.String("legacy"), AvailabilityZones: []string{"us-east-1a"},
		Listeners: []classictypes.Listener{{Protocol: sdk.String("HTTP"), LoadBalancerPort: 80, InstancePort: sdk.Int32(8080)}}, Tags: []classictypes.Tag{{Key: sdk.String("owner"), Value: sdk.String("web")}}}))
	must(configservice.NewFromConfig(cfg).PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &cfgtypes.ConfigurationRecorder{
		Name: sdk.String("default"), RoleARN: sdk.String("arn:aws:iam::123456789012:role/config"), RecordingGroup: &cfgtypes.RecordingGroup{AllSupported: true, IncludeGlobalResourceTypes: false}}}))

	fake := httptest.NewServer(&awsfake.Lacking{})
	defer fake.Close()
	lcfg, err := LoadConfig(ctx, "us-east-1", url, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := New(lcfg, Options{Regions: []string{"us-east-1"}, ServiceEndpoints: map[string]string{"s3control": fake.URL, "accessanalyzer": fake.URL}}).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		if e.Service != "iam-last-accessed" { // moto does not implement service-last-accessed
			t.Errorf("collection error: %v", e)
		}
	}
	st := res.Accounts[0].State

	checks := []struct {
		name string
		ok   func(*cloud.State) bool
	}{
		{"DynamoDB table with PITR and the AWS owned key, tagged", func(s *cloud.State) bool {
			return len(s.DynamoDBTables) == 1 && s.DynamoDBTables[0].PointInTimeRecovery.Is(true) && s.DynamoDBTables[0].CustomerKMS.Is(false) && s.DynamoDBTables[0].Tags["owner"] == "shop"
		}},
		{"secret never rotated, AWS managed key", func(s *cloud.State) bool {
			return len(s.Secrets) == 1 && s.Secrets[0].Rotation.Is(false) && s.Secrets[0].KMSKeyID.Is("")
		}},
		{"log groups: 30 days and never expire", func(s *cloud.State) bool {
			days := map[string]int64{}
			for _, g := range s.LogGroups {
				days[g.Name.Val] = g.RetentionDays.Val
			}
			return len(s.LogGroups) == 2 && days["/app/kept"] == 30 && days["/app/forever"] == 0
		}},
		{"SNS topic without a KMS key", func(s *cloud.State) bool {
			return len(s.SNSTopics) == 1 && s.SNSTopics[0].KMSKeyID.Is("") && strings.HasSuffix(s.SNSTopics[0].Address, ":alerts")
		}},
		{"ECR repository scanning on push with immutable tags", func(s *cloud.State) bool {
			return len(s.ECRRepositories) == 1 && s.ECRRepositories[0].ScanOnPush.Is(true) && s.ECRRepositories[0].ImmutableTags.Is(true)
		}},
		{"EBS volume unencrypted, its snapshot public", func(s *cloud.State) bool {
			found := false
			for _, n := range s.EBSSnapshots {
				found = found || strings.HasSuffix(n.Address, sdk.ToString(snap.SnapshotId)) && n.Public.Is(true) && n.Encrypted.Is(false)
			}
			return found && len(s.EBSVolumes) == 1 && s.EBSVolumes[0].Encrypted.Is(false)
		}},
		{"internet-facing ALB with an HTTP listener redirecting to HTTPS", func(s *cloud.State) bool {
			var albs []*cloud.LoadBalancer
			for _, l := range s.LoadBalancers {
				if !l.Type.Is("classic") {
					albs = append(albs, l)
				}
			}
			return len(albs) == 1 && albs[0].Internal.Is(false) && albs[0].Type.Is("application") &&
				len(s.Listeners) == 1 && s.Listeners[0].Protocol.Is("HTTP") && s.Listeners[0].RedirectsToHTTPS.Is(true)
		}},
		{"EKS cluster with a public endpoint open to the world, no secrets key", func(s *cloud.State) bool {
			return len(s.EKSClusters) == 1 && s.EKSClusters[0].PublicEndpoint.Is(true) && s.EKSClusters[0].PublicCIDRs.Contains("0.0.0.0/0") && s.EKSClusters[0].SecretEncryption.Is(false)
		}},
		{"REST API method without authorization", func(s *cloud.State) bool {
			for _, m := range s.APIGatewayMethods {
				if m.HTTPMethod.Is("POST") && m.AuthorizationType.Is("NONE") && m.APIKeyRequired.Is(false) {
					return true
				}
			}
			return false
		}},
		{"CloudFront distribution allowing plain HTTP, no WAF", func(s *cloud.State) bool {
			return len(s.CloudFront) == 1 && len(s.CloudFront[0].ViewerProtocolPolicies) == 1 && s.CloudFront[0].ViewerProtocolPolicies[0].Is("allow-all") && s.CloudFront[0].WAF.Is(false)
		}},
		{"unencrypted EFS file system", func(s *cloud.State) bool {
			return len(s.EFSFileSystems) == 1 && s.EFSFileSystems[0].Encrypted.Is(false) && strings.Contains(s.EFSFileSystems[0].Address, ":file-system/")
		}},
		{"public unencrypted Redshift cluster", func(s *cloud.State) bool {
			return len(s.RedshiftClusters) == 1 && s.RedshiftClusters[0].PubliclyAccessible.Is(true) && s.RedshiftClusters[0].Encrypted.Is(false) &&
				s.RedshiftClusters[0].Address == "arn:aws:redshift:us-east-1:123456789012:cluster:warehouse"
		}},
		{"Memcached cluster without transit encryption", func(s *cloud.State) bool {
			return len(s.ElastiCache) == 1 && s.ElastiCache[0].Engine.Is("memcached") && s.ElastiCache[0].TransitEncryption.Is(false)
		}},
		{"internet-facing classic load balancer without access logs, tagged, HTTP listener", func(s *cloud.State) bool {
			for _, l := range s.LoadBalancers {
				if l.Type.Is("classic") {
					return l.Internal.Is(false) && l.AccessLogs.Is(false) && l.Tags["owner"] == "web" && len(l.Listeners) == 1 && l.Listeners[0].Protocol.Is("HTTP") &&
						l.Address == "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/legacy"
				}
			}
			return false
		}},
		{"Config recorder leaving out global resources, not recording", func(s *cloud.State) bool {
			return len(s.ConfigRecorders) == 1 && s.ConfigRecorders[0].AllSupported.Is(true) && s.ConfigRecorders[0].GlobalResources.Is(false) &&
				!res.Accounts[0].Evidence.ConfigRecording["us-east-1"]
		}},
		{"moto's IAM Identity Center instance seen", func(*cloud.State) bool {
			return len(res.Accounts[0].Evidence.IdentityCenter) == 1
		}},
		{"every collected resource has its ARN as source", func(s *cloud.State) bool {
			for _, r := range s.All() {
				if m := r.Base(); m.Src.ARN == "" || !strings.HasPrefix(m.Src.ARN, "arn:") {
					return false
				}
			}
			return true
		}},
	}
	for _, c := range checks {
		if !c.ok(st) {
			t.Errorf("%s: not as seeded", c.name)
		}
	}
	if t.Failed() {
		for _, d := range st.CloudFront {
			t.Logf("cloudfront %+v", *d)
		}
	}
}
