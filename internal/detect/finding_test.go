package detect

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// sampleAlert is a built-in alert of three events by one IAM user.
func sampleAlert() Alert {
	t0 := time.Date(2024, 8, 1, 13, 35, 0, 0, time.UTC)
	a := Alert{
		RuleID: "PAL-CT-011", Title: "IAM access key created", Severity: finding.Medium, Source: "builtin",
		EventIDs: []string{"e-1", "e-2", "e-3"}, EventCount: 3,
		Principal: "arn:aws:iam::229654561268:user/christophe", Account: "229654561268", Region: "us-east-1",
		FirstSeen: t0, LastSeen: t0.Add(90 * time.Second), Attack: []string{"T1098.001", "T1136"},
		Checklist: "AWS: Least-privilege IAM, no long-lived keys", Remediation: "Confirm the key was requested by its owner.",
		EventTime: t0, IngestTime: t0.Add(time.Minute), AlertTime: t0.Add(2 * time.Minute),
	}
	a.ID = a.StableID()
	return a
}

func TestAlertFinding(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Alert)
		check  func(t *testing.T, a Alert, f finding.Finding)
	}{
		{"built-in alert names who, where, how many and when", nil, func(t *testing.T, a Alert, f finding.Finding) {
			if f.Category != finding.Detection || f.Scanner != ScannerName || f.RuleID != a.RuleID || f.Severity != finding.Medium {
				t.Errorf("identity fields = %s %s %s %s", f.Category, f.Scanner, f.RuleID, f.Severity)
			}
			if f.Title != "IAM access key created by arn:aws:iam::229654561268:user/christophe" {
				t.Errorf("title %q", f.Title)
			}
			for _, want := range []string{"3 event(s)", a.Principal, "account 229654561268", "region us-east-1",
				"first 2024-08-01T13:35:00Z", "last 2024-08-01T13:36:30Z", "builtin detection"} {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message %q lacks %q", f.Message, want)
				}
			}
			if f.Resource != a.Principal+"#"+a.ID {
				t.Errorf("resource %q, want the principal and the alert id", f.Resource)
			}
			if f.Evidence != "event ids: e-1, e-2, e-3" {
				t.Errorf("evidence %q", f.Evidence)
			}
			if !strings.HasPrefix(f.Remediation, "Confirm the key was requested by its owner. Investigate") ||
				!strings.Contains(f.Remediation, "palisade events search --principal arn:aws:iam::229654561268:user/christophe --from 2024-08-01T12:35:00Z --to 2024-08-01T14:36:30Z") {
				t.Errorf("remediation %q", f.Remediation)
			}
			wantRefs := []finding.Reference{
				{Type: finding.RefAttack, ID: "T1098.001", URL: "https://attack.mitre.org/techniques/T1098/001/"},
				{Type: finding.RefAttack, ID: "T1136", URL: "https://attack.mitre.org/techniques/T1136/"},
				{Type: finding.RefChecklist, ID: "AWS: Least-privilege IAM, no long-lived keys"},
			}
			if !reflect.DeepEqual(f.References, wantRefs) {
				t.Errorf("references %+v, want %+v", f.References, wantRefs)
			}
			if f.ObservedAt == nil || !f.ObservedAt.Equal(a.LastSeen) {
				t.Errorf("observed at %v, want the last event %s", f.ObservedAt, a.LastSeen)
			}
			if f.Fingerprint != finding.Fingerprint(&f) || f.Location != (finding.Location{}) {
				t.Errorf("fingerprint %q or location %+v not set as for a detection", f.Fingerprint, f.Location)
			}
		}},
		{"Sigma alert gets the investigation as its remediation", func(a *Alert) {
			a.Source, a.RuleFile, a.Remediation, a.Checklist = "sigma", "aws_iam_backdoor_users_keys.yml", "", ""
			a.Attack = []string{"T1098"}
			a.Group = map[string]string{"userIdentity.arn": a.Principal}
		}, func(t *testing.T, a Alert, f finding.Finding) {
			if !strings.HasPrefix(f.Remediation, "Investigate the principal's activity around the alert: palisade events search --principal arn:aws:iam::229654561268:user/christophe ") {
				t.Errorf("remediation %q", f.Remediation)
			}
			if !strings.Contains(f.Message, "Sigma rule aws_iam_backdoor_users_keys.yml") || !strings.Contains(f.Message, "correlated on userIdentity.arn=arn:aws:iam::229654561268:user/christophe") {
				t.Errorf("message %q", f.Message)
			}
			if len(f.References) != 1 || f.References[0].Type != finding.RefAttack {
				t.Errorf("references %+v, want only the ATT&CK id", f.References)
			}
		}},
		{"alert without a principal names the account", func(a *Alert) { a.Principal = "" }, func(t *testing.T, a Alert, f finding.Finding) {
			if f.Title != "IAM access key created in account 229654561268" || f.Resource != "account:229654561268#"+a.StableID() {
				t.Errorf("title %q resource %q", f.Title, f.Resource)
			}
			if strings.Contains(f.Remediation, "--principal") || !strings.Contains(f.Remediation, "account 229654561268, region us-east-1") {
				t.Errorf("remediation %q", f.Remediation)
			}
		}},
		{"control characters from the logs are dropped", func(a *Alert) {
			a.Principal = "arn:aws:sts::1:assumed-role/x/\x1b[31mevil\u202e o'k"
		}, func(t *testing.T, a Alert, f finding.Finding) {
			for _, s := range []string{f.Title, f.Message, f.Resource, f.Remediation} {
				if strings.ContainsFunc(s, finding.UnsafeRune) {
					t.Errorf("unsafe character in %q", s)
				}
			}
			if !strings.Contains(f.Remediation, `--principal 'arn:aws:sts::1:assumed-role/x/[31mevil o'\''k'`) {
				t.Errorf("principal not quoted for the shell: %q", f.Remediation)
			}
		}},
		{"evidence lists ten event ids and counts the rest", func(a *Alert) {
			a.EventIDs = nil
			for i := range MaxEventIDs {
				a.EventIDs = append(a.EventIDs, fmt.Sprintf("id-%d", i))
			}
			a.EventCount = 150
		}, func(t *testing.T, a Alert, f finding.Finding) {
			if !strings.HasPrefix(f.Evidence, "event ids: id-0, id-1,") || !strings.HasSuffix(f.Evidence, "id-9 (and 140 more)") {
				t.Errorf("evidence %q", f.Evidence)
			}
			if !strings.Contains(f.Message, "150 event(s)") {
				t.Errorf("message %q", f.Message)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAlert()
			if tt.change != nil {
				tt.change(&a)
			}
			tt.check(t, a, a.Finding())
		})
	}
}

