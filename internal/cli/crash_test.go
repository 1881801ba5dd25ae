package cli

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// TestKillDuringScanLeavesStoreConsistent runs the real binary, kills it
// with SIGKILL at several moments of a scan that records thousands of
// findings, and checks after each kill that the store holds either the whole
// previous state or the whole new scan, never part of one.
func TestKillDuringScanLeavesStoreConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := filepath.Join(t.TempDir(), "palisade")
	build := exec.Command("go", "build", "-o", bin, "github.com/palisade-sec/palisade/cmd/palisade")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const files = 3000
	tree := t.TempDir()
	r := rand.New(rand.NewSource(7))
	const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for i := 0; i < files; i++ {
		key := make([]byte, 16)
		for j := range key {
			key[j] = b32[r.Intn(len(b32))]
		}
		writeFile(t, filepath.Join(tree, fmt.Sprintf("d%02d", i%50), fmt.Sprintf("f%04d.env", i)),
			fmt.Sprintf("# service %d\nAWS_ACCESS_KEY_ID=AKIA%s\n", i, key))
	}
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		scan := func() *exec.Cmd {
			cmd := exec.Command(bin, "scan", "--db", dsn, "--format", "json", "--output", filepath.Join(t.TempDir(), "out.json"), tree)
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			return cmd
		}
		// Find how long a whole scan takes, then kill at fractions of it.
		start := time.Now()
		if out, err := scan().CombinedOutput(); err != nil {
			t.Fatalf("full scan: %v\n%s", err, out)
		}
		full := time.Since(start)
		check(t, dsn, files, 1)
		for _, frac := range []float64{0.2, 0.5, 0.7, 0.8, 0.9, 0.95} {
			cmd := scan()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(float64(full) * frac))
			_ = cmd.Process.Kill() // SIGKILL: no cleanup runs
			_ = cmd.Wait()
			check(t, dsn, files, 0)
		}
		if out, err := scan().CombinedOutput(); err != nil {
			t.Fatalf("rescan after kills: %v\n%s", err, out)
		}
		check(t, dsn, files, 0)
	})
}

// check asserts every recorded scan is complete and the findings are exactly
// the tree's secrets, all open, with no duplicates. wantScans > 0 also
// checks the number of scans.
func check(t *testing.T, dsn string, files, wantScans int) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	scans, err := s.Scans(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if wantScans > 0 && len(scans) != wantScans {
		t.Errorf("%d scans recorded, want %d", len(scans), wantScans)
	}
	for _, sc := range scans {
		if sc.Status != store.ScanCompleted || sc.FinishedAt.IsZero() {
			t.Errorf("scan %d recorded as %q: half-recorded", sc.ID, sc.Status)
		}
	}
	recs, err := s.Findings(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Fingerprint] {
			t.Errorf("duplicate finding %s", r.Fingerprint)
		}
		seen[r.Fingerprint] = true
		if r.Status != finding.StatusOpen {
			t.Errorf("finding %s is %s, want open", r.Location.Path, r.Status)
		}
	}
	if len(recs) != files {
		t.Errorf("store holds %d findings, want %d", len(recs), files)
	}
}
