package index

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// ev builds a CloudTrail event; extra is spliced into the JSON object.
func ev(t *testing.T, id, at, arn, key, extra string) *event.Event {
	t.Helper()
	e, err := event.Decode(`{"eventID":"` + id + `","eventTime":"` + at + `","eventSource":"iam.amazonaws.com","eventName":"ListUsers","recipientAccountId":"111","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"` + arn + `","accessKeyId":"` + key + `"}` + extra + `}`)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestIndexSearch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	ix, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	bob, eve := "arn:aws:iam::111:user/bob", "arn:aws:iam::111:user/eve"
	bobKey, eveKey := "AKIAAAAABBBBCCCCDDDD", "ASIAEEEEFFFFGGGGHHHH"
	evs := []*event.Event{
		ev(t, "1", "2024-05-01T10:00:00Z", bob, bobKey, ""),
		ev(t, "2", "2024-05-01T11:00:00Z", bob, bobKey, `,"errorCode":"AccessDenied"`),
		ev(t, "3", "2024-05-01T12:00:00Z", bob, bobKey, `,"awsRegion":"eu-west-1","eventName":"GetUser"`),
		ev(t, "4", "2024-05-01T11:30:00Z", eve, eveKey, ""),
		ev(t, "5", "2024-05-01T11:40:00Z", eve, "", `,"recipientAccountId":"222","errorCode":"AccessDenied"`),
	}
	if n, err := ix.Add(ctx, evs); err != nil || n != 5 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, err := ix.Add(ctx, evs[:2]); err != nil || n != 0 {
		t.Fatalf("re-adding stored events = %d, %v; want 0", n, err)
	}
	again := ev(t, "1", "2024-05-01T10:00:00Z", bob, bobKey, "")
	fresh := ev(t, "6", "2024-05-01T10:00:00Z", bob, bobKey, "")
	if un, err := ix.Unseen(ctx, []*event.Event{again, fresh}); err != nil || len(un) != 1 || un[0].ID != "6" {
		t.Fatalf("Unseen = %v, %v; want only event 6", un, err)
	}
	ix.Close()
	ix, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if n, err := ix.Count(ctx); err != nil || n != 5 {
		t.Fatalf("Count after reopen = %d, %v; want 5", n, err)
	}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"principal and window", Query{Principal: bob, From: at("2024-05-01T10:30:00Z"), To: at("2024-05-01T12:00:00Z")}, "2"},
		{"principal only, oldest first", Query{Principal: bob}, "1,2,3"},
		{"principal prefix", Query{Principal: "arn:aws:iam::111:user/*", From: at("2024-05-01T11:00:00Z")}, "2,4,5,3"},
		{"long-term access key id", Query{Principal: bobKey, From: at("2024-05-01T10:30:00Z")}, "2,3"},
		{"temporary access key id", Query{Principal: eveKey}, "4"},
		{"account filter", Query{Principal: eve, Account: "222"}, "5"},
		{"region filter", Query{Principal: bob, Region: "eu-west-1"}, "3"},
		{"event name filter", Query{Principal: bob, EventName: "GetUser"}, "3"},
		{"error code filter", Query{Principal: "arn:aws:iam::111:user/*", ErrorCode: "AccessDenied"}, "2,5"},
		{"limit", Query{Principal: bob, Limit: 2}, "1,2"},
		{"no match", Query{Principal: "arn:aws:iam::111:user/nobody"}, ""},
		{"SQL in a value is only a value", Query{Principal: "x' OR '1'='1"}, ""},
		{"SQL in a prefix is only a value", Query{Principal: "x' OR '1'='1*"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ix.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.EventID)
			}
			if got := strings.Join(ids, ","); got != tc.want {
				t.Errorf("ids = %q, want %q", got, tc.want)
			}
		})
	}
	rows, _ := ix.Search(ctx, Query{Principal: eveKey, WithRaw: true})
	if len(rows) != 1 || rows[0].Name != "ListUsers" || rows[0].Account != "111" || rows[0].Principal != eve ||
		rows[0].AccessKey != eveKey || !strings.Contains(rows[0].Raw, `"eventID":"4"`) {
		t.Errorf("row fields not kept: %+v", rows)
	}
	if _, err := ix.Search(ctx, Query{Account: "111"}); !errors.Is(err, ErrNoQuery) {
		t.Errorf("query without principal: %v", err)
	}
}

func TestSearchWalksThePrincipalTimeIndex(t *testing.T) {
	ctx := context.Background()
	ix, err := Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	from := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ principal, index string }{
		{"arn:aws:iam::111:user/bob", "PRIMARY KEY"},
		{"ASIAEEEEFFFFGGGGHHHH", "events_key_at"},
	} {
		plan, err := ix.Plan(ctx, Query{Principal: tc.principal, From: from, To: from.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, tc.index+" (") || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN e") {
			t.Errorf("%s: plan does not walk %s in order:\n%s", tc.principal, tc.index, plan)
		}
	}
}

func TestOpenRefusesOtherSchemas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	ix, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2", "3", "99"} {
		if _, err := ix.db.ExecContext(ctx, "PRAGMA user_version = "+v); err != nil {
			t.Fatal(err)
		}
		if other, err := Open(ctx, path); err == nil {
			other.Close()
			t.Errorf("schema %s opened without error", v)
		}
	}
	ix.Close()
}
