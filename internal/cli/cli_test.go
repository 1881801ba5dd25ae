package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/report"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// planted is a fake AWS key id the tests plant; it must never appear in
// any output, store or baseline.
const planted = "AKIAZ2ADPRQ7LOKKEBV4"

type run struct {
	code           int
	stdout, stderr string
}

func testApp(dir string, env map[string]string) *App {
	a := NewApp()
	a.Stdin = strings.NewReader("")
	a.Stdout = &bytes.Buffer{}
	a.Stderr = &bytes.Buffer{}
	a.Dir = dir
	a.Getenv = func(k string) string { return env[k] }
	a.IsTerminal = func(io.Writer) bool { return false }
	return a
}

func palisade(t *testing.T, dir string, env map[string]string, args ...string) run {
	t.Helper()
	a := testApp(dir, env)
	code := a.Run(context.Background(), args)
	return run{code, a.Stdout.(*bytes.Buffer).String(), a.Stderr.(*bytes.Buffer).String()}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeReport(t *testing.T, s string) report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, s)
	}
	return r
}

func TestScanStoresFindingsAcrossRescansOnBothBackends(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "app", "settings.py"), "DEBUG = False\nAWS_ACCESS_KEY_ID = '"+planted+"'\n")
		env := map[string]string{"PALISADE_DB": dsn}

		first := palisade(t, dir, env, "scan", "--format", "json", ".")
		if first.code != 0 {
			t.Fatalf("scan exit %d: %s", first.code, first.stderr)
		}
		r1 := decodeReport(t, first.stdout)
		if len(r1.Findings) != 1 || r1.Findings[0].Status != "open" {
			t.Fatalf("first scan findings %+v, want one open finding", r1.Findings)
		}

		// The secret moves down two lines: same fingerprint, no new row.
		writeFile(t, filepath.Join(dir, "app", "settings.py"), "DEBUG = False\n\n\nAWS_ACCESS_KEY_ID = '"+planted+"'\n")
		r2 := decodeReport(t, palisade(t, dir, env, "scan", "--format", "json", ".").stdout)
		if len(r2.Findings) != 1 || r2.Findings[0].Fingerprint != r1.Findings[0].Fingerprint {
			t.Fatalf("rescan fingerprints %+v, want the same one", r2.Findings)
		}
		if r2.Findings[0].Location.StartLine != 4 {
			t.Errorf("rescan line %d, want 4", r2.Findings[0].Location.StartLine)
		}
		listed := palisade(t, dir, env, "findings", "list", "--status", "all", "--format", "json")
		if n := len(decodeReport(t, listed.stdout).Findings); n != 1 {
			t.Fatalf("store holds %d findings after two scans, want 1", n)
		}

		// Fixing the cause and rescanning marks the finding fixed.
		writeFile(t, filepath.Join(dir, "app", "settings.py"), "DEBUG = False\nAWS_ACCESS_KEY_ID = os.environ['AWS_ACCESS_KEY_ID']\n")
		if r := palisade(t, dir, env, "scan", "--format", "json", "--fail-on", "low", "."); r.code != 0 {
			t.Fatalf("clean rescan exit %d, want 0: %s", r.code, r.stderr)
		}
		fixed := decodeReport(t, palisade(t, dir, env, "findings", "list", "--status", "fixed", "--format", "json").stdout)
		if len(fixed.Findings) != 1 || fixed.Findings[0].Fingerprint != r1.Findings[0].Fingerprint {
			t.Fatalf("fixed findings %+v, want the original one", fixed.Findings)
		}
		show := palisade(t, dir, env, "findings", "show", r1.Findings[0].Fingerprint[:8])
		if show.code != 0 || !strings.Contains(show.stdout, "open -> fixed") {
			t.Errorf("show: exit %d\n%s%s", show.code, show.stdout, show.stderr)
		}
	})
}

