package event

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpora returns the shared corpora root (PALISADE_CORPORA overrides).
func corpora(t testing.TB) string {
	t.Helper()
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared", "corpora")
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpora not found at %s", root)
	}
	return root
}

const evA = `{"eventID":"a","eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userAgent":"ua","recipientAccountId":"111","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111:user/bob","accountId":"111","userName":"bob","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111:role/r","type":"Role"},"attributes":{"mfaAuthenticated":"true"}}},"requestParameters":{"userName":"eve","tags":[{"key":"k","value":"v\u00e9"}]}}`
const evB = `{"eventID":"b","eventTime":"2024-01-02T03:04:06Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied"}`

func readAll(t *testing.T, name string, data []byte) ([]*Event, []error) {
	t.Helper()
	r := NewReader(Options{MaxRecordBytes: 4096})
	var got []*Event
	errs, stop := r.ReadStream(name, bytes.NewReader(data), func(ev *Event) error {
		got = append(got, ev)
		return nil
	})
	if stop != nil {
		t.Fatal(stop)
	}
	return got, errs
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestReadFormats(t *testing.T) {
	big := `{"eventID":"big","eventName":"X","pad":"` + strings.Repeat("x", 5000) + `"}`
	envelope := `{"version":"0","id":"e1","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"111","region":"us-east-1","detail":` + evB + `}`
	finding := `{"schemaVersion":"2.0","accountId":"222","region":"eu-west-1","id":"f1","type":"UnauthorizedAccess:EC2/SSHBruteForce","title":"SSH brute force","severity":5,"updatedAt":"2024-01-01T00:00:00.000Z","service":{"serviceName":"guardduty"}}`
	gdEnvelope := `{"version":"0","id":"e2","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"222","region":"eu-west-1","detail":` + finding + `}`
	tests := []struct {
		name    string
		data    []byte
		wantIDs []string
		wantErr int
	}{
		{"S3 delivery object yields its Records", []byte(`{"Records":[` + evA + `,` + evB + `]}`), []string{"a", "b"}, 0},
		{"keys around Records are not records", []byte(`{"x":{"eventName":"no"},"Records":[` + evA + `],"y":{"eventName":"no"}}`), []string{"a"}, 0},
		{"top-level array", []byte("[\n" + evA + ",\n" + evB + "\n]"), []string{"a", "b"}, 0},
		{"JSON lines", []byte(evA + "\n" + evB + "\n"), []string{"a", "b"}, 0},
		{"single event object", []byte(evA), []string{"a"}, 0},
		{"gzip delivery", gz(`{"Records":[` + evA + `,` + evB + `]}`), []string{"a", "b"}, 0},
		{"duplicate eventID delivered once", []byte(evA + "\n" + evA + "\n" + evB), []string{"a", "b"}, 0},
		{"malformed line is reported and the rest continues", []byte(evA + "\n{\"eventID\":\"c\",\"eventName\":}\n" + evB), []string{"a", "b"}, 1},
		{"garbage between lines is reported", []byte(evA + "\nnot json\n" + evB), []string{"a", "b"}, 1},
		{"oversized record is skipped", []byte(evA + "\n" + big + "\n" + evB), []string{"a", "b"}, 1},
		{"truncated file is reported", []byte(evA + "\n{\"eventID\":\"c\""), []string{"a"}, 1},
		{"EventBridge CloudTrail envelope", []byte(envelope), []string{"b"}, 0},
		{"GuardDuty finding bare and in envelope dedup", []byte(finding + "\n" + gdEnvelope), []string{"f1"}, 0},
		{"GuardDuty Findings array", []byte(`{"Findings":[` + finding + `]}`), []string{"f1"}, 0},
		{"non-event objects reported once", []byte(`[{"a":1},{"b":2}]`), nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := readAll(t, "in.json", tc.data)
			var ids []string
			for _, ev := range got {
				ids = append(ids, ev.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids = %v, want %v", ids, tc.wantIDs)
			}
			if len(errs) != tc.wantErr {
				t.Errorf("errors = %v, want %d", errs, tc.wantErr)
			}
			for _, e := range errs {
				if !strings.HasPrefix(e.Error(), "in.json") {
					t.Errorf("error does not name the file: %v", e)
				}
			}
		})
	}
}

func TestTruncatedGzipKeepsEarlierRecords(t *testing.T) {
	var recs []string
	for i := 0; i < 200; i++ {
		recs = append(recs, strings.Replace(evA, `"eventID":"a"`, `"eventID":"a`+strings.Repeat("1", i%7)+string(rune('a'+i%26))+`"`, 1))
	}
	data := gz(`{"Records":[` + strings.Join(recs, ",") + `]}`)
	got, errs := readAll(t, "cut.json.gz", data[:len(data)/2])
	if len(got) == 0 {
		t.Error("no events before the cut")
	}
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "cut.json.gz") {
		t.Errorf("want an error naming the file, got %v", errs)
	}
}

