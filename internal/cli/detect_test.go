package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestDetectOnStratusTechniqueWithSigmaRules(t *testing.T) {
	logs := corpus(t, "cloudtrail", "logs", "stratus-red-team")
	rules := corpus(t, "cloudtrail", "rules", "sigmahq-aws")
	r := palisade(t, t.TempDir(), nil, "detect", "--no-store", "--rules", rules, "--format", "json", logs)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (alerts raised): %s", r.code, r.stderr)
	}
	var out struct {
		Alerts []struct {
			RuleID    string   `json:"rule_id"`
			Title     string   `json:"title"`
			Severity  string   `json:"severity"`
			EventIDs  []string `json:"event_ids"`
			Principal string   `json:"principal"`
			Account   string   `json:"account"`
			Region    string   `json:"region"`
			FirstSeen string   `json:"first_seen"`
			LastSeen  string   `json:"last_seen"`
			Attack    []string `json:"attack"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("output is not {\"alerts\":[...]}: %v", err)
	}
	sources := map[string]bool{}
	for _, al := range out.Alerts {
		if al.RuleID == "" || al.Title == "" || len(al.EventIDs) == 0 || al.FirstSeen == "" || al.LastSeen == "" {
			t.Errorf("alert missing fields: %+v", al)
		}
		sources[al.RuleID[:3]] = true
	}
	if !sources["PAL"] || len(sources) < 2 {
		t.Errorf("want alerts from built-ins (PAL-) and Sigma rules, got rule prefixes %v", sources)
	}
	if r := palisade(t, t.TempDir(), nil, "detect", "--no-builtin", "--format", "xml", logs); r.code != 2 {
		t.Errorf("bad format: exit %d, want 2", r.code)
	}
}

// TestDetectDeliversSignedWebhook replays a technique's logs and checks the
// alerts reach a webhook with a valid HMAC signature.
func TestDetectDeliversSignedWebhook(t *testing.T) {
	var got []byte
	var valid bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = body
		valid = detect.VerifySignature([]byte("s3cret"), r.Header.Get(detect.HeaderTimestamp), body, r.Header.Get(detect.HeaderSignature))
	}))
	defer srv.Close()
	logs := corpus(t, "cloudtrail", "logs", "stratus-red-team", "aws.defense-evasion.cloudtrail-stop.json")
	r := palisade(t, t.TempDir(), map[string]string{"HOOK_SECRET": "s3cret"}, "detect", "--no-store", "--format", "table",
		"--webhook", srv.URL, "--webhook-secret-env", "HOOK_SECRET", logs)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if len(got) == 0 || !valid {
		t.Fatalf("webhook got %d bytes, signature valid %v", len(got), valid)
	}
	if !strings.Contains(string(got), "PAL-CT-004") {
		t.Errorf("webhook body lacks the CloudTrail tampering alert: %.300s", got)
	}
	if r := palisade(t, t.TempDir(), nil, "detect", "--webhook", srv.URL, logs); r.code != 2 {
		t.Errorf("webhook without a secret: exit %d, want 2", r.code)
	}
}

// TestDetectRecordsAlertsAsTrackedFindings replays the Stratus Red Team
// logs into a store: every alert becomes one open detection finding of
// target aws-detections; a replay adds no duplicate; a run over part of
// the logs fixes nothing; and triage (false_positive, accepted, fixed)
// holds when the same activity is read again.
func TestDetectRecordsAlertsAsTrackedFindings(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		logs := filepath.Join(dir, "logs")
		if err := os.CopyFS(logs, os.DirFS(stratusLogs(t))); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"PALISADE_DB": dsn}
		detectRun := func(paths ...string) []detect.Alert {
			t.Helper()
			r := palisade(t, dir, env, append([]string{"detect", "--format", "json"}, paths...)...)
			if r.code != 1 {
				t.Fatalf("detect: exit %d, want 1 (alerts): %s", r.code, r.stderr)
			}
			var out struct {
				Alerts []detect.Alert `json:"alerts"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("detect output: %v", err)
			}
			return out.Alerts
		}
		stored := func() map[string]finding.Finding {
			t.Helper()
			r := palisade(t, dir, env, "findings", "list", "--target", "aws-detections", "--status", "all", "--format", "json")
			if r.code != 0 {
				t.Fatalf("findings list: exit %d: %s", r.code, r.stderr)
			}
			out := map[string]finding.Finding{}
			for _, f := range decodeReport(t, r.stdout).Findings {
				if _, dup := out[f.Fingerprint]; dup {
					t.Errorf("fingerprint %s listed twice", f.Fingerprint)
				}
				out[f.Fingerprint] = f
			}
			return out
		}
		statuses := func(fs map[string]finding.Finding) map[finding.Status]int {
			n := map[finding.Status]int{}
			for _, f := range fs {
				n[f.Status]++
			}
			return n
		}

		alerts := detectRun("logs")
		first := stored()
		if len(alerts) < 10 || len(first) != len(alerts) {
			t.Fatalf("%d alerts stored as %d findings, want one finding per alert (and at least 10)", len(alerts), len(first))
		}
		if n := statuses(first); n[finding.StatusOpen] != len(alerts) {
			t.Fatalf("statuses after the first run %v, want all open", n)
		}
		var stop finding.Finding // the CloudTrail StopLogging alert
		for _, al := range alerts {
			f, ok := first[al.Finding().Fingerprint]
			if !ok {
				t.Fatalf("alert %s %s not stored", al.RuleID, al.ID)
			}
			if f.Category != finding.Detection || f.Scanner != "detect" || !strings.HasSuffix(f.Resource, "#"+al.ID) ||
				!strings.Contains(f.Evidence, al.EventIDs[0]) || !strings.Contains(f.Remediation, "palisade events search") || len(f.References) == 0 {
				t.Errorf("finding of %s: %+v", al.RuleID, f)
			}
			if al.RuleID == "PAL-CT-004" && al.Account == "143434273843" { // cloudtrail-stop.json
				stop = f
			}
		}
		if stop.Fingerprint == "" {
			t.Fatal("no CloudTrail tampering alert (PAL-CT-004) among the findings")
		}

		// The same logs again: the same findings, nothing new.
		if again := detectRun("logs"); len(again) != len(alerts) {
			t.Fatalf("replay raised %d alerts, first run %d", len(again), len(alerts))
		}
		if got := stored(); !reflect.DeepEqual(statuses(got), statuses(first)) || len(got) != len(first) {
			t.Fatalf("replay: %d findings %v, want %d unchanged", len(got), statuses(got), len(first))
		}

		// Triage three alerts, then read part of the logs, then all of them.
		var ids []string
		for fp := range first {
			if fp != stop.Fingerprint {
				ids = append(ids, fp)
			}
		}
		sort.Strings(ids)
		for _, tr := range [][]string{
			{stop.Fingerprint[:12], "--status", "false_positive", "--reason", "our own Stratus Red Team exercise"},
			{ids[0][:12], "--status", "accepted", "--reason", "red team exercise, known"},
			{ids[1][:12], "--status", "fixed", "--reason", "keys rotated"},
		} {
			if r := palisade(t, dir, env, append([]string{"findings", "triage"}, tr...)...); r.code != 0 {
				t.Fatalf("triage %v: exit %d: %s", tr, r.code, r.stderr)
			}
		}
		want := map[finding.Status]int{finding.StatusOpen: len(first) - 3, finding.StatusFalsePositive: 1, finding.StatusAccepted: 1, finding.StatusFixed: 1}
		if part := detectRun(filepath.Join("logs", "aws.defense-evasion.cloudtrail-stop.json")); len(part) == 0 || len(part) >= len(alerts) {
			t.Fatalf("partial run raised %d alerts", len(part))
		}
		if got := stored(); !reflect.DeepEqual(statuses(got), want) {
			t.Errorf("after a run over one file: %v, want %v (nothing fixed, triage kept)", statuses(got), want)
		}
		detectRun("logs")
		got := stored()
		if !reflect.DeepEqual(statuses(got), want) || len(got) != len(first) {
			t.Errorf("after replaying everything: %d findings %v, want %d %v", len(got), statuses(got), len(first), want)
		}
		if f := got[stop.Fingerprint]; f.Status != finding.StatusFalsePositive {
			t.Errorf("the false positive is %s after it was seen again", f.Status)
		}
		if r := palisade(t, dir, env, "findings", "show", stop.Fingerprint[:12]); r.code != 0 || !strings.Contains(r.stdout, "open -> false_positive") ||
			strings.Count(r.stdout, " -> ") != 2 {
			t.Errorf("history of the false positive: exit %d\n%s", r.code, r.stdout)
		}

		// The roadmap sees the runs and the alerts' triage; so do the metrics.
		now := time.Now().UTC()
		wantState(t, roadmapAt(t, now, dir, env), "aws-4-siem", "met", "(36 newer, within the triage window)")
		later := now.Add(4 * 24 * time.Hour)
		wantState(t, roadmapAt(t, later, dir, env), "aws-4-siem", "not_met", "36 finding(s) open for more than 3 days without triage")
		wantState(t, roadmapAt(t, now.Add(8*24*time.Hour), dir, env), "aws-4-siem", "no_evidence", "no detect scan in the last 7 days")
		m := runAt(t, later, dir, env, "metrics")
		if m.code != 0 || !strings.Contains(m.stdout, "Detection alerts: 36 open, 36 of them untriaged for more than 3 days.") ||
			!strings.Contains(m.stdout, "detect 4") {
			t.Errorf("metrics: exit %d\n%s", m.code, m.stdout)
		}

		// --no-store leaves the store alone.
		before := palisade(t, dir, env, "findings", "list", "--status", "all", "--format", "json").stdout
		if r := palisade(t, dir, env, "detect", "--no-store", "--format", "json", "logs"); r.code != 1 {
			t.Fatalf("--no-store: exit %d: %s", r.code, r.stderr)
		}
		if after := palisade(t, dir, env, "findings", "list", "--status", "all", "--format", "json").stdout; after != before {
			t.Error("detect --no-store changed the store")
		}
	})
}

