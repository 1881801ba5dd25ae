package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/index"
)

func corpora(t *testing.T) string {
	t.Helper()
	if root := os.Getenv("PALISADE_CORPORA"); root != "" {
		return root
	}
	return filepath.Join("..", "..", "..", "..", "shared", "corpora")
}

const (
	org     = "o-abc123def4"
	account = "342082656213"
	bucket  = "org-trail"
)

// sansFiles returns n log files of one region of the SANS 504 corpus,
// in name order.
func sansFiles(t *testing.T, region string, n int) []string {
	t.Helper()
	var files []string
	root := filepath.Join(corpora(t), "cloudtrail", "logs", "sans504-s3-ransomware", region)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < n {
		t.Fatalf("corpus has %d files in %s, want %d", len(files), region, n)
	}
	return files[:n]
}

// orgKey is where CloudTrail's organization trail puts a corpus file:
// AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.
func orgKey(t *testing.T, file string) string {
	t.Helper()
	rel := filepath.ToSlash(file[strings.Index(file, "sans504-s3-ransomware/")+len("sans504-s3-ransomware/"):])
	region, rest, _ := strings.Cut(rel, "/")
	return "AWSLogs/" + org + "/" + account + "/CloudTrail/" + region + "/" + rest
}

func put(t *testing.T, client *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := client.PutObject(awstest.Background(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatal(err)
	}
}

func putFile(t *testing.T, client *s3.Client, key, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	put(t, client, key, data)
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newS3(t *testing.T, url string) *s3.Client {
	t.Helper()
	client := s3.NewFromConfig(awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "secret"), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(awstest.Background(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return client
}

// collect is a Handler that keeps every event id and counts batches.
type collect struct {
	ids     map[string]int
	batches []string
	fail    error
}

func (c *collect) handle(_ context.Context, source string, evs []*event.Event) error {
	if c.fail != nil {
		return c.fail
	}
	if c.ids == nil {
		c.ids = map[string]int{}
	}
	c.batches = append(c.batches, source)
	for _, ev := range evs {
		c.ids[ev.ID]++
		if ev.Ingested.IsZero() || ev.File == "" {
			return fmt.Errorf("event %s without ingest time or source", ev.ID)
		}
	}
	return nil
}

func TestS3ReadsOrgAndPlainLayoutsIncrementally(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	client := newS3(t, url)
	east, west := sansFiles(t, "us-east-1", 4), sansFiles(t, "us-west-2", 1)
	for _, f := range append(append([]string{}, east[:3]...), west...) {
		putFile(t, client, orgKey(t, f), f)
	}
	// A digest file and a non-org trail (AWSLogs/<account>/CloudTrail/...).
	put(t, client, "AWSLogs/"+org+"/"+account+"/CloudTrail-Digest/us-east-1/2021/07/30/digest.json.gz", gz(t, []byte(`{"digestStartTime":"x"}`)))
	stratus, err := os.ReadFile(filepath.Join(corpora(t), "cloudtrail", "logs", "stratus-red-team", "aws.persistence.iam-create-admin-user.json"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, client, "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/08/01/111122223333_CloudTrail_eu-west-1_20240801T1335Z_a.json.gz", gz(t, stratus))

	statePath := filepath.Join(t.TempDir(), "state.json")
	run := func() (collect, Stats, []error) {
		state, err := LoadState(statePath)
		if err != nil {
			t.Fatal(err)
		}
		var c collect
		src := &S3Source{Client: client, Bucket: bucket, State: state}
		st, errs := src.Run(ctx, c.handle)
		return c, st, errs
	}
	c, st, errs := run()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if st.Objects != 5 || len(c.batches) != 5 {
		t.Fatalf("first run read %d objects (%d batches), want 5 (4 org trail + 1 plain, no digest): %v", st.Objects, len(c.batches), c.batches)
	}
	if st.Events == 0 || len(c.ids) == 0 {
		t.Fatalf("no events read: %+v", st)
	}

	c, st, errs = run()
	if len(errs) > 0 || st.Objects != 0 {
		t.Fatalf("rerun without new objects read %d objects, errors %v; want 0", st.Objects, errs)
	}

	newKey := orgKey(t, east[3])
	putFile(t, client, newKey, east[3])
	c, st, errs = run()
	if len(errs) > 0 || st.Objects != 1 || len(c.batches) != 1 || !strings.HasSuffix(c.batches[0], newKey) {
		t.Fatalf("rerun after one new object read %v (errors %v), want only %s", c.batches, errs, newKey)
	}
	state, _ := LoadState(statePath)
	if got := state.S3[bucket+"/AWSLogs/"+org+"/"+account+"/CloudTrail/us-east-1/"]; got != newKey {
		t.Errorf("state for us-east-1 = %q, want %q", got, newKey)
	}
}

func TestS3StartsAtAGivenPrefixAndRetriesAfterHandlerFailure(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	client := newS3(t, url)
	files := sansFiles(t, "us-east-1", 2)
	for _, f := range files {
		putFile(t, client, orgKey(t, f), f)
	}
	state, _ := LoadState(filepath.Join(t.TempDir(), "state.json"))
	failing := collect{fail: errors.New("sink down")}
	src := &S3Source{Client: client, Bucket: bucket, Prefix: "AWSLogs/" + org + "/" + account + "/", State: state}
	if _, errs := src.Run(ctx, failing.handle); len(errs) != 1 || !strings.Contains(errs[0].Error(), "sink down") {
		t.Fatalf("errors %v, want the handler's", errs)
	}
	if len(state.S3) != 0 {
		t.Fatalf("state advanced past an object the handler refused: %v", state.S3)
	}
	var c collect
	if st, errs := src.Run(ctx, c.handle); len(errs) > 0 || st.Objects != 2 {
		t.Fatalf("retry read %d objects, errors %v; want 2", st.Objects, errs)
	}
}

func TestParseS3URL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix string }{
		{"s3://b", "b", ""},
		{"s3://b/AWSLogs/o-1/", "b", "AWSLogs/o-1/"},
	} {
		b, p, err := ParseS3URL(tc.in)
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", tc.in, b, p, err)
		}
	}
	for _, bad := range []string{"b/p", "s3:///p", "https://b/p"} {
		if _, _, err := ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", bad)
		}
	}
}

func s3Notification(bucket, key string) string {
	return `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2021-07-30T00:05:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","configurationId":"trail","bucket":{"name":"` +
		bucket + `","arn":"arn:aws:s3:::` + bucket + `"},"object":{"key":"` + key + `","size":1234}}}]}`
}

func snsEnvelope(msg string) string {
	b, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:111122223333:trail", "Subject": "Amazon S3 Notification",
		"Message": msg, "Timestamp": "2021-07-30T00:05:01.000Z", "SignatureVersion": "1",
	})
	return string(b)
}