// TestAlertFindingIdentity pins what makes a repeat the same finding: the
// alert's StableID, not its times of raising or its later events.
func TestAlertFindingIdentity(t *testing.T) {
	base := sampleAlert().Finding().Fingerprint
	tests := []struct {
		name   string
		change func(a *Alert)
		same   bool
	}{
		{"raised again from the same events (a replay)", func(a *Alert) {
			a.AlertTime = a.AlertTime.Add(24 * time.Hour)
			a.IngestTime = a.IngestTime.Add(24 * time.Hour)
		}, true},
		{"more events merged into the alert", func(a *Alert) {
			a.EventIDs = append(a.EventIDs, "e-4")
			a.EventCount++
			a.LastSeen = a.LastSeen.Add(10 * time.Minute)
		}, true},
		{"severity or title changed by a rule update", func(a *Alert) { a.Severity, a.Title = finding.High, "renamed" }, true},
		{"same rule and principal with a later first event", func(a *Alert) {
			a.EventIDs = []string{"e-9"}
			a.FirstSeen = a.FirstSeen.Add(3 * time.Hour)
		}, false},
		{"another principal", func(a *Alert) { a.Principal = "arn:aws:iam::229654561268:user/other" }, false},
		{"another account", func(a *Alert) { a.Account = "111122223333" }, false},
		{"another region", func(a *Alert) { a.Region = "eu-west-1" }, false},
		{"another rule", func(a *Alert) { a.RuleID = "PAL-CT-010" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAlert()
			tt.change(&a)
			if got := a.Finding().Fingerprint == base; got != tt.same {
				t.Errorf("same finding = %v, want %v", got, tt.same)
			}
		})
	}
}

// TestAlertFindingHoldsNoEventContent runs a built-in detection on an event
// whose response carries a secret key and checks that no field of the
// finding repeats any of the request or response.
func TestAlertFindingHoldsNoEventContent(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	var d Detection
	for _, b := range Builtins(BuiltinConfig{}) {
		if b.ID == "PAL-CT-011" {
			d = b
		}
	}
	ev := ct("k1", "iam.amazonaws.com", "CreateAccessKey", userBob,
		`"requestParameters":{"userName":"mallory"},"responseElements":{"accessKey":{"accessKeyId":"AKIAZ2ADPRQ7LOKKEBV4","secretAccessKey":"`+secret+`","userName":"mallory"}}`)
	alerts := runExample(t, d, ev)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	f := alerts[0].Finding()
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		if s := fmt.Sprint(v.Field(i).Interface()); strings.Contains(s, secret) || strings.Contains(s, "AKIAZ2ADPRQ7LOKKEBV4") || strings.Contains(s, "mallory") {
			t.Errorf("Finding.%s repeats event content: %s", v.Type().Field(i).Name, s)
		}
	}
	if f.Evidence != "event ids: k1" {
		t.Errorf("evidence %q", f.Evidence)
	}
}
