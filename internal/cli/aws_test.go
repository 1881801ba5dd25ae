package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	ostypes "github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/cloud/aws/awsfake"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/report"
)

// awsEnv points the SDK's standard credential chain at fixed test
// credentials and nothing else (no shared files, no instance metadata).
func awsEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_REGION", "")
}

// seed is an SDK configuration for seeding an emulator.
func seedConfig(url string) sdk.Config {
	return awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

// checker returns a function that fails t on a non-nil error.
func checker(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// defaultVPC returns the emulator's default VPC id.
func defaultVPC(t *testing.T, ctx context.Context, ec *ec2.Client) *string {
	t.Helper()
	out, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: sdk.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(out.Vpcs) == 0 {
		t.Fatalf("default VPC: %v", err)
	}
	return out.Vpcs[0].VpcId
}

// seedVulnerable creates the account the acceptance test audits: an IAM
// user with an access key, a public bucket without Block Public Access, a
// security group open to the world on 22 and 5432, no trail, no GuardDuty.
func seedVulnerable(t *testing.T, url string) {
	ctx := awstest.Background(t)
	cfg := seedConfig(url)
	chk := checker(t)
	ic := iam.NewFromConfig(cfg)
	chk(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: sdk.String("deploy-bot")}))
	chk(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: sdk.String("deploy-bot")}))
	chk(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: sdk.String("alice")}))
	chk(ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: sdk.String("alice"), Password: sdk.String("Not-a-secret-1")}))
	certPEM, keyPEM := selfSigned(t, time.Now().Add(30*24*time.Hour))
	chk(ic.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: sdk.String("legacy-lb"), CertificateBody: sdk.String(certPEM), PrivateKey: sdk.String(keyPEM)}))
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	chk(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdk.String("acme-public-assets")}))
	chk(sc.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdk.String("acme-public-assets"), ACL: s3types.BucketCannedACLPublicRead}))
	ec := ec2.NewFromConfig(cfg)
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: sdk.String("db-and-ssh"), Description: sdk.String("legacy"), VpcId: defaultVPC(t, ctx, ec)})
	chk(sg, err)
	world := []ec2types.IpRange{{CidrIp: sdk.String("0.0.0.0/0")}}
	chk(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(22), ToPort: sdk.Int32(22), IpRanges: world},
		{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(5432), ToPort: sdk.Int32(5432), IpRanges: world},
	}}))
}

// selfSigned returns a PEM certificate for legacy.example.com valid until
// notAfter, and its PEM private key.
func selfSigned(t *testing.T, notAfter time.Time) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "legacy.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// seedHardened creates an account with none of those weaknesses: no IAM
// users, a private bucket with Block Public Access, a security group open
// only to the VPC range, a logging multi-region trail, GuardDuty in every
// region.
func seedHardened(t *testing.T, url string) {
	ctx := awstest.Background(t)
	cfg := seedConfig(url)
	chk := checker(t)
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	on := sdk.Bool(true)
	for _, b := range []string{"acme-data", "acme-trail-logs"} {
		chk(sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdk.String(b)}))
		chk(sc.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: sdk.String(b), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: on, BlockPublicPolicy: on, IgnorePublicAcls: on, RestrictPublicBuckets: on}}))
	}
	ec := ec2.NewFromConfig(cfg)
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: sdk.String("web"), Description: sdk.String("HTTPS from the VPC"), VpcId: defaultVPC(t, ctx, ec)})
	chk(sg, err)
	chk(ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(443), ToPort: sdk.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: sdk.String("10.0.0.0/8")}}},
	}}))
	ct := cloudtrail.NewFromConfig(cfg)
	chk(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: sdk.String("org"), S3BucketName: sdk.String("acme-trail-logs"), IsMultiRegionTrail: on, EnableLogFileValidation: on}))
	chk(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: sdk.String("org")}))
	chk(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: sdk.String("org"), EventSelectors: []cttypes.EventSelector{{
		ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: on,
		DataResources: []cttypes.DataResource{{Type: sdk.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}}))
	regions, err := ec.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	chk(regions, err)
	for _, r := range regions.Regions {
		gd := guardduty.NewFromConfig(cfg, func(o *guardduty.Options) { o.Region = sdk.ToString(r.RegionName) })
		chk(gd.CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: on}))
		sh := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = sdk.ToString(r.RegionName) })
		chk(sh.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}))
	}
}

