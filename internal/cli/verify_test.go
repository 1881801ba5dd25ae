package cli

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/palisade-sec/palisade/internal/awstest"
)

func TestScanVerifyMarksLiveAWSKeys(t *testing.T) {
	url := awstest.Moto(t, "INITIAL_NO_AUTH_ACTION_COUNT=2")
	ctx := awstest.Background(t)
	client := iam.NewFromConfig(awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "bootstrap"))
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "live", "credentials"), "[default]\naws_access_key_id = "+*key.AccessKey.AccessKeyId+
		"\naws_secret_access_key = "+*key.AccessKey.SecretAccessKey+"\n")
	writeFile(t, filepath.Join(dir, "dead", "credentials"), "[default]\naws_access_key_id = "+planted+
		"\naws_secret_access_key = "+*key.AccessKey.SecretAccessKey+"\n")
	r := palisade(t, dir, nil, "scan", "--no-store", "--verify", "--aws-endpoint-url", url, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := map[string]string{}
	for _, f := range decodeReport(t, r.stdout).Findings {
		got[filepath.Dir(f.Location.Path)+" "+f.RuleID] = f.Verification + " " + f.Severity.String()
	}
	want := map[string]string{
		"live aws-access-key-id":     "verified critical",
		"live aws-secret-access-key": "verified critical",
		"dead aws-access-key-id":     "unverified high",
		"dead aws-secret-access-key": "unverified critical",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
