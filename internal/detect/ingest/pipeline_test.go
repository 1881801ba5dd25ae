package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/index"
)

// denied is an AccessDenied call by bob, minute minutes after 10:00.
func denied(id string, minute int) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","eventID":"%s","eventTime":"2024-05-01T10:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","errorCode":"AccessDenied","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob","principalId":"AIDABOB"}}`, id, minute)
}

// decode reads JSON-lines CloudTrail records into events.
func decode(t *testing.T, lines ...string) []*event.Event {
	t.Helper()
	r := event.NewReader(event.Options{})
	var evs []*event.Event
	errs, stop := r.ReadStream("test", strings.NewReader(strings.Join(lines, "\n")), func(ev *event.Event) error {
		ev.Ingested = time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)
		ev.File = "test"
		evs = append(evs, ev)
		return nil
	})
	if len(errs) > 0 || stop != nil {
		t.Fatalf("decode: %v %v", errs, stop)
	}
	return evs
}

// recorder is a sink that counts deliveries per alert id; fail makes the
// next Send calls fail.
type recorder struct {
	got  map[string]int
	fail int
}

func (r *recorder) Send(_ context.Context, alerts []detect.Alert) error {
	if r.fail > 0 {
		r.fail--
		return errors.New("sink down")
	}
	if r.got == nil {
		r.got = map[string]int{}
	}
	for _, a := range alerts {
		r.got[a.ID+" "+a.RuleID]++
	}
	return nil
}

func openIndex(t *testing.T, path string) *index.Index {
	t.Helper()
	ix, err := index.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func builtinConfig() detect.Config {
	return detect.Config{Builtins: detect.Builtins(detect.BuiltinConfig{}), Now: func() time.Time { return time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC) }}
}

// burst is five AccessDenied calls by bob within five minutes: one alert.
func burst(t *testing.T) []*event.Event {
	var lines []string
	for i := range 5 {
		lines = append(lines, denied(fmt.Sprintf("d%d", i), i))
	}
	return decode(t, lines...)
}

// onceEach fails unless rec saw exactly one alert, delivered once, of rule.
func onceEach(t *testing.T, rec *recorder, rule string) {
	t.Helper()
	if len(rec.got) != 1 {
		t.Fatalf("delivered %v, want one alert", rec.got)
	}
	for k, n := range rec.got {
		if n != 1 || !strings.HasSuffix(k, " "+rule) {
			t.Fatalf("delivered %v, want one %s alert once", rec.got, rule)
		}
	}
}

func TestPipelineDeliversEachAlertOnceAcrossACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	rec := &recorder{}

	// Run 1 commits the batch and its alert, then "crashes" before delivery.
	ix := openIndex(t, path)
	crash := errors.New("crash after commit")
	p := &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}, afterCommit: func() error { return crash }}
	if err := p.Handle(ctx, "batch", burst(t)); !errors.Is(err, crash) {
		t.Fatalf("handle: %v, want the crash", err)
	}
	if len(rec.got) != 0 {
		t.Fatalf("delivered %v before the crash", rec.got)
	}
	ix.Close()

	// Run 2 starts on the same index: Recover delivers the pending alert;
	// the source offering the same batch again raises nothing more.
	ix = openIndex(t, path)
	p = &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
	if err := p.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	onceEach(t, rec, "PAL-CT-002")
	if err := p.Handle(ctx, "batch again", burst(t)); err != nil {
		t.Fatal(err)
	}
	ix.Close()

	// Run 3: recovering again and replaying again deliver nothing new.
	ix = openIndex(t, path)
	p = &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
	if err := p.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(ctx, "batch replayed", burst(t)); err != nil {
		t.Fatal(err)
	}
	onceEach(t, rec, "PAL-CT-002")
	if p.Stats.Duplicates != 5 || p.Stats.Alerts != 0 {
		t.Errorf("replay stats %+v, want 5 duplicates and no alert", p.Stats)
	}
}

func TestPipelineRetriesAFailedSinkWithoutRaisingAgain(t *testing.T) {
	ctx := context.Background()
	ix := openIndex(t, filepath.Join(t.TempDir(), "events.db"))
	rec := &recorder{fail: 1}
	p := &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
	if err := p.Handle(ctx, "batch", burst(t)); err == nil || !strings.Contains(err.Error(), "sink down") {
		t.Fatalf("handle: %v, want the sink's error (batch offered again)", err)
	}
	// The source offers the batch again: its events are known, the pending alert goes out.
	if err := p.Handle(ctx, "batch", burst(t)); err != nil {
		t.Fatal(err)
	}
	onceEach(t, rec, "PAL-CT-002")
	pending, err := ix.Pending(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("pending after delivery: %v, %v", pending, err)
	}
}

func TestPipelineBurstAcrossBatches(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		restart bool // close and reopen the index between the batches
		second  []int
		want    int
	}{
		{"split over two batches alerts once", false, []int{3, 4}, 1},
		{"split over a restart alerts once", true, []int{3, 4}, 1},
		{"second half outside the window does not alert", false, []int{30, 31}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.db")
			rec := &recorder{}
			ix := openIndex(t, path)
			p := &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
			if err := p.Handle(ctx, "object 1", decode(t, denied("a0", 0), denied("a1", 1), denied("a2", 2))); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != 0 {
				t.Fatalf("three denials alerted: %v", rec.got)
			}
			if tc.restart {
				ix.Close()
				ix = openIndex(t, path)
				p = &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
			}
			var second []string
			for i, m := range tc.second {
				second = append(second, denied(fmt.Sprintf("b%d", i), m))
			}
			if err := p.Handle(ctx, "object 2", decode(t, second...)); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != tc.want {
				t.Fatalf("alerts %v, want %d", rec.got, tc.want)
			}
			if tc.want == 1 {
				onceEach(t, rec, "PAL-CT-002")
			}
			// The carried hits fired: a third batch of one more denial raises nothing.
			if err := p.Handle(ctx, "object 3", decode(t, denied("c0", 5))); err != nil {
				t.Fatal(err)
			}
			if len(rec.got) != tc.want {
				t.Errorf("a consumed burst fired again: %v", rec.got)
			}
		})
	}
}

