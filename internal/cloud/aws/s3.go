package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// apiCode is the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (a *accountCollector) s3(region string) *s3.Client {
	return s3.NewFromConfig(a.cfg, func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		if u := a.c.opts.ServiceEndpoints["s3"]; u != "" {
			o.BaseEndpoint = sdk.String(u)
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true // emulators do not resolve bucket host names
		}
	})
}

// collectS3 reads every bucket's exposure settings.
func collectS3(ctx context.Context, a *accountCollector) error {
	cl := a.s3("")
	st := &cloud.State{}
	pages := s3.NewListBucketsPaginator(cl, &s3.ListBucketsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list buckets: %w", err)
		}
		for _, b := range page.Buckets {
			bk, err := a.bucket(ctx, sdk.ToString(b.Name), sdk.ToString(b.BucketRegion))
			if err != nil {
				return err
			}
			st.S3Buckets = append(st.S3Buckets, bk)
		}
	}
	a.merge(st, func(ev *Evidence) { ev.S3Read = true })
	return nil
}

// bucket reads one bucket. Settings that are absent (no policy, no public
// access block) are known absences; other errors fail the bucket.
func (a *accountCollector) bucket(ctx context.Context, name, region string) (*cloud.S3Bucket, error) {
	arn := "arn:aws:s3:::" + name
	fail := func(what string, err error) error { return fmt.Errorf("bucket %s %s: %w", name, what, err) }
	if region == "" {
		loc, err := a.s3("").GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: sdk.String(name)})
		if err != nil {
			return nil, fail("location", err)
		}
		region = string(loc.LocationConstraint)
		if region == "" {
			region = "us-east-1"
		}
	}
	cl := a.s3(region)
	b := &cloud.S3Bucket{Name: known(name, arn)}

	tags := cloud.Tags{}
	tg, err := cl.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: sdk.String(name)})
	switch {
	case err == nil:
		for _, t := range tg.TagSet {
			tags[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
		}
	case apiCode(err) != "NoSuchTagSet" && apiCode(err) != "NoSuchTagSetError":
		return nil, fail("tags", err)
	}
	b.Meta = meta("aws_s3_bucket", arn, tags)

	pab, err := cl.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: sdk.String(name)})
	switch {
	case err == nil && pab.PublicAccessBlockConfiguration != nil:
		c := pab.PublicAccessBlockConfiguration
		b.PublicAccessBlock = &cloud.PublicAccessBlock{
			Src:                   arnSrc(arn),
			BlockPublicAcls:       known(sdk.ToBool(c.BlockPublicAcls), arn),
			BlockPublicPolicy:     known(sdk.ToBool(c.BlockPublicPolicy), arn),
			IgnorePublicAcls:      known(sdk.ToBool(c.IgnorePublicAcls), arn),
			RestrictPublicBuckets: known(sdk.ToBool(c.RestrictPublicBuckets), arn),
		}
	case apiCode(err) == "NoSuchPublicAccessBlockConfiguration":
	default:
		return nil, fail("public access block", err)
	}

	pol, err := cl.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sdk.String(name)})
	switch {
	case err == nil:
		b.Policy = parsePolicy(sdk.ToString(pol.Policy), arn)
	case apiCode(err) == "NoSuchBucketPolicy":
		b.Policy = cloud.PolicyDocument{Known: true, Src: arnSrc(arn)}
	default:
		return nil, fail("policy", err)
	}

	acl, err := cl.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: sdk.String(name)})
	if err != nil {
		return nil, fail("ACL", err)
	}
	public := false
	for _, g := range acl.Grants {
		if g.Grantee != nil && g.Grantee.Type == s3types.TypeGroup {
			switch sdk.ToString(g.Grantee.URI) {
			case "http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers":
				public = true
			}
		}
	}
	b.ACLGrantsPublic = known(public, arn)

	enc, err := cl.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: sdk.String(name)})
	switch {
	case err == nil && enc.ServerSideEncryptionConfiguration != nil && len(enc.ServerSideEncryptionConfiguration.Rules) > 0:
		r := enc.ServerSideEncryptionConfiguration.Rules[0]
		b.Encryption = known(true, arn)
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			b.EncryptionAlgorithm = known(string(d.SSEAlgorithm), arn)
			b.EncryptionKMSKey = known(sdk.ToString(d.KMSMasterKeyID), arn)
		}
	case err == nil || apiCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
		b.Encryption = known(false, arn)
	default:
		return nil, fail("encryption", err)
	}

	ver, err := cl.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: sdk.String(name)})
	if err != nil {
		return nil, fail("versioning", err)
	}
	b.Versioning = known(ver.Status == s3types.BucketVersioningStatusEnabled, arn)
	b.MFADelete = known(ver.MFADelete == s3types.MFADeleteStatusEnabled, arn)

	lg, err := cl.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: sdk.String(name)})
	if err != nil {
		return nil, fail("logging", err)
	}
	if lg.LoggingEnabled != nil {
		b.Logging = known(true, arn)
		b.LoggingTarget = known(sdk.ToString(lg.LoggingEnabled.TargetBucket), arn)
	} else {
		b.Logging = known(false, arn)
	}

	own, err := cl.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: sdk.String(name)})
	switch {
	case err == nil && own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
		b.ObjectOwnership = known(string(own.OwnershipControls.Rules[0].ObjectOwnership), arn)
	case err == nil || apiCode(err) == "OwnershipControlsNotFoundError":
		b.ObjectOwnership = known("", arn)
	default:
		// Ownership controls are informative; leave them unknown.
	}
	return b, nil
}

