package main

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// orgDouble is a local stand-in for AWS that answers every API the
// collector calls for an Organization of n accounts in the given regions,
// with empty-but-valid resources. Each request waits latency; each account
// and service gets rps requests per second (burst rps) and is throttled
// beyond that, as AWS does.
type orgDouble struct {
	accounts []string
	regions  []string
	latency  time.Duration
	rps      float64

	requests  atomic.Int64
	throttled atomic.Int64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newOrgDouble(n int, regions []string, latency time.Duration, rps float64) *orgDouble {
	d := &orgDouble{regions: regions, latency: latency, rps: rps, buckets: map[string]*bucket{}}
	for i := 0; i < n; i++ {
		d.accounts = append(d.accounts, fmt.Sprintf("%012d", 100000000000+i))
	}
	return d
}

// allow takes a token for key, or reports throttling.
func (d *orgDouble) allow(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	b := d.buckets[key]
	if b == nil {
		b = &bucket{tokens: d.rps, last: now}
		d.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * d.rps
	if b.tokens > d.rps {
		b.tokens = d.rps
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// scope reads the access key id, region and service of a SigV4 request.
func scope(r *http.Request) (key, region, service string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", "", ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 4 {
		return parts[0], "", ""
	}
	return parts[0], parts[2], parts[3]
}

// accountOf maps an access key id to an account: assumed-role keys are
// "ASIA" followed by the account id; anything else is the management account.
func (d *orgDouble) accountOf(key string) string {
	if strings.HasPrefix(key, "ASIA") && len(key) >= 16 {
		return key[4:16]
	}
	return d.accounts[0]
}

func (d *orgDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.requests.Add(1)
	time.Sleep(d.latency)
	body, _ := io.ReadAll(r.Body)
	key, region, service := scope(r)
	account := d.accountOf(key)
	target := r.Header.Get("X-Amz-Target")
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	if service == "s3" && strings.HasPrefix(r.URL.Path, "/v20180820/") {
		service = "s3control"
	}
	// AWS throttles per account, region and API family.
	if !d.allow(account + "/" + region + "/" + service) {
		d.throttled.Add(1)
		switch {
		case target != "" || restJSON[service]:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		case service == "s3" || service == "s3control":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		case service == "ec2":
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>`)
		default:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		}
		return
	}
	switch {
	case service == "sts":
		d.sts(w, action, form)
	case service == "organizations":
		d.organizations(w, target)
	case target != "": // other JSON 1.0/1.1 services (CloudTrail, KMS, ECR, SQS, DynamoDB, Secrets Manager, Logs)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		body := `{}`
		if strings.HasSuffix(target, ".DescribeTrails") {
			body = `{"trailList":[]}`
		}
		// DynamoDB clients check the body against this checksum.
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		fmt.Fprint(w, body)
	case service == "ec2":
		d.ec2(w, action)
	case service == "iam":
		d.iam(w, action, account)
	case service == "rds" || service == "sns" || service == "elasticloadbalancing" || service == "elasticache" || service == "redshift":
		// Query protocol: an empty result of the action.
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse><%sResult></%sResult></%sResponse>`, action, action, action, action)
	case service == "cloudfront":
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<DistributionList><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>0</Quantity></DistributionList>`)
	case service == "lambda" || service == "eks" || service == "es" || service == "apigateway" || service == "securityhub":
		// REST JSON: an empty object is an empty list (and an enabled hub).
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	case service == "s3control":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>none</Message></Error></ErrorResponse>`)
	case service == "s3":
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`)
	case service == "guardduty":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"detectorIds":[]}`)
	case service == "elasticfilesystem":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"FileSystems":[]}`)
	case service == "access-analyzer":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"analyzers":[]}`)
	case service == "backup":
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "vaults") {
			fmt.Fprint(w, `{"BackupVaultList":[]}`)
			return
		}
		fmt.Fprint(w, `{"BackupPlansList":[]}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"double does not answer %s %s"}`, service, r.URL.Path)
	}
}

