// Package ingest reads security events from AWS: CloudTrail log objects
// from an S3 bucket (incrementally, by key), S3 object notifications from
// an SQS queue (also through SNS and EventBridge), GuardDuty findings from
// EventBridge through SQS and from the GuardDuty API. Each source hands
// batches of decoded events to a Handler and only marks a batch done (state
// advanced, message deleted) after the handler succeeded: input is
// at-least-once, and eventID dedup downstream makes it count once.
package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// ErrUnknownMessage is wrapped by ParseNotification for a message that is
// none of the shapes it knows.
var ErrUnknownMessage = errors.New("not an S3, SNS, CloudTrail or EventBridge notification")

// maxNotificationBytes bounds a message body (SQS allows 256 KiB; SNS
// envelopes add little).
const maxNotificationBytes = 1 << 20

// ObjectRef names one S3 object to read.
type ObjectRef struct {
	Bucket string
	Key    string
}

// Notification is what one queue message asks for: objects to read,
// events carried inline (EventBridge), or nothing (an S3 test event, a
// removal).
type Notification struct {
	Objects []ObjectRef
	// Events are inline events (GuardDuty findings or CloudTrail records
	// delivered by EventBridge), decoded.
	Events []*event.Event
	// Ignored says the message is valid but asks for nothing (s3:TestEvent,
	// ObjectRemoved, a CloudTrail digest file).
	Ignored bool
}

// rawMessage holds every field ParseNotification looks at, across shapes.
type rawMessage struct {
	// S3 event notification.
	Records []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	// s3:TestEvent.
	Event string `json:"Event"`
	// SNS envelope.
	Type    string `json:"Type"`
	Message string `json:"Message"`
	// CloudTrail's own SNS delivery notification.
	S3Bucket    string   `json:"s3Bucket"`
	S3ObjectKey []string `json:"s3ObjectKey"`
	// EventBridge envelope.
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
}

// ParseNotification reads one SQS message body: an S3 event notification
// ({"Records":[{"s3":...}]}, keys URL-encoded), the same inside an SNS
// envelope, CloudTrail's SNS delivery notice ({"s3Bucket","s3ObjectKey"}),
// an EventBridge "Object Created" event, an EventBridge event carrying a
// GuardDuty finding or CloudTrail record, or an s3:TestEvent.
func ParseNotification(body []byte) (Notification, error) {
	return parseNotification(body, 0)
}

func parseNotification(body []byte, depth int) (Notification, error) {
	var n Notification
	if len(body) > maxNotificationBytes {
		return n, fmt.Errorf("notification of %d bytes is over %d", len(body), maxNotificationBytes)
	}
	var m rawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return n, fmt.Errorf("notification: %w", err)
	}
	switch {
	case m.Type == "Notification" && m.Message != "":
		if depth > 0 {
			return n, fmt.Errorf("notification: SNS envelope inside an SNS envelope: %w", ErrUnknownMessage)
		}
		inner, err := parseNotification([]byte(m.Message), depth+1)
		if err != nil {
			return n, fmt.Errorf("SNS message: %w", err)
		}
		return inner, nil
	case m.Event == "s3:TestEvent":
		n.Ignored = true
		return n, nil
	case len(m.Records) > 0 && m.Records[0].EventSource == "aws:s3":
		for i, r := range m.Records {
			if r.EventSource != "aws:s3" {
				return n, fmt.Errorf("notification record %d: eventSource %q is not aws:s3: %w", i, r.EventSource, ErrUnknownMessage)
			}
			if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
				continue
			}
			// S3 notifications URL-encode keys, with '+' for space.
			key, err := url.QueryUnescape(r.S3.Object.Key)
			if err != nil {
				return n, fmt.Errorf("notification record %d: key %q: %w", i, r.S3.Object.Key, err)
			}
			if err := n.addObject(r.S3.Bucket.Name, key); err != nil {
				return n, fmt.Errorf("notification record %d: %w", i, err)
			}
		}
	case m.S3Bucket != "" && len(m.S3ObjectKey) > 0:
		for _, key := range m.S3ObjectKey {
			if err := n.addObject(m.S3Bucket, key); err != nil {
				return n, fmt.Errorf("CloudTrail notification: %w", err)
			}
		}
	case m.DetailType == "Object Created" && m.Source == "aws.s3":
		var d struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		}
		if err := json.Unmarshal(m.Detail, &d); err != nil {
			return n, fmt.Errorf("EventBridge Object Created detail: %w", err)
		}
		if err := n.addObject(d.Bucket.Name, d.Object.Key); err != nil {
			return n, fmt.Errorf("EventBridge Object Created: %w", err)
		}
	case m.DetailType != "":
		ev, err := event.Decode(string(body))
		if err != nil {
			return n, fmt.Errorf("EventBridge %q event: %w", m.DetailType, err)
		}
		n.Events = append(n.Events, ev)
	default:
		return n, ErrUnknownMessage
	}
	if len(n.Objects) == 0 && len(n.Events) == 0 {
		n.Ignored = true
	}
	return n, nil
}

// addObject records an object to read, skipping CloudTrail digest files.
func (n *Notification) addObject(bucket, key string) error {
	if bucket == "" || key == "" {
		return fmt.Errorf("object without bucket or key: %w", ErrUnknownMessage)
	}
	if strings.Contains(key, "/CloudTrail-Digest/") {
		return nil
	}
	n.Objects = append(n.Objects, ObjectRef{Bucket: bucket, Key: key})
	return nil
}
