package detect

import (
	"encoding/json"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/finding"
)

// Checklist steps the built-ins serve.
const (
	stepDetect  = "AWS: Detect and alert on high-risk CloudTrail activity"
	stepGuard   = "AWS: Turn on GuardDuty and route findings to alerts"
	stepRoot    = "AWS: Lock away the root user"
	stepIaC     = "AWS: All changes through infrastructure as code"
	stepLogging = "AWS: Keep CloudTrail, Config and flow logs on in every account"
	stepMFA     = "AWS: Require MFA for console access"
	stepPublic  = "AWS: Turn on S3 Block Public Access"
	stepNetwork = "AWS: No security group open to the internet"
	stepIAM     = "AWS: Least-privilege IAM, no long-lived keys"
)

func is(ev *event.Event, names ...string) bool {
	for _, n := range names {
		if ev.Name == n {
			return true
		}
	}
	return false
}

func from(ev *event.Event, source string) bool { return ev.Source == source }

func req(ev *event.Event, p string) event.Value { return ev.Field("requestParameters." + p) }

func human(ev *event.Event) bool { return !ev.IsAWSService() && ev.EventType != "AwsServiceEvent" }

func ok(ev *event.Event) bool { return ev.ErrorCode == "" }

// notService excludes calls made by an AWS service for itself, but keeps a
// person's calls made through a service (CloudFormation acting for a user).
func notService(ev *event.Event) bool { return ev.User.Type != "AWSService" }

// anyLeaf reports whether any string or number leaf of v satisfies p.
func anyLeaf(v event.Value, p func(string) bool) bool {
	switch v.Kind {
	case event.String, event.Number, event.Bool:
		return p(v.Str())
	case event.Array:
		found := false
		v.Each(func(el event.Value) bool { found = anyLeaf(el, p); return !found })
		return found
	case event.Object:
		found := false
		v.Members(func(_ string, el event.Value) bool { found = anyLeaf(el, p); return !found })
		return found
	}
	return false
}

// nonEmpty reports whether v is an array with at least one element.
func nonEmpty(v event.Value) bool {
	n := 0
	v.Each(func(event.Value) bool { n++; return false })
	return n > 0
}

// worldCIDR reports whether s is a CIDR covering every address (/0).
func worldCIDR(s string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	return err == nil && p.Bits() == 0
}

// callerName is the IAM user name, or the role name behind a session.
func callerName(ev *event.Event) string {
	if ev.User.Type == "AssumedRole" {
		return ev.User.SessionIssuerUserName
	}
	return ev.User.UserName
}

func byPrincipal(ev *event.Event) string { return ev.Account() + "|" + ev.Principal() }

