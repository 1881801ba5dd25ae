// Package verify asks providers whether a found credential works. It is
// opt-in (scan --verify): verification sends the credential to the provider.
package verify

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/palisade-sec/palisade/internal/secrets"
)

// AWSOptions configure AWS verification.
type AWSOptions struct {
	// Endpoint overrides the STS endpoint (an emulator in tests); empty
	// means the SDK's default or $AWS_ENDPOINT_URL.
	Endpoint string
	// Region for STS; default us-east-1.
	Region string
	// Timeout bounds one call; default 10 s.
	Timeout time.Duration
}

// rejected are STS error codes meaning the key pair is not a working
// credential. GetCallerIdentity needs no permission, so any other error
// (throttling, network) says nothing about the key.
var rejected = map[string]bool{
	"InvalidClientTokenId":        true,
	"SignatureDoesNotMatch":       true,
	"ExpiredToken":                true,
	"InvalidAccessKeyId":          true,
	"UnrecognizedClientException": true,
}

// AWS returns a verifier for secrets.Options.Verify that calls STS
// GetCallerIdentity with a found access key id and secret key.
func AWS(ctx context.Context, opts AWSOptions) func(kind string, parts []string) string {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	return func(kind string, parts []string) string {
		if kind != "aws" || len(parts) != 2 {
			return secrets.Unknown
		}
		cfg := aws.Config{
			Region:           opts.Region,
			Credentials:      credentials.NewStaticCredentialsProvider(parts[0], parts[1], ""),
			RetryMaxAttempts: 2,
		}
		if opts.Endpoint != "" {
			cfg.BaseEndpoint = aws.String(opts.Endpoint)
		}
		c, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
		if err == nil {
			return secrets.Verified
		}
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && rejected[apiErr.ErrorCode()] {
			return secrets.Unverified
		}
		return secrets.Unknown
	}
}
