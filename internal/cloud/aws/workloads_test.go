package aws

import (
	"testing"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
)

func TestTwoBadLambdaStatementsAreTwoFindings(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:123456789012:function:hook"
	doc := parsePolicy(`{"Version":"2012-10-17","Statement":[
		{"Sid":"any","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"`+fn+`"},
		{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+fn+`"},
		{"Sid":"scoped","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"`+fn+`","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:sns:us-east-1:123456789012:t"}}}]}`, fn)
	st := &cloud.State{LambdaPermissions: lambdaPermissions(doc, fn)}
	var got []string
	posture.Evaluate(st, posture.Rules(), func(r posture.Result) {
		if r.Rule.ID == "AWS-LMB-002" {
			f := r.Finding("aws", finding.Posture)
			got = append(got, f.Resource)
		}
	})
	want := []string{fn + "#any", fn + "#s3"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("AWS-LMB-002 resources %q, want %q", got, want)
	}
}
