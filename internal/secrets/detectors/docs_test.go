package detectors

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/secrets.md from the detectors")

// TestDetectorReference keeps docs/secrets.md, the list of detectors,
// generated from the detectors themselves: run go test -update after
// changing one.
func TestDetectorReference(t *testing.T) {
	dets := All()
	providers := map[string]bool{}
	for _, d := range dets {
		providers[d.Provider] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Secret detectors\n\nGenerated from `internal/secrets/detectors` by `go test ./internal/secrets/detectors -update`; do not edit.\n\n")
	fmt.Fprintf(&b, "%d detectors for %d providers. Every detector has its own true and false examples in the code.\n\n", len(dets), len(providers))
	fmt.Fprintf(&b, "| id | provider | what | severity |\n|---|---|---|---|\n")
	sorted := append([]*Detector(nil), dets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, d := range sorted {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.ID, cell(d.Provider), cell(d.Title), d.Severity)
	}
	path := filepath.Join("..", "..", "..", "docs", "secrets.md")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/secrets/detectors -update)", err)
	}
	if string(got) != b.String() {
		t.Errorf("docs/secrets.md is stale: run go test ./internal/secrets/detectors -update")
	}
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