// seedWorkloads adds a database, a queue, a KMS key, a function with a URL
// and a search domain: exposed or unprotected when hardened is false,
// locked down when it is true.
func seedWorkloads(t *testing.T, url string, hardened bool) {
	ctx := awstest.Background(t)
	cfg := seedConfig(url)
	chk := checker(t)
	chk(rds.NewFromConfig(cfg).CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: sdk.String("orders"), Engine: sdk.String("postgres"), DBInstanceClass: sdk.String("db.t3.micro"),
		AllocatedStorage: sdk.Int32(20), MasterUsername: sdk.String("app"), MasterUserPassword: sdk.String("not-a-real-password-1"),
		PubliclyAccessible: sdk.Bool(!hardened), StorageEncrypted: sdk.Bool(hardened)}))
	sse := "false"
	if hardened {
		sse = "true"
	}
	chk(sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String("orders"), Attributes: map[string]string{"SqsManagedSseEnabled": sse}}))
	kc := kms.NewFromConfig(cfg)
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: sdk.String("orders")})
	chk(key, err)
	if hardened {
		chk(kc.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: key.KeyMetadata.KeyId}))
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdk.String("orders-fn"),
		AssumeRolePolicyDocument: sdk.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	chk(role, err)
	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	w, err := zw.Create("index.py")
	chk(w, err)
	chk(w.Write([]byte("def handler(event, context):\n    return 'ok'\n")))
	chk(nil, zw.Close())
	lc := lambda.NewFromConfig(cfg)
	chk(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: sdk.String("orders-webhook"), Runtime: lambdatypes.RuntimePython312,
		Role: role.Role.Arn, Handler: sdk.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: code.Bytes()}}))
	auth := lambdatypes.FunctionUrlAuthTypeNone
	if hardened {
		auth = lambdatypes.FunctionUrlAuthTypeAwsIam
	}
	chk(lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: sdk.String("orders-webhook"), AuthType: auth}))
	if hardened {
		chk(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: sdk.String("orders-webhook"), StatementId: sdk.String("s3"), Action: sdk.String("lambda:InvokeFunction"),
			Principal: sdk.String("s3.amazonaws.com"), SourceArn: sdk.String("arn:aws:s3:::acme-data"), SourceAccount: sdk.String("123456789012")}))
	} else {
		chk(lc.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: sdk.String("orders-webhook"), StatementId: sdk.String("public-url"), Action: sdk.String("lambda:InvokeFunctionUrl"),
			Principal: sdk.String("*"), FunctionUrlAuthType: lambdatypes.FunctionUrlAuthTypeNone}))
	}
	principal := `"*"`
	if hardened {
		principal = `{"AWS":"arn:aws:iam::123456789012:role/orders-fn"}`
	}
	chk(opensearch.NewFromConfig(cfg).CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: sdk.String("orders-search"),
		EncryptionAtRestOptions: &ostypes.EncryptionAtRestOptions{Enabled: sdk.Bool(hardened)},
		AccessPolicies:          sdk.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"es:*","Resource":"arn:aws:es:us-east-1:123456789012:domain/orders-search/*"}]}`)}))
}

// auditAt runs palisade at a given clock and returns the decoded report.
func auditAt(t *testing.T, now time.Time, env map[string]string, args ...string) (report.Report, run) {
	t.Helper()
	a := testApp(t.TempDir(), env)
	a.Now = func() time.Time { return now }
	code := a.Run(context.Background(), args)
	r := run{code, a.Stdout.(*bytes.Buffer).String(), a.Stderr.(*bytes.Buffer).String()}
	if r.code != 0 {
		t.Fatalf("palisade %v: exit %d\n%s", args, r.code, r.stderr)
	}
	return decodeReport(t, r.stdout), r
}

// weaknesses are the five the acceptance test plants, each as the rule
// that must report it, the resource it must name, and the checklist step.
var weaknesses = []struct {
	what, rule, resource, step string
}{
	{"IAM user with an old access key", "AWS-ACCT-007", "arn:aws:iam::123456789012:user/deploy-bot", "AWS 5: Secure IAM Access"},
	{"public bucket without Block Public Access", "AWS-S3-001", "arn:aws:s3:::acme-public-assets", "AWS 3: Turn on S3 Block Public Access"},
	{"security group open to the world on 22", "AWS-VPC-001", "security-group/", "AWS 10: Secure Network Communication"},
	{"security group open to the world on 5432", "AWS-VPC-002", "security-group/", "AWS 6: Reduce attack surface and mitigate compromises"},
	{"no CloudTrail", "AWS-ACCT-001", "arn:aws:cloudtrail:us-east-1:123456789012:", "AWS 3: Visibility and Initial Remediation"},
	{"no GuardDuty", "AWS-ACCT-002", "arn:aws:guardduty:us-east-1:123456789012:", "AWS 3: Visibility and Initial Remediation"},
	{"publicly accessible RDS instance", "AWS-RDS-003", "arn:aws:rds:us-east-1:123456789012:db:orders", ""},
	{"unencrypted SQS queue", "AWS-SQS-001", "arn:aws:sqs:us-east-1:123456789012:orders", ""},
	{"KMS key without rotation", "AWS-KMS-001", "arn:aws:kms:us-east-1:123456789012:key/", ""},
	{"public Lambda function URL", "AWS-LMB-004", "arn:aws:lambda:us-east-1:123456789012:function:orders-webhook", ""},
	{"Lambda permission for any principal", "AWS-LMB-002", "arn:aws:lambda:us-east-1:123456789012:function:orders-webhook", ""},
	{"OpenSearch domain open to any principal", "AWS-ES-008", "arn:aws:es:us-east-1:123456789012:domain/orders-search", ""},
	{"no S3 object-level write events", "AWS-ACCT-016", "arn:aws:iam::123456789012:root", "AWS 3: Visibility and Initial Remediation"},
	{"no Security Hub", "AWS-ACCT-018", "arn:aws:securityhub:us-east-1:123456789012:", "AWS 3: Visibility and Initial Remediation"},
	{"expired server certificate", "AWS-ACCT-019", "arn:aws:iam::123456789012:server-certificate/legacy-lb", "AWS 5: Secure IAM Access"},
	{"AWS Config not recording", "AWS-ACCT-020", "arn:aws:config:us-east-1:123456789012:", "AWS 1: Inventory"},
	{"console user and no IAM Identity Center", "AWS-ACCT-021", "arn:aws:iam::123456789012:root", "AWS 5: Secure IAM Access"},
	{"account baseline incomplete", "AWS-ACCT-022", "arn:aws:iam::123456789012:root/baseline", "AWS 3: Visibility and Initial Remediation"},
}

func hasStep(refs []finding.Reference, step string) bool {
	for _, r := range refs {
		if r.Type == "checklist" && r.ID == step {
			return true
		}
	}
	return false
}

func TestAWSAuditReportsPlantedWeaknessesAndNoneOnHardenedAccount(t *testing.T) {
	// moto_server inherits the environment: start it before awsEnv.
	vulnURL, hardURL := awstest.Moto(t), awstest.Moto(t)
	awsEnv(t)
	// moto stamps access keys with the time of creation and cannot backdate
	// them, so the audit's clock runs 120 days ahead instead.
	later := time.Now().Add(120 * 24 * time.Hour)

	seedVulnerable(t, vulnURL)
	seedWorkloads(t, vulnURL, false)
	vulnFake := &awsfake.Lacking{}
	vulnSrv := httptest.NewServer(vulnFake)
	defer vulnSrv.Close()
	env := map[string]string{"AWS_ENDPOINT_URL_S3_CONTROL": vulnSrv.URL, "AWS_ENDPOINT_URL_ACCESSANALYZER": vulnSrv.URL, "AWS_ENDPOINT_URL_SSO_ADMIN": vulnSrv.URL}
	rep, _ := auditAt(t, later, env, "aws", "audit", "--endpoint-url", vulnURL, "--region", "us-east-1", "--format", "json", "--no-store")
	if rep.Scan.Target != "aws:123456789012" {
		t.Errorf("target %q", rep.Scan.Target)
	}
	for _, w := range weaknesses {
		found := false
		for _, f := range rep.Findings {
			if f.RuleID == w.rule && strings.Contains(f.Resource, w.resource) {
				if w.step != "" && !hasStep(f.References, w.step) {
					t.Errorf("%s: %s has references %+v, want checklist %q", w.what, w.rule, f.References, w.step)
				}
				if f.Category != "posture" {
					t.Errorf("%s: category %q", w.what, f.Category)
				}
				found = true
			}
		}
		if !found {
			var same []string
			for _, f := range rep.Findings {
				if strings.HasPrefix(f.RuleID, w.rule[:len(w.rule)-1]) {
					same = append(same, f.RuleID+" "+f.Resource)
				}
			}
			t.Errorf("vulnerable account: %s not reported (want %s on %s; reported: %q)", w.what, w.rule, w.resource, same)
		}
	}
	if vulnFake.Requests == 0 {
		t.Error("the S3 Control / Access Analyzer double was never asked")
	}

	seedHardened(t, hardURL)
	seedWorkloads(t, hardURL, true)
	hardFake := &awsfake.Lacking{AccountBPA: &[4]bool{true, true, true, true}, Analyzers: []string{"ACCOUNT"}, IdentityCenter: []string{"arn:aws:sso:::instance/ssoins-hardened"}}
	hardSrv := httptest.NewServer(hardFake)
	defer hardSrv.Close()
	env = map[string]string{"AWS_ENDPOINT_URL_S3_CONTROL": hardSrv.URL, "AWS_ENDPOINT_URL_ACCESSANALYZER": hardSrv.URL, "AWS_ENDPOINT_URL_SSO_ADMIN": hardSrv.URL}
	// The vulnerable audit above discovered every region; two are enough here.
	rep, _ = auditAt(t, later, env, "aws", "audit", "--endpoint-url", hardURL, "--region", "us-east-1", "--regions", "us-east-1,eu-west-1", "--format", "json", "--no-store")
	planted := []string{"AWS-ACCT-007", "AWS-ACCT-008", "AWS-IAM-003", "AWS-IAM-004", "AWS-S3-001", "AWS-S3-006", "AWS-S3-013", "AWS-VPC-001", "AWS-VPC-002", "AWS-ACCT-001", "AWS-ACCT-002", "AWS-ACCT-003",
		"AWS-RDS-003", "AWS-SQS-001", "AWS-KMS-001", "AWS-LMB-002", "AWS-LMB-004", "AWS-ES-008", "AWS-ACCT-016", "AWS-ACCT-017", "AWS-ACCT-018", "AWS-ACCT-019", "AWS-ACCT-021"}
	for _, f := range rep.Findings {
		if slices.Contains(planted, f.RuleID) {
			t.Errorf("hardened account: unexpected %s on %s: %s", f.RuleID, f.Resource, f.Message)
		}
	}
	if len(rep.Findings) == 0 {
		t.Error("hardened account: no findings at all; the audit cannot have read it")
	}
	// The hardened workloads were read: each is named by some finding (an
	// owner tag, a customer managed key, ...), just not the planted ones.
	for _, res := range []string{"arn:aws:rds:us-east-1:123456789012:db:orders", "arn:aws:sqs:us-east-1:123456789012:orders", "arn:aws:kms:us-east-1:123456789012:key/",
		"arn:aws:lambda:us-east-1:123456789012:function:orders-webhook", "arn:aws:es:us-east-1:123456789012:domain/orders-search"} {
		named := false
		for _, f := range rep.Findings {
			named = named || strings.HasPrefix(f.Resource, res)
		}
		if !named {
			t.Errorf("hardened account: no finding names %s; was it collected?", res)
		}
	}
}

func TestAWSAuditDriftAgainstTerraform(t *testing.T) {
	url := awstest.Moto(t)
	awsEnv(t)
	seedVulnerable(t, url)
	dir := t.TempDir()
	writeFile(t, dir+"/infra/main.tf", `resource "aws_s3_bucket" "assets" {
  bucket = "acme-public-assets"
}