func TestDecodeHotFields(t *testing.T) {
	ev, err := Decode(evA)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"ID":        {ev.ID, "a"},
		"Source":    {ev.Source, "iam.amazonaws.com"},
		"Name":      {ev.Name, "CreateUser"},
		"Region":    {ev.Region, "us-east-1"},
		"IP":        {ev.SourceIP, "1.2.3.4"},
		"Account":   {ev.Account(), "111"},
		"UserType":  {ev.User.Type, "IAMUser"},
		"Principal": {ev.Principal(), "arn:aws:iam::111:user/bob"},
		"Issuer":    {ev.User.SessionIssuerARN, "arn:aws:iam::111:role/r"},
		"MFA":       {ev.User.MFAAuthenticated, "true"},
		"Time":      {ev.Time.Format("15:04:05"), "03:04:05"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if !ev.ReadOnlySet || ev.ReadOnly {
		t.Errorf("readOnly = %v/%v", ev.ReadOnly, ev.ReadOnlySet)
	}
	paths := map[string]string{
		"requestParameters.userName":                     "eve",
		"requestParameters.tags.value":                   "vé",
		"userIdentity.sessionContext.sessionIssuer.type": "Role",
		"eventName":                 "CreateUser",
		"requestParameters.nothing": "",
	}
	for p, want := range paths {
		if got := ev.Field(p).Str(); got != want {
			t.Errorf("Field(%q) = %q, want %q", p, got, want)
		}
		if got := ev.Field(p).Str(); got != want {
			t.Errorf("cached Field(%q) = %q, want %q", p, got, want)
		}
	}
	if k := ev.Field("requestParameters.nothing").Kind; k != Missing {
		t.Errorf("missing field kind = %v", k)
	}
	if k := ev.Field("responseElements").Kind; k != Missing {
		t.Errorf("absent top-level kind = %v", k)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{`[]`, `{"a":1}`, `{"eventName":"x"} junk`, `{"eventName":"x",}`, `{"eventName":"x\u0001"`} {
		if _, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
	if _, err := Decode(`{"a":1}`); !errors.Is(err, ErrNotEvent) {
		t.Errorf("want ErrNotEvent, got %v", err)
	}
}

func TestReadCorpora(t *testing.T) {
	root := filepath.Join(corpora(t), "cloudtrail", "logs")
	tests := []struct {
		dir        string
		wantEvents int
	}{
		{"stratus-red-team", 310},
		{"sans504-s3-ransomware", 23981},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			r := NewReader(Options{})
			n := 0
			errs := r.Read(context.Background(), []string{filepath.Join(root, tc.dir)}, func(ev *Event) error {
				n++
				if ev.ID == "" || ev.Time.IsZero() || ev.Name == "" {
					t.Fatalf("incomplete event %s:%d", ev.File, ev.Offset)
				}
				return nil
			})
			if len(errs) > 0 {
				t.Errorf("errors: %v", errs[:min(3, len(errs))])
			}
			if n != tc.wantEvents {
				t.Errorf("events = %d, want %d (stats %+v)", n, tc.wantEvents, r.Stats)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(evA))
	f.Add([]byte(`{"Records":[` + evA + `,` + evB + `]}`))
	f.Add([]byte(evA + "\n" + evB))
	f.Add([]byte(`[{"eventName":"x","a":[1,2,{"b":null}]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(Options{MaxRecordBytes: 1 << 16})
		_, _ = r.ReadStream("fuzz", bytes.NewReader(data), func(ev *Event) error {
			ev.Field("requestParameters.a.b")
			ev.Field("userIdentity.arn")
			return nil
		})
		if ev, err := Decode(string(data)); err == nil {
			_ = ev.Field("a.b.c").Str()
		}
	})
}
