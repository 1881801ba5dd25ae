package detect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleAlerts() []Alert {
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	return []Alert{{
		RuleID: "PAL-CT-004", Title: "CloudTrail logging stopped <main>", Severity: finding.High, Source: "builtin",
		EventIDs: []string{"e1"}, EventCount: 1, Principal: "arn:aws:iam::1:user/bob", Account: "1", Region: "us-east-1",
		FirstSeen: t0, LastSeen: t0, Attack: []string{"T1562.008"}, Checklist: stepLogging,
		EventTime: t0, IngestTime: t0.Add(time.Minute), AlertTime: t0.Add(2 * time.Minute),
	}}
}

func TestWriteJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleAlerts()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "alerts.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("output differs from %s (run with -update):\n%s", golden, buf.String())
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "{\n  \"alerts\": []\n}" {
		t.Errorf("no alerts must write an empty list, got %q", buf.String())
	}
}

func TestJSONLinesSink(t *testing.T) {
	var buf bytes.Buffer
	alerts := append(sampleAlerts(), sampleAlerts()...)
	if err := (JSONLines{W: &buf}).Send(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %d", len(lines))
	}
	var a Alert
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil || a.RuleID != "PAL-CT-004" || a.Severity != finding.High {
		t.Errorf("line does not round-trip: %v %+v", err, a)
	}
}

func TestWebhookSinkSigns(t *testing.T) {
	secret := []byte("s3cret")
	var gotBody []byte
	var gotTS, gotSig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotTS, gotSig = r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	}))
	defer srv.Close()
	now := func() time.Time { return time.Unix(1714557600, 0) }
	if err := (Webhook{URL: srv.URL, Secret: secret, Client: srv.Client(), Now: now}).Send(context.Background(), sampleAlerts()); err != nil {
		t.Fatal(err)
	}
	if gotTS != "1714557600" {
		t.Errorf("timestamp = %q", gotTS)
	}
	if !VerifySignature(secret, gotTS, gotBody, gotSig) {
		t.Errorf("signature %q does not verify", gotSig)
	}
	if VerifySignature([]byte("other"), gotTS, gotBody, gotSig) || VerifySignature(secret, gotTS, append(gotBody, ' '), gotSig) {
		t.Error("signature verifies with the wrong secret or body")
	}
	if !bytes.Contains(gotBody, []byte(`"rule_id": "PAL-CT-004"`)) {
		t.Errorf("body = %s", gotBody)
	}
	t.Run("non-2xx is an error", func(t *testing.T) {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
		defer bad.Close()
		if err := (Webhook{URL: bad.URL, Secret: secret, Client: bad.Client()}).Send(context.Background(), sampleAlerts()); err == nil {
			t.Error("want an error")
		}
	})
	t.Run("a secret is required", func(t *testing.T) {
		if err := (Webhook{URL: srv.URL}).Send(context.Background(), sampleAlerts()); err == nil {
			t.Error("want an error")
		}
	})
}

func TestSlackSinkPayload(t *testing.T) {
	var payload map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&payload)
	}))
	defer srv.Close()
	if err := (Slack{WebhookURL: srv.URL, Client: srv.Client()}).Send(context.Background(), sampleAlerts()); err != nil {
		t.Fatal(err)
	}
	text := payload["text"]
	if !strings.Contains(text, "[HIGH] CloudTrail logging stopped &lt;main&gt; (PAL-CT-004)") {
		t.Errorf("text = %q", text)
	}
}

// fakeSMTP is a minimal SMTP server on 127.0.0.1 that records one message.
func fakeSMTP(t *testing.T) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		say := func(s string) { io.WriteString(c, s+"\r\n") }
		say("220 localhost test")
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 localhost")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
				data.WriteString(strings.TrimSpace(line) + "\n")
				say("250 ok")
			case cmd == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				say("250 queued")
			case cmd == "QUIT":
				say("221 bye")
				ch <- data.String()
				return
			default:
				say("502 unknown")
			}
		}
	}()
	return ln.Addr().String(), ch
}

func TestSMTPSink(t *testing.T) {
	addr, got := fakeSMTP(t)
	s := SMTP{Addr: addr, From: "palisade@example.com", To: []string{"sec@example.com"}}
	if err := s.Send(context.Background(), sampleAlerts()); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-got:
		for _, want := range []string{"RCPT TO:<sec@example.com>", "Subject: palisade: 1 alert(s)", "[HIGH] CloudTrail logging stopped <main> (PAL-CT-004)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message received")
	}
	if err := (SMTP{Addr: addr, From: "a@b\r\nBcc: x@y", To: []string{"c@d"}}).Send(context.Background(), sampleAlerts()); err == nil {
		t.Error("header injection in From must be refused")
	}
}
