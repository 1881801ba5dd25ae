package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func osvCorpus(t *testing.T) (db, projects string) {
	t.Helper()
	return corpus(t, "osv", "db"), corpus(t, "osv", "projects")
}

func TestDepsScanOfflineWithIgnoresAndSBOM(t *testing.T) {
	db, projects := osvCorpus(t)
	project := filepath.Join(projects, "gogs-2021-05")
	env := map[string]string{"PALISADE_CACHE": t.TempDir()}
	r := palisade(t, t.TempDir(), env, "scan", "--no-store", "--scanners", "deps", "--vuln-db", db, "--format", "json", project)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	found := decodeReport(t, r.stdout).Findings
	if len(found) == 0 {
		t.Fatal("no vulnerabilities in gogs-2021-05")
	}
	first := found[0]
	if first.Category != "vulnerability" || first.Package == nil || first.Package.PURL == "" || first.VulnerabilityID == "" || first.Resource != first.Package.PURL {
		t.Errorf("finding lacks vulnerability fields: %+v", first)
	}

	// Ignoring that advisory in palisade.yaml removes it until it expires.
	cfgDir := t.TempDir()
	writeFile(t, filepath.Join(cfgDir, "palisade.yaml"), "deps:\n  ignore:\n    - id: "+first.VulnerabilityID+
		"\n      reason: not reachable\n      expires: 2999-01-01\n")
	r = palisade(t, t.TempDir(), env, "scan", "--no-store", "--scanners", "deps", "--vuln-db", db, "--format", "json",
		"--config", filepath.Join(cfgDir, "palisade.yaml"), project)
	for _, f := range decodeReport(t, r.stdout).Findings {
		if f.VulnerabilityID == first.VulnerabilityID && f.Package.Name == first.Package.Name {
			t.Errorf("ignored advisory %s still reported", first.VulnerabilityID)
		}
	}

	r = palisade(t, t.TempDir(), env, "scan", "--vuln-db", db, "--format", "cyclonedx", project)
	var bom struct {
		BomFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Purl string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &bom); err != nil || bom.BomFormat != "CycloneDX" || len(bom.Components) == 0 {
		t.Fatalf("SBOM: %v %+v", err, bom)
	}
	if !strings.HasPrefix(bom.SpecVersion, "1.") || bom.SpecVersion < "1.5" {
		t.Errorf("spec version %s, want 1.5 or later", bom.SpecVersion)
	}
}

func TestDepsWithoutDatabase(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "requirements.txt"), "requests==2.0.0\n")
	env := map[string]string{"PALISADE_CACHE": t.TempDir()}
	if r := palisade(t, dir, env, "scan", "--no-store", "--scanners", "deps"); r.code != 2 || !strings.Contains(r.stderr, "palisade db update") {
		t.Errorf("explicit deps without a database: exit %d %q, want 2 naming db update", r.code, r.stderr)
	}
	r := palisade(t, dir, env, "scan", "--no-store", "--format", "json")
	if r.code != 0 {
		t.Fatalf("default scan without a database: exit %d %s", r.code, r.stderr)
	}
	if errs := decodeReport(t, r.stdout).Scan.Errors; len(errs) != 1 || !strings.Contains(errs[0], "no advisory database") {
		t.Errorf("scan errors %v, want the missing database named", errs)
	}
}
