package detect

import (
	"strings"
	"testing"
	"time"
)

func TestParseSuppressions(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		n                 int
	}{
		{"date expiry", "- rule_id: PAL-CT-003\n  reason: lab\n  expires: 2026-12-31\n", "", 1},
		{"time expiry and principal", "- rule_id: PAL-CT-003\n  principal: 'arn:aws:iam::1:*'\n  reason: lab\n  expires: 2026-12-31T10:00:00Z\n", "", 1},
		{"empty file", "", "", 0},
		{"reason required", "- rule_id: PAL-CT-003\n  expires: 2026-12-31\n", "x.yml:1: suppression of PAL-CT-003 without a reason", 0},
		{"expiry required", "- rule_id: A\n  reason: r\n- rule_id: B\n  reason: r\n  expires: 2026-01-01\n", "x.yml:1: suppression of A without an expiry", 0},
		{"bad expiry names the line", "- rule_id: A\n  reason: r\n  expires: 2026-01-01\n- rule_id: B\n  reason: r\n  expires: soon\n", "x.yml:4:", 0},
		{"not a list", "rule_id: A\n", "must be a list", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSuppressions("x.yml", []byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.n {
				t.Fatalf("got %d, %v", len(got), err)
			}
		})
	}
	got, _ := ParseSuppressions("x.yml", []byte("- rule_id: A\n  reason: r\n  expires: 2026-12-31\n"))
	if !got[0].Expires.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expires = %v", got[0].Expires)
	}
}

func FuzzParseSuppressions(f *testing.F) {
	f.Add([]byte("- rule_id: PAL-CT-003\n  reason: lab\n  expires: 2026-12-31\n"))
	f.Add([]byte("- {rule_id: A, reason: r, expires: '2026-01-01T00:00:00Z', principal: '*'}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sups, err := ParseSuppressions("fuzz.yml", data)
		if err != nil {
			return
		}
		for _, s := range sups {
			if s.Validate() != nil {
				t.Fatalf("parsed an invalid suppression: %+v", s)
			}
			s.Covers(Alert{RuleID: s.RuleID, Principal: "p"}, time.Now())
		}
	})
}
