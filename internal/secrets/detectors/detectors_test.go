package detectors

import (
	"strings"
	"testing"
)

// TestDetectorExamples runs every detector against its own examples: each true
// example must contain a keyword and yield a secret, each false example must
// yield nothing from that detector.
func TestDetectorExamples(t *testing.T) {
	for _, d := range All() {
		t.Run(d.ID, func(t *testing.T) {
			if d.Provider == "" || d.Title == "" || len(d.Keywords)+len(d.CaseKeywords) == 0 {
				t.Fatalf("detector needs Provider, Title and Keywords")
			}
			if len(d.TruePositives) == 0 {
				t.Fatalf("detector has no true examples")
			}
			for _, k := range d.Keywords {
				if k != strings.ToLower(k) || len(k) < 2 {
					t.Errorf("keyword %q must be lower case and at least 2 bytes", k)
				}
			}
			for _, ex := range d.TruePositives {
				low := strings.ToLower(ex)
				hasKeyword := len(keywordPositions(d, []byte(ex), []byte(low))) > 0
				if !hasKeyword {
					t.Errorf("true example has none of the keywords: %q", ex)
				}
				if len(d.Find([]byte(ex))) == 0 {
					t.Errorf("true example not detected: %q", ex)
				}
			}
			for _, ex := range d.FalsePositives {
				if m := d.Find([]byte(ex)); len(m) > 0 {
					t.Errorf("false example detected (%q): %q", m[0].Secret, ex)
				}
			}
		})
	}
}

func TestIsPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"${DB_PASSWORD}", true},
		{"{{ .Values.token }}", true},
		{"changeme", true},
		{"xxxxxxxxxxxxxxxx", true},
		{"your_api_key_here", true},
		{"q8Zr2LmP0vXk4TnW", false},
	} {
		if got := IsPlaceholder(tc.in); got != tc.want {
			t.Errorf("IsPlaceholder(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
