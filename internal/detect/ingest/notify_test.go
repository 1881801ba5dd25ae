package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseNotification(t *testing.T) {
	gd := guardDutyEventBridge(t)
	tests := []struct {
		name    string
		body    string
		objects []ObjectRef
		events  int
		ignored bool
		err     bool
	}{
		{"S3 notification with URL-encoded key", s3Notification("b", "AWSLogs/1/CloudTrail/us-east-1/2024/a+b%3Dc.json.gz"),
			[]ObjectRef{{"b", "AWSLogs/1/CloudTrail/us-east-1/2024/a b=c.json.gz"}}, 0, false, false},
		{"S3 notification inside SNS", snsEnvelope(s3Notification("b", "k.json.gz")), []ObjectRef{{"b", "k.json.gz"}}, 0, false, false},
		{"CloudTrail SNS delivery notice", `{"s3Bucket":"b","s3ObjectKey":["AWSLogs/1/CloudTrail/us-east-1/x.json.gz","AWSLogs/1/CloudTrail/us-east-1/y.json.gz"]}`,
			[]ObjectRef{{"b", "AWSLogs/1/CloudTrail/us-east-1/x.json.gz"}, {"b", "AWSLogs/1/CloudTrail/us-east-1/y.json.gz"}}, 0, false, false},
		{"EventBridge Object Created", `{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k 1.json.gz"}}}`,
			[]ObjectRef{{"b", "k 1.json.gz"}}, 0, false, false},
		{"EventBridge GuardDuty finding", gd, nil, 1, false, false},
		{"GuardDuty finding inside SNS", snsEnvelope(gd), nil, 1, false, false},
		{"s3:TestEvent is ignored", `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`, nil, 0, true, false},
		{"object removal is ignored", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, nil, 0, true, false},
		{"digest file is ignored", s3Notification("b", "AWSLogs/1/CloudTrail-Digest/us-east-1/d.json.gz"), nil, 0, true, false},
		{"SNS inside SNS is refused", snsEnvelope(snsEnvelope(s3Notification("b", "k"))), nil, 0, false, true},
		{"bad percent-encoding", s3Notification("b", "k%zz"), nil, 0, false, true},
		{"record without bucket", s3Notification("", "k"), nil, 0, false, true},
		{"unknown JSON", `{"hello":"world"}`, nil, 0, false, true},
		{"not JSON", `AWSLogs/1/x.json.gz`, nil, 0, false, true},
		{"EventBridge event that is not an event", `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, nil, 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNotification([]byte(tc.body))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(n.Objects, tc.objects) || len(n.Events) != tc.events || n.Ignored != tc.ignored {
				t.Errorf("got objects %v, %d events, ignored %v", n.Objects, len(n.Events), n.Ignored)
			}
		})
	}
	if _, err := ParseNotification([]byte(`{"a":1}`)); !errors.Is(err, ErrUnknownMessage) {
		t.Errorf("unknown message error does not wrap ErrUnknownMessage: %v", err)
	}
}

func FuzzParseNotification(f *testing.F) {
	f.Add([]byte(s3Notification("b", "AWSLogs/1/CloudTrail/us-east-1/a%20b.json.gz")))
	f.Add([]byte(snsEnvelope(s3Notification("b", "k"))))
	f.Add([]byte(`{"s3Bucket":"b","s3ObjectKey":["k"]}`))
	f.Add([]byte(`{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}}`))
	if finding, err := os.ReadFile(filepath.Join("testdata", "guardduty-finding.json")); err == nil {
		f.Add([]byte(`{"detail-type":"GuardDuty Finding","detail":` + string(finding) + `}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotification(body)
		if err != nil {
			return
		}
		for _, o := range n.Objects {
			if o.Bucket == "" || o.Key == "" {
				t.Fatalf("object without bucket or key from %q", body)
			}
		}
		if n.Ignored && (len(n.Objects) > 0 || len(n.Events) > 0) {
			t.Fatalf("ignored notification carries work: %+v", n)
		}
	})
}
