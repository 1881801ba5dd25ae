package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/detect"
)

func TestDetectOnStratusTechniqueWithSigmaRules(t *testing.T) {
	logs := corpus(t, "cloudtrail", "logs", "stratus-red-team")
	rules := corpus(t, "cloudtrail", "rules", "sigmahq-aws")
	r := palisade(t, t.TempDir(), nil, "detect", "--rules", rules, "--format", "json", logs)
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
	r := palisade(t, t.TempDir(), map[string]string{"HOOK_SECRET": "s3cret"}, "detect", "--format", "table",
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
