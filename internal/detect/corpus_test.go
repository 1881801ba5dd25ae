package detect

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/sigma"
)

func corpora(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpora")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpora not found at %s", root)
	}
	return root
}

func loadRules(t testing.TB, names ...string) *sigma.RuleSet {
	t.Helper()
	var dirs []string
	for _, n := range names {
		dirs = append(dirs, filepath.Join(corpora(t), "cloudtrail", "rules", n))
	}
	rs, errs := LoadRules(dirs)
	for _, e := range errs {
		t.Errorf("load rules: %v", e)
	}
	return rs
}

func runPaths(t testing.TB, cfg Config, paths ...string) ([]Alert, Stats) {
	t.Helper()
	var alerts []Alert
	st, errs := NewEngine(cfg).Run(context.Background(), paths, func(a Alert) { alerts = append(alerts, a) })
	for _, e := range errs {
		t.Errorf("run: %v", e)
	}
	return alerts, st
}

// TestStratusRecall counts the Stratus Red Team techniques (LABELS.tsv)
// detected by the built-ins plus the SigmaHQ rules: a technique counts when
// an alert includes one of its events.
func TestStratusRecall(t *testing.T) {
	dir := filepath.Join(corpora(t), "cloudtrail", "logs", "stratus-red-team")
	f, err := os.Open(filepath.Join(dir, "LABELS.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var techniques []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if cols[0] != "technique" {
			techniques = append(techniques, cols[0])
		}
	}
	rules := loadRules(t, "sigmahq-aws")
	tests := []struct {
		name    string
		cfg     Config
		atLeast int
	}{
		{"built-ins and SigmaHQ", Config{Rules: rules, Builtins: Builtins(BuiltinConfig{})}, 33},
		{"SigmaHQ alone", Config{Rules: rules}, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			detected, specific := 0, 0
			var missed []string
			for _, tech := range techniques {
				cfg := tc.cfg
				cfg.Now = fixedNow
				alerts, _ := runPaths(t, cfg, filepath.Join(dir, tech+".json"))
				var ids []string
				for _, a := range alerts {
					ids = append(ids, a.RuleID)
				}
				for _, id := range ids {
					if !generic[id] {
						specific++
						break
					}
				}
				if len(alerts) > 0 {
					detected++
					t.Logf("detected %-60s by %s", tech, strings.Join(uniq(ids), ", "))
				} else {
					missed = append(missed, tech)
				}
			}
			t.Logf("%s: %d of %d techniques (%d by a technique-specific rule); missed: %v", tc.name, detected, len(techniques), specific, missed)
			if detected < tc.atLeast || specific < tc.atLeast {
				t.Errorf("detected %d of %d, want at least %d; missed %v", detected, len(techniques), tc.atLeast, missed)
			}
		})
	}
}

// generic rules fire on many techniques without being about them: the
// AccessDenied burst, and SigmaHQ's aws_sts_assumerole_misuse, which
// matches every role session (see corpora README).
var generic = map[string]bool{"PAL-CT-002": true, "905d389b-b853-46d0-9d3d-dea0d3a3cd49": true}

func uniq(in []string) []string {
	sort.Strings(in)
	var out []string
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// TestSANS504 runs the built-ins and SigmaHQ rules over the SANS 504 lab
// account: the attacker's PutUserPolicy on itself and CreateAccessKey must
// be caught, and the alert rate is reported.
func TestSANS504(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 30,000 records")
	}
	dir := filepath.Join(corpora(t), "cloudtrail", "logs", "sans504-s3-ransomware")
	cfg := Config{Rules: loadRules(t, "sigmahq-aws"), Builtins: Builtins(BuiltinConfig{}), Now: fixedNow}
	alerts, st := runPaths(t, cfg, dir)
	if st.Events != 23981 {
		t.Errorf("events = %d, want 23981 unique", st.Events)
	}
	const attacker = "jmerckle"
	want := map[string]bool{"PAL-CT-013": false, "PAL-CT-011": false}
	byRule := map[string]int{}
	for _, a := range alerts {
		byRule[a.RuleID+" "+a.Title]++
		if strings.Contains(a.Principal, attacker) {
			if _, ok := want[a.RuleID]; ok {
				want[a.RuleID] = true
			}
		}
	}
	for id, got := range want {
		if !got {
			t.Errorf("%s not raised for %s", id, attacker)
		}
	}
	per10k := float64(len(alerts)) * 10000 / float64(st.Events)
	t.Logf("sans504: %d events, %d matches, %d alerts (%.1f per 10,000 events)", st.Events, st.Matches, len(alerts), per10k)
	var keys []string
	for k := range byRule {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %4d  %s", byRule[k], k)
	}
	for _, a := range alerts {
		if a.RuleID == "PAL-CT-002" && strings.Contains(a.Principal, "delivery.logs") {
			t.Errorf("AccessDenied burst from an AWS service principal: %+v", a)
		}
	}
}

// pantherCase maps Panther rule ids to the built-in that covers the same
// behaviour; only these Panther cases are asserted.
var pantherCase = map[string]string{
	"AWS.Console.LoginWithoutMFA":               "PAL-CT-021",
	"AWS.CloudTrail.Stopped":                    "PAL-CT-004",
	"AWS.CloudTrail.EventSelectorsDisabled":     "PAL-CT-004",
	"AWS.S3.DeletePublicAccessBlock":            "PAL-CT-019",
	"AWS.ConfigService.DisabledDeleted":         "PAL-CT-006",
	"AWS.IAM.Backdoor.User.Keys":                "PAL-CT-011",
	"AWS.CloudTrail.AMIModifiedForPublicAccess": "PAL-CT-031",
	"AWS.CloudTrail.SnapshotMadePublic":         "PAL-CT-031",
	"AWS.Lambda.UpdateFunctionConfiguration":    "PAL-CT-033",
	"AWS.Lambda.UpdateFunctionCode":             "PAL-CT-033",
	"AWS.EC2.Startup.Script.Change":             "PAL-CT-024",
	"AWS.Root.Activity":                         "PAL-CT-003",
}

