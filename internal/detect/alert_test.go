package detect

import (
	"testing"
	"time"
)

func TestAlertStableID(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	base := Alert{RuleID: "PAL-CT-010", Principal: "arn:aws:iam::1:user/a", Account: "1", Region: "us-east-1",
		EventIDs: []string{"e1", "e2"}, FirstSeen: t0, AlertTime: t0.Add(time.Minute), Group: map[string]string{"a": "1", "b": "2"}}
	same := base
	same.AlertTime = t0.Add(time.Hour)
	same.Title = "retitled"
	same.Group = map[string]string{"b": "2", "a": "1"}
	if base.StableID() != same.StableID() {
		t.Errorf("alert raised again from the same events got a new id")
	}
	for name, change := range map[string]func(*Alert){
		"another rule":        func(a *Alert) { a.RuleID = "PAL-CT-011" },
		"another first event": func(a *Alert) { a.EventIDs = []string{"e0", "e1"} },
		"another principal":   func(a *Alert) { a.Principal = "arn:aws:iam::1:user/b" },
		"another group":       func(a *Alert) { a.Group = map[string]string{"a": "1", "b": "3"} },
		"another first time":  func(a *Alert) { a.FirstSeen = t0.Add(time.Second) },
	} {
		other := base
		change(&other)
		if other.StableID() == base.StableID() {
			t.Errorf("%s: same id %s", name, base.StableID())
		}
	}
	if len(base.StableID()) != 32 {
		t.Errorf("id %q, want 32 hex digits", base.StableID())
	}
}