// policyAllowsEveryone reports whether a resource policy (a JSON object, or
// a string holding one) has an Allow statement for Principal "*" with no
// Condition.
func policyAllowsEveryone(v event.Value) bool {
	text := v.Raw
	if v.Kind == event.String {
		text = v.Str()
	}
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(text), &doc) != nil {
		return false
	}
	type stmt struct {
		Effect    string
		Principal any
		Condition map[string]any
	}
	var stmts []stmt
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one stmt
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []stmt{one}
	}
	for _, s := range stmts {
		if s.Effect != "Allow" || len(s.Condition) > 0 {
			continue
		}
		switch p := s.Principal.(type) {
		case string:
			if p == "*" {
				return true
			}
		case map[string]any:
			if aws, ok := p["AWS"]; ok {
				if aws == "*" {
					return true
				}
				if list, ok := aws.([]any); ok {
					for _, a := range list {
						if a == "*" {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// Builtins returns the built-in detections, in a fixed order.
func Builtins(cfg BuiltinConfig) []Detection {
	if cfg.AccessDeniedThreshold <= 0 {
		cfg.AccessDeniedThreshold = 5
	}
	if cfg.AccessDeniedWindow <= 0 {
		cfg.AccessDeniedWindow = 10 * time.Minute
	}
	if len(cfg.UnusualInstanceTypes) == 0 {
		cfg.UnusualInstanceTypes = []string{"p2.", "p3.", "p3dn.", "p4d.", "p4de.", "p5.", "p5e.", "g3.", "g3s.", "g4dn.", "g4ad.", "g5.", "g5g.", "g6.", "g6e.", "gr6.", "inf1.", "inf2.", "trn1.", "trn1n.", "trn2.", "dl1.", "dl2q.", "f1.", "f2.", "vt1.", "x1.", "x1e.", "x2idn.", "x2iedn.", "u-"}
	}
	ds := []Detection{
		guardDutyFinding(),
		accessDeniedBurst(cfg),
		rootUsage(),
		cloudTrailTampering(),
		guardDutyTampering(),
		configTampering(),
		flowLogDeletion(),
		dnsLogDeletion(),
		organizationLeave(),
		iamCreateUser(),
		iamCreateAccessKey(),
		iamLoginProfile(),
		iamSelfPolicy(),
		iamPolicyVersionDefault(),
		iamAdminPolicyAttached(),
		iamPassRoleToCompute(),
		iamTrustPolicyChanged(),
		s3BucketMadePublic(),
		s3PublicAccessBlockRemoved(),
		securityGroupOpenToWorld(),
		consoleLoginWithoutMFA(),
		ec2PasswordData(),
		ec2UserDataRead(),
		ec2UserDataModified(),
		ec2UnusualInstanceType(cfg),
		ec2RemoteAccessKey(),
		ssmRemoteCommand(),
		ssmDecryptedParameters(),
		secretsBatchRetrieve(),
		secretsMassRetrieve(),
		resourceShared(),
		lambdaPublicPermission(),
		lambdaCodeOrLayerChanged(),
		rolesAnywhereTrustAnchor(),
		stsFederationToken(),
		bedrockModelAccess(),
	}
	if len(cfg.PipelineRoles) > 0 {
		ds = append(ds, outsidePipeline(cfg.PipelineRoles))
	}
	return ds
}

const (
	tm       = `"eventTime":"2024-05-01T10:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.7","eventType":"AwsApiCall"`
	userBob  = `"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob","principalId":"AIDABOB"}`
	roleCI   = `"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ci-deploy/run-1","accountId":"111122223333","principalId":"AROACI:run-1","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/ci-deploy","userName":"ci-deploy"},"attributes":{"mfaAuthenticated":"false"}}}`
	rootUser = `"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","principalId":"111122223333"}`
	service  = `"userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`
)

// ct builds an example CloudTrail event.
func ct(id, source, name, who, extra string) string {
	s := `{"eventID":"` + id + `",` + tm + `,"eventSource":"` + source + `","eventName":"` + name + `",` + who
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func repeat(n int, f func(i int) string) string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, f(i))
	}
	return strings.Join(out, "\n")
}

func idn(prefix string, i int) string {
	return prefix + string(rune('a'+i%26)) + string(rune('a'+i/26))
}

func guardDutyFinding() Detection {
	finding1 := `{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","id":"gd1","type":"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS","title":"Credentials used outside AWS","severity":8,"updatedAt":"2024-05-01T10:00:00Z","service":{"serviceName":"guardduty"}}`
	return Detection{
		ID: "PAL-CT-001", Title: "GuardDuty finding", Severity: finding.High,
		Attack: []string{"T1078.004"}, Checklist: stepGuard,
		Remediation: "Open the GuardDuty finding in the console of its account and region, follow its type's remediation guide, and isolate or rotate the credentials or instance it names.",
		Match:       func(ev *event.Event) bool { return ev.Type == event.GuardDutyFinding },
		Positive: []string{finding1,
			`{"version":"0","id":"e","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","region":"us-east-1","detail":` + strings.Replace(finding1, `"gd1"`, `"gd2"`, 1) + `}`},
		Negative: []string{ct("n1", "guardduty.amazonaws.com", "ListFindings", userBob, "")},
	}
}

func accessDeniedBurst(cfg BuiltinConfig) Detection {
	denied := func(i int, who string) string {
		return ct(idn("d", i), "s3.amazonaws.com", "GetObject", who, `"errorCode":"AccessDenied"`)
	}
	return Detection{
		ID: "PAL-CT-002", Title: "Burst of AccessDenied errors from one principal", Severity: finding.Medium,
		Attack: []string{"T1580", "T1526"}, Checklist: stepDetect,
		Remediation: "Find out why the principal probes permissions it lacks: an outdated policy in a pipeline, or stolen credentials enumerating the account. If nobody owns the calls, revoke the principal's sessions and rotate its keys.",
		Match: func(ev *event.Event) bool {
			if !human(ev) {
				return false
			}
			switch ev.ErrorCode {
			case "AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation":
				return true
			}
			return false
		},
		Burst:    &Burst{Key: byPrincipal, Threshold: cfg.AccessDeniedThreshold, Window: cfg.AccessDeniedWindow},
		Positive: []string{repeat(cfg.AccessDeniedThreshold, func(i int) string { return denied(i, userBob) })},
		Negative: []string{
			repeat(cfg.AccessDeniedThreshold-1, func(i int) string { return denied(i, userBob) }),
			repeat(cfg.AccessDeniedThreshold+5, func(i int) string { return denied(i, service) }),
			repeat(cfg.AccessDeniedThreshold+5, func(i int) string {
				return denied(i, `"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/x/y","invokedBy":"delivery.logs.amazonaws.com"}`)
			}),
		},
	}
}

func rootUsage() Detection {
	return Detection{
		ID: "PAL-CT-003", Title: "Root user activity", Severity: finding.High,
		Attack: []string{"T1078.004"}, Checklist: stepRoot,
		Remediation: "Confirm with the root credential's keeper that the use was planned. If not, reset the root password, replace its MFA device, delete any root access key, and review what the root user changed.",
		Match: func(ev *event.Event) bool {
			return ev.User.Type == "Root" && human(ev) && ev.User.InvokedBy == ""
		},
		Positive: []string{ct("p1", "iam.amazonaws.com", "ListUsers", rootUser, "")},
		Negative: []string{
			ct("n1", "iam.amazonaws.com", "ListUsers", userBob, ""),
			ct("n2", "s3.amazonaws.com", "PutObject", `"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","invokedBy":"cloudtrail.amazonaws.com"}`, ""),
		},
	}
}

// selectorsReduce reports event selectors that drop management events or
// record only reads or only writes.
func selectorsReduce(v event.Value) bool {
	reduced := false
	v.Each(func(sel event.Value) bool {
		rw := sel.Get("readWriteType").Str()
		reduced = sel.Get("includeManagementEvents").Raw == "false" || (rw != "" && rw != "All") ||
			nonEmpty(sel.Get("excludeManagementEventSources"))
		return !reduced
	})
	return reduced
}

func cloudTrailTampering() Detection {
	return Detection{
		ID: "PAL-CT-004", Title: "CloudTrail logging stopped, deleted or reduced", Severity: finding.High,
		Attack: []string{"T1562.008"}, Checklist: stepLogging,
		Remediation: "Turn the trail back on (StartLogging), restore deleted trails and event selectors from IaC, and find what the principal did while logging was off (GuardDuty, S3 access logs, other trails).",
		Match: func(ev *event.Event) bool {
			if !from(ev, "cloudtrail.amazonaws.com") || !human(ev) {
				return false
			}
			switch ev.Name {
			case "StopLogging", "DeleteTrail":
				return true
			case "PutEventSelectors":
				return selectorsReduce(req(ev, "eventSelectors"))
			case "PutAdvancedEventSelectors":
				return !strings.Contains(req(ev, "advancedEventSelectors").Raw, "Management")
			case "UpdateTrail":
				for _, f := range []string{"isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation"} {
					if req(ev, f).Raw == "false" {
						return true
					}
				}
				return req(ev, "s3BucketName").Kind != event.Missing
			}
			return false
		},
		Positive: []string{
			ct("p1", "cloudtrail.amazonaws.com", "StopLogging", userBob, `"requestParameters":{"name":"main"}`),
			ct("p2", "cloudtrail.amazonaws.com", "DeleteTrail", userBob, `"requestParameters":{"name":"main"}`),
			ct("p3", "cloudtrail.amazonaws.com", "UpdateTrail", userBob, `"requestParameters":{"name":"main","isMultiRegionTrail":false}`),
			ct("p4", "cloudtrail.amazonaws.com", "PutEventSelectors", userBob, `"requestParameters":{"trailName":"main","eventSelectors":[{"includeManagementEvents":false}]}`),
		},
		Negative: []string{
			ct("n1", "cloudtrail.amazonaws.com", "StartLogging", userBob, ""),
			ct("n2", "cloudtrail.amazonaws.com", "UpdateTrail", userBob, `"requestParameters":{"name":"main","isMultiRegionTrail":true}`),
			ct("n3", "cloudtrail.amazonaws.com", "DescribeTrails", userBob, ""),
			ct("n4", "cloudtrail.amazonaws.com", "PutEventSelectors", userBob, `"requestParameters":{"trailName":"main","eventSelectors":[{"includeManagementEvents":true,"readWriteType":"All"}]}`),
		},
	}
}

func guardDutyTampering() Detection {
	return Detection{
		ID: "PAL-CT-005", Title: "GuardDuty detector deleted, disabled or detached", Severity: finding.High,
		Attack: []string{"T1562.001"}, Checklist: stepGuard,
		Remediation: "Re-enable the detector and its member accounts from the delegated administrator, restore its settings from IaC, and review the principal's other activity.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "guardduty.amazonaws.com") || !human(ev) {
				return false
			}
			switch ev.Name {
			case "DeleteDetector", "DisassociateFromMasterAccount", "DisassociateFromAdministratorAccount", "DeleteMembers", "DisassociateMembers":
				return true
			case "UpdateDetector":
				return req(ev, "enable").Raw == "false"
			}
			return false
		},
		Positive: []string{
			ct("p1", "guardduty.amazonaws.com", "DeleteDetector", userBob, `"requestParameters":{"detectorId":"d"}`),
			ct("p2", "guardduty.amazonaws.com", "UpdateDetector", userBob, `"requestParameters":{"detectorId":"d","enable":false}`),
			ct("p3", "guardduty.amazonaws.com", "DisassociateFromMasterAccount", userBob, ""),
		},
		Negative: []string{ct("n1", "guardduty.amazonaws.com", "UpdateDetector", userBob, `"requestParameters":{"detectorId":"d","enable":true}`)},
	}
}

func configTampering() Detection {
	return Detection{
		ID: "PAL-CT-006", Title: "AWS Config recording stopped or rules deleted", Severity: finding.High,
		Attack: []string{"T1562.001"}, Checklist: stepLogging,
		Remediation: "Restart the configuration recorder, restore deleted rules and delivery channels from IaC, and review the principal's other activity.",
		Match: func(ev *event.Event) bool {
			return from(ev, "config.amazonaws.com") && human(ev) &&
				is(ev, "StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteConfigRule", "DeleteDeliveryChannel", "DeleteConformancePack")
		},
		Positive: []string{
			ct("p1", "config.amazonaws.com", "StopConfigurationRecorder", userBob, ""),
			ct("p2", "config.amazonaws.com", "DeleteConfigRule", userBob, ""),
		},
		Negative: []string{ct("n1", "config.amazonaws.com", "StartConfigurationRecorder", userBob, "")},
	}
}

func flowLogDeletion() Detection {
	return Detection{
		ID: "PAL-CT-007", Title: "VPC flow logs deleted", Severity: finding.High,
		Attack: []string{"T1562.008"}, Checklist: stepLogging,
		Remediation: "Recreate the flow logs from IaC and review what the principal did in the VPC while they were missing.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ec2.amazonaws.com") && is(ev, "DeleteFlowLogs") && human(ev)
		},
		Positive: []string{ct("p1", "ec2.amazonaws.com", "DeleteFlowLogs", userBob, "")},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "CreateFlowLogs", userBob, "")},
	}
}

