package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/cloud/aws/awsfake"
)

const testKey, testSecret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func TestParseCredentialReport(t *testing.T) {
	csv := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-10-01T10:00:00+00:00,not_supported,not_supported,false,true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"alice,arn:aws:iam::111122223333:user/alice,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	rows, err := ParseCredentialReport([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	root, alice := rows[0], rows[1]
	if !root.IsRoot() || root.MFAActive || !root.AccessKey1Active || root.AccessKey1Rotated.Year() != 2021 || !root.AccessKey1LastUsed.IsZero() {
		t.Errorf("root row %+v", root)
	}
	if alice.IsRoot() || !alice.PasswordEnabled || !alice.PasswordLastUsed.IsZero() || !alice.MFAActive {
		t.Errorf("alice row %+v", alice)
	}
	if _, err := ParseCredentialReport([]byte("name,x\n")); err == nil {
		t.Error("a report without user and arn columns parsed")
	}
}

func FuzzParseCredentialReport(f *testing.F) {
	f.Add([]byte("user,arn,mfa_active\n<root_account>,arn:aws:iam::1:root,true\n"))
	f.Add([]byte("user,arn\n\"unterminated"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ParseCredentialReport(b)
		if err != nil && rows != nil {
			t.Fatal("rows returned with an error")
		}
	})
}

// throttler answers STS GetCallerIdentity after failing the first n
// requests with a throttling error.
type throttler struct {
	n        int64
	requests atomic.Int64
}

func (h *throttler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.requests.Add(1) <= h.n {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/x</Arn><UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
}

func TestThrottledCallsAreRetriedWithBackoff(t *testing.T) {
	h := &throttler{n: 3}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := awstest.Config(srv.URL, testKey, testSecret)
	WithRetries(&cfg, 5)
	var c Counter
	c.Install(&cfg)
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("throttled call failed after retries: %v", err)
	}
	if sdk.ToString(out.Account) != "111122223333" || c.Calls() != 1 || c.Attempts() != 4 {
		t.Errorf("account %s, calls %d, attempts %d; want 1 call in 4 attempts", sdk.ToString(out.Account), c.Calls(), c.Attempts())
	}

	h2 := &throttler{n: 100}
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	cfg2 := awstest.Config(srv2.URL, testKey, testSecret)
	WithRetries(&cfg2, 2)
	if _, err := sts.NewFromConfig(cfg2).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err == nil || h2.requests.Load() != 2 {
		t.Errorf("endless throttling: err %v after %d requests, want an error after 2", err, h2.requests.Load())
	}
}

func TestS3DataEvents(t *testing.T) {
	s3obj := func(rw cttypes.ReadWriteType, values ...string) []cttypes.EventSelector {
		return []cttypes.EventSelector{{ReadWriteType: rw, DataResources: []cttypes.DataResource{{Type: sdk.String("AWS::S3::Object"), Values: values}}}}
	}
	field := func(name string, equals ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: sdk.String(name), Equals: equals}
	}
	tests := []struct {
		name        string
		basic       []cttypes.EventSelector
		advanced    []cttypes.AdvancedEventSelector
		read, write bool
	}{
		{"no selectors", nil, nil, false, false},
		{"basic, all buckets, all events", s3obj(cttypes.ReadWriteTypeAll, "arn:aws:s3"), nil, true, true},
		{"basic, all buckets with the ::: form, write only", s3obj(cttypes.ReadWriteTypeWriteOnly, "arn:aws:s3:::"), nil, false, true},
		{"basic, one bucket does not count", s3obj(cttypes.ReadWriteTypeAll, "arn:aws:s3:::logs/"), nil, false, false},
		{"basic, Lambda data events do not count", []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, DataResources: []cttypes.DataResource{{Type: sdk.String("AWS::Lambda::Function"), Values: []string{"arn:aws:lambda"}}}}}, nil, false, false},
		{"advanced, S3 objects, read only", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object"), field("readOnly", "true")}}}, true, false},
		{"advanced, S3 objects, both", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")}}}, true, true},
		{"advanced, limited to one bucket", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object"), {Field: sdk.String("resources.ARN"), StartsWith: []string{"arn:aws:s3:::logs/"}}}}}, false, false},
		{"advanced, limited to some event names", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object"), field("eventName", "PutObject")}}}, false, false},
		{"advanced, management events only", nil, []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management")}}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w := S3DataEvents(tt.basic, tt.advanced)
			if r != tt.read || w != tt.write {
				t.Errorf("read %t write %t, want read %t write %t", r, w, tt.read, tt.write)
			}
		})
	}
}

// unserved answers every request with status and body.
type unserved struct {
	status   int
	body     string
	requests atomic.Int64
}

func (h *unserved) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	w.WriteHeader(h.status)
	fmt.Fprint(w, h.body)
}

