package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestDetectOnStratusTechniqueWithSigmaRules(t *testing.T) {
	corpora := filepath.Join("..", "..", "..", "shared", "corpora", "cloudtrail")
	logs, _ := filepath.Abs(filepath.Join(corpora, "logs", "stratus-red-team"))
	rules, _ := filepath.Abs(filepath.Join(corpora, "rules", "sigmahq-aws"))
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