resource "aws_security_group" "db" {
  name        = "db-and-ssh"
  description = "legacy"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
`)
	fake := httptest.NewServer(&awsfake.Lacking{})
	defer fake.Close()
	env := map[string]string{"AWS_ENDPOINT_URL_S3_CONTROL": fake.URL, "AWS_ENDPOINT_URL_ACCESSANALYZER": fake.URL}
	a := testApp(dir, env)
	code := a.Run(context.Background(), []string{"aws", "audit", "--endpoint-url", url, "--regions", "us-east-1", "--format", "json", "--no-store", "--iac", "infra"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, a.Stderr.(*bytes.Buffer).String())
	}
	rep := decodeReport(t, a.Stdout.(*bytes.Buffer).String())
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.RuleID, "AWS-DRIFT-") {
			got = append(got, f.RuleID+": "+f.Message)
		}
	}
	want := []string{
		"AWS-DRIFT-001: IAM user deploy-bot is not declared in the IaC",
		"AWS-DRIFT-002: security group db-and-ssh: rule ingress tcp 22-22 0.0.0.0/0 exists live only",
		"AWS-DRIFT-002: security group db-and-ssh: rule ingress tcp 5432-5432 0.0.0.0/0 exists live only",
		"AWS-DRIFT-002: security group db-and-ssh: rule ingress tcp 22-22 10.0.0.0/8 is declared but missing live",
	}
	for _, w := range want {
		ok := false
		for _, g := range got {
			ok = ok || strings.HasPrefix(g, w)
		}
		if !ok {
			t.Errorf("missing drift %q in %q", w, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "acme-public-assets is not declared") {
			t.Errorf("a bucket declared in code reported unmanaged: %s", g)
		}
	}
}

func TestAWSFixIsADryRunUntilConfirmed(t *testing.T) {
	url := awstest.Moto(t)
	awsEnv(t)
	seedVulnerable(t, url)
	ctx := awstest.Background(t)
	cfg := seedConfig(url)
	ec := ec2.NewFromConfig(cfg)
	ami, err := ec.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(ami.Images) == 0 {
		t.Fatalf("images: %v", err)
	}
	started, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: ami.Images[0].ImageId, MinCount: sdk.Int32(1), MaxCount: sdk.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: sdk.String("env"), Value: sdk.String("test")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	instance := sdk.ToString(started.Instances[0].InstanceId)

	dir := t.TempDir()
	fake := httptest.NewServer(&awsfake.Lacking{})
	defer fake.Close()
	env := map[string]string{"PALISADE_DB": dir + "/p.db", "AWS_ENDPOINT_URL_S3_CONTROL": fake.URL, "AWS_ENDPOINT_URL_ACCESSANALYZER": fake.URL}
	exec := func(stdin string, args ...string) run {
		a := testApp(dir, env)
		a.Stdin = strings.NewReader(stdin)
		code := a.Run(context.Background(), args)
		return run{code, a.Stdout.(*bytes.Buffer).String(), a.Stderr.(*bytes.Buffer).String()}
	}
	if r := exec("", "aws", "audit", "--endpoint-url", url, "--regions", "us-east-1", "--format", "json"); r.code != 0 {
		t.Fatalf("audit exit %d: %s", r.code, r.stderr)
	}
	openRules := func() []string {
		out, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: sdk.String("group-name"), Values: []string{"db-and-ssh"}}}})
		if err != nil {
			t.Fatal(err)
		}
		var open []string
		for _, p := range out.SecurityGroups[0].IpPermissions {
			for _, r := range p.IpRanges {
				if sdk.ToString(r.CidrIp) == "0.0.0.0/0" {
					open = append(open, fmt.Sprint(sdk.ToInt32(p.FromPort)))
				}
			}
		}
		return open
	}

	dry := exec("", "aws", "fix", "--endpoint-url", url, "--region", "us-east-1", "--rule", "AWS-VPC-001", "--stop-tagged", "env=test")
	if dry.code != 0 || !strings.Contains(dry.stdout, "Dry run") || !strings.Contains(dry.stdout, "revoke ingress from the internet on tcp 22-22, tcp 5432-5432") || !strings.Contains(dry.stdout, "stop instance "+instance) {
		t.Fatalf("dry run exit %d:\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	if len(openRules()) != 2 {
		t.Fatal("the dry run changed the security group")
	}
	refused := exec("no\n", "aws", "fix", "--endpoint-url", url, "--region", "us-east-1", "--rule", "AWS-VPC-001", "--apply")
	if refused.code != ExitError || len(openRules()) != 2 {
		t.Fatalf("apply without \"yes\": exit %d, open rules %v", refused.code, openRules())
	}
	applied := exec("yes\n", "aws", "fix", "--endpoint-url", url, "--region", "us-east-1", "--rule", "AWS-VPC-001", "--stop-tagged", "env=test", "--apply")
	if applied.code != 0 || len(openRules()) != 0 {
		t.Fatalf("apply: exit %d, open rules %v\n%s%s", applied.code, openRules(), applied.stdout, applied.stderr)
	}
	st, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instance}})
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Reservations[0].Instances[0].State.Name; s != ec2types.InstanceStateNameStopped && s != ec2types.InstanceStateNameStopping {
		t.Errorf("tagged test instance is %s after fix", s)
	}
	// The store records the fix too: the finding is fixed, by whom and why.
	fixed := decodeReport(t, exec("", "findings", "list", "--status", "fixed", "--format", "json").stdout)
	if len(fixed.Findings) != 1 || fixed.Findings[0].RuleID != "AWS-VPC-001" {
		t.Fatalf("fixed findings in the store: %+v, want the AWS-VPC-001 finding", fixed.Findings)
	}
	show := exec("", "findings", "show", fixed.Findings[0].Fingerprint[:12])
	if show.code != 0 || !strings.Contains(show.stdout, "open -> fixed") || !strings.Contains(show.stdout, "palisade aws fix: revoke ingress from the internet") || !strings.Contains(show.stdout, "arn:aws:") {
		t.Errorf("findings show after fix: exit %d\n%s%s", show.code, show.stdout, show.stderr)
	}
	log, err := os.ReadFile(dir + "/palisade-fix.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"actor":"arn:aws:`) || !strings.Contains(lines[0], `"result":"applied"`) || !strings.Contains(lines[0], `"kind":"revoke-open-ingress"`) {
		t.Errorf("fix log:\n%s", log)
	}
}
