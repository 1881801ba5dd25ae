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

func ev(t *testing.T, id, at, arn string) *event.Event {
	t.Helper()
	e, err := event.Decode(`{"eventID":"` + id + `","eventTime":"` + at + `","eventSource":"iam.amazonaws.com","eventName":"ListUsers","recipientAccountId":"111","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"` + arn + `"}}`)
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
	evs := []*event.Event{
		ev(t, "1", "2024-05-01T10:00:00Z", bob),
		ev(t, "2", "2024-05-01T11:00:00Z", bob),
		ev(t, "3", "2024-05-01T12:00:00Z", bob),
		ev(t, "4", "2024-05-01T11:30:00Z", eve),
	}
	if n, err := ix.Add(ctx, evs); err != nil || n != 4 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, err := ix.Add(ctx, evs[:2]); err != nil || n != 0 {
		t.Fatalf("re-adding stored events = %d, %v; want 0", n, err)
	}
	ix.Close()
	ix, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"principal and window", Query{Principal: bob, From: at("2024-05-01T10:30:00Z"), To: at("2024-05-01T12:00:00Z")}, "2"},
		{"principal only, oldest first", Query{Principal: bob}, "1,2,3"},
		{"principal prefix", Query{Principal: "arn:aws:iam::111:user/*", From: at("2024-05-01T11:00:00Z")}, "2,4,3"},
		{"window only", Query{From: at("2024-05-01T11:15:00Z"), To: at("2024-05-01T11:45:00Z")}, "4"},
		{"limit", Query{Account: "111", Limit: 2}, "1,2"},
		{"no match", Query{Principal: "arn:aws:iam::111:user/nobody"}, ""},
		{"SQL in a value is only a value", Query{Principal: "x' OR '1'='1"}, ""},
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
	rows, _ := ix.Search(ctx, Query{Principal: eve})
	if len(rows) != 1 || rows[0].Name != "ListUsers" || rows[0].Account != "111" || !strings.Contains(rows[0].Raw, `"eventID":"4"`) {
		t.Errorf("row fields not kept: %+v", rows)
	}
	if _, err := ix.Search(ctx, Query{}); !errors.Is(err, ErrNoQuery) {
		t.Errorf("empty query: %v", err)
	}
}