func TestFailOnAndTriage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "deploy.sh"), "export AWS_ACCESS_KEY_ID="+planted+"\n")
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	if r := palisade(t, dir, env, "scan", "--fail-on", "critical"); r.code != 0 {
		t.Errorf("fail-on critical with a high finding: exit %d, want 0", r.code)
	}
	r := palisade(t, dir, env, "scan", "--fail-on", "high", "--format", "json")
	if r.code != 1 || !strings.Contains(r.stderr, "1 open finding") {
		t.Fatalf("fail-on high: exit %d stderr %q, want 1", r.code, r.stderr)
	}
	fp := decodeReport(t, r.stdout).Findings[0].Fingerprint
	if tr := palisade(t, dir, env, "findings", "triage", fp[:10], "--status", "accepted"); tr.code != 2 || !strings.Contains(tr.stderr, "reason") {
		t.Errorf("accepting without a reason: exit %d %q, want 2 naming the reason", tr.code, tr.stderr)
	}
	if tr := palisade(t, dir, env, "findings", "triage", fp[:10], "--status", "accepted", "--reason", "revoked test key", "--expires", "2099-01-01"); tr.code != 0 {
		t.Fatalf("triage: exit %d %s", tr.code, tr.stderr)
	}
	if r := palisade(t, dir, env, "scan", "--fail-on", "high"); r.code != 0 {
		t.Errorf("accepted finding still fails the build: exit %d %s", r.code, r.stderr)
	}
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	for _, tc := range []struct {
		name  string
		setup func()
		args  []string
		want  string
	}{
		{"unknown flag", nil, []string{"scan", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{"unknown command", nil, []string{"scna"}, `unknown command "scna"`},
		{"unknown scanner", nil, []string{"scan", "--scanners", "secrets,sast"}, `unknown scanner "sast"`},
		{"unknown format", nil, []string{"scan", "--format", "xml"}, `unknown --format "xml"`},
		{"bad fail-on", nil, []string{"scan", "--fail-on", "urgent"}, "--fail-on"},
		{"option as a revision", nil, []string{"scan", "--diff-base=--output=/tmp/x"}, "is not a git revision"},
		{"shell in a revision", nil, []string{"scan", "--history", "--git-range", "a..b;rm"}, "is not a git revision"},
		{"unknown config key", func() {
			writeFile(t, filepath.Join(dir, "palisade.yaml"), "version: 1\nsecrets:\n  baseline: b\n  decodedepth: 1\n")
		}, []string{"scan"}, `palisade.yaml:4: unknown key "decodedepth"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
				defer os.Remove(filepath.Join(dir, "palisade.yaml"))
			}
			r := palisade(t, dir, env, tc.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q, want one line containing %q", r.stderr, tc.want)
			}
		})
	}
}

// TestPlantedSecretNeverInClear scans a planted secret in every format, with
// the store, a baseline and history, then greps everything written.
func TestPlantedSecretNeverInClear(t *testing.T) {
	dir := t.TempDir()
	gitInit(t, dir)
	writeFile(t, filepath.Join(dir, "config", "prod.yaml"), "aws:\n  access_key_id: "+planted+"\n")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "leak")
	dbPath := filepath.Join(t.TempDir(), "p.db")
	env := map[string]string{"PALISADE_DB": dbPath}
	var outputs []string
	for _, format := range report.Formats {
		r := palisade(t, dir, env, "scan", "--format", format)
		outputs = append(outputs, r.stdout, r.stderr)
		r = palisade(t, dir, env, "scan", "--history", "--format", format)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	r := palisade(t, dir, env, "scan", "--write-baseline", ".palisade-baseline")
	outputs = append(outputs, r.stdout, r.stderr)
	for _, args := range [][]string{{"findings", "list", "--status", "all"}, {"findings", "list", "--format", "json"}, {"findings", "list", "--format", "html"}} {
		r := palisade(t, dir, env, args...)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	list := decodeReport(t, palisade(t, dir, env, "findings", "list", "--format", "json").stdout)
	r = palisade(t, dir, env, "findings", "show", list.Findings[0].Fingerprint)
	outputs = append(outputs, r.stdout)
	for _, p := range []string{dbPath, filepath.Join(dir, ".palisade-baseline")} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(data))
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if data, err := os.ReadFile(dbPath + suffix); err == nil {
			outputs = append(outputs, string(data))
		}
	}
	for i, o := range outputs {
		if strings.Contains(o, planted) || strings.Contains(o, planted[4:]) {
			t.Errorf("output %d contains the planted secret", i)
		}
	}
	if r := palisade(t, dir, env, "scan", "--fail-on", "low"); r.code != 0 {
		t.Errorf("baselined secret still fails: exit %d %s", r.code, r.stderr)
	}
}

func TestStdinStagedAndDiffBase(t *testing.T) {
	dir := t.TempDir()
	gitInit(t, dir)
	writeFile(t, filepath.Join(dir, "README"), "hello\n")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "init")
	env := map[string]string{}

	a := testApp(dir, env)
	a.Stdin = strings.NewReader("key=" + planted + "\n")
	if code := a.Run(context.Background(), []string{"scan", "-", "--no-store", "--format", "json", "--fail-on", "high"}); code != 1 {
		t.Errorf("stdin scan exit %d, want 1", code)
	}

	writeFile(t, filepath.Join(dir, "env.sh"), "export AWS_ACCESS_KEY_ID="+planted+"\n")
	gitRun(t, dir, "add", "env.sh")
	r := palisade(t, dir, env, "scan", "--staged", "--no-store", "--format", "json")
	if f := decodeReport(t, r.stdout).Findings; len(f) != 1 || f[0].Location.Path != "env.sh" {
		t.Errorf("staged findings %+v, want env.sh", f)
	}
	gitRun(t, dir, "commit", "-qm", "leak")
	r = palisade(t, dir, env, "scan", "--diff-base", "HEAD~1", "--no-store", "--format", "json", "--fail-on", "high")
	if r.code != 1 || len(decodeReport(t, r.stdout).Findings) != 1 {
		t.Errorf("diff-base: exit %d, output %s", r.code, r.stdout)
	}
	r = palisade(t, dir, env, "scan", "--diff-base", "HEAD", "--no-store", "--format", "json", "--fail-on", "high")
	if r.code != 0 {
		t.Errorf("diff-base with no change: exit %d, want 0", r.code)
	}
	if _, err := os.Stat(filepath.Join(dir, "palisade.db")); err == nil {
		t.Errorf("--no-store created a database")
	}
}

func TestHookInstall(t *testing.T) {
	dir := t.TempDir()
	gitInit(t, dir)
	if r := palisade(t, dir, nil, "hook", "install"); r.code != 0 {
		t.Fatalf("hook install: %d %s", r.code, r.stderr)
	}
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	data, err := os.ReadFile(hook)
	if err != nil || !strings.Contains(string(data), "scan --staged") {
		t.Fatalf("hook %q, %v", data, err)
	}
	writeFile(t, hook, "#!/bin/sh\nmake lint\n")
	if r := palisade(t, dir, nil, "hook", "install"); r.code != 2 {
		t.Errorf("overwrote a foreign hook: exit %d", r.code)
	}
}

func gitInit(t *testing.T, dir string) {
	t.Helper()
	gitRun(t, dir, "init", "-q", "-b", "main")
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// corpus is the absolute path of a file or folder of the shared corpora:
// $PALISADE_CORPORA, else ../shared/corpora beside the repository.
func corpus(t *testing.T, parts ...string) string {
	t.Helper()
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpora")
	}
	p, err := filepath.Abs(filepath.Join(append([]string{root}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