func dnsLogDeletion() Detection {
	return Detection{
		ID: "PAL-CT-008", Title: "Route 53 Resolver query logging removed", Severity: finding.Medium,
		Attack: []string{"T1562.008"}, Checklist: stepLogging,
		Remediation: "Re-associate the Resolver query logging configuration from IaC and review the principal's other activity.",
		Match: func(ev *event.Event) bool {
			return from(ev, "route53resolver.amazonaws.com") && human(ev) &&
				is(ev, "DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig")
		},
		Positive: []string{ct("p1", "route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig", userBob, "")},
		Negative: []string{ct("n1", "route53resolver.amazonaws.com", "CreateResolverQueryLogConfig", userBob, "")},
	}
}

func organizationLeave() Detection {
	return Detection{
		ID: "PAL-CT-009", Title: "Account tried to leave the AWS Organization", Severity: finding.High,
		Attack: []string{"T1666"}, Checklist: stepLogging,
		Remediation: "Confirm with the Organization's owners that the account was meant to leave. If not, deny organizations:LeaveOrganization with an SCP and treat the principal as compromised.",
		Match: func(ev *event.Event) bool {
			return from(ev, "organizations.amazonaws.com") && is(ev, "LeaveOrganization") && human(ev)
		},
		Positive: []string{ct("p1", "organizations.amazonaws.com", "LeaveOrganization", roleCI, `"errorCode":"AccessDenied"`)},
		Negative: []string{ct("n1", "organizations.amazonaws.com", "DescribeOrganization", roleCI, "")},
	}
}

func iamCreateUser() Detection {
	return Detection{
		ID: "PAL-CT-010", Title: "IAM user created", Severity: finding.Medium,
		Attack: []string{"T1136.003"}, Checklist: stepIAM,
		Remediation: "Confirm who needed the IAM user. Prefer SSO or roles; delete unexpected users with their keys, passwords and policies.",
		Match: func(ev *event.Event) bool {
			return from(ev, "iam.amazonaws.com") && is(ev, "CreateUser") && ok(ev) && notService(ev)
		},
		Positive: []string{ct("p1", "iam.amazonaws.com", "CreateUser", userBob, `"requestParameters":{"userName":"eve"}`)},
		Negative: []string{ct("n1", "iam.amazonaws.com", "CreateUser", userBob, `"errorCode":"AccessDenied"`)},
	}
}

func iamCreateAccessKey() Detection {
	return Detection{
		ID: "PAL-CT-011", Title: "IAM access key created", Severity: finding.Medium,
		Attack: []string{"T1098.001"}, Checklist: stepIAM,
		Remediation: "Confirm the key was requested by its owner. Deactivate and delete unexpected keys; prefer roles, which need no long-lived keys.",
		Match: func(ev *event.Event) bool {
			return from(ev, "iam.amazonaws.com") && is(ev, "CreateAccessKey") && ok(ev) && notService(ev)
		},
		Positive: []string{
			ct("p1", "iam.amazonaws.com", "CreateAccessKey", userBob, `"requestParameters":{"userName":"eve"}`),
			ct("p2", "iam.amazonaws.com", "CreateAccessKey", userBob, `"requestParameters":{}`),
		},
		Negative: []string{ct("n1", "iam.amazonaws.com", "ListAccessKeys", userBob, "")},
	}
}