func TestPipelineInMemoryBurstAcrossBatches(t *testing.T) {
	rec := &recorder{}
	p := &Pipeline{Config: builtinConfig(), Sinks: []detect.Sink{rec}}
	ctx := awstest.Background(t)
	for _, b := range [][]string{{denied("a0", 0), denied("a1", 1)}, {denied("a2", 2), denied("a3", 3)}, {denied("a4", 4)}} {
		if err := p.Handle(ctx, "message", decode(t, b...)); err != nil {
			t.Fatal(err)
		}
	}
	onceEach(t, rec, "PAL-CT-002")
}

func TestS3ReadsLateObjectsOnceWithSeenRecords(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	client := newS3(t, url)
	east := sansFiles(t, "us-east-1", 4) // 07/29 23:55, 07/30 00:00, 00:10, 10:40
	ix := openIndex(t, filepath.Join(t.TempDir(), "events.db"))
	statePath := filepath.Join(t.TempDir(), "state.json")
	run := func(statePath string) (collect, Stats) {
		t.Helper()
		state, err := LoadState(statePath)
		if err != nil {
			t.Fatal(err)
		}
		var c collect
		src := &S3Source{Client: client, Bucket: bucket, State: state, Seen: ix}
		st, errs := src.Run(ctx, c.handle)
		if len(errs) > 0 {
			t.Fatalf("errors: %v", errs)
		}
		return c, st
	}
	putFile(t, client, orgKey(t, east[2]), east[2])
	putFile(t, client, orgKey(t, east[3]), east[3])
	if _, st := run(statePath); st.Objects != 2 {
		t.Fatalf("first run read %d objects, want 2", st.Objects)
	}
	// Two objects land late: one sorts before the last key of the same day,
	// one is in the previous day's folder. A third is older than the look-back.
	putFile(t, client, orgKey(t, east[1]), east[1])
	putFile(t, client, orgKey(t, east[0]), east[0])
	tooOld := "AWSLogs/" + org + "/" + account + "/CloudTrail/us-east-1/2021/07/27/" + account + "_CloudTrail_us-east-1_20210727T1200Z_x.json.gz"
	putFile(t, client, tooOld, east[0])
	c, st := run(statePath)
	if st.Objects != 2 || len(c.batches) != 2 || !strings.HasSuffix(c.batches[0], orgKey(t, east[0])) || !strings.HasSuffix(c.batches[1], orgKey(t, east[1])) {
		t.Fatalf("second run read %v, want the two late objects in the look-back window", c.batches)
	}
	if _, st := run(statePath); st.Objects != 0 {
		t.Fatalf("third run read %d objects, want none (all seen)", st.Objects)
	}
	// A lost state file lists everything again but fetches only the unseen object.
	c, st = run(filepath.Join(t.TempDir(), "new-state.json"))
	if st.Objects != 1 || !strings.HasSuffix(c.batches[0], tooOld) {
		t.Fatalf("run without state read %v, want only the never-read %s", c.batches, tooOld)
	}
}

func TestLookBackStart(t *testing.T) {
	leaf := "AWSLogs/1/CloudTrail/us-east-1/"
	for _, tc := range []struct{ last, want string }{
		{leaf + "2021/07/30/x.json.gz", leaf + "2021/07/29"},
		{leaf + "2021/03/01/x.json.gz", leaf + "2021/02/28"},
		{leaf + "odd/x.json.gz", leaf + "odd/x.json.gz"},
		{"other/2021/07/30/x", "other/2021/07/30/x"},
	} {
		if got := lookBackStart(leaf, tc.last, DefaultLookBack); got != tc.want {
			t.Errorf("lookBackStart(%q) = %q, want %q", tc.last, got, tc.want)
		}
	}
}

func TestPipelineReplayedS3ObjectsRaiseNoSecondAlert(t *testing.T) {
	url := awstest.Moto(t)
	ctx := awstest.Background(t)
	client := newS3(t, url)
	var lines []string
	for i := range 5 {
		lines = append(lines, denied(fmt.Sprintf("s%d", i), i))
	}
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1005Z_a.json.gz"
	put(t, client, key, gz(t, []byte(`{"Records":[`+strings.Join(lines, ",")+`]}`)))
	ix := openIndex(t, filepath.Join(t.TempDir(), "events.db"))
	rec := &recorder{}
	for i := range 2 { // the second run has lost its state file and keeps no seen records: eventIDs and alert ids dedup
		state, _ := LoadState(filepath.Join(t.TempDir(), fmt.Sprintf("state%d.json", i)))
		p := &Pipeline{Index: ix, Config: builtinConfig(), Sinks: []detect.Sink{rec}}
		if err := p.Recover(ctx); err != nil {
			t.Fatal(err)
		}
		src := &S3Source{Client: client, Bucket: bucket, State: state}
		if _, errs := src.Run(ctx, p.Handle); len(errs) > 0 {
			t.Fatal(errs)
		}
	}
	onceEach(t, rec, "PAL-CT-002")
}
