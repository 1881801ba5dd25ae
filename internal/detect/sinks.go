package detect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Sink delivers a batch of alerts somewhere. Sinks do no filtering: the
// engine has already deduplicated and suppressed.
type Sink interface {
	Send(ctx context.Context, alerts []Alert) error
}

// JSONLines writes one alert per line.
type JSONLines struct {
	W io.Writer
}

// Send writes each alert as a JSON line.
func (s JSONLines) Send(_ context.Context, alerts []Alert) error {
	enc := json.NewEncoder(s.W)
	for _, a := range alerts {
		if err := enc.Encode(a); err != nil {
			return fmt.Errorf("jsonl sink: %w", err)
		}
	}
	return nil
}

// Signature headers of the webhook sink.
const (
	HeaderTimestamp = "X-Palisade-Timestamp"
	HeaderSignature = "X-Palisade-Signature"
)

// Webhook POSTs {"alerts":[...]} to URL, signed with HMAC-SHA256 over
// "<timestamp>.<body>" so a receiver can check origin and freshness.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

// Sign returns the signature header value for a timestamp and body.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a webhook signature in constant time.
func VerifySignature(secret []byte, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// Send posts the alerts; a non-2xx answer is an error.
func (w Webhook) Send(ctx context.Context, alerts []Alert) error {
	if len(w.Secret) == 0 {
		return fmt.Errorf("webhook sink: no signing secret")
	}
	var body bytes.Buffer
	if err := WriteJSON(&body, alerts); err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return fmt.Errorf("webhook sink: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body.Bytes()))
	return post(w.Client, req, "webhook sink")
}

func post(c *http.Client, req *http.Request, what string) error {
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: %s answered %s", what, req.URL.Host, resp.Status)
	}
	return nil
}

// maxListed caps how many alerts a Slack message or e-mail lists.
const maxListed = 20

// summary renders alerts as short lines for people.
func summary(alerts []Alert, escape func(string) string) []string {
	var lines []string
	for i, a := range alerts {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("... and %d more", len(alerts)-maxListed))
			break
		}
		lines = append(lines, fmt.Sprintf("[%s] %s (%s) by %s in %s/%s, %d event(s) from %s, alert id %s",
			strings.ToUpper(a.Severity.String()), escape(a.Title), escape(a.RuleID), escape(a.Principal),
			escape(a.Account), escape(a.Region), a.EventCount, a.FirstSeen.UTC().Format(time.RFC3339), escape(a.ID)))
	}
	return lines
}

// Slack posts a message to a Slack incoming webhook.
type Slack struct {
	WebhookURL string
	Client     *http.Client
}

// slackEscape escapes the three characters Slack's mrkdwn treats specially.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Send posts one message listing the alerts.
func (s Slack) Send(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	text := fmt.Sprintf("palisade: %d alert(s)\n%s", len(alerts), strings.Join(summary(alerts, slackEscape), "\n"))
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return fmt.Errorf("slack sink: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack sink: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return post(s.Client, req, "slack sink")
}

// SMTP e-mails the alerts through a mail relay.
type SMTP struct {
	Addr string
	From string
	To   []string
	// Auth is optional (nil for an unauthenticated relay).
	Auth smtp.Auth
}

// Send mails one message listing the alerts.
func (s SMTP) Send(_ context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	for _, a := range append([]string{s.From}, s.To...) {
		if a == "" || strings.ContainsAny(a, "\r\n") {
			return fmt.Errorf("smtp sink: bad address %q", a)
		}
	}
	noCRLF := func(v string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(v) }
	var msg bytes.Buffer
	// The Message-ID is derived from the alert ids, so a redelivered batch
	// is the same message to a receiver that de-duplicates.
	ids := sha256.New()
	for _, a := range alerts {
		ids.Write([]byte(a.ID + "\n"))
	}
	fmt.Fprintf(&msg, "Message-ID: <%s@palisade>\r\n", hex.EncodeToString(ids.Sum(nil)[:16]))
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: palisade: %d alert(s)\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		s.From, strings.Join(s.To, ", "), len(alerts))
	for _, line := range summary(alerts, noCRLF) {
		msg.WriteString(line + "\r\n")
	}
	if err := smtp.SendMail(s.Addr, s.Auth, s.From, s.To, msg.Bytes()); err != nil {
		return fmt.Errorf("smtp sink: %w", err)
	}
	return nil
}
