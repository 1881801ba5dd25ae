// Package event decodes AWS security events (CloudTrail records and
// GuardDuty findings, bare or in EventBridge envelopes) into a typed Event
// with the fields detections read most, and keeps each event's raw JSON so
// any other field can be read lazily by dotted path.
package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Type says what an Event was decoded from.
type Type uint8

// Event types.
const (
	// CloudTrail is a CloudTrail record (from S3 delivery, JSON lines or EventBridge).
	CloudTrail Type = iota
	// GuardDutyFinding is an Amazon GuardDuty finding.
	GuardDutyFinding
)

// ErrNotEvent is returned by Decode for a JSON object that is neither a
// CloudTrail record nor a GuardDuty finding.
var ErrNotEvent = errors.New("not a CloudTrail record or GuardDuty finding")

// UserIdentity is the CloudTrail userIdentity block, flattened.
type UserIdentity struct {
	Type        string
	ARN         string
	AccountID   string
	AccessKeyID string
	PrincipalID string
	UserName    string
	InvokedBy   string
	// SessionIssuerARN, SessionIssuerUserName and SessionIssuerType come from
	// sessionContext.sessionIssuer (the role behind an assumed-role session).
	SessionIssuerARN      string
	SessionIssuerUserName string
	SessionIssuerType     string
	// MFAAuthenticated is sessionContext.attributes.mfaAuthenticated ("true"/"false"/"").
	MFAAuthenticated string
}

// Finding holds the GuardDuty fields of a GuardDutyFinding event.
type Finding struct {
	Type     string
	Title    string
	Severity float64
}

// Event is one decoded security event. The hot fields are decoded once;
// everything else is read from Raw on demand through Field.
type Event struct {
	Type               Type
	ID                 string
	Time               time.Time
	Source             string
	Name               string
	Region             string
	SourceIP           string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RecipientAccountID string
	EventType          string
	// ReadOnly is the readOnly flag; ReadOnlySet says whether it was present.
	ReadOnly    bool
	ReadOnlySet bool
	User        UserIdentity
	Finding     Finding

	// Raw is the event's JSON text (for an EventBridge envelope, its detail).
	Raw string
	// File and Offset say where the event was read; Ingested is when.
	File     string
	Offset   int64
	Ingested time.Time

	top   []member
	cache []member
}

type member struct {
	key string
	val Value
}

// Decode parses one event from its JSON text. It walks the top-level object
// once, decodes the hot fields and keeps the rest as raw text.
func Decode(raw string) (*Event, error) {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, syntaxErr(i, "event is not a JSON object")
	}
	top := make([]member, 0, 24)
	end, err := eachMember(raw, i, func(k string, v Value) bool {
		top = append(top, member{k, v})
		return true
	})
	if err != nil {
		return nil, err
	}
	if j := skipWS(raw, end); j != len(raw) {
		return nil, syntaxErr(j, "trailing data after event")
	}
	obj := raw[i:end]
	get := func(k string) Value {
		for _, m := range top {
			if m.key == k {
				return m.val
			}
		}
		return Value{}
	}
	// EventBridge envelope: unwrap detail.
	if dt := get("detail-type"); dt.Kind == String {
		detail := get("detail")
		if detail.Kind != Object {
			return nil, fmt.Errorf("EventBridge envelope without detail object: %w", ErrNotEvent)
		}
		ev, err := Decode(detail.Raw)
		if err != nil {
			return nil, fmt.Errorf("EventBridge detail: %w", err)
		}
		if ev.Region == "" {
			ev.Region = get("region").Str()
		}
		if ev.RecipientAccountID == "" {
			ev.RecipientAccountID = get("account").Str()
		}
		return ev, nil
	}
	ev := &Event{Raw: obj, top: top}
	if get("schemaVersion").Kind == String && get("service").Kind == Object && get("severity").Kind == Number {
		ev.decodeFinding(get)
		return ev, nil
	}
	if get("eventName").Kind != String && get("eventSource").Kind != String {
		return nil, ErrNotEvent
	}
	for _, m := range top {
		switch m.key {
		case "eventID":
			ev.ID = m.val.Str()
		case "eventTime":
			ev.Time = parseTime(m.val.Str())
		case "eventSource":
			ev.Source = m.val.Str()
		case "eventName":
			ev.Name = m.val.Str()
		case "awsRegion":
			ev.Region = m.val.Str()
		case "sourceIPAddress":
			ev.SourceIP = m.val.Str()
		case "userAgent":
			ev.UserAgent = m.val.Str()
		case "errorCode":
			ev.ErrorCode = m.val.Str()
		case "errorMessage":
			ev.ErrorMessage = m.val.Str()
		case "recipientAccountId":
			ev.RecipientAccountID = m.val.Str()
		case "eventType":
			ev.EventType = m.val.Str()
		case "readOnly":
			ev.ReadOnlySet = m.val.Kind == Bool
			ev.ReadOnly = m.val.Raw == "true"
		case "userIdentity":
			ev.User = decodeUser(m.val)
		}
	}
	return ev, nil
}

