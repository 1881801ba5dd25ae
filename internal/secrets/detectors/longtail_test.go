package detectors

import (
	"os"
	"testing"
)

// TestLongTailCorpus measures the long-tail table alone on TruffleHog's
// labelled cases: the share of secret cases it finds and of near-miss
// cases it flags. The floors are regression guards; raise them as rows
// improve. PALISADE_MISSES=longtail lists the secret cases it misses.
func TestLongTailCorpus(t *testing.T) {
	var dets []*Detector
	for _, d := range longTailDetectors() {
		if err := d.Compile(); err != nil {
			t.Fatal(err)
		}
		dets = append(dets, &d)
	}
	var secret, found, none, flagged int
	show := os.Getenv("PALISADE_MISSES") == "longtail"
	for _, c := range loadCorpus(t) {
		if c.Origin != "trufflehog" {
			if c.Expect == "none" && len(ScanReference(dets, []byte(c.Text))) > 0 {
				t.Errorf("long-tail detector flags %s none case %s (%s)", c.Origin, c.ID, c.Kind)
			}
			continue
		}
		hits := ScanReference(dets, []byte(c.Text))
		if c.Expect == "secret" {
			secret++
			if len(hits) > 0 {
				found++
			} else if show {
				t.Logf("MISS %s: %q", c.Kind, trim(c.Text))
			}
			continue
		}
		none++
		if len(hits) > 0 {
			flagged++
			if show {
				t.Logf("FLAG %s by %s: %q", c.Kind, hits[0].Detector.ID, trim(c.Text))
			}
		}
	}
	recall := float64(found) / float64(secret)
	flag := float64(flagged) / float64(none)
	t.Logf("long tail: %d detectors, trufflehog recall %.1f%% (%d/%d), flagged %.1f%% (%d/%d)",
		len(dets), 100*recall, found, secret, 100*flag, flagged, none)
	if recall < 0.69 {
		t.Errorf("long-tail recall %.3f below floor", recall)
	}
	if flag > 0.02 {
		t.Errorf("long-tail flag rate %.3f above ceiling", flag)
	}
}

// TestLongTailSkipsCamelCaseIdentifiers: a provider named by an ordinary
// word ("manifest") followed by an identifier of the key's length in code
// is not a key; a letters-only random value still is.
func TestLongTailSkipsCamelCaseIdentifiers(t *testing.T) {
	var d *Detector
	for _, x := range All() {
		if x.ID == "manifest-api-key" {
			d = x
		}
	}
	if d == nil {
		t.Skip("no manifest-api-key row")
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"type ValidatingPolicyManifestLoadFunc func(dir string) ([]*v1.ValidatingAdmissionPolicyBinding, error)", false},
		{`manifest := "ValidatingAdmissionPolicyBinding"`, false},
		{`MANIFEST_API_KEY=dDX8mkkliXATuv7FhwFlcHsL93uNSQNW`, true},
		{`MANIFEST_API_KEY=viiXRPEeNmiWHKCxKzEwJxhJdzwShtPq`, true},
		{`"ManifestEndpointPrefix": "https://170c14299689462897d0cc45fc2000bb.mediatailor.us-west-2.amazonaws.com/v1/"`, false},
		{`manifest key: dDX8mkkliXATuv7FhwFlcHsL93uNSQNW.`, true},
	} {
		if got := len(d.Find([]byte(tc.text))) > 0; got != tc.want {
			t.Errorf("%q: found %v, want %v", tc.text, got, tc.want)
		}
	}
}
