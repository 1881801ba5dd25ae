package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// DefaultMaxAttempts is how many times one API call is tried before its
// error is reported: enough to ride out throttling of a busy account.
const DefaultMaxAttempts = 10

// LoadConfig builds an SDK configuration from the standard credential chain
// (environment, shared files, SSO, instance or task role); palisade never
// stores credentials. endpoint, when set, points every service at an
// emulator (AWS_ENDPOINT_URL is honoured by the chain itself).
func LoadConfig(ctx context.Context, region, endpoint string, maxAttempts int) (sdk.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return sdk.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if endpoint != "" {
		if _, err := url.ParseRequestURI(endpoint); err != nil {
			return sdk.Config{}, fmt.Errorf("endpoint URL %q: %w", endpoint, err)
		}
		cfg.BaseEndpoint = sdk.String(endpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	WithRetries(&cfg, maxAttempts)
	return cfg, nil
}

// WithRetries makes cfg retry throttled and transient errors up to
// maxAttempts times (DefaultMaxAttempts when zero) with exponential backoff
// and the SDK's adaptive client-side rate limiting.
func WithRetries(cfg *sdk.Config, maxAttempts int) {
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	cfg.RetryMaxAttempts = 0
	cfg.Retryer = func() sdk.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = maxAttempts
				so.MaxBackoff = 20 * time.Second
				// The retry quota would turn a long throttling spell into
				// errors; backoff and the adaptive limiter pace us instead.
				so.RateLimiter = ratelimit.None
				// An API the endpoint does not serve answers the same every
				// time: fail at once instead of backing off ten times.
				so.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) sdk.Ternary {
					if notServed(err) {
						return sdk.FalseTernary
					}
					return sdk.UnknownTernary
				})}, so.Retryables...)
			})
		})
	}
}

// notServed reports whether err says the endpoint does not serve the API
// at all (as emulators answer for what they do not implement, and as a
// partition or region without the service answers): HTTP 501, an error
// code naming an unknown operation, or a 404/500 whose body is not an AWS
// error. Throttling and transient 5xx answers with an AWS error body are
// not matched, so they are still retried.
func notServed(err error) bool {
	switch apiCode(err) {
	case "NotImplemented", "UnknownOperationException", "InvalidAction":
		return true
	}
	var hs interface{ HTTPStatusCode() int }
	if !errors.As(err, &hs) {
		return false
	}
	status := hs.HTTPStatusCode()
	if status == http.StatusNotImplemented {
		return true
	}
	var de *smithy.DeserializationError
	return errors.As(err, &de) && (status == http.StatusNotFound || status == http.StatusInternalServerError)
}

// Counter counts API calls (operations) and attempts (including retries)
// made through the configurations it is installed in.
type Counter struct {
	calls    atomic.Int64
	attempts atomic.Int64
}

// Calls is the number of API operations started.
func (c *Counter) Calls() int64 { return c.calls.Load() }

// Attempts is the number of HTTP requests sent, retries included.
func (c *Counter) Attempts() int64 { return c.attempts.Load() }

// Install adds the counting middleware to cfg.
func (c *Counter) Install(cfg *sdk.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("PalisadeCountCalls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.calls.Add(1)
				return next.HandleInitialize(ctx, in)
			}), middleware.Before); err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("PalisadeCountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.attempts.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// AssumeRole returns a copy of base whose credentials come from assuming
// roleName in account (with externalID when set). Credentials are cached and
// refreshed by the SDK, and live only in memory.
func AssumeRole(base sdk.Config, account, roleName, externalID string) sdk.Config {
	cfg := base.Copy()
	arn := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition(base.Region), account, roleName)
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "palisade-audit"
		if externalID != "" {
			o.ExternalID = sdk.String(externalID)
		}
	})
	cfg.Credentials = sdk.NewCredentialsCache(provider)
	return cfg
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case len(region) >= 3 && region[:3] == "cn-":
		return "aws-cn"
	case len(region) >= 7 && region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}