func TestAnAPINotServedFailsAtOnceButTransientErrorsAreRetried(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		attempts int64
	}{
		{"501 Not Implemented", http.StatusNotImplemented, `<ErrorResponse><Error><Code>NotImplemented</Code><Message>no</Message></Error></ErrorResponse>`, 1},
		{"500 with an HTML page (an emulator without the API)", http.StatusInternalServerError, `<!doctype html><title>500</title>`, 1},
		{"404 with an HTML page", http.StatusNotFound, `<!doctype html><title>404</title>`, 1},
		{"503 with an AWS error body is transient", http.StatusServiceUnavailable, `<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>`, 3},
		{"500 InternalFailure with an AWS error body is transient", http.StatusInternalServerError, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>x</Message></Error></ErrorResponse>`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &unserved{status: tt.status, body: tt.body}
			srv := httptest.NewServer(h)
			defer srv.Close()
			cfg := awstest.Config(srv.URL, testKey, testSecret)
			WithRetries(&cfg, 3)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
				t.Fatal("no error")
			}
			if got := h.requests.Load(); got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
		})
	}
}

// TestOrgCollectionAssumesRolesAndIsolatesFailures builds an Organization
// in moto, puts a bucket in a member account through an assumed role, and
// collects the whole Organization with GuardDuty pointed at a dead
// endpoint: every account is read, the bucket lands in the member's state,
// and GuardDuty fails per account and region without stopping the rest.
func TestOrgCollectionAssumesRolesAndIsolatesFailures(t *testing.T) {
	url := awstest.Moto(t)
	for k, v := range map[string]string{"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": testKey, "AWS_SECRET_ACCESS_KEY": testSecret} {
		t.Setenv(k, v)
	}
	ctx := awstest.Background(t)
	base := awstest.Config(url, testKey, testSecret)
	org := organizations.NewFromConfig(base)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	var member string
	for _, name := range []string{"workloads", "security"} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: sdk.String(name), Email: sdk.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		st, err := org.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
		if err != nil {
			t.Fatal(err)
		}
		if name == "workloads" {
			member = sdk.ToString(st.CreateAccountStatus.AccountId)
		}
	}
	memberCfg := AssumeRole(base, member, "OrganizationAccountAccessRole", "")
	s3c := s3.NewFromConfig(memberCfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdk.String("member-data")}); err != nil {
		t.Fatal(err)
	}

	fake := httptest.NewServer(&awsfake.Lacking{})
	defer fake.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connections to it are refused
	cfg, err := LoadConfig(ctx, "us-east-1", url, 2)
	if err != nil {
		t.Fatal(err)
	}
	var calls Counter
	calls.Install(&cfg)
	var progress atomic.Int64
	col := New(cfg, Options{
		Org: true, Regions: []string{"us-east-1", "eu-west-1"},
		ServiceEndpoints: map[string]string{"guardduty": dead.URL, "s3control": fake.URL, "accessanalyzer": fake.URL},
		Progress:         func(p Progress) { progress.Add(1) },
	})
	res, err := col.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Org == nil || len(res.Accounts) != 3 {
		t.Fatalf("org %+v, %d accounts collected; want the management account and 2 members", res.Org, len(res.Accounts))
	}
	var found bool
	for _, a := range res.Accounts {
		for _, b := range a.State.S3Buckets {
			if b.Name.Val == "member-data" {
				if a.ID != member {
					t.Errorf("member bucket collected in account %s, want %s", a.ID, member)
				}
				found = true
			}
		}
		if len(a.Evidence.ServiceRegions["ec2"]) != 2 || len(a.Evidence.ServiceRegions["guardduty"]) != 0 {
			t.Errorf("account %s read ec2 in %v and guardduty in %v; want ec2 in both regions, guardduty nowhere", a.ID, a.Evidence.ServiceRegions["ec2"], a.Evidence.ServiceRegions["guardduty"])
		}
	}
	if !found {
		t.Error("the member account's bucket was not collected through the assumed role")
	}
	gd := 0
	for _, e := range res.Errors {
		if e.Service == "guardduty" {
			gd++
		}
	}
	if gd != 6 {
		t.Errorf("%d GuardDuty errors, want 6 (3 accounts x 2 regions): %v", gd, res.Errors)
	}
	if progress.Load() != 6 || calls.Calls() == 0 {
		t.Errorf("progress events %d (want 6), API calls %d", progress.Load(), calls.Calls())
	}
	if res.Org.SCPs == nil {
		t.Error("SCPs were not read")
	}
}

// TestNoCredentialsIsAnError checks that without credentials the audit
// stops with the SDK's reason instead of reporting an empty account.
func TestNoCredentialsIsAnError(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": ""} {
		t.Setenv(k, v)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := LoadConfig(ctx, "us-east-1", srv.URL, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Options{}).Collect(ctx)
	if err == nil || !strings.Contains(err.Error(), "GetCallerIdentity") {
		t.Errorf("collect without credentials: %v", err)
	}
}
