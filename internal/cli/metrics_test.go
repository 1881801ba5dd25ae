package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// TestMetricsFollowTheLifecycle scans a planted key, removes it five days
// later and checks that the metrics count it as fixed in five days, while a
// second key left in place goes over the high-severity window.
func TestMetricsFollowTheLifecycle(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		env := map[string]string{"PALISADE_DB": dsn}
		t0 := time.Now().UTC().Add(-40 * 24 * time.Hour)
		writeFile(t, filepath.Join(dir, "a.py"), "AWS_ACCESS_KEY_ID = '"+planted+"'\n")
		writeFile(t, filepath.Join(dir, "b.py"), "AWS_ACCESS_KEY_ID = 'AKIAQYLPMN5HHHFPZAM2'\n")
		if r := runAt(t, t0, dir, env, "scan", "--scanners", "secrets", "."); r.code != 0 {
			t.Fatalf("scan: %d %s", r.code, r.stderr)
		}
		writeFile(t, filepath.Join(dir, "a.py"), "AWS_ACCESS_KEY_ID = os.environ['AWS_ACCESS_KEY_ID']\n")
		if r := runAt(t, t0.Add(5*24*time.Hour), dir, env, "scan", "--scanners", "secrets", "."); r.code != 0 {
			t.Fatalf("rescan: %d %s", r.code, r.stderr)
		}
		r := runAt(t, t0.Add(40*24*time.Hour), dir, env, "metrics", "--format", "json")
		if r.code != 0 {
			t.Fatalf("metrics: %d %s", r.code, r.stderr)
		}
		var m struct {
			Open          map[string]int `json:"open"`
			OverSLA       map[string]int `json:"over_sla"`
			Oldest        map[string]int `json:"oldest_open_days"`
			MeanDaysToFix map[string]int `json:"mean_days_to_fix"`
			FixedInWindow int            `json:"fixed_in_window"`
			NewInWindow   int            `json:"new_in_window"`
			Scans         map[string]int `json:"scans_by_scanner"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if m.Open["high"] != 1 || m.OverSLA["high"] != 1 || m.Oldest["high"] != 40 {
			t.Errorf("open %v over SLA %v oldest %v; want one high key open 40 days, over its 30-day window", m.Open, m.OverSLA, m.Oldest)
		}
		if m.FixedInWindow != 1 || m.MeanDaysToFix["high"] != 5 || m.NewInWindow != 2 || m.Scans["secrets"] != 2 {
			t.Errorf("fixed %d in %v days, new %d, scans %v; want 1 fixed in 5 days, 2 new, 2 scans", m.FixedInWindow, m.MeanDaysToFix, m.NewInWindow, m.Scans)
		}
		table := runAt(t, t0.Add(40*24*time.Hour), dir, env, "metrics")
		if table.code != 0 || !strings.Contains(table.stdout, "high              1          1          40d             5d               5d") {
			t.Errorf("table:\n%s%s", table.stdout, table.stderr)
		}
		if strings.Contains(table.stdout+r.stdout, planted) {
			t.Error("a planted key appears in the metrics")
		}
		if r := palisade(t, dir, env, "metrics", "--window", "soon"); r.code != 2 || !strings.Contains(r.stderr, "--window") {
			t.Errorf("bad window: %d %q", r.code, r.stderr)
		}
	})
}
