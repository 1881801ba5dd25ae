package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// runExample feeds one example (events separated by newlines) through an
// engine holding only d and returns the alerts.
func runExample(t *testing.T, d Detection, example string) []Alert {
	t.Helper()
	eng := NewEngine(Config{Builtins: []Detection{d}, Now: fixedNow})
	r := event.NewReader(event.Options{Now: fixedNow})
	errs, stop := r.ReadStream("example", strings.NewReader(example), func(ev *event.Event) error {
		eng.Observe(ev)
		return nil
	})
	if stop != nil || len(errs) > 0 {
		t.Fatalf("example does not decode: %v %v", errs, stop)
	}
	var alerts []Alert
	eng.Flush(func(a Alert) { alerts = append(alerts, a) })
	return alerts
}

func fixedNow() time.Time { return time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC) }

func TestBuiltinExamples(t *testing.T) {
	ds := Builtins(BuiltinConfig{PipelineRoles: []string{"arn:aws:iam::111122223333:role/ci-*"}})
	seen := map[string]bool{}
	for _, d := range ds {
		if seen[d.ID] {
			t.Errorf("duplicate id %s", d.ID)
		}
		seen[d.ID] = true
		if d.Title == "" || d.Checklist == "" || d.Remediation == "" || len(d.Attack) == 0 || len(d.Positive) == 0 || len(d.Negative) == 0 {
			t.Errorf("%s: metadata or examples missing", d.ID)
		}
		for i, ex := range d.Positive {
			t.Run(d.ID+"/positive", func(t *testing.T) {
				if got := runExample(t, d, ex); len(got) == 0 {
					t.Errorf("%s (%s): positive example %d raised no alert", d.ID, d.Title, i)
				}
			})
		}
		for i, ex := range d.Negative {
			t.Run(d.ID+"/negative", func(t *testing.T) {
				if got := runExample(t, d, ex); len(got) != 0 {
					t.Errorf("%s (%s): negative example %d raised %d alerts", d.ID, d.Title, i, len(got))
				}
			})
		}
	}
	if len(Builtins(BuiltinConfig{})) != len(ds)-1 {
		t.Error("the pipeline detection must be off without PipelineRoles")
	}
}

func TestDedupAndSuppression(t *testing.T) {
	root := Builtins(BuiltinConfig{})[2]
	if root.ID != "PAL-CT-003" {
		t.Fatalf("unexpected builtin order: %s", root.ID)
	}
	ev := func(id, at string) string {
		return `{"eventID":"` + id + `","eventTime":"` + at + `","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","recipientAccountId":"1","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"}}`
	}
	in := strings.Join([]string{ev("a", "2024-05-01T09:00:00Z"), ev("b", "2024-05-01T09:30:00Z"), ev("c", "2024-05-01T10:30:00Z")}, "\n")
	tests := []struct {
		name   string
		cfg    Config
		alerts int
		events []int
	}{
		{"repeats within the window merge", Config{}, 2, []int{2, 1}},
		{"negative window keeps every match", Config{DedupWindow: -1}, 3, []int{1, 1, 1}},
		{"active suppression silences", Config{Suppressions: []Suppression{{RuleID: "PAL-CT-003", Reason: "lab", Expires: fixedNow().Add(time.Hour)}}}, 0, nil},
		{"expired suppression does not", Config{Suppressions: []Suppression{{RuleID: "PAL-CT-003", Reason: "lab", Expires: fixedNow().Add(-time.Hour)}}}, 2, []int{2, 1}},
		{"suppression for another principal does not", Config{Suppressions: []Suppression{{RuleID: "PAL-CT-003", Principal: "arn:aws:iam::2:*", Reason: "lab", Expires: fixedNow().Add(time.Hour)}}}, 2, []int{2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Builtins = []Detection{root}
			cfg.Now = fixedNow
			eng := NewEngine(cfg)
			r := event.NewReader(event.Options{Now: fixedNow})
			r.ReadStream("in", strings.NewReader(in), func(e *event.Event) error { eng.Observe(e); return nil })
			var got []Alert
			eng.Flush(func(a Alert) { got = append(got, a) })
			if len(got) != tc.alerts {
				t.Fatalf("alerts = %d, want %d", len(got), tc.alerts)
			}
			for i, a := range got {
				if a.EventCount != tc.events[i] {
					t.Errorf("alert %d has %d events, want %d", i, a.EventCount, tc.events[i])
				}
				if a.TimeToIdentify() <= 0 || a.IngestTime.IsZero() {
					t.Errorf("alert %d times not set: %+v", i, a)
				}
			}
		})
	}
	if err := (Suppression{RuleID: "x", Reason: "r"}).Validate(); err == nil {
		t.Error("a suppression without expiry must not validate")
	}
}
