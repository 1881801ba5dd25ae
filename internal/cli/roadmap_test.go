package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/awstest"
	"github.com/palisade-sec/palisade/internal/cloud/aws/awsfake"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// roadmapOut is the part of `roadmap --format json` the tests read.
type roadmapOut struct {
	Summary struct {
		Level     int `json:"level"`
		NextStage int `json:"next_stage"`
		Met       int `json:"met"`
		Total     int `json:"total"`
	} `json:"summary"`
	Controls []struct {
		ID       string `json:"id"`
		State    string `json:"state"`
		Detail   string `json:"detail"`
		Evidence string `json:"evidence"`
		Findings int    `json:"open_findings"`
	} `json:"controls"`
}

func runAt(t *testing.T, now time.Time, dir string, env map[string]string, args ...string) run {
	t.Helper()
	a := testApp(dir, env)
	a.Now = func() time.Time { return now }
	code := a.Run(context.Background(), args)
	return run{code, a.Stdout.(*bytes.Buffer).String(), a.Stderr.(*bytes.Buffer).String()}
}

func roadmapAt(t *testing.T, now time.Time, dir string, env map[string]string, args ...string) map[string]struct{ state, detail string } {
	t.Helper()
	r := runAt(t, now, dir, env, append([]string{"roadmap", "--format", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("roadmap: exit %d: %s", r.code, r.stderr)
	}
	var out roadmapOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("roadmap JSON: %v\n%s", err, r.stdout)
	}
	if out.Summary.Total != len(out.Controls) || out.Summary.Total < 60 {
		t.Fatalf("summary %+v for %d controls", out.Summary, len(out.Controls))
	}
	states := map[string]struct{ state, detail string }{}
	for _, c := range out.Controls {
		states[c.ID] = struct{ state, detail string }{c.State, c.Detail}
	}
	return states
}

func wantState(t *testing.T, states map[string]struct{ state, detail string }, id, state, detail string) {
	t.Helper()
	got, ok := states[id]
	if !ok {
		t.Errorf("%s: not in the roadmap", id)
		return
	}
	if got.state != state || !strings.Contains(got.detail, detail) {
		t.Errorf("%s: %s (%s), want %s containing %q", id, got.state, got.detail, state, detail)
	}
}

// TestRoadmapFromScansRepositoryAndAttestations runs the roadmap over a real
// repository and real scans on both backends: each kind of evidence moves
// its control, and fixing a secret turns its control green.
func TestRoadmapFromScansRepositoryAndAttestations(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		now := time.Now().UTC()
		dir := t.TempDir()
		env := map[string]string{"PALISADE_DB": dsn}
		writeFile(t, filepath.Join(dir, "app", "settings.py"), "AWS_ACCESS_KEY_ID = '"+planted+"'\n")
		writeFile(t, filepath.Join(dir, ".pre-commit-config.yaml"), "repos:\n  - repo: https://github.com/palisade-sec/palisade\n    rev: v0.1.0\n    hooks:\n      - id: palisade\n")
		writeFile(t, filepath.Join(dir, ".github", "workflows", "ci.yml"), "on: pull_request\njobs:\n  scan:\n    runs-on: ubuntu-latest\n    steps:\n      - run: palisade scan --no-store --fail-on high .\n")
		writeFile(t, filepath.Join(dir, "infra", "main.tf"), "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n")

		before := roadmapAt(t, now, dir, env)
		wantState(t, before, "appsec-secrets", "no_evidence", "no complete secrets scan recorded")
		wantState(t, before, "aws-5-pre-commit", "no_evidence", "--repo")

		if r := runAt(t, now, dir, env, "scan", "--scanners", "secrets,iac", "--format", "json", "."); r.code != 0 {
			t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
		}
		if r := runAt(t, now, dir, env, "roadmap", "attest", "training-policies", "--by", "ana", "--note", "policy walkthrough, recorded in the wiki",
			"--expires", now.AddDate(1, 0, 0).Format(time.DateOnly)); r.code != 0 || !strings.Contains(r.stdout, "attested training-policies by ana") {
			t.Fatalf("attest: exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if r := runAt(t, now, dir, env, "roadmap", "attest", "aws-11-practice", "--by", "bo", "--note", "tabletop: leaked key",
			"--expires", now.AddDate(0, 0, 10).Format(time.DateOnly)); r.code != 0 {
			t.Fatalf("attest: exit %d: %s", r.code, r.stderr)
		}

		got := roadmapAt(t, now, dir, env, "--repo", ".")
		wantState(t, got, "appsec-secrets", "not_met", "1 open finding(s), worst high: aws-access-key-id ×1")
		wantState(t, got, "appsec-secure-templates", "not_met", "1 open finding(s), worst high: AWS-S3-001 ×1")
		wantState(t, got, "appsec-dependency-vulns", "no_evidence", "no complete deps scan recorded")
		wantState(t, got, "aws-5-pre-commit", "met", ".pre-commit-config.yaml runs the palisade hook")
		wantState(t, got, "continuous-ci-scans", "met", ".github/workflows/ci.yml:6 runs palisade scan")
		wantState(t, got, "continuous-sast", "not_met", "no CI configuration runs a SAST tool")
		wantState(t, got, "appsec-dependency-updates", "not_met", "no Dependabot or Renovate")
		wantState(t, got, "aws-7-iac", "met", "infra/main.tf")
		wantState(t, got, "training-policies", "met", "attested by ana")
		wantState(t, got, "training-hands-on", "no_evidence", "not attested")
		wantState(t, got, "aws-1-organizations", "no_evidence", "no complete aws scan")
		wantState(t, got, "appsec-inventory", "no_evidence", "no service catalog")

		writeFile(t, filepath.Join(dir, "services.yaml"), "services:\n  - name: shop\n    owner: shop@acme.example\n    data: confidential\n    targets: [\""+dir+"\"]\n")
		withCatalog := roadmapAt(t, now, dir, env)
		wantState(t, withCatalog, "appsec-inventory", "met", "1 services with owners; every open finding belongs to one")
		wantState(t, withCatalog, "appsec-risk-ranking", "met", "1 services ranked")
		if r := runAt(t, now, dir, env, "roadmap", "--catalog", "missing.yaml"); r.code != 2 || !strings.Contains(r.stderr, "missing.yaml not found") {
			t.Errorf("a named catalog that is missing: exit %d %q", r.code, r.stderr)
		}

		// Eleven days on, the short attestation has expired and the scans
		// are still recent; sixty days on, the scans no longer count.
		later := roadmapAt(t, now.AddDate(0, 0, 11), dir, env)
		wantState(t, later, "aws-11-practice", "expired", "attested by bo")
		wantState(t, later, "appsec-secrets", "not_met", "")
		wantState(t, roadmapAt(t, now.AddDate(0, 0, 60), dir, env), "appsec-secrets", "no_evidence", "no complete secrets scan in the last 30 days")
		wantState(t, roadmapAt(t, now.AddDate(0, 0, 60), dir, env, "--max-age", "90d"), "appsec-secrets", "not_met", "")

		writeFile(t, filepath.Join(dir, "app", "settings.py"), "AWS_ACCESS_KEY_ID = os.environ['AWS_ACCESS_KEY_ID']\n")
		if r := runAt(t, now.Add(time.Hour), dir, env, "scan", "--scanners", "secrets", "."); r.code != 0 {
			t.Fatalf("rescan: exit %d: %s", r.code, r.stderr)
		}
		wantState(t, roadmapAt(t, now.Add(time.Hour), dir, env), "appsec-secrets", "met", "no open finding")

		table := runAt(t, now, dir, env, "roadmap", "--repo", ".")
		if table.code != 0 || !strings.Contains(table.stdout, "AWS maturity level 0 of 11 (next: stage 1)") || !strings.Contains(table.stdout, "met          training-policies") {
			t.Errorf("table: exit %d\n%s%s", table.code, table.stdout, table.stderr)
		}
		md := runAt(t, now, dir, env, "roadmap", "--format", "markdown")
		if md.code != 0 || !strings.Contains(md.stdout, "| met | `training-policies` |") || !strings.Contains(md.stdout, "## AWS 5: Secure IAM Access") {
			t.Errorf("markdown: exit %d\n%s", md.code, md.stdout)
		}
	})
}

