package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

func TestJobQueueLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		for name, j := range map[string]store.Job{
			"no name":            {Args: []string{"scan"}, MaxAttempts: 1},
			"no command":         {Name: "x", MaxAttempts: 1},
			"no attempts":        {Name: "x", Args: []string{"scan"}},
			"recurring too fast": {Name: "x", Args: []string{"scan"}, MaxAttempts: 1, Every: time.Second},
		} {
			if _, err := s.EnqueueJob(ctx, j); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		later, err := s.EnqueueJob(ctx, store.Job{Name: "later", Args: []string{"scan", "/b"}, MaxAttempts: 2, CreatedAt: at, RunAfter: at.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		now, err := s.EnqueueJob(ctx, store.Job{Name: "now", Args: []string{"scan", "/a b"}, MaxAttempts: 2, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		j, err := s.ClaimJob(ctx, "w1", at, time.Minute)
		if err != nil || j.ID != now.ID || j.Status != store.JobRunning || j.Attempts != 1 || j.Worker != "w1" || j.Args[1] != "/a b" {
			t.Fatalf("claim = %+v, %v; want job %d running for w1", j, err, now.ID)
		}
		if _, err := s.ClaimJob(ctx, "w2", at, time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("claim with nothing due: %v, want ErrNotFound", err)
		}
		if j.LeaseToken == "" {
			t.Fatal("a claim without a lease token")
		}
		if err := s.ExtendLease(ctx, j.ID, "another claim's token", at.Add(2*time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("extending with another token: %v, want ErrConflict", err)
		}
		if err := s.ExtendLease(ctx, j.ID, j.LeaseToken, at.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Past the first lease but within the extended one: not reclaimed.
		if _, err := s.ClaimJob(ctx, "w2", at.Add(90*time.Second), time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("claim of a job whose lease was extended: %v", err)
		}
		// The worker dies: after the lease the job is claimed again.
		// A worker of the same name (two containers, one host name): its
		// claim is a new one.
		j2, err := s.ClaimJob(ctx, "w1", at.Add(3*time.Minute), time.Minute)
		if err != nil || j2.ID != j.ID || j2.Attempts != 2 || j2.LeaseToken == j.LeaseToken {
			t.Fatalf("reclaim = %+v, %v", j2, err)
		}
		// The first claim's late heartbeat and result are dropped.
		if err := s.ExtendLease(ctx, j.ID, j.LeaseToken, at.Add(5*time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("heartbeat of a lost claim: %v, want ErrConflict", err)
		}
		if err := s.FinishJob(ctx, j.ID, j.LeaseToken, store.JobResult{Status: store.JobDone, At: at.Add(4 * time.Minute)}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("result of a lost lease: %v, want ErrConflict", err)
		}
		if err := s.FinishJob(ctx, j.ID, j2.LeaseToken, store.JobResult{Status: store.JobDone, ExitCode: 1, Output: "1 finding\n", At: at.Add(4 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got, err := s.JobByID(ctx, j.ID)
		if err != nil || got.Status != store.JobDone || got.ExitCode == nil || *got.ExitCode != 1 || got.Output != "1 finding\n" || got.Worker != "" || got.LeaseUntil != nil || got.LeaseToken != "" {
			t.Errorf("finished job %+v, %v", got, err)
		}
		if err := s.CancelJob(ctx, j.ID, at); !errors.Is(err, store.ErrConflict) {
			t.Errorf("cancel a finished job: %v, want ErrConflict", err)
		}
		if err := s.CancelJob(ctx, 9999, at); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancel a missing job: %v, want ErrNotFound", err)
		}

		// The later job: claimed when due; its worker dies on every
		// attempt, so it fails once the attempts are spent.
		if _, err := s.ClaimJob(ctx, "w1", at.Add(time.Hour), time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimJob(ctx, "w1", at.Add(time.Hour+2*time.Minute), time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimJob(ctx, "w1", at.Add(time.Hour+4*time.Minute), time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("claim of a job with no attempt left: %v", err)
		}
		got, err = s.JobByID(ctx, later.ID)
		if err != nil || got.Status != store.JobFailed || got.Attempts != 2 || got.Output != "palisade: the worker stopped answering (its lease ran out) on attempt 2 of 2\n" {
			t.Errorf("job whose worker kept dying: %+v, %v; want failed after 2 attempts", got, err)
		}

		// A recurring job goes back to the queue; cancelling stops it.
		rec, err := s.EnqueueJob(ctx, store.Job{Name: "nightly", Args: []string{"aws", "audit"}, MaxAttempts: 1, Every: 24 * time.Hour, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		rj, err := s.ClaimJob(ctx, "w1", at.Add(2*time.Hour), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		next := at.Add(26 * time.Hour)
		if err := s.FinishJob(ctx, rec.ID, rj.LeaseToken, store.JobResult{Status: store.JobQueued, RunAfter: next, At: at.Add(2 * time.Hour), ResetAttempts: true}); err != nil {
			t.Fatal(err)
		}
		got, err = s.JobByID(ctx, rec.ID)
		if err != nil || got.Status != store.JobQueued || !got.RunAfter.Equal(next) || got.Attempts != 0 || got.Every != 24*time.Hour || got.ExitCode == nil {
			t.Errorf("recurring job after a run: %+v, %v", got, err)
		}
		if err := s.CancelJob(ctx, rec.ID, at); err != nil {
			t.Fatal(err)
		}
		list, err := s.Jobs(ctx, []store.JobStatus{store.JobCancelled, store.JobFailed}, 0)
		if err != nil || len(list) != 2 || list[0].ID != rec.ID || list[1].ID != later.ID {
			t.Errorf("Jobs(cancelled, failed) = %d jobs, %v", len(list), err)
		}
		if list, err := s.Jobs(ctx, nil, 1); err != nil || len(list) != 1 {
			t.Errorf("Jobs(limit 1) = %d, %v", len(list), err)
		}
	})
}

// TestJobClaimsAreExclusive has several workers on their own connections
// drain one queue at once: each job is claimed by exactly one of them.
func TestJobClaimsAreExclusive(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		first := storetest.Open(t, dsn)
		const jobs, workers = 40, 4
		for i := 0; i < jobs; i++ {
			if _, err := first.EnqueueJob(ctx, store.Job{Name: fmt.Sprint("job ", i), Args: []string{"scan"}, MaxAttempts: 1}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		claimed := map[int64]string{}
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			s := storetest.Open(t, dsn)
			name := fmt.Sprint("w", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j, err := s.ClaimJob(ctx, name, time.Now(), time.Minute)
					if errors.Is(err, store.ErrNotFound) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if prev, ok := claimed[j.ID]; ok {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, name)
					}
					claimed[j.ID] = name
					mu.Unlock()
					if err := s.FinishJob(ctx, j.ID, j.LeaseToken, store.JobResult{Status: store.JobDone, At: time.Now()}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if len(claimed) != jobs {
			t.Errorf("%d jobs claimed, want %d", len(claimed), jobs)
		}
	})
}
