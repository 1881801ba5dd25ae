package detectors

import (
	"math/rand/v2"
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

// TestProviderBreadth holds the detector set to its promise: at least 250
// providers, led by what a SaaS on AWS holds.
func TestProviderBreadth(t *testing.T) {
	providers := map[string]bool{}
	ids := map[string]bool{}
	for _, d := range All() {
		providers[d.Provider] = true
		ids[d.ID] = true
	}
	if len(providers) < 250 {
		t.Errorf("%d providers, want at least 250", len(providers))
	}
	for _, id := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "github-pat",
		"github-fine-grained-pat", "gitlab-pat", "slack-bot-token", "slack-webhook-url", "stripe-access-token",
		"sendgrid-api-token", "openai-api-key", "anthropic-api-key", "huggingface-access-token", "private-key",
		"jwt", "gcp-api-key", "npm-access-token", "pypi-upload-token", "generic-api-key"} {
		if !ids[id] {
			t.Errorf("no %s detector", id)
		}
	}
}

// TestEveryPatternCompiles compiles each built-in pattern: All compiles
// lazily, so without this a broken pattern would surface in a user's scan.
func TestEveryPatternCompiles(t *testing.T) {
	for _, d := range All() {
		c := *d
		if err := c.Compile(); err != nil {
			t.Errorf("%s: %v", d.ID, err)
		}
	}
}

// TestReadsAsWords separates names made of words from random tokens, and
// checks on 20,000 seeded random tokens that almost none read as words.
func TestReadsAsWords(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"v4aCredentialProvider", true},
		{"v4Internal.AmzCredentialKey", true},
		{"options.DisableS3ExpressSessionAuth", true},
		{"S3ComputeObjectChecksumOperation", true},
		{"ValidatingAdmissionPolicyBinding", true},
		{"continueOnFailure", true},
		{"Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB", false},
		{"viiXRPEeNmiWHKCxKzEwJxhJdzwSht", false},
		{"wdvnusa87afxYn", false},
		{"kP2s9Wq0Zr7Mx3Vb8Nc1Ld4Hf6Jg5T", false},
		{"lowercaseonlytokenvalue", false},
	} {
		if got := ReadsAsWords(tc.s); got != tc.want {
			t.Errorf("ReadsAsWords(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewPCG(1, 2))
	words := 0
	for i := range 20000 {
		b := make([]byte, 16+i%25)
		for j := range b {
			b[j] = alnum[r.IntN(len(alnum))]
		}
		if ReadsAsWords(string(b)) {
			words++
		}
	}
	if words > 20 {
		t.Errorf("%d of 20000 random tokens read as words, want at most 20 (0.1%%)", words)
	}
}
