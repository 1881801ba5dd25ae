package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const procs = 4
		stores := make([]store.Store, procs)
		for i := range stores {
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate %d: %v", i, err)
			}
		}
		if err := stores[0].Migrate(ctx); err != nil {
			t.Errorf("second Migrate: %v", err)
		}
		res := record(t, stores[1], scan("/repo", store.ScanCompleted, 0), secret("r", "p", 1, finding.Low))
		if res.New != 1 {
			t.Errorf("after migrate, New = %d", res.New)
		}
	})
}

func TestOpenWithoutMigrateHasNoSchema(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Scans(context.Background(), 0); err == nil {
			t.Error("Scans on an unmigrated store succeeded: Open must not migrate")
		}
	})
}
