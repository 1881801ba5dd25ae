package program

import (
	"context"
	"io/fs"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// records is a Tallier over findings in memory (storetest.Tally), for tests
// that write the findings the views read.
type records []store.Record

func (r records) Tally(_ context.Context, q store.TallyQuery) ([]store.Tally, error) {
	return storetest.Tally(r, q), nil
}

// counted counts recs as q asks.
func counted(recs []store.Record, q store.TallyQuery) Counts {
	return Counts{Query: q, Rows: storetest.Tally(recs, q)}
}

// withOpen is Evidence with open findings given as records.
type withOpen struct {
	Scans        []store.Scan
	Open         []store.Record
	Attestations []store.Attestation
	Repo         fs.FS
	Catalog      *Catalog
	Now          time.Time
	MaxAge       time.Duration
}

// gather makes the Evidence the controls read from e, its records counted
// as Gather counts the store's.
func gather(controls []Control, e withOpen) Evidence {
	ev := Evidence{Scans: e.Scans, Attestations: e.Attestations, Repo: e.Repo, Catalog: e.Catalog, Now: e.Now, MaxAge: e.MaxAge}
	if err := ev.Gather(context.Background(), records(e.Open), controls); err != nil {
		panic(err) // records never fail
	}
	return ev
}

// computeRecords is Compute over records.
func computeRecords(all []store.Record, scans []store.Scan, now time.Time, window time.Duration, sla SLA) Metrics {
	m, err := Measure(context.Background(), records(all), scans, now, window, sla)
	if err != nil {
		panic(err)
	}
	return m
}
