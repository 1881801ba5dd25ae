package secrets

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/secrets/detectors"
)

var testKey = []byte("palisade-test-key")

func corporaDir() string {
	if p := os.Getenv("PALISADE_CORPORA"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "corpora")
}

// TestEngineAgreesWithReference checks that the fast engine finds exactly the
// hits of the plain reference scan on every corpus case and every detector
// example: same detector, same byte span.
func TestEngineAgreesWithReference(t *testing.T) {
	e := New(Options{HashKey: testKey})
	var texts []string
	f, err := os.Open(filepath.Join(corporaDir(), "secrets", "cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var c struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, c.Text)
	}
	for _, d := range e.Detectors() {
		texts = append(texts, d.TruePositives...)
		texts = append(texts, d.FalsePositives...)
	}
	s := e.newScratch()
	for _, text := range texts {
		var got []string
		e.collectIn(s, []byte(text), func(r rawHit) {
			got = append(got, e.dets[r.det].ID+"@"+itoa(r.start)+"-"+itoa(r.end))
		})
		var want []string
		for _, h := range detectors.ScanReference(e.Detectors(), []byte(text)) {
			want = append(want, h.Detector.ID+"@"+itoa(h.Start)+"-"+itoa(h.End))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("engine %v, reference %v on %.200q", got, want, text)
		}
	}
}

func TestScanTextLocatesAndRedacts(t *testing.T) {
	e := New(Options{HashKey: testKey})
	text := "line one\nkey: x\n  aws_access_key_id = AKIAZ2ADPRQ7LOKKEBV4 # prod\n"
	var hits []Hit
	e.ScanText([]byte(text), func(h Hit) { hits = append(hits, h) })
	if len(hits) != 1 {
		t.Fatalf("got %d hits, want 1: %+v", len(hits), hits)
	}
	h := hits[0]
	if h.Detector.ID != "aws-access-key-id" || h.Line != 3 || h.Column != 23 || h.EndColumn != 42 {
		t.Errorf("hit %s at %d:%d-%d, want aws-access-key-id at 3:23-42", h.Detector.ID, h.Line, h.Column, h.EndColumn)
	}
	if strings.Contains(h.Preview, "ADPRQ7") || !strings.HasPrefix(h.Preview, "AKIA") {
		t.Errorf("preview %q must show at most the first 4 characters", h.Preview)
	}
}

func TestInlineIgnore(t *testing.T) {
	e := New(Options{HashKey: testKey})
	for _, tc := range []struct {
		name    string
		line    string
		ignored bool
	}{
		{"no marker", `id = "AKIAZ2ADPRQ7LOKKEBV4"`, false},
		{"bare marker", `id = "AKIAZ2ADPRQ7LOKKEBV4" # palisade:ignore`, true},
		{"marker naming the rule", `id = "AKIAZ2ADPRQ7LOKKEBV4" // palisade:ignore aws-access-key-id`, true},
		{"marker naming another rule", `id = "AKIAZ2ADPRQ7LOKKEBV4" // palisade:ignore github-pat`, false},
		{"gitleaks marker", `id = "AKIAZ2ADPRQ7LOKKEBV4" # gitleaks:allow`, true},
		{"marker on another line", "# palisade:ignore\nid = \"AKIAZ2ADPRQ7LOKKEBV4\"", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits []Hit
			e.ScanText([]byte(tc.line), func(h Hit) { hits = append(hits, h) })
			if len(hits) != 1 || hits[0].Ignored != tc.ignored {
				t.Fatalf("hits %+v, want one with Ignored=%v", hits, tc.ignored)
			}
		})
	}
}

func TestDecodedSecretsAreFound(t *testing.T) {
	e := New(Options{HashKey: testKey, DecodeDepth: 2})
	// base64 of "aws_access_key_id = AKIAZ2ADPRQ7LOKKEBV4", and that base64 again.
	once := "YXdzX2FjY2Vzc19rZXlfaWQgPSBBS0lBWjJBRFBSUTdMT0tLRUJWNA=="
	twice := "WVhkelgyRmpZMlZ6YzE5clpYbGZhV1FnUFNCQlMwbEJXakpCUkZCU1VUZE1UMHRMUlVKV05BPT0="
	for _, tc := range []struct{ name, text, enc string }{
		{"base64", "data:\n  creds: " + once + "\n", "base64"},
		{"base64 twice", "blob = " + twice, "base64+base64"},
		{"percent", "u=aws_access_key_id%3DAKIAZ2ADPRQ7LOKKEBV4&x=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits []Hit
			e.ScanText([]byte(tc.text), func(h Hit) { hits = append(hits, h) })
			if len(hits) != 1 {
				t.Fatalf("got %d hits, want 1", len(hits))
			}
			if tc.enc != "" && hits[0].Encoding != tc.enc {
				t.Errorf("encoding %q, want %q", hits[0].Encoding, tc.enc)
			}
		})
	}
}

func TestBaselineRoundTripAndSuppression(t *testing.T) {
	e := New(Options{HashKey: testKey})
	text := []byte(`id = "AKIAZ2ADPRQ7LOKKEBV4"`)
	var first Hit
	e.ScanText(text, func(h Hit) { first = h })
	b := NewBaseline()
	b.Add(first.Hash, first.Detector.ID, "config.env")
	var buf strings.Builder
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := first.Hash + " aws-access-key-id config.env"; len(lines) != 2 || lines[1] != want {
		t.Fatalf("baseline %q, want a header and %q (no secret, no line number)", buf.String(), want)
	}
	b2, err := ReadBaseline(strings.NewReader(buf.String()), "baseline")
	if err != nil {
		t.Fatal(err)
	}
	e2 := New(Options{HashKey: testKey, Baseline: b2})
	e2.ScanText(text, func(h Hit) {
		if !h.Ignored {
			t.Errorf("baseline did not suppress the secret")
		}
	})
	if _, err := ReadBaseline(strings.NewReader("nothex rule path\n"), "b.txt"); err == nil || !strings.Contains(err.Error(), "b.txt:1") {
		t.Errorf("bad baseline error %v, want one naming b.txt:1", err)
	}
}

func TestResolveKeepsTheMostSpecificOfOverlappingHits(t *testing.T) {
	e := New(Options{HashKey: testKey})
	raw := []rawHit{
		{det: 5, start: 10, end: 30}, // generic-ish, outranked
		{det: 1, start: 12, end: 20}, // specific, kept
		{det: 3, start: 25, end: 40}, // overlaps only the outranked hit: kept
		{det: 2, start: 19, end: 26}, // overlaps both kept hits: dropped
		{det: 4, start: 40, end: 41}, // touches but does not overlap: kept
	}
	got := e.resolve(raw)
	want := []int32{1, 3, 4}
	if len(got) != len(want) {
		t.Fatalf("kept %+v, want detectors %v", got, want)
	}
	for i, h := range got {
		if h.det != want[i] || (i > 0 && got[i-1].start >= h.start) {
			t.Fatalf("kept %+v, want detectors %v in position order", got, want)
		}
	}
	// Many hits stay fast: thousands of disjoint hits resolve in one pass.
	var many []rawHit
	for i := 0; i < 20000; i++ {
		many = append(many, rawHit{det: int32(i % 7), start: i * 10, end: i*10 + 5})
	}
	if n := len(e.resolve(many)); n != 20000 {
		t.Fatalf("kept %d of 20000 disjoint hits", n)
	}
}
