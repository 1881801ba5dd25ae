package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/ingest"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func stratusLogs(t *testing.T) string {
	t.Helper()
	return corpus(t, "cloudtrail", "logs", "stratus-red-team")
}

func TestEventsIndexAndSearch(t *testing.T) {
	dir := t.TempDir()
	logs := stratusLogs(t)
	env := map[string]string{"PALISADE_DB": filepath.Join(dir, "store", "palisade.db")}
	r := palisade(t, dir, env, "events", "index", logs)
	if r.code != 0 || !strings.Contains(r.stdout, "indexed 310 new events") {
		t.Fatalf("index: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "store", "palisade-events.db")); err != nil {
		t.Fatalf("index not beside the store: %v", err)
	}
	if r := palisade(t, dir, env, "events", "index", logs); r.code != 0 || !strings.Contains(r.stdout, "indexed 0 new events (310 read, 310 already indexed)") {
		t.Fatalf("re-index: exit %d, stdout %q", r.code, r.stdout)
	}

	const user, key = "arn:aws:iam::229654561268:user/christophe", "AKIAOZUDECYXYM4ONAN4"
	tests := []struct {
		name string
		args []string
		code int
		want []string // event names, in order (same-second ties by eventID)
	}{
		{"principal and window", []string{"--principal", user, "--from", "2024-08-01", "--to", "2024-08-02"}, 0,
			[]string{"AttachUserPolicy", "CreateUser", "CreateAccessKey"}},
		{"access key id", []string{"--principal", key}, 0, []string{"AttachUserPolicy", "CreateUser", "CreateAccessKey"}},
		{"event name filter", []string{"--principal", user, "--event-name", "CreateUser"}, 0, []string{"CreateUser"}},
		{"account and region filters", []string{"--principal", user, "--account", "229654561268", "--region", "ap-isob-central-3r", "--limit", "1"}, 0,
			[]string{"AttachUserPolicy"}},
		{"error code filter", []string{"--principal", "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/*", "--error-code", "AccessDenied"}, 0,
			[]string{"LeaveOrganization"}},
		{"window before the events", []string{"--principal", user, "--to", "2024-08-01T13:00:00Z"}, 1, nil},
		{"other account", []string{"--principal", user, "--account", "111122223333"}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := palisade(t, dir, env, append([]string{"events", "search", "--format", "json"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			var out struct {
				Events []struct {
					EventID   string          `json:"event_id"`
					Name      string          `json:"event_name"`
					Principal string          `json:"principal"`
					Event     json.RawMessage `json:"event"`
				} `json:"events"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("output is not {\"events\":[...]}: %v\n%s", err, r.stdout)
			}
			var names []string
			for _, e := range out.Events {
				names = append(names, e.Name)
				if e.EventID == "" || !bytes.Contains(e.Event, []byte(e.EventID)) {
					t.Errorf("event %s without its CloudTrail record", e.EventID)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("events %v, want %v", names, tc.want)
			}
		})
	}

	r = palisade(t, dir, env, "events", "search", "--principal", user)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, "2024-08-01T13:33:28Z  229654561268 ap-isob-central-3r iam:AttachUserPolicy") {
		t.Errorf("table: exit %d\n%s", r.code, r.stdout)
	}
	for _, args := range [][]string{
		{"events", "search"},
		{"events", "search", "--principal", user, "--from", "yesterday"},
		{"events", "search", "--principal", user, "--format", "xml"},
		{"events", "search", "--principal", user, "--from", "2024-08-02", "--to", "2024-08-01"},
		{"events", "index"},
	} {
		if r := palisade(t, dir, env, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, r.code)
		}
	}
	if r := palisade(t, dir, map[string]string{"PALISADE_EVENTS": filepath.Join(dir, "none.db")}, "events", "search", "--principal", user); r.code != 2 || !strings.Contains(r.stderr, "run palisade events index") {
		t.Errorf("missing index: exit %d, %s", r.code, r.stderr)
	}
}

// webhookReceiver checks each delivery's signature and collects the alerts.
type webhookReceiver struct {
	mu     sync.Mutex
	alerts []detect.Alert
	bad    int
}

func (wr *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if !detect.VerifySignature([]byte("hook-secret"), r.Header.Get(detect.HeaderTimestamp), body, r.Header.Get(detect.HeaderSignature)) {
		wr.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var out struct {
		Alerts []detect.Alert `json:"alerts"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		wr.bad++
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	wr.alerts = append(wr.alerts, out.Alerts...)
}

func TestEventsIngestFromS3AndSQSRaisesEachAlertOnce(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	cfg := awstest.Config(url, "AKIAIOSFODNN7EXAMPLE", "secret")
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	logs := stratusLogs(t)
	put := func(name, key string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(logs, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	prefix := "AWSLogs/o-abc123def4/229654561268/CloudTrail/us-east-1/2024/08/01/"
	put("aws.persistence.iam-create-admin-user.json", prefix+"229654561268_CloudTrail_us-east-1_20240801T1335Z_a.json")
	put("aws.defense-evasion.cloudtrail-stop.json", "AWSLogs/o-abc123def4/229654561268/CloudTrail/eu-west-1/2024/08/01/229654561268_CloudTrail_eu-west-1_20240801T1335Z_b.json")

	hook := &webhookReceiver{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
		"HOOK_SECRET": "hook-secret", "PALISADE_EVENTS": filepath.Join(dir, "events.db"), "PALISADE_DB": filepath.Join(dir, "palisade.db")}
	ingest := func(args ...string) (run, []detect.Alert) {
		t.Helper()
		r := palisade(t, dir, env, append([]string{"events", "ingest", "--aws-endpoint-url", url, "--format", "json",
			"--webhook", srv.URL, "--webhook-secret-env", "HOOK_SECRET"}, args...)...)
		var out struct {
			Alerts []detect.Alert `json:"alerts"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("exit %d, output is not {\"alerts\":[...]}: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
		}
		return r, out.Alerts
	}

	// storedAlerts counts the detection findings and detection runs in the store.
	storedAlerts := func() (findings, runs int) {
		t.Helper()
		s := storetest.Open(t, env["PALISADE_DB"])
		recs, err := s.Findings(ctx, store.Filter{Target: "aws-detections", Category: finding.Detection, Statuses: finding.Statuses})
		if err != nil {
			t.Fatal(err)
		}
		scans, err := s.Scans(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range scans {
			if _, ok := sc.Scanners["detect"]; ok && sc.Target == "aws-detections" && sc.Status == store.ScanPartial {
				runs++
			}
		}
		return len(recs), runs
	}

	r, alerts := ingest("--s3", "s3://org-trail/AWSLogs/")
	if r.code != 1 || len(alerts) == 0 {
		t.Fatalf("first ingest: exit %d, %d alerts, want alerts: %s", r.code, len(alerts), r.stderr)
	}
	if n, runs := storedAlerts(); n != len(alerts) || runs == 0 {
		t.Errorf("store holds %d detection findings from %d runs, want %d from at least one", n, runs, len(alerts))
	}
	_, runsBefore := storedAlerts()
	if len(hook.alerts) != len(alerts) || hook.bad != 0 {
		t.Errorf("webhook got %d alerts (%d bad deliveries), stdout %d", len(hook.alerts), hook.bad, len(alerts))
	}
	firstRun := map[string]bool{}
	for _, al := range alerts {
		for _, id := range al.EventIDs {
			firstRun[id] = true
		}
		if al.EventTime.IsZero() || al.IngestTime.IsZero() || al.AlertTime.IsZero() {
			t.Errorf("alert %s without event, ingest and alert times", al.RuleID)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "palisade-ingest-state.json")); err != nil {
		t.Errorf("no state file beside the index: %v", err)
	}

	// A rerun reads no object again.
	if r, alerts := ingest("--s3", "s3://org-trail/AWSLogs/"); r.code != 0 || len(alerts) != 0 || !strings.Contains(r.stderr, "0 objects") {
		t.Fatalf("rerun: exit %d, %d alerts: %s", r.code, len(alerts), r.stderr)
	}
	firstAlerts := len(alerts)
	if n, runs := storedAlerts(); n != firstAlerts || runs != runsBefore+1 {
		t.Errorf("after a run without alerts: %d findings, %d runs; want %d findings and the run recorded (%d)", n, runs, firstAlerts, runsBefore+1)
	}

	// Live: notifications for an object already ingested (redelivery) and a new one.
	sqsc := sqs.NewFromConfig(cfg)
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("trail")})
	if err != nil {
		t.Fatal(err)
	}
	newKey := prefix + "229654561268_CloudTrail_us-east-1_20240801T1340Z_c.json"
	put("aws.persistence.iam-create-backdoor-role.json", newKey)
	for _, key := range []string{prefix + "229654561268_CloudTrail_us-east-1_20240801T1335Z_a.json", newKey} {
		body := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"org-trail"},"object":{"key":"` + key + `"}}}]}`
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	before := len(hook.alerts)
	r, alerts = ingest("--sqs", aws.ToString(q.QueueUrl), "--max-messages", "5", "--wait", "2s")
	if r.code != 1 || len(alerts) == 0 || !strings.Contains(r.stderr, "2 messages") {
		t.Fatalf("sqs ingest: exit %d, %d alerts: %s", r.code, len(alerts), r.stderr)
	}
	for _, al := range alerts {
		for _, id := range al.EventIDs {
			if firstRun[id] {
				t.Errorf("alert %s again on event %s of the redelivered object", al.RuleID, id)
			}
		}
	}
	if len(hook.alerts)-before != len(alerts) {
		t.Errorf("webhook got %d new alerts, stdout %d", len(hook.alerts)-before, len(alerts))
	}
	if n, _ := storedAlerts(); n != firstAlerts+len(alerts) {
		t.Errorf("after the SQS run the store holds %d detection findings, want %d", n, firstAlerts+len(alerts))
	}
	if !strings.Contains(r.stderr, "already seen") || strings.Contains(r.stderr, " 0 already seen") {
		t.Errorf("redelivered object not deduplicated: %s", r.stderr)
	}
	if r := palisade(t, dir, env, "events", "search", "--principal", "AKIAOZUDECYXYM4ONAN4"); r.code != 0 || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("ingested events not searchable once each: exit %d\n%s", r.code, r.stdout)
	}
}

func TestEventsIngestUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"events", "ingest"},
		{"events", "ingest", "--s3", "org-trail/AWSLogs"},
		{"events", "ingest", "--s3", "s3://b", "--format", "xml"},
		{"events", "ingest", "--s3", "s3://b", "--webhook", "https://example.invalid/hook"},
		{"events", "ingest", "--s3", "s3://b", "--webhook", "https://example.invalid/hook", "--webhook-secret-env", "UNSET"},
		{"events", "ingest", "--s3", "s3://b", "--smtp-addr", "mail:25"},
		{"events", "ingest", "--s3", "s3://b", "--max-messages", "3"},
	} {
		if r := palisade(t, dir, nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, r.code, r.stderr)
		}
	}
}

func TestIngestTableReportsTimeToIdentify(t *testing.T) {
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var alerts []detect.Alert
	for i, tti := range []time.Duration{30 * time.Second, 2 * time.Minute, 5 * time.Minute} {
		alerts = append(alerts, detect.Alert{RuleID: fmt.Sprintf("PAL-T-%d", i), Title: "t", EventCount: 1,
			FirstSeen: base, EventTime: base, IngestTime: base.Add(tti / 2), AlertTime: base.Add(tti)})
	}
	var b bytes.Buffer
	if err := writeIngestTable(&b, alerts, ingest.Stats{Objects: 2, Events: 10}, ingest.PipelineStats{Events: 8, Duplicates: 2, Alerts: 3}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 objects, 0 messages, 0 findings, 10 events (8 new, 2 already seen), 3 alerts",
		"time to identify (alert time - event time): p50 2m0s  p90 2m0s  max 5m0s"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestEventsIngestPollsGuardDutyInEachRegion(t *testing.T) {
	finding, err := os.ReadFile(filepath.Join("..", "detect", "ingest", "testdata", "guardduty-finding.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	regions := map[string]int{}
	// Answers ListDetectors, ListFindings and GetFindings with the shapes of
	// the GuardDuty API reference; moto has no findings APIs.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if auth := r.Header.Get("Authorization"); strings.Contains(auth, "/guardduty/") {
			regions[strings.Split(strings.Split(auth, "Credential=")[1], "/")[2]]++
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/detector":
			fmt.Fprint(w, `{"detectorIds":["d1"]}`)
		case "/detector/d1/findings":
			fmt.Fprint(w, `{"findingIds":["f1"]}`)
		case "/detector/d1/findings/get":
			fmt.Fprintf(w, `{"findings":[%s]}`, finding)
		default:
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1"}
	r := palisade(t, dir, env, "events", "ingest", "--no-store", "--aws-endpoint-url", srv.URL, "--guardduty-regions", "us-east-1,eu-west-1", "--format", "jsonl")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (alert): %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var al detect.Alert
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &al) != nil || al.RuleID != "PAL-CT-001" {
		t.Fatalf("want one GuardDuty alert as a JSON line (the same finding id from two regions counts once), got:\n%s", r.stdout)
	}
	if regions["us-east-1"] == 0 || regions["eu-west-1"] == 0 {
		t.Errorf("requests signed per region: %v, want both regions polled", regions)
	}
	if !strings.Contains(r.stderr, "2 findings") {
		t.Errorf("summary: %s", r.stderr)
	}
}
