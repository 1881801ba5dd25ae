package audit

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/cloud/aws/awsfake"
	"github.com/palisade-sec/palisade/internal/finding"
)

type fixedURL struct{ u url.URL }

func (f fixedURL) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return smithyendpoints.Endpoint{URI: f.u}, nil
}

func TestFixDeletesUnusedRoleWithAttachmentsAndTurnsOnAccountBPA(t *testing.T) {
	endpoint := awstest.Moto(t)
	ctx := awstest.Background(t)
	cfg := awstest.Config(endpoint, "AKIAIOSFODNN7EXAMPLE", "secret")
	cl := iam.NewFromConfig(cfg)
	role := sdk.String("old-batch")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	steps := []func() error{
		func() error {
			_, err := cl.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, AssumeRolePolicyDocument: sdk.String(trust)})
			return err
		},
		func() error {
			_, err := cl.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: sdk.String("batch"), PolicyDocument: sdk.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"*"}]}`)})
			return err
		},
		func() error {
			_, err := cl.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: sdk.String("arn:aws:iam::123456789012:policy/batch")})
			return err
		},
		func() error {
			_, err := cl.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: sdk.String("inline"), PolicyDocument: sdk.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			return err
		},
		func() error {
			_, err := cl.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: sdk.String("old-batch")})
			return err
		},
		func() error {
			_, err := cl.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{RoleName: role, InstanceProfileName: sdk.String("old-batch")})
			return err
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	fake := &awsfake.Lacking{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	x := &Fixer{Cfg: cfg, Account: "123456789012", S3Control: func(o *s3control.Options) { o.EndpointResolverV2 = fixedURL{*u} }}

	plan, err := x.Plan(ctx, finding.Finding{RuleID: "AWS-ACCT-009", Resource: "arn:aws:iam::123456789012:role/old-batch"})
	if err != nil || len(plan) != 1 || plan[0].Kind != FixDeleteRole {
		t.Fatalf("plan %+v, %v", plan, err)
	}
	if _, err := cl.GetRole(ctx, &iam.GetRoleInput{RoleName: role}); err != nil {
		t.Fatalf("planning deleted the role: %v", err)
	}
	if err := x.Apply(ctx, plan[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.GetRole(ctx, &iam.GetRoleInput{RoleName: role}); err == nil {
		t.Error("role still exists after the fix")
	}

	bpa, err := x.Plan(ctx, finding.Finding{RuleID: "AWS-S3-013", Resource: "arn:aws:iam::123456789012:root"})
	if err != nil || len(bpa) != 1 {
		t.Fatalf("plan %+v, %v", bpa, err)
	}
	if err := x.Apply(ctx, bpa[0]); err != nil {
		t.Fatal(err)
	}
	if fake.AccountBPA == nil || !fake.AccountBPA[0] {
		t.Error("account Block Public Access was not turned on")
	}

	if _, err := x.Plan(ctx, finding.Finding{RuleID: "AWS-S3-007", Resource: "arn:aws:s3:::b"}); !errors.Is(err, ErrNoFix) {
		t.Errorf("a rule without a fix: %v", err)
	}
	if _, err := x.Plan(ctx, finding.Finding{RuleID: "AWS-ACCT-009", Resource: "arn:aws:iam::999999999999:role/x"}); err == nil {
		t.Error("a fix in another account was planned")
	}
}