func iamLoginProfile() Detection {
	return Detection{
		ID: "PAL-CT-012", Title: "Console password set for an IAM user", Severity: finding.Medium,
		Attack: []string{"T1098.001"}, Checklist: stepIAM,
		Remediation: "Confirm the console password was requested. Delete unexpected login profiles and give people access through SSO.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "iam.amazonaws.com") || !ok(ev) || !notService(ev) {
				return false
			}
			switch ev.Name {
			case "CreateLoginProfile":
				return true
			case "UpdateLoginProfile":
				// Changing one's own password is routine; someone else's is takeover.
				target := req(ev, "userName").Str()
				return target != "" && target != ev.User.UserName
			}
			return false
		},
		Positive: []string{
			ct("p1", "iam.amazonaws.com", "CreateLoginProfile", userBob, `"requestParameters":{"userName":"eve"}`),
			ct("p2", "iam.amazonaws.com", "UpdateLoginProfile", userBob, `"requestParameters":{"userName":"eve"}`),
		},
		Negative: []string{ct("n1", "iam.amazonaws.com", "UpdateLoginProfile", userBob, `"requestParameters":{"userName":"bob"}`)},
	}
}

func iamSelfPolicy() Detection {
	return Detection{
		ID: "PAL-CT-013", Title: "Principal granted itself a policy", Severity: finding.High,
		Attack: []string{"T1098.003", "T1548"}, Checklist: stepIAM,
		Remediation: "Detach the policy the principal granted itself, revoke its sessions, and review every action it took with the new permissions.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "iam.amazonaws.com") || !ok(ev) || !human(ev) {
				return false
			}
			me := callerName(ev)
			if me == "" {
				return false
			}
			switch ev.Name {
			case "PutUserPolicy", "AttachUserPolicy", "AddUserToGroup":
				return ev.User.Type == "IAMUser" && req(ev, "userName").Str() == me
			case "PutRolePolicy", "AttachRolePolicy":
				return ev.User.Type == "AssumedRole" && req(ev, "roleName").Str() == me
			}
			return false
		},
		Positive: []string{
			ct("p1", "iam.amazonaws.com", "PutUserPolicy", userBob, `"requestParameters":{"userName":"bob","policyName":"p"}`),
			ct("p2", "iam.amazonaws.com", "AttachRolePolicy", roleCI, `"requestParameters":{"roleName":"ci-deploy","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`),
		},
		Negative: []string{
			ct("n1", "iam.amazonaws.com", "PutUserPolicy", userBob, `"requestParameters":{"userName":"eve","policyName":"p"}`),
			ct("n2", "iam.amazonaws.com", "PutUserPolicy", userBob, `"requestParameters":{"userName":"bob"},"errorCode":"AccessDenied"`),
		},
	}
}

func iamPolicyVersionDefault() Detection {
	return Detection{
		ID: "PAL-CT-014", Title: "IAM policy version created and set as default", Severity: finding.High,
		Attack: []string{"T1098.003", "T1548"}, Checklist: stepIAM,
		Remediation: "Set the previous policy version as default again, delete the new version, and review who can call iam:CreatePolicyVersion.",
		Match: func(ev *event.Event) bool {
			return from(ev, "iam.amazonaws.com") && is(ev, "CreatePolicyVersion") && ok(ev) && human(ev) &&
				req(ev, "setAsDefault").Raw == "true"
		},
		Positive: []string{ct("p1", "iam.amazonaws.com", "CreatePolicyVersion", userBob, `"requestParameters":{"policyArn":"arn:aws:iam::1:policy/p","setAsDefault":true}`)},
		Negative: []string{ct("n1", "iam.amazonaws.com", "CreatePolicyVersion", userBob, `"requestParameters":{"policyArn":"arn:aws:iam::1:policy/p","setAsDefault":false}`)},
	}
}

func iamAdminPolicyAttached() Detection {
	return Detection{
		ID: "PAL-CT-015", Title: "Administrator policy attached", Severity: finding.High,
		Attack: []string{"T1098.003"}, Checklist: stepIAM,
		Remediation: "Detach the administrator policy unless a reviewed change asked for it, and review what the principal did with it.",
		Match: func(ev *event.Event) bool {
			return from(ev, "iam.amazonaws.com") && is(ev, "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy") && ok(ev) && human(ev) &&
				strings.HasSuffix(req(ev, "policyArn").Str(), ":policy/AdministratorAccess")
		},
		Positive: []string{ct("p1", "iam.amazonaws.com", "AttachUserPolicy", userBob, `"requestParameters":{"userName":"eve","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`)},
		Negative: []string{ct("n1", "iam.amazonaws.com", "AttachUserPolicy", userBob, `"requestParameters":{"userName":"eve","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`)},
	}
}

func iamPassRoleToCompute() Detection {
	return Detection{
		ID: "PAL-CT-016", Title: "Role passed to new or changed compute (PassRole chain)", Severity: finding.Low,
		Attack: []string{"T1548", "T1098.003"}, Checklist: stepIAM,
		Remediation: "Check that the role passed to the new compute is the one the workload needs and that the caller was meant to pass it; narrow iam:PassRole to specific roles.",
		Match: func(ev *event.Event) bool {
			if !ok(ev) || !human(ev) {
				return false
			}
			switch {
			case from(ev, "lambda.amazonaws.com") && (strings.HasPrefix(ev.Name, "CreateFunction") || strings.HasPrefix(ev.Name, "UpdateFunctionConfiguration")):
				return req(ev, "role").Kind == event.String
			case from(ev, "ec2.amazonaws.com") && is(ev, "AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"):
				return true
			case from(ev, "ec2.amazonaws.com") && is(ev, "RunInstances"):
				return req(ev, "iamInstanceProfile").Kind == event.Object
			case from(ev, "cloudformation.amazonaws.com") && is(ev, "CreateStack", "UpdateStack"):
				return req(ev, "roleARN").Kind == event.String
			case from(ev, "glue.amazonaws.com") && is(ev, "CreateDevEndpoint", "CreateJob", "UpdateDevEndpoint"):
				return true
			case from(ev, "sagemaker.amazonaws.com") && is(ev, "CreateNotebookInstance", "CreateTrainingJob", "CreateProcessingJob"):
				return true
			}
			return false
		},
		Positive: []string{
			ct("p1", "lambda.amazonaws.com", "CreateFunction20150331", userBob, `"requestParameters":{"functionName":"f","role":"arn:aws:iam::1:role/admin"}`),
			ct("p2", "ec2.amazonaws.com", "RunInstances", userBob, `"requestParameters":{"instanceType":"t3.micro","iamInstanceProfile":{"arn":"arn:aws:iam::1:instance-profile/admin"}}`),
		},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "RunInstances", userBob, `"requestParameters":{"instanceType":"t3.micro"}`)},
	}
}

