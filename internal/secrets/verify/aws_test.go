package verify

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/secrets"
)

// TestAWSVerificationAgainstMoto creates a real key pair in moto (with
// request authentication on, so unknown keys are refused), then checks the
// verifier and the engine's pairing of key id and secret in a file.
func TestAWSVerificationAgainstMoto(t *testing.T) {
	// Two unauthenticated requests (CreateUser, CreateAccessKey), then
	// moto checks every request's signature against its IAM state.
	url := awstest.Moto(t, "INITIAL_NO_AUTH_ACTION_COUNT=2")
	ctx := awstest.Background(t)
	client := iam.NewFromConfig(awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "bootstrap"))
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci-deployer")}); err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci-deployer")})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey

	v := AWS(context.Background(), AWSOptions{Endpoint: url})
	for _, tc := range []struct {
		name, id, secret, want string
	}{
		{"live pair", id, secret, secrets.Verified},
		{"wrong secret", id, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz", secrets.Unverified},
		{"unknown key", "AKIAZ2ADPRQ7LOKKEBV4", secret, secrets.Unverified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := v("aws", []string{tc.id, tc.secret}); got != tc.want {
				t.Errorf("verify = %s, want %s", got, tc.want)
			}
		})
	}
	if got := AWS(context.Background(), AWSOptions{Endpoint: "http://127.0.0.1:1"})("aws", []string{id, secret}); got != secrets.Unknown {
		t.Errorf("unreachable endpoint: %s, want unknown", got)
	}

	e := secrets.New(secrets.Options{HashKey: []byte("k"), Verify: v})
	text := "[default]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	got := map[string]string{}
	e.ScanText([]byte(text), func(h secrets.Hit) { got[h.Detector.ID] = h.Verification })
	if got["aws-access-key-id"] != secrets.Verified || got["aws-secret-access-key"] != secrets.Verified {
		t.Errorf("engine verification %v, want both verified", got)
	}
}