func decodeUser(v Value) UserIdentity {
	var u UserIdentity
	v.Members(func(k string, val Value) bool {
		switch k {
		case "type":
			u.Type = val.Str()
		case "arn":
			u.ARN = val.Str()
		case "accountId":
			u.AccountID = val.Str()
		case "accessKeyId":
			u.AccessKeyID = val.Str()
		case "principalId":
			u.PrincipalID = val.Str()
		case "userName":
			u.UserName = val.Str()
		case "invokedBy":
			u.InvokedBy = val.Str()
		case "sessionContext":
			issuer := val.Get("sessionIssuer")
			u.SessionIssuerARN = issuer.Get("arn").Str()
			u.SessionIssuerUserName = issuer.Get("userName").Str()
			u.SessionIssuerType = issuer.Get("type").Str()
			u.MFAAuthenticated = val.Path("attributes.mfaAuthenticated").Str()
		}
		return true
	})
	return u
}

func (ev *Event) decodeFinding(get func(string) Value) {
	ev.Type = GuardDutyFinding
	ev.ID = get("id").Str()
	ev.Source = "guardduty.amazonaws.com"
	ev.Finding.Type = get("type").Str()
	ev.Finding.Title = get("title").Str()
	ev.Finding.Severity, _ = strconv.ParseFloat(get("severity").Raw, 64)
	ev.Name = ev.Finding.Type
	ev.Region = get("region").Str()
	ev.RecipientAccountID = get("accountId").Str()
	t := get("updatedAt").Str()
	if t == "" {
		t = get("createdAt").Str()
	}
	ev.Time = parseTime(t)
	ev.EventType = "GuardDutyFinding"
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02 15:04:05", s); err == nil {
		return t
	}
	return time.Time{}
}

// Field returns the value at a dotted path (e.g.
// "requestParameters.bucketPolicy.Statement"). Nested lookups are cached on
// the event, so asking twice costs one search.
func (ev *Event) Field(path string) Value {
	head, rest := path, ""
	if i := strings.IndexByte(path, '.'); i >= 0 {
		head, rest = path[:i], path[i+1:]
	}
	var v Value
	for _, m := range ev.top {
		if m.key == head {
			v = m.val
			break
		}
	}
	if rest == "" || v.Kind == Missing {
		return v
	}
	for _, m := range ev.cache {
		if m.key == path {
			return m.val
		}
	}
	out := v.Path(rest)
	ev.cache = append(ev.cache, member{path, out})
	return out
}

// Principal names who acted: the user or role ARN, or the service that
// invoked the call.
func (ev *Event) Principal() string {
	switch {
	case ev.User.ARN != "":
		return ev.User.ARN
	case ev.User.InvokedBy != "":
		return ev.User.InvokedBy
	case ev.User.PrincipalID != "":
		return ev.User.PrincipalID
	case ev.User.UserName != "":
		return ev.User.UserName
	}
	return ev.User.Type
}

// Account returns the AWS account the event belongs to.
func (ev *Event) Account() string {
	if ev.RecipientAccountID != "" {
		return ev.RecipientAccountID
	}
	return ev.User.AccountID
}

// IsAWSService reports whether an AWS service made the call on its own
// behalf (userIdentity.type AWSService or invokedBy *.amazonaws.com).
func (ev *Event) IsAWSService() bool {
	return ev.User.Type == "AWSService" || strings.HasSuffix(ev.User.InvokedBy, ".amazonaws.com") ||
		ev.User.InvokedBy == "AWS Internal"
}

// WithID returns a copy of the event with another eventID, sharing the raw
// text; benchmarks use it to replicate a corpus.
func (ev *Event) WithID(id string) *Event {
	c := *ev
	c.ID = id
	c.cache = nil
	return &c
}