func iamTrustPolicyChanged() Detection {
	return Detection{
		ID: "PAL-CT-017", Title: "Role trust policy changed", Severity: finding.Medium,
		Attack: []string{"T1098.003"}, Checklist: stepIAM,
		Remediation: "Compare the new trust policy with the one in IaC; remove unknown principals or accounts and revoke sessions they opened.",
		Match: func(ev *event.Event) bool {
			return from(ev, "iam.amazonaws.com") && is(ev, "UpdateAssumeRolePolicy") && ok(ev) && human(ev)
		},
		Positive: []string{ct("p1", "iam.amazonaws.com", "UpdateAssumeRolePolicy", userBob, `"requestParameters":{"roleName":"r","policyDocument":"{}"}`)},
		Negative: []string{ct("n1", "iam.amazonaws.com", "GetRole", userBob, `"requestParameters":{"roleName":"r"}`)},
	}
}

func s3BucketMadePublic() Detection {
	publicACL := func(s string) bool {
		switch strings.ToLower(s) {
		case "public-read", "public-read-write", "authenticated-read",
			"http://acs.amazonaws.com/groups/global/allusers", "http://acs.amazonaws.com/groups/global/authenticatedusers":
			return true
		}
		return strings.Contains(s, "acs.amazonaws.com/groups/global/AllUsers") || strings.Contains(s, "acs.amazonaws.com/groups/global/AuthenticatedUsers")
	}
	return Detection{
		ID: "PAL-CT-018", Title: "S3 bucket policy or ACL made public", Severity: finding.High,
		Attack: []string{"T1530", "T1537"}, Checklist: stepPublic,
		Remediation: "Restore the bucket policy and ACL from IaC, turn on S3 Block Public Access, and check the bucket's access logs for reads while it was public.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "s3.amazonaws.com") || !ok(ev) || !human(ev) {
				return false
			}
			switch ev.Name {
			case "PutBucketPolicy":
				return policyAllowsEveryone(req(ev, "bucketPolicy"))
			case "PutBucketAcl", "PutObjectAcl":
				return anyLeaf(ev.Field("requestParameters"), publicACL)
			}
			return false
		},
		Positive: []string{
			ct("p1", "s3.amazonaws.com", "PutBucketPolicy", userBob, `"requestParameters":{"bucketName":"b","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}}`),
			ct("p2", "s3.amazonaws.com", "PutBucketAcl", userBob, `"requestParameters":{"bucketName":"b","x-amz-acl":["public-read"]}`),
			ct("p3", "s3.amazonaws.com", "PutBucketAcl", userBob, `"requestParameters":{"bucketName":"b","AccessControlPolicy":{"AccessControlList":{"Grant":[{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]}}}`),
		},
		Negative: []string{
			ct("n1", "s3.amazonaws.com", "PutBucketPolicy", userBob, `"requestParameters":{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:GetObject"}]}}`),
			ct("n2", "s3.amazonaws.com", "PutBucketPolicy", userBob, `"requestParameters":{"bucketName":"b","bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}}`),
			ct("n3", "s3.amazonaws.com", "PutBucketAcl", userBob, `"requestParameters":{"bucketName":"b","x-amz-acl":["private"]}`),
		},
	}
}

func s3PublicAccessBlockRemoved() Detection {
	return Detection{
		ID: "PAL-CT-019", Title: "S3 Block Public Access removed or weakened", Severity: finding.High,
		Attack: []string{"T1562.007", "T1530"}, Checklist: stepPublic,
		Remediation: "Turn S3 Block Public Access back on at the account and bucket level, and check which buckets became public meanwhile.",
		Match: func(ev *event.Event) bool {
			if !ok(ev) || !human(ev) || !(from(ev, "s3.amazonaws.com") || from(ev, "s3control.amazonaws.com")) {
				return false
			}
			switch ev.Name {
			case "DeleteBucketPublicAccessBlock", "DeletePublicAccessBlock", "DeleteAccountPublicAccessBlock":
				return true
			case "PutBucketPublicAccessBlock", "PutPublicAccessBlock", "PutAccountPublicAccessBlock":
				return anyLeaf(ev.Field("requestParameters"), func(s string) bool { return s == "false" })
			}
			return false
		},
		Positive: []string{
			ct("p1", "s3.amazonaws.com", "DeleteBucketPublicAccessBlock", userBob, `"requestParameters":{"bucketName":"b"}`),
			ct("p2", "s3.amazonaws.com", "PutBucketPublicAccessBlock", userBob, `"requestParameters":{"bucketName":"b","PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`),
		},
		Negative: []string{ct("n1", "s3.amazonaws.com", "PutBucketPublicAccessBlock", userBob, `"requestParameters":{"bucketName":"b","PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`)},
	}
}

