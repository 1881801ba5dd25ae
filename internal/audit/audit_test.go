package audit

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/aws"
	"github.com/palisade-sec/palisade/internal/finding"
)

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func ago(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

// account builds a collected account with the given evidence and the
// regions where the regional services were read.
func account(ev aws.Evidence, regions ...string) *aws.Account {
	if ev.ServiceRegions == nil {
		ev.ServiceRegions = map[string][]string{}
		for _, s := range []string{"cloudtrail", "guardduty", "accessanalyzer", "backup", "ec2"} {
			ev.ServiceRegions[s] = regions
		}
	}
	return &aws.Account{ID: "111122223333", Regions: regions, State: &cloud.State{}, Evidence: ev}
}

// fired runs the audit and returns "RULE resource" lines.
func fired(res *aws.Result) []string {
	fs, _ := Run(res, DefaultConfig(now))
	var out []string
	for _, f := range fs {
		if strings.HasPrefix(f.RuleID, "AWS-ACCT-") || strings.HasPrefix(f.RuleID, "AWS-ORG-") {
			out = append(out, f.RuleID+" "+f.Resource)
		}
	}
	return out
}

func TestAccountRules(t *testing.T) {
	enabledEverywhere := map[string]bool{"us-east-1": true, "eu-west-1": true}
	analyzers := map[string][]string{"us-east-1": {"ACCOUNT"}, "eu-west-1": {"ORGANIZATION"}}
	base := func() aws.Evidence {
		return aws.Evidence{GuardDuty: enabledEverywhere, AccessAnalyzers: analyzers,
			Trails: []aws.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", HomeRegion: "us-east-1", MultiRegion: true, Logging: true}}}
	}
	tests := []struct {
		name string
		ev   func(*aws.Evidence)
		want []string
	}{
		{"a hardened account has no account findings", func(*aws.Evidence) {}, nil},
		{"a stopped multi-region trail leaves every region unrecorded", func(e *aws.Evidence) { e.Trails[0].Logging = false },
			[]string{"AWS-ACCT-001 arn:aws:cloudtrail:eu-west-1:111122223333:", "AWS-ACCT-001 arn:aws:cloudtrail:us-east-1:111122223333:"}},
		{"a single-region trail covers only its home region", func(e *aws.Evidence) { e.Trails[0].MultiRegion = false },
			[]string{"AWS-ACCT-001 arn:aws:cloudtrail:eu-west-1:111122223333:"}},
		{"GuardDuty missing in one region", func(e *aws.Evidence) { e.GuardDuty = map[string]bool{"us-east-1": true} },
			[]string{"AWS-ACCT-002 arn:aws:guardduty:eu-west-1:111122223333:"}},
		{"a region that could not be read is not reported missing", func(e *aws.Evidence) {
			e.GuardDuty = map[string]bool{"us-east-1": true}
			e.ServiceRegions = map[string][]string{"guardduty": {"us-east-1"}}
		}, nil},
		{"Access Analyzer missing in one region", func(e *aws.Evidence) { e.AccessAnalyzers = map[string][]string{"eu-west-1": {"ACCOUNT"}} },
			[]string{"AWS-ACCT-003 arn:aws:access-analyzer:us-east-1:111122223333:"}},
		{"root access key and no root MFA", func(e *aws.Evidence) {
			e.CredentialReport = []aws.CredentialRow{{User: "<root_account>", ARN: "arn:aws:iam::111122223333:root", AccessKey1Active: true}}
		}, []string{"AWS-ACCT-004 arn:aws:iam::111122223333:root", "AWS-ACCT-005 arn:aws:iam::111122223333:root"}},
		{"root with MFA and no keys is quiet", func(e *aws.Evidence) {
			e.CredentialReport = []aws.CredentialRow{{User: "<root_account>", PasswordEnabled: true, MFAActive: true}}
		}, nil},
		{"console user without MFA", func(e *aws.Evidence) {
			e.CredentialReport = []aws.CredentialRow{{User: "alice", ARN: "arn:aws:iam::111122223333:user/alice", PasswordEnabled: true, PasswordLastUsed: ago(1)}}
		}, []string{"AWS-ACCT-006 arn:aws:iam::111122223333:user/alice"}},
		{"console password unused for 60 days", func(e *aws.Evidence) {
			e.CredentialReport = []aws.CredentialRow{{User: "bob", ARN: "arn:aws:iam::111122223333:user/bob", PasswordEnabled: true, MFAActive: true, PasswordLastUsed: ago(60)}}
		}, []string{"AWS-ACCT-008 arn:aws:iam::111122223333:user/bob"}},
		{"an access key 100 days old used yesterday is old but not unused", func(e *aws.Evidence) {
			e.AccessKeys = []aws.AccessKey{{User: "ci", UserARN: "arn:aws:iam::111122223333:user/ci", ID: "AKIAAAAAAAAAAAAAAAAA", Active: true, Created: ago(100), LastUsed: ago(1)}}
		}, []string{"AWS-ACCT-007 arn:aws:iam::111122223333:user/ci"}},
		{"a 50-day-old key never used is unused but not old", func(e *aws.Evidence) {
			e.AccessKeys = []aws.AccessKey{{User: "ci", UserARN: "arn:aws:iam::111122223333:user/ci", ID: "AKIAAAAAAAAAAAAAAAAA", Active: true, Created: ago(50)}}
		}, []string{"AWS-ACCT-008 arn:aws:iam::111122223333:user/ci"}},
		{"an inactive old key is quiet", func(e *aws.Evidence) {
			e.AccessKeys = []aws.AccessKey{{User: "ci", UserARN: "arn:aws:iam::111122223333:user/ci", Active: false, Created: ago(400)}}
		}, nil},
		{"a role unused for 120 days, service-linked roles skipped", func(e *aws.Evidence) {
			e.Roles = []aws.Role{
				{Name: "old", ARN: "arn:aws:iam::111122223333:role/old", Path: "/", Created: ago(300), LastUsed: ago(120)},
				{Name: "fresh", ARN: "arn:aws:iam::111122223333:role/fresh", Path: "/", Created: ago(300), LastUsed: ago(3)},
				{Name: "AWSServiceRoleForSupport", ARN: "arn:aws:iam::111122223333:role/aws-service-role/x", Path: "/aws-service-role/", Created: ago(900)},
			}
		}, []string{"AWS-ACCT-009 arn:aws:iam::111122223333:role/old"}},
		{"a role allowed services it never accessed gets a least-privilege suggestion", func(e *aws.Evidence) {
			e.Roles = []aws.Role{{Name: "app", ARN: "arn:aws:iam::111122223333:role/app", Path: "/", Created: ago(10), LastUsed: ago(1),
				Services: []aws.ServiceAccess{{Namespace: "s3", LastAccessed: ago(1)}, {Namespace: "dynamodb"}}}}
		}, []string{"AWS-ACCT-010 arn:aws:iam::111122223333:role/app"}},
		{"a trail with S3 write data events only misses read events", func(e *aws.Evidence) {
			e.Trails[0].SelectorsRead, e.Trails[0].S3DataWrite = true, true
		}, []string{"AWS-ACCT-017 arn:aws:iam::111122223333:root"}},
		{"a trail recording no S3 data events", func(e *aws.Evidence) { e.Trails[0].SelectorsRead = true },
			[]string{"AWS-ACCT-016 arn:aws:iam::111122223333:root", "AWS-ACCT-017 arn:aws:iam::111122223333:root"}},
		{"S3 data events on a stopped trail do not count", func(e *aws.Evidence) {
			e.Trails[0].SelectorsRead, e.Trails[0].S3DataRead, e.Trails[0].S3DataWrite = true, true, true
			e.Trails = append(e.Trails, aws.Trail{ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/all", HomeRegion: "us-east-1", MultiRegion: true, SelectorsRead: true, S3DataRead: true, S3DataWrite: true})
			e.Trails[0].S3DataRead, e.Trails[0].S3DataWrite = false, false
		}, []string{"AWS-ACCT-016 arn:aws:iam::111122223333:root", "AWS-ACCT-017 arn:aws:iam::111122223333:root"}},
		{"S3 read and write data events on a logging trail are quiet", func(e *aws.Evidence) {
			e.Trails[0].SelectorsRead, e.Trails[0].S3DataRead, e.Trails[0].S3DataWrite = true, true, true
		}, nil},
		{"Security Hub off in one region", func(e *aws.Evidence) {
			e.SecurityHub = map[string]bool{"us-east-1": true, "eu-west-1": false}
			e.ServiceRegions = map[string][]string{"securityhub": {"eu-west-1", "us-east-1"}}
		}, []string{"AWS-ACCT-018 arn:aws:securityhub:eu-west-1:111122223333:"}},
		{"an expired server certificate, a valid one quiet", func(e *aws.Evidence) {
			e.ServerCertificates = []aws.ServerCertificate{
				{Name: "old", ARN: "arn:aws:iam::111122223333:server-certificate/old", Expiration: ago(3)},
				{Name: "new", ARN: "arn:aws:iam::111122223333:server-certificate/new", Expiration: ago(-300)},
			}
		}, []string{"AWS-ACCT-019 arn:aws:iam::111122223333:server-certificate/old"}},
		{"an instance in a public subnet", func(e *aws.Evidence) {
			e.Instances = []aws.Instance{{ID: "i-1", ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-1", State: "running", PublicSubnet: true}, {ID: "i-2", ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-2", State: "running"}}
		}, []string{"AWS-ACCT-011 arn:aws:ec2:us-east-1:111122223333:instance/i-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base()
			tt.ev(&ev)
			// The baseline summary (AWS-ACCT-022) of these per-region gaps
			// has its own test.
			got := slices.DeleteFunc(fired(&aws.Result{Accounts: []*aws.Account{account(ev, "eu-west-1", "us-east-1")}}), func(s string) bool { return strings.HasPrefix(s, "AWS-ACCT-022 ") })
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestOrgRules(t *testing.T) {
	deny := func(actions ...string) cloud.PolicyDocument {
		return cloud.PolicyDocument{Known: true, Statements: []cloud.Statement{{Effect: "Deny", Actions: actions, Resources: []string{"*"}}}}
	}
	org := func(scps []aws.SCP, admins map[string][]string) *aws.Organization {
		return &aws.Organization{ID: "o-abc", ManagementAccountID: "999988887777", SCPs: scps, DelegatedAdmins: admins}
	}
	secAdmins := map[string][]string{"guardduty.amazonaws.com": {"222233334444"}, "securityhub.amazonaws.com": {"222233334444"}, "access-analyzer.amazonaws.com": {"222233334444"}}
	orgTrail := aws.Evidence{Trails: []aws.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:999988887777:trail/org", Name: "org", HomeRegion: "us-east-1", MultiRegion: true, Organization: true, Logging: true, BucketName: "log-archive"}},
		GuardDuty: map[string]bool{"us-east-1": true}, AccessAnalyzers: map[string][]string{"us-east-1": {"ORGANIZATION"}}}
	tests := []struct {
		name    string
		org     *aws.Organization
		buckets []string
		want    []string
	}{
		{"guardrail SCP attached, security account, org trail to another account", org([]aws.SCP{{Targets: []string{"r-root"}, Document: deny("cloudtrail:Stop*", "cloudtrail:DeleteTrail", "guardduty:*", "organizations:LeaveOrganization")}}, secAdmins), nil, nil},
		{"an SCP that is not attached guards nothing", org([]aws.SCP{{Document: deny("*")}}, secAdmins), nil, []string{
			"AWS-ORG-001 arn:aws:organizations::999988887777:organization/o-abc",
			"AWS-ORG-001 arn:aws:organizations::999988887777:organization/o-abc",
			"AWS-ORG-001 arn:aws:organizations::999988887777:organization/o-abc",
			"AWS-ORG-001 arn:aws:organizations::999988887777:organization/o-abc"}},
		{"SCPs not read are not reported", org(nil, secAdmins), nil, nil},
		{"no delegated administrator for Security Hub", org([]aws.SCP{{Targets: []string{"r"}, Document: deny("*")}}, map[string][]string{"guardduty.amazonaws.com": {"222233334444"}, "access-analyzer.amazonaws.com": {"222233334444"}}), nil,
			[]string{"AWS-ORG-002 arn:aws:organizations::999988887777:organization/o-abc/securityhub.amazonaws.com"}},
		{"trail bucket in the trail's own account", org([]aws.SCP{{Targets: []string{"r"}, Document: deny("*")}}, secAdmins), []string{"log-archive"},
			[]string{"AWS-ORG-004 arn:aws:cloudtrail:us-east-1:999988887777:trail/org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := account(orgTrail, "us-east-1")
			acct.ID = "999988887777"
			for _, b := range tt.buckets {
				acct.State.S3Buckets = append(acct.State.S3Buckets, &cloud.S3Bucket{Name: cloud.Known(b, cloud.Source{})})
			}
			got := fired(&aws.Result{Org: tt.org, Accounts: []*aws.Account{acct}})
			var orgOnly []string
			for _, g := range got {
				if strings.HasPrefix(g, "AWS-ORG-") {
					orgOnly = append(orgOnly, g)
				}
			}
			if !slices.Equal(orgOnly, tt.want) {
				t.Errorf("got %q\nwant %q", orgOnly, tt.want)
			}
		})
	}
}

func TestActionMatches(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "cloudtrail:StopLogging", true},
		{"cloudtrail:*", "cloudtrail:StopLogging", true},
		{"CloudTrail:stop*", "cloudtrail:StopLogging", true},
		{"cloudtrail:Stop?ogging", "cloudtrail:StopLogging", true},
		{"cloudtrail:Delete*", "cloudtrail:StopLogging", false},
		{"guardduty:DeleteDetector", "guardduty:DeleteDetectors", false},
	}
	for _, tt := range tests {
		if got := actionMatches(tt.pattern, tt.action); got != tt.want {
			t.Errorf("actionMatches(%q, %q) = %t, want %t", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestPostureRulesRunOnLiveStateWithARNs(t *testing.T) {
	arn := "arn:aws:s3:::open-bucket"
	acct := account(aws.Evidence{}, "us-east-1")
	acct.State.S3Buckets = []*cloud.S3Bucket{{
		Meta: cloud.Meta{Type: "aws_s3_bucket", Address: arn, Src: cloud.Source{ARN: arn}, Tags: cloud.Tags{"owner": "web"}, TagsKnown: true},
		Name: cloud.Known("open-bucket", cloud.Source{ARN: arn}), ACLGrantsPublic: cloud.Known(true, cloud.Source{ARN: arn}),
	}}
	fs, _ := Run(&aws.Result{Accounts: []*aws.Account{acct}}, DefaultConfig(now))
	var s3001 *finding.Finding
	for i := range fs {
		if fs[i].RuleID == "AWS-S3-001" {
			s3001 = &fs[i]
		}
	}
	if s3001 == nil {
		t.Fatal("AWS-S3-001 did not fire on a live bucket without a public access block")
	}
	if s3001.Resource != arn || s3001.Category != finding.Posture || s3001.Scanner != Scanner || s3001.Fingerprint == "" {
		t.Errorf("finding %+v: want resource %s, category posture, scanner aws, a fingerprint", s3001, arn)
	}
}

func TestSupportRoleInstanceRoleAndCIFSRules(t *testing.T) {
	src := cloud.Source{ARN: "x"}
	acct := account(aws.Evidence{IAMRead: true, GuardDuty: map[string]bool{"us-east-1": true}, AccessAnalyzers: map[string][]string{"us-east-1": {"ACCOUNT"}},
		Trails: []aws.Trail{{HomeRegion: "us-east-1", MultiRegion: true, Logging: true}}}, "us-east-1")
	acct.State.EC2Instances = []*cloud.EC2Instance{
		{Meta: cloud.Meta{Address: "arn:aws:ec2:us-east-1:111122223333:instance/i-1"}, IAMProfile: cloud.Known("", src)},
		{Meta: cloud.Meta{Address: "arn:aws:ec2:us-east-1:111122223333:instance/i-2"}, IAMProfile: cloud.Known("arn:aws:iam::111122223333:instance-profile/app", src)},
	}
	acct.State.SecurityGroups = []*cloud.SecurityGroup{{Meta: cloud.Meta{Address: "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"}, Rules: []cloud.SGRule{
		{Protocol: cloud.Known("tcp", src), FromPort: cloud.Known(int64(445), src), ToPort: cloud.Known(int64(445), src), CIDRs: cloud.StringList{Vals: []string{"0.0.0.0/0"}}},
	}}}
	want := []string{
		"AWS-ACCT-012 arn:aws:iam::111122223333:root", // instances hold data and no backup plan exists
		"AWS-ACCT-013 arn:aws:iam::111122223333:root",
		"AWS-ACCT-014 arn:aws:ec2:us-east-1:111122223333:instance/i-1",
		"AWS-ACCT-015 arn:aws:ec2:us-east-1:111122223333:security-group/sg-1",
	}
	if got := fired(&aws.Result{Accounts: []*aws.Account{acct}}); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	acct.Evidence.Roles = []aws.Role{{Name: "support", ARN: "arn:aws:iam::111122223333:role/support", Path: "/", Created: ago(1), AttachedPolicies: []string{"arn:aws:iam::aws:policy/AWSSupportAccess"}}}
	if got := fired(&aws.Result{Accounts: []*aws.Account{acct}}); slices.Contains(got, want[1]) {
		t.Errorf("a support role exists and AWS-ACCT-013 still fired: %q", got)
	}
}

func TestConfigIdentityCenterBaselineAndManagementAccountRules(t *testing.T) {
	regions := []string{"eu-west-1", "us-east-1"}
	hardened := func() *aws.Account {
		a := account(aws.Evidence{
			ServiceRegions: map[string][]string{"cloudtrail": regions, "guardduty": regions, "accessanalyzer": regions, "securityhub": regions, "config": regions, "ec2": regions, "sso-admin": {"us-east-1"}},
			GuardDuty:      map[string]bool{"eu-west-1": true, "us-east-1": true}, SecurityHub: map[string]bool{"eu-west-1": true, "us-east-1": true},
			ConfigRecording: map[string]bool{"eu-west-1": true, "us-east-1": true}, AccessAnalyzers: map[string][]string{"eu-west-1": {"ACCOUNT"}, "us-east-1": {"ACCOUNT"}},
			Trails:         []aws.Trail{{ARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", HomeRegion: "us-east-1", MultiRegion: true, Logging: true}},
			IdentityCenter: []string{"arn:aws:sso:::instance/ssoins-1"}, AccountBPARead: true,
			CredentialReport: []aws.CredentialRow{{User: "alice", ARN: "arn:aws:iam::111122223333:user/alice", PasswordEnabled: true, MFAActive: true, PasswordLastUsed: ago(1)}},
		}, regions...)
		on := cloud.Known(true, cloud.Source{})
		a.State.Accounts = []*cloud.Account{{PublicAccessBlock: &cloud.PublicAccessBlock{BlockPublicAcls: on, BlockPublicPolicy: on, IgnorePublicAcls: on, RestrictPublicBuckets: on}}}
		for _, r := range regions {
			a.State.Accounts = append(a.State.Accounts, &cloud.Account{Meta: cloud.Meta{Type: "aws_ebs_encryption_by_default", Address: "arn:aws:ec2:" + r + ":111122223333:ebs-encryption-by-default"}, EBSEncryptionByDefault: on})
		}
		return a
	}
	tests := []struct {
		name   string
		change func(*aws.Account)
		want   []string
	}{
		{"a hardened account is quiet", func(*aws.Account) {}, nil},
		{"Config not recording in one region is reported and listed in the baseline", func(a *aws.Account) { a.Evidence.ConfigRecording["eu-west-1"] = false },
			[]string{"AWS-ACCT-020 arn:aws:config:eu-west-1:111122223333:", "AWS-ACCT-022 arn:aws:iam::111122223333:root/baseline"}},
		{"console users and no Identity Center instance", func(a *aws.Account) { a.Evidence.IdentityCenter = nil },
			[]string{"AWS-ACCT-021 arn:aws:iam::111122223333:root"}},
		{"no Identity Center instance but no console users is quiet", func(a *aws.Account) {
			a.Evidence.IdentityCenter = nil
			a.Evidence.CredentialReport[0].PasswordEnabled = false
		}, nil},
		{"Identity Center not read is not judged", func(a *aws.Account) {
			a.Evidence.IdentityCenter = nil
			delete(a.Evidence.ServiceRegions, "sso-admin")
		}, nil},
		{"EBS default encryption off and account BPA off are one baseline finding", func(a *aws.Account) {
			a.State.Accounts[1].EBSEncryptionByDefault = cloud.Known(false, cloud.Source{})
			a.State.Accounts[0].PublicAccessBlock = nil
		}, []string{"AWS-ACCT-022 arn:aws:iam::111122223333:root/baseline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := hardened()
			tt.change(a)
			got := fired(&aws.Result{Accounts: []*aws.Account{a}})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("the baseline finding lists every missing control with its regions", func(t *testing.T) {
		a := hardened()
		a.Evidence.GuardDuty = nil
		a.State.Accounts[2].EBSEncryptionByDefault = cloud.Known(false, cloud.Source{})
		fs, _ := Run(&aws.Result{Accounts: []*aws.Account{a}}, DefaultConfig(now))
		for _, f := range fs {
			if f.RuleID == "AWS-ACCT-022" {
				if want := "the account baseline is missing: GuardDuty (eu-west-1, us-east-1); EBS encryption by default (us-east-1)"; f.Message != want {
					t.Errorf("message %q, want %q", f.Message, want)
				}
				return
			}
		}
		t.Error("AWS-ACCT-022 not reported")
	})

	t.Run("a member account does not see the organization's Identity Center", func(t *testing.T) {
		mgmt := hardened()
		member := hardened()
		member.ID = "444455556666"
		member.Evidence.IdentityCenter = nil
		org := &aws.Organization{ID: "o-1", ManagementAccountID: mgmt.ID}
		if got := fired(&aws.Result{Org: org, Accounts: []*aws.Account{mgmt, member}}); slices.Contains(got, "AWS-ACCT-021 arn:aws:iam::444455556666:root") {
			t.Errorf("AWS-ACCT-021 fired in a member account of an organization that uses Identity Center: %q", got)
		}
		mgmt.Evidence.IdentityCenter = nil
		if got := fired(&aws.Result{Org: org, Accounts: []*aws.Account{mgmt, member}}); !slices.Contains(got, "AWS-ACCT-021 arn:aws:iam::444455556666:root") {
			t.Errorf("AWS-ACCT-021 not reported when no account of the organization has Identity Center: %q", got)
		}
	})

	t.Run("workloads in the management account", func(t *testing.T) {
		mgmt := hardened()
		mgmt.State.EC2Instances = []*cloud.EC2Instance{{}}
		mgmt.State.LambdaFunctions = []*cloud.LambdaFunction{{}, {}}
		member := hardened()
		member.ID = "444455556666"
		member.State.EC2Instances = []*cloud.EC2Instance{{}}
		res := &aws.Result{Org: &aws.Organization{ID: "o-1", ManagementAccountID: "111122223333"}, Accounts: []*aws.Account{mgmt, member}}
		fs, _ := Run(res, DefaultConfig(now))
		var got []string
		for _, f := range fs {
			if f.RuleID == "AWS-ORG-005" {
				got = append(got, f.Resource+" "+f.Message)
			}
		}
		want := []string{"arn:aws:iam::111122223333:root/workloads the management account 111122223333 runs 1 EC2 instances, 2 Lambda functions"}
		if !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