// TestAlertRecorderHeartbeat checks that a long-running ingest records a
// run that raised nothing at most once per detectionHeartbeat.
func TestAlertRecorderHeartbeat(t *testing.T) {
	s := storetest.Open(t, storetest.SQLite(t))
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := &alertRecorder{store: s, now: func() time.Time { return clock }}
	ctx := context.Background()
	for _, step := range []struct {
		name     string
		advance  time.Duration
		wantRuns int
	}{
		{"the first batch records a run", 0, 1},
		{"a batch a minute later does not", time.Minute, 1},
		{"a batch just under the heartbeat does not", detectionHeartbeat - 2*time.Minute, 1},
		{"a batch at the heartbeat does", time.Minute, 2},
	} {
		clock = clock.Add(step.advance)
		if err := rec.heartbeat(ctx); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		scans, err := s.Scans(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != step.wantRuns {
			t.Errorf("%s: %d runs recorded, want %d", step.name, len(scans), step.wantRuns)
		}
		for _, sc := range scans {
			if sc.Target != detectionsTarget || sc.Status != store.ScanPartial || sc.Scanners[detect.ScannerName] == "" {
				t.Errorf("%s: run %+v, want a partial detect run of %s", step.name, sc, detectionsTarget)
			}
		}
	}
}