// pantherKnown lists Panther cases where a built-in deliberately differs.
var pantherKnown = map[string]string{
	"AMI Not Made Public":                     "sharing an AMI with any other account is exfiltration (Stratus ec2-share-ami)",
	"AMI Added to User":                       "sharing an AMI with any other account is exfiltration (Stratus ec2-share-ami)",
	"Snapshot Not Made Publicly Accessible":   "sharing a snapshot with any other account is exfiltration (Stratus ec2-share-ebs-snapshot)",
	"Error Stopping CloudTrail":               "a failed attempt to stop logging is still an attacker signal",
	"Error Deleting Config Recorder":          "a failed attempt to stop Config is still an attacker signal",
	"No MFA Login - New User":                 "Panther suppresses users created minutes earlier using its own state store",
	"Root Activity - CreateServiceLinkedRole": "any human root activity alerts (checklist: lock away root)",
	"Root User Failed Activity":               "any human root activity alerts (checklist: lock away root)",
	"Root Read-Only Enumeration":              "any human root activity alerts (checklist: lock away root)",
	"user1 create keys for user1":             "any new long-lived access key alerts (checklist: no long-lived keys)",
}

// TestPantherCases runs Panther's unit-test events for the rules that
// match a built-in's intent, and reports agreement; disagreements that come
// from a deliberate difference are listed in known.
func TestPantherCases(t *testing.T) {
	dir := filepath.Join(corpora(t), "cloudtrail", "logs", "panther-tests")
	var labels []struct {
		Rule     string `json:"rule"`
		Test     string `json:"test"`
		Expected bool   `json:"expected"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &labels); err != nil {
		t.Fatal(err)
	}
	// positives.json holds the expected=true cases in label order,
	// negatives.json the expected=false ones.
	load := func(part string) []json.RawMessage {
		var evs []json.RawMessage
		data, err := os.ReadFile(filepath.Join(dir, part))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &evs); err != nil {
			t.Fatal(err)
		}
		return evs
	}
	pos, neg := load("pos/positives.json"), load("neg/negatives.json")
	var events []json.RawMessage
	for _, l := range labels {
		if l.Expected {
			if len(pos) == 0 {
				t.Fatal("fewer positive events than labels")
			}
			events, pos = append(events, pos[0]), pos[1:]
		} else {
			if len(neg) == 0 {
				t.Fatal("fewer negative events than labels")
			}
			events, neg = append(events, neg[0]), neg[1:]
		}
	}
	byID := map[string]Detection{}
	for _, d := range Builtins(BuiltinConfig{}) {
		byID[d.ID] = d
	}
	agree, total := 0, 0
	for i, l := range labels {
		id, ok := pantherCase[l.Rule]
		if !ok {
			continue
		}
		ev, err := event.Decode(string(events[i]))
		if err != nil {
			// A few Panther cases use its normalised lower-case field names,
			// which are not CloudTrail records.
			t.Logf("skipped %s / %s: %v", l.Rule, l.Test, err)
			continue
		}
		total++
		got := byID[id].Match(ev)
		if got == l.Expected {
			agree++
			continue
		}
		if why, ok := pantherKnown[l.Test]; ok {
			t.Logf("known difference: %s / %q: %s", l.Rule, l.Test, why)
			continue
		}
		t.Errorf("%s / %q: Panther says %v, %s says %v", l.Rule, l.Test, l.Expected, id, got)
	}
	t.Logf("Panther cases: %d of %d agree", agree, total)
	if total < 40 {
		t.Errorf("only %d Panther cases ran", total)
	}
}

// TestSuzakuCorrelationEndToEnd loads Suzaku's temporal_ordered IAM
// persistence chain and runs it over the Stratus create-admin-user events
// (CreateUser then CreateAccessKey from one key and IP).
func TestSuzakuCorrelationEndToEnd(t *testing.T) {
	root := corpora(t)
	rules, errs := LoadRules([]string{filepath.Join(root, "cloudtrail", "rules", "suzaku-aws", "aws_cloudtrail_iam_persistence_chain.yml")})
	if len(errs) > 0 || len(rules.Correlations) != 1 {
		t.Fatalf("load: %v, %d correlations", errs, len(rules.Correlations))
	}
	alerts, _ := runPaths(t, Config{Rules: rules, Now: fixedNow},
		filepath.Join(root, "cloudtrail", "logs", "stratus-red-team", "aws.persistence.iam-create-admin-user.json"))
	if len(alerts) != 1 {
		t.Fatalf("alerts = %d, want 1 (base rules are generate: false)", len(alerts))
	}
	a := alerts[0]
	if a.RuleID != "8e0f2a4b-6c7d-9e1f-3a5b-7c8d9e0f1a2b" || a.EventCount != 2 || a.Group["userIdentity.accessKeyId"] == "" || a.Severity.String() != "critical" {
		t.Errorf("unexpected alert: %+v", a)
	}
	if len(a.Attack) != 2 || a.Attack[0] != "T1136.003" {
		t.Errorf("attack = %v", a.Attack)
	}
}