// restJSON are the REST JSON services, which throttle with a JSON body.
var restJSON = map[string]bool{"elasticfilesystem": true, "guardduty": true, "access-analyzer": true, "backup": true, "lambda": true, "eks": true, "es": true, "apigateway": true, "securityhub": true}

func (d *orgDouble) sts(w http.ResponseWriter, action string, form url.Values) {
	w.Header().Set("Content-Type", "text/xml")
	switch action {
	case "AssumeRole":
		arn := form.Get("RoleArn") // arn:aws:iam::ACCOUNT:role/NAME
		acct := strings.Split(arn, ":")[4]
		exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA%sAAAA</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/r/palisade-audit</Arn><AssumedRoleId>AROA:palisade-audit</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></AssumeRoleResponse>`, acct, exp, acct)
	default:
		fmt.Fprintf(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/bench</Arn><UserId>AIDA</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, d.accounts[0], d.accounts[0])
	}
}

func (d *orgDouble) organizations(w http.ResponseWriter, target string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	op := target[strings.LastIndex(target, ".")+1:]
	switch op {
	case "DescribeOrganization":
		fmt.Fprintf(w, `{"Organization":{"Id":"o-bench","MasterAccountId":%q,"FeatureSet":"ALL"}}`, d.accounts[0])
	case "ListAccounts":
		var items []string
		for _, a := range d.accounts {
			items = append(items, fmt.Sprintf(`{"Id":%q,"Name":"acct-%s","Email":"%s@example.com","Status":"ACTIVE","State":"ACTIVE"}`, a, a, a))
		}
		fmt.Fprintf(w, `{"Accounts":[%s]}`, strings.Join(items, ","))
	case "ListPolicies":
		fmt.Fprint(w, `{"Policies":[]}`)
	case "ListDelegatedAdministrators":
		fmt.Fprint(w, `{"DelegatedAdministrators":[]}`)
	default:
		fmt.Fprint(w, `{}`)
	}
}

func (d *orgDouble) ec2(w http.ResponseWriter, action string) {
	w.Header().Set("Content-Type", "text/xml")
	const ns = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`
	switch action {
	case "DescribeRegions":
		var items []string
		for _, r := range d.regions {
			items = append(items, fmt.Sprintf(`<item><regionName>%s</regionName><regionEndpoint>ec2.%s.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>`, r, r))
		}
		fmt.Fprintf(w, `<DescribeRegionsResponse %s><requestId>x</requestId><regionInfo>%s</regionInfo></DescribeRegionsResponse>`, ns, strings.Join(items, ""))
	case "GetEbsEncryptionByDefault":
		fmt.Fprintf(w, `<GetEbsEncryptionByDefaultResponse %s><requestId>x</requestId><ebsEncryptionByDefault>true</ebsEncryptionByDefault></GetEbsEncryptionByDefaultResponse>`, ns)
	default:
		fmt.Fprintf(w, `<%sResponse %s><requestId>x</requestId></%sResponse>`, action, ns, action)
	}
}

func (d *orgDouble) iam(w http.ResponseWriter, action, account string) {
	w.Header().Set("Content-Type", "text/xml")
	switch action {
	case "GetAccountPasswordPolicy":
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>none</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
	case "GenerateCredentialReport":
		fmt.Fprint(w, `<GenerateCredentialReportResponse><GenerateCredentialReportResult><State>COMPLETE</State></GenerateCredentialReportResult></GenerateCredentialReportResponse>`)
	case "GetCredentialReport":
		csv := "user,arn,password_enabled,mfa_active,access_key_1_active,access_key_2_active\n<root_account>,arn:aws:iam::" + account + ":root,not_supported,true,false,false\n"
		fmt.Fprintf(w, `<GetCredentialReportResponse><GetCredentialReportResult><Content>%s</Content><ReportFormat>text/csv</ReportFormat></GetCredentialReportResult></GetCredentialReportResponse>`, base64.StdEncoding.EncodeToString([]byte(csv)))
	default:
		fmt.Fprintf(w, `<%sResponse><%sResult><IsTruncated>false</IsTruncated></%sResult></%sResponse>`, action, action, action, action)
	}
}