func guardDutyEventBridge(t *testing.T) string {
	t.Helper()
	finding, err := os.ReadFile(filepath.Join("testdata", "guardduty-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	return `{"version":"0","id":"eb-1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2024-05-01T10:05:00Z","region":"us-east-1","resources":[],"detail":` + string(finding) + `}`
}

func TestSQSDeletesOnlyHandledMessages(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	cfg := awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "secret")
	s3c := newS3(t, url)
	sqsc := sqs.NewFromConfig(cfg)
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("trail-objects")})
	if err != nil {
		t.Fatal(err)
	}
	files := sansFiles(t, "us-east-1", 2)
	k0, k1 := orgKey(t, files[0]), orgKey(t, files[1])
	putFile(t, s3c, k0, files[0])
	putFile(t, s3c, k1, files[1])
	for _, body := range []string{
		s3Notification(bucket, strings.ReplaceAll(k0, "_", "%5F")), // URL-encoded key
		snsEnvelope(s3Notification(bucket, k1)),
		s3Notification(bucket, k0), // redelivery: same object again
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2021-07-30T00:00:00.000Z","Bucket":"org-trail"}`,
		guardDutyEventBridge(t),
		s3Notification(bucket, "AWSLogs/"+org+"/"+account+"/CloudTrail/us-east-1/2021/07/30/missing.json.gz"),
	} {
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	var c collect
	src := &SQSSource{SQS: sqsc, S3: s3c, QueueURL: aws.ToString(q.QueueUrl), MaxMessages: 6, Idle: 2 * time.Second}
	st, errs := src.Run(ctx, c.handle)
	if st.Messages != 6 || st.Objects != 3 {
		t.Fatalf("stats %+v, want 6 messages and 3 objects read", st)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "missing.json.gz") || !strings.Contains(errs[0].Error(), "left on the queue") {
		t.Fatalf("errors %v, want one for the missing object", errs)
	}
	if c.ids["f1"] != 1 {
		t.Errorf("GuardDuty finding from EventBridge not handled once: %v", c.ids["f1"])
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("queue attributes %v: want only the failed message left (in flight)", attrs.Attributes)
	}
	// At-least-once input, each event once: the pipeline dedups the redelivered object.
	ix, err := index.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	gdAlerts := 0
	p := &Pipeline{Index: ix, Config: detect.Config{Builtins: detect.Builtins(detect.BuiltinConfig{})}, OnAlert: func(a detect.Alert) {
		if a.RuleID == "PAL-CT-001" {
			gdAlerts++
		}
	}}
	for _, body := range []string{s3Notification(bucket, k0), s3Notification(bucket, k0), guardDutyEventBridge(t), guardDutyEventBridge(t)} {
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	src = &SQSSource{SQS: sqsc, S3: s3c, QueueURL: aws.ToString(q.QueueUrl), MaxMessages: 4, Idle: 2 * time.Second}
	if _, errs := src.Run(ctx, p.Handle); len(errs) > 0 {
		t.Fatal(errs)
	}
	n, _ := ix.Count(ctx)
	if p.Stats.Duplicates == 0 || int64(p.Stats.Events) != n {
		t.Errorf("pipeline stats %+v with %d indexed: want duplicates dropped and each event indexed once", p.Stats, n)
	}
	if gdAlerts != 1 {
		t.Errorf("GuardDuty finding delivered twice raised %d alerts, want 1", gdAlerts)
	}
}

func TestGuardDutyDetectorsInEveryRegionOnMoto(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	cfg := awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "secret")
	want := map[string]string{}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		c := guardduty.NewFromConfig(cfg, func(o *guardduty.Options) { o.Region = region })
		out, err := c.CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		want[region] = aws.ToString(out.DetectorId)
	}
	for region, id := range want {
		c := guardduty.NewFromConfig(cfg, func(o *guardduty.Options) { o.Region = region })
		got, err := Detectors(ctx, c)
		if err != nil || len(got) != 1 || got[0] != id {
			t.Errorf("%s: detectors %v, %v; want [%s]", region, got, err, id)
		}
	}
}