func (a *accountCollector) s3control() *s3control.Client {
	return s3control.NewFromConfig(a.cfg, func(o *s3control.Options) {
		u := a.c.opts.ServiceEndpoints["s3control"]
		if u == "" && a.cfg.BaseEndpoint != nil {
			u = *a.cfg.BaseEndpoint
		}
		if u == "" {
			return
		}
		// S3 Control puts the account id in the host name, which an
		// emulator on 127.0.0.1 cannot answer: send requests to u as is.
		if parsed, err := url.Parse(u); err == nil {
			o.EndpointResolverV2 = fixedEndpoint{u: *parsed}
		}
	})
}

// fixedEndpoint resolves every S3 Control request to one URL.
type fixedEndpoint struct{ u url.URL }

// ResolveEndpoint returns the fixed URL.
func (f fixedEndpoint) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return smithyendpoints.Endpoint{URI: f.u}, nil
}

// collectAccountBPA reads the account-level S3 Block Public Access; an
// account without one has all four switches off.
func collectAccountBPA(ctx context.Context, a *accountCollector) error {
	out, err := a.s3control().GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: sdk.String(a.account)})
	arn := "arn:aws:iam::" + a.account + ":root"
	p := &cloud.PublicAccessBlock{Src: arnSrc(arn)}
	switch {
	case err == nil && out.PublicAccessBlockConfiguration != nil:
		c := out.PublicAccessBlockConfiguration
		p.BlockPublicAcls = known(sdk.ToBool(c.BlockPublicAcls), arn)
		p.BlockPublicPolicy = known(sdk.ToBool(c.BlockPublicPolicy), arn)
		p.IgnorePublicAcls = known(sdk.ToBool(c.IgnorePublicAcls), arn)
		p.RestrictPublicBuckets = known(sdk.ToBool(c.RestrictPublicBuckets), arn)
	case apiCode(err) == "NoSuchPublicAccessBlockConfiguration":
		p.BlockPublicAcls = known(false, arn)
		p.BlockPublicPolicy = known(false, arn)
		p.IgnorePublicAcls = known(false, arn)
		p.RestrictPublicBuckets = known(false, arn)
	default:
		return fmt.Errorf("account public access block: %w", err)
	}
	a.merge(nil, func(ev *Evidence) {
		ev.AccountBPARead = true
		a.state.Accounts[0].PublicAccessBlock = p
	})
	return nil
}