// TestRoadmapAfterLiveAudit records a real audit of an emulated account
// (moto) and checks that the roadmap reads it: the planted weaknesses fail
// their controls, the audit itself meets the CSPM step.
func TestRoadmapAfterLiveAudit(t *testing.T) {
	url := awstest.Moto(t)
	awsEnv(t)
	later := time.Now().Add(120 * 24 * time.Hour)
	seedVulnerable(t, url)
	fake := &awsfake.Lacking{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db"),
		"AWS_ENDPOINT_URL_S3_CONTROL": srv.URL, "AWS_ENDPOINT_URL_ACCESSANALYZER": srv.URL, "AWS_ENDPOINT_URL_SSO_ADMIN": srv.URL}
	auditAt(t, later, env, "aws", "audit", "--endpoint-url", url, "--region", "us-east-1", "--regions", "us-east-1", "--format", "json")

	got := roadmapAt(t, later, t.TempDir(), env)
	// The audit covered one region (--regions), so it is partial: its open
	// findings fail their controls, but nothing is met on its word.
	wantState(t, got, "continuous-cspm", "no_evidence", "only partial aws scans recently")
	wantState(t, got, "aws-3-logging", "not_met", "AWS-ACCT-001")
	wantState(t, got, "aws-5-no-iam-users", "not_met", "AWS-IAM-003")
	wantState(t, got, "aws-3-block-public-access", "not_met", "AWS-S3-001")
	wantState(t, got, "aws-10-network", "not_met", "AWS-VPC-001")
	wantState(t, got, "aws-1-organizations", "no_evidence", "aws-org:")
	wantState(t, got, "appsec-secrets", "no_evidence", "")
}

func TestRoadmapUsageErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	soon := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"roadmap", "--format", "html"}, `unknown --format "html"`},
		{"bad max age", []string{"roadmap", "--max-age", "a month"}, "--max-age: want a number of days"},
		{"repository missing", []string{"roadmap", "--repo", "nowhere"}, "--repo:"},
		{"unknown control", []string{"roadmap", "attest", "aws-99-x", "--by", "a", "--note", "n", "--expires", soon}, `unknown control "aws-99-x"`},
		{"control read from evidence", []string{"roadmap", "attest", "aws-5-sso", "--by", "a", "--note", "n", "--expires", soon}, "evaluated from evidence, not attested"},
		{"nobody attests", []string{"roadmap", "attest", "sdlc-threat-modeling", "--note", "n", "--expires", soon}, "--by"},
		{"no note", []string{"roadmap", "attest", "sdlc-threat-modeling", "--by", "a", "--expires", soon}, "--note"},
		{"bad expiry", []string{"roadmap", "attest", "sdlc-threat-modeling", "--by", "a", "--note", "n", "--expires", "next year"}, "--expires: want YYYY-MM-DD"},
		{"expiry too far", []string{"roadmap", "attest", "sdlc-threat-modeling", "--by", "a", "--note", "n", "--expires", time.Now().AddDate(5, 0, 0).Format(time.DateOnly)}, "more than two years"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := palisade(t, dir, env, tc.args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", r.code, r.stderr, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "palisade.db")); err == nil {
		t.Error("a usage error created palisade.db in the working folder")
	}
}