// fakeGuardDuty answers ListDetectors, ListFindings and GetFindings with
// the response shapes of the GuardDuty API reference (moto lacks the
// findings APIs). It records the ListFindings request bodies.
func fakeGuardDuty(t *testing.T, finding []byte) (*httptest.Server, *[]string) {
	var listBodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		body.ReadFrom(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/detector":
			fmt.Fprint(w, `{"detectorIds":["d1"]}`)
		case r.Method == http.MethodPost && r.URL.Path == "/detector/d1/findings":
			listBodies = append(listBodies, body.String())
			fmt.Fprint(w, `{"findingIds":["f1"]}`)
		case r.Method == http.MethodPost && r.URL.Path == "/detector/d1/findings/get":
			if !strings.Contains(body.String(), `"f1"`) {
				http.Error(w, `{"message":"unknown finding"}`, http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, `{"findings":[%s]}`, finding)
		default:
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &listBodies
}

func TestGuardDutyPollReadsFindingsAsTheAPIsJSON(t *testing.T) {
	finding, err := os.ReadFile(filepath.Join("testdata", "guardduty-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv, listBodies := fakeGuardDuty(t, finding)
	state, _ := LoadState(filepath.Join(t.TempDir(), "state.json"))
	var got []*event.Event
	g := &GuardDutyPoller{Config: awstest.Config(srv.URL, "AKIAIOSFODNN7EXAMPLE", "secret"), Regions: []string{"us-east-1", "eu-west-1"}, State: state}
	st, errs := g.Run(context.Background(), func(_ context.Context, _ string, evs []*event.Event) error {
		got = append(got, evs...)
		return nil
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if st.Findings != 2 || len(got) != 2 {
		t.Fatalf("read %d findings, want one per region", st.Findings)
	}
	ev := got[0]
	if ev.Type != event.GuardDutyFinding || ev.ID != "f1" || ev.Finding.Severity != 8 ||
		ev.Field("service.action.awsApiCallAction.remoteIpDetails.ipAddressV4").Str() != "198.51.100.7" {
		t.Errorf("finding decoded as %+v", ev)
	}
	if want := time.Date(2024, 5, 1, 10, 5, 0, 0, time.UTC); !state.GuardDuty["us-east-1/d1"].Equal(want) {
		t.Errorf("state %v, want us-east-1/d1 at %v", state.GuardDuty, want)
	}
	// The next poll asks only for findings updated since the newest one read.
	if _, errs := g.Run(context.Background(), func(context.Context, string, []*event.Event) error { return nil }); len(errs) > 0 {
		t.Fatal(errs)
	}
	last := (*listBodies)[len(*listBodies)-1]
	if !strings.Contains(last, `"updatedAt"`) || !strings.Contains(last, "1714557900000") {
		t.Errorf("second ListFindings request %s: want an updatedAt criterion from the state", last)
	}
}