func securityGroupOpenToWorld() Detection {
	return Detection{
		ID: "PAL-CT-020", Title: "Security group opened to the internet (0.0.0.0/0 or ::/0)", Severity: finding.High,
		Attack: []string{"T1562.007"}, Checklist: stepNetwork,
		Remediation: "Remove the 0.0.0.0/0 or ::/0 rule unless the port serves the public; reach administration ports through SSM Session Manager or a VPN.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ec2.amazonaws.com") && is(ev, "AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules") && ok(ev) && human(ev) &&
				anyLeaf(ev.Field("requestParameters"), worldCIDR)
		},
		Positive: []string{
			ct("p1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", userBob, `"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`),
			ct("p2", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", userBob, `"requestParameters":{"groupId":"sg-1","cidrIpv6":"::/0","fromPort":22}`),
		},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", userBob, `"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}}`)},
	}
}

func consoleLoginWithoutMFA() Detection {
	return Detection{
		ID: "PAL-CT-021", Title: "Console login without MFA", Severity: finding.Medium,
		Attack: []string{"T1078.004"}, Checklist: stepMFA,
		Remediation: "Require MFA for the user (or move the person to SSO) and confirm the sign-in was theirs; reset the password if not.",
		Match: func(ev *event.Event) bool {
			return is(ev, "ConsoleLogin") && ev.User.Type != "AssumedRole" && ev.User.Type != "SAMLUser" && ev.User.Type != "WebIdentityUser" &&
				ev.Field("responseElements.ConsoleLogin").Str() == "Success" &&
				ev.Field("additionalEventData.MFAUsed").Str() == "No" &&
				ev.Field("additionalEventData.SamlProviderArn").Kind == event.Missing
		},
		Positive: []string{ct("p1", "signin.amazonaws.com", "ConsoleLogin", userBob, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}`)},
		Negative: []string{
			ct("n1", "signin.amazonaws.com", "ConsoleLogin", userBob, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"}`),
			ct("n2", "signin.amazonaws.com", "ConsoleLogin", roleCI, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}`),
			ct("n3", "signin.amazonaws.com", "ConsoleLogin", userBob, `"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"}`),
			ct("n4", "signin.amazonaws.com", "ConsoleLogin", userBob, `"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No","SamlProviderArn":"arn:aws:iam::1:saml-provider/Okta"}`),
		},
	}
}

func ec2PasswordData() Detection {
	return Detection{
		ID: "PAL-CT-022", Title: "EC2 Windows password data requested", Severity: finding.Medium,
		Attack: []string{"T1552"}, Checklist: stepDetect,
		Remediation: "Confirm the principal administers the Windows instance; otherwise rotate the instance's local administrator password and key pair.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ec2.amazonaws.com") && is(ev, "GetPasswordData") && human(ev)
		},
		Positive: []string{ct("p1", "ec2.amazonaws.com", "GetPasswordData", roleCI, `"requestParameters":{"instanceId":"i-1"}`)},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "GetConsoleOutput", roleCI, `"requestParameters":{"instanceId":"i-1"}`)},
	}
}

func ec2UserDataRead() Detection {
	return Detection{
		ID: "PAL-CT-023", Title: "EC2 user data read for many instances", Severity: finding.Medium,
		Attack: []string{"T1552.005", "T1580"}, Checklist: stepDetect,
		Remediation: "User data often holds secrets: confirm the principal's purpose, and move any secret in user data to Secrets Manager or Parameter Store and rotate it.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ec2.amazonaws.com") && is(ev, "DescribeInstanceAttribute") && human(ev) &&
				req(ev, "attribute").Str() == "userData"
		},
		Burst: &Burst{Key: byPrincipal, Threshold: 5, Window: 10 * time.Minute, Distinct: func(ev *event.Event) string { return req(ev, "instanceId").Str() }},
		Positive: []string{repeat(5, func(i int) string {
			return ct(idn("u", i), "ec2.amazonaws.com", "DescribeInstanceAttribute", roleCI, `"requestParameters":{"attribute":"userData","instanceId":"i-`+idn("", i)+`"}`)
		})},
		Negative: []string{repeat(8, func(i int) string {
			return ct(idn("u", i), "ec2.amazonaws.com", "DescribeInstanceAttribute", roleCI, `"requestParameters":{"attribute":"userData","instanceId":"i-1"}`)
		})},
	}
}

func ec2UserDataModified() Detection {
	return Detection{
		ID: "PAL-CT-024", Title: "EC2 instance user data (startup script) changed", Severity: finding.High,
		Attack: []string{"T1059.009", "T1098"}, Checklist: stepDetect,
		Remediation: "Compare the new user data with the launch template in IaC, restore it, and check the instance for what the script ran at boot.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ec2.amazonaws.com") && is(ev, "ModifyInstanceAttribute") && ok(ev) && human(ev) &&
				(req(ev, "userData").Kind != event.Missing || req(ev, "attribute").Str() == "userData")
		},
		Positive: []string{ct("p1", "ec2.amazonaws.com", "ModifyInstanceAttribute", userBob, `"requestParameters":{"instanceId":"i-1","userData":"<sensitiveDataRemoved>"}`)},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "ModifyInstanceAttribute", userBob, `"requestParameters":{"instanceId":"i-1","instanceType":{"value":"t3.large"}}`)},
	}
}

func ec2UnusualInstanceType(cfg BuiltinConfig) Detection {
	return Detection{
		ID: "PAL-CT-025", Title: "Unusual (GPU or very large) EC2 instance type launched", Severity: finding.Medium,
		Attack: []string{"T1578.002", "T1496"}, Checklist: stepDetect,
		Remediation: "Confirm a team launched the instance type on purpose; terminate unexpected instances (cryptomining) and limit instance types with an SCP.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "ec2.amazonaws.com") || !is(ev, "RunInstances") || !human(ev) {
				return false
			}
			t := strings.ToLower(req(ev, "instanceType").Str())
			for _, p := range cfg.UnusualInstanceTypes {
				if strings.HasPrefix(t, p) {
					return true
				}
			}
			return false
		},
		Positive: []string{ct("p1", "ec2.amazonaws.com", "RunInstances", roleCI, `"requestParameters":{"instanceType":"p4d.24xlarge"}`)},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "RunInstances", roleCI, `"requestParameters":{"instanceType":"t3.micro"}`)},
	}
}

func ec2RemoteAccessKey() Detection {
	return Detection{
		ID: "PAL-CT-026", Title: "SSH key pushed through EC2 Instance Connect or serial console", Severity: finding.Medium,
		Attack: []string{"T1021.004", "T1098.004"}, Checklist: stepDetect,
		Remediation: "Confirm the principal was meant to open a shell on the instance; review the instance for changes and restrict ec2-instance-connect:SendSSHPublicKey.",
		Match: func(ev *event.Event) bool {
			return human(ev) && (is(ev, "SendSSHPublicKey", "SendSerialConsoleSSHPublicKey") ||
				(from(ev, "ec2.amazonaws.com") && is(ev, "EnableSerialConsoleAccess")))
		},
		Positive: []string{ct("p1", "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey", userBob, `"requestParameters":{"instanceId":"i-1","instanceOSUser":"ec2-user"}`)},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "DescribeInstances", userBob, "")},
	}
}

func ssmRemoteCommand() Detection {
	return Detection{
		ID: "PAL-CT-027", Title: "Command run or session opened on instances through SSM", Severity: finding.Low,
		Attack: []string{"T1651"}, Checklist: stepDetect,
		Remediation: "Review the commands and sessions in SSM history and restrict ssm:SendCommand and ssm:StartSession to the roles that need them.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ssm.amazonaws.com") && is(ev, "SendCommand", "StartSession", "ResumeSession") && ok(ev) && human(ev)
		},
		Positive: []string{ct("p1", "ssm.amazonaws.com", "SendCommand", userBob, `"requestParameters":{"documentName":"AWS-RunShellScript"}`)},
		Negative: []string{ct("n1", "ssm.amazonaws.com", "DescribeInstanceInformation", userBob, "")},
	}
}

func ssmDecryptedParameters() Detection {
	return Detection{
		ID: "PAL-CT-028", Title: "Many SecureString parameters decrypted", Severity: finding.Medium,
		Attack: []string{"T1552"}, Checklist: stepDetect,
		Remediation: "Confirm the principal needs those parameters; rotate them if the reads were not expected and narrow ssm:GetParameter* and kms:Decrypt.",
		Match: func(ev *event.Event) bool {
			return from(ev, "ssm.amazonaws.com") && is(ev, "GetParameter", "GetParameters", "GetParametersByPath") && ok(ev) && human(ev) &&
				req(ev, "withDecryption").Raw == "true"
		},
		Burst: &Burst{Key: byPrincipal, Threshold: 3, Window: 10 * time.Minute},
		Positive: []string{repeat(3, func(i int) string {
			return ct(idn("s", i), "ssm.amazonaws.com", "GetParameters", userBob, `"requestParameters":{"names":["a","b"],"withDecryption":true}`)
		})},
		Negative: []string{repeat(5, func(i int) string {
			return ct(idn("s", i), "ssm.amazonaws.com", "GetParameters", userBob, `"requestParameters":{"names":["a"],"withDecryption":false}`)
		})},
	}
}

func secretsBatchRetrieve() Detection {
	return Detection{
		ID: "PAL-CT-029", Title: "Secrets Manager batch secret retrieval", Severity: finding.Medium,
		Attack: []string{"T1555.006"}, Checklist: stepDetect,
		Remediation: "Confirm the principal needs the secrets it fetched in one batch; rotate them if not and narrow secretsmanager:BatchGetSecretValue.",
		Match: func(ev *event.Event) bool {
			return from(ev, "secretsmanager.amazonaws.com") && is(ev, "BatchGetSecretValue") && ok(ev) && human(ev)
		},
		Positive: []string{ct("p1", "secretsmanager.amazonaws.com", "BatchGetSecretValue", userBob, `"requestParameters":{"filters":[{"key":"tag-key","values":["!tagKeyThatWillNeverExist"]}]}`)},
		Negative: []string{ct("n1", "secretsmanager.amazonaws.com", "ListSecrets", userBob, "")},
	}
}

func secretsMassRetrieve() Detection {
	return Detection{
		ID: "PAL-CT-030", Title: "Many distinct secrets retrieved by one principal", Severity: finding.Medium,
		Attack: []string{"T1555.006"}, Checklist: stepDetect,
		Remediation: "Confirm the principal needs every secret it read; rotate them if not and narrow secretsmanager:GetSecretValue to specific secrets.",
		Match: func(ev *event.Event) bool {
			return from(ev, "secretsmanager.amazonaws.com") && is(ev, "GetSecretValue") && ok(ev) && human(ev)
		},
		Burst: &Burst{Key: byPrincipal, Threshold: 5, Window: 10 * time.Minute, Distinct: func(ev *event.Event) string { return req(ev, "secretId").Str() }},
		Positive: []string{repeat(5, func(i int) string {
			return ct(idn("g", i), "secretsmanager.amazonaws.com", "GetSecretValue", userBob, `"requestParameters":{"secretId":"s`+idn("", i)+`"}`)
		})},
		Negative: []string{repeat(20, func(i int) string {
			return ct(idn("g", i), "secretsmanager.amazonaws.com", "GetSecretValue", userBob, `"requestParameters":{"secretId":"db-password"}`)
		})},
	}
}

func resourceShared() Detection {
	return Detection{
		ID: "PAL-CT-031", Title: "AMI or snapshot shared with another account or made public", Severity: finding.High,
		Attack: []string{"T1537"}, Checklist: stepDetect,
		Remediation: "Remove the share or public permission unless it was planned, and check whether the other account copied the image or snapshot.",
		Match: func(ev *event.Event) bool {
			if !ok(ev) || !human(ev) {
				return false
			}
			switch ev.Name {
			case "ModifyImageAttribute":
				return req(ev, "launchPermission.add").Kind != event.Missing
			case "ModifySnapshotAttribute":
				return req(ev, "createVolumePermission.add").Kind != event.Missing
			case "ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute":
				return strings.EqualFold(req(ev, "attributeName").Str(), "restore") && req(ev, "valuesToAdd").Kind == event.Array
			}
			return false
		},
		Positive: []string{
			ct("p1", "ec2.amazonaws.com", "ModifySnapshotAttribute", userBob, `"requestParameters":{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"userId":"999"}]}}}`),
			ct("p2", "rds.amazonaws.com", "ModifyDBSnapshotAttribute", userBob, `"requestParameters":{"attributeName":"restore","valuesToAdd":["all"]}`),
			ct("p3", "ec2.amazonaws.com", "ModifyImageAttribute", userBob, `"requestParameters":{"imageId":"ami-1","launchPermission":{"add":{"items":[{"group":"all"}]}}}`),
		},
		Negative: []string{ct("n1", "ec2.amazonaws.com", "ModifySnapshotAttribute", userBob, `"requestParameters":{"snapshotId":"snap-1","createVolumePermission":{"remove":{"items":[{"userId":"999"}]}}}`)},
	}
}

func lambdaPublicPermission() Detection {
	return Detection{
		ID: "PAL-CT-032", Title: "Lambda function made invocable by anyone", Severity: finding.High,
		Attack: []string{"T1098", "T1546"}, Checklist: stepDetect,
		Remediation: "Remove the permission that lets anyone invoke the function, or add a condition on the source account or ARN.",
		Match: func(ev *event.Event) bool {
			return from(ev, "lambda.amazonaws.com") && strings.HasPrefix(ev.Name, "AddPermission") && ok(ev) && human(ev) &&
				req(ev, "principal").Str() == "*"
		},
		Positive: []string{ct("p1", "lambda.amazonaws.com", "AddPermission20150331v2", userBob, `"requestParameters":{"functionName":"f","principal":"*","action":"lambda:InvokeFunction"}`)},
		Negative: []string{ct("n1", "lambda.amazonaws.com", "AddPermission20150331v2", userBob, `"requestParameters":{"functionName":"f","principal":"s3.amazonaws.com"}`)},
	}
}

func lambdaCodeOrLayerChanged() Detection {
	return Detection{
		ID: "PAL-CT-033", Title: "Lambda code replaced or layer added by a person", Severity: finding.Medium,
		Attack: []string{"T1525", "T1546"}, Checklist: stepIaC,
		Remediation: "Compare the function's code and layers with what the pipeline deployed, redeploy from source, and route code changes through the pipeline role.",
		Match: func(ev *event.Event) bool {
			if !from(ev, "lambda.amazonaws.com") || !ok(ev) || !human(ev) || ev.User.Type == "AssumedRole" && ev.User.SessionIssuerUserName != "" && !strings.Contains(ev.User.SessionIssuerUserName, "AWSReservedSSO") {
				return false
			}
			switch {
			case strings.HasPrefix(ev.Name, "UpdateFunctionCode"):
				return true
			case strings.HasPrefix(ev.Name, "UpdateFunctionConfiguration"):
				return nonEmpty(req(ev, "layers")) || nonEmpty(ev.Field("responseElements.layers"))
			}
			return false
		},
		Positive: []string{
			ct("p1", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", userBob, `"requestParameters":{"functionName":"f"}`),
			ct("p2", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", userBob, `"requestParameters":{"functionName":"f","layers":["arn:aws:lambda:us-east-1:999:layer:x:1"]}`),
		},
		Negative: []string{
			ct("n1", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", roleCI, `"requestParameters":{"functionName":"f"}`),
			ct("n2", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", userBob, `"requestParameters":{"functionName":"f","timeout":30}`),
		},
	}
}

func rolesAnywhereTrustAnchor() Detection {
	return Detection{
		ID: "PAL-CT-034", Title: "IAM Roles Anywhere trust anchor created", Severity: finding.High,
		Attack: []string{"T1098"}, Checklist: stepIAM,
		Remediation: "Confirm the trust anchor's certificate authority is one the organization runs; delete unknown anchors and their profiles.",
		Match: func(ev *event.Event) bool {
			return from(ev, "rolesanywhere.amazonaws.com") && is(ev, "CreateTrustAnchor", "UpdateTrustAnchor") && ok(ev) && human(ev)
		},
		Positive: []string{ct("p1", "rolesanywhere.amazonaws.com", "CreateTrustAnchor", userBob, "")},
		Negative: []string{ct("n1", "rolesanywhere.amazonaws.com", "ListTrustAnchors", userBob, "")},
	}
}

func stsFederationToken() Detection {
	return Detection{
		ID: "PAL-CT-035", Title: "Federation token minted by an IAM user", Severity: finding.Medium,
		Attack: []string{"T1550.001", "T1098"}, Checklist: stepIAM,
		Remediation: "Federation tokens outlive revoked keys: confirm the purpose, deactivate the IAM user's keys if not, and deny sts:GetFederationToken.",
		Match: func(ev *event.Event) bool {
			return from(ev, "sts.amazonaws.com") && is(ev, "GetFederationToken") && ok(ev) && ev.User.Type == "IAMUser"
		},
		Positive: []string{ct("p1", "sts.amazonaws.com", "GetFederationToken", userBob, `"requestParameters":{"name":"x"}`)},
		Negative: []string{ct("n1", "sts.amazonaws.com", "GetSessionToken", userBob, "")},
	}
}

func bedrockModelAccess() Detection {
	return Detection{
		ID: "PAL-CT-036", Title: "Bedrock model access enabled (possible LLMjacking)", Severity: finding.Medium,
		Attack: []string{"T1496"}, Checklist: stepDetect,
		Remediation: "Confirm a team asked for the model access; if not, revoke it, rotate the principal's credentials, and deny bedrock model access with an SCP.",
		Match: func(ev *event.Event) bool {
			return from(ev, "bedrock.amazonaws.com") && human(ev) &&
				is(ev, "PutUseCaseForModelAccess", "CreateFoundationModelAgreement", "PutFoundationModelEntitlement")
		},
		Positive: []string{ct("p1", "bedrock.amazonaws.com", "PutUseCaseForModelAccess", roleCI, "")},
		Negative: []string{ct("n1", "bedrock.amazonaws.com", "ListFoundationModels", roleCI, "")},
	}
}

// readOnlyName reports API names that change nothing even when CloudTrail
// marks them readOnly=false (sign-in, session tokens).
func readOnlyName(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Head", "Search", "Assume", "ConsoleLogin", "CheckMfa", "Decrypt", "GenerateDataKey", "Encrypt", "StartQuery", "Invoke"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func outsidePipeline(roles []string) Detection {
	allowed := func(arn string) bool {
		for _, r := range roles {
			if m, _ := path.Match(r, arn); m || r == arn {
				return true
			}
		}
		return false
	}
	return Detection{
		ID: "PAL-CT-037", Title: "Infrastructure changed outside the IaC pipeline role", Severity: finding.Medium,
		Attack: []string{"T1578", "T1098"}, Checklist: stepIaC,
		Remediation: "Find out why the change bypassed the pipeline; bring it into IaC or revert it, and limit write access to the pipeline roles.",
		Match: func(ev *event.Event) bool {
			if ev.Type != event.CloudTrail || !ok(ev) || !human(ev) || ev.EventType != "AwsApiCall" || ev.ReadOnly || readOnlyName(ev.Name) {
				return false
			}
			if ev.User.SessionIssuerARN != "" && allowed(ev.User.SessionIssuerARN) {
				return false
			}
			return !allowed(ev.User.ARN)
		},
		Positive: []string{ct("p1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", userBob, `"readOnly":false`)},
		Negative: []string{
			ct("n1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", roleCI, `"readOnly":false`),
			ct("n2", "ec2.amazonaws.com", "DescribeInstances", userBob, `"readOnly":true`),
		},
	}
}
