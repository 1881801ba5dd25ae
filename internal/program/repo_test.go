package program

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func TestRepoChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		check  func(fs.FS) (bool, string, error)
		repo   fstest.MapFS
		want   bool
		detail string
	}{
		{"pre-commit framework with gitleaks", preCommitSecretScan,
			files(".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/gitleaks/gitleaks\n    rev: v8.30.1\n    hooks:\n      - id: gitleaks\n"),
			true, "runs the gitleaks hook"},
		{"pre-commit framework with palisade", preCommitSecretScan,
			files(".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/palisade-sec/palisade\n    rev: v1\n    hooks: [{id: palisade-secrets}]\n"),
			true, "palisade-secrets hook"},
		{"pre-commit framework without a secret scanner", preCommitSecretScan,
			files(".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    hooks:\n      - id: trailing-whitespace\n"),
			false, "no pre-commit hook runs a secret scanner"},
		{"git hook installed by palisade", preCommitSecretScan,
			files(".git/hooks/pre-commit", "#!/bin/sh\nexec palisade scan --staged --no-store --fail-on low\n"),
			true, ".git/hooks/pre-commit runs palisade scan --staged"},
		{"husky hook with gitleaks", preCommitSecretScan,
			files(".husky/pre-commit", "npx lint-staged\ngitleaks protect --staged\n"),
			true, "gitleaks protect"},
		{"a hook that only lints", preCommitSecretScan,
			files(".git/hooks/pre-commit", "#!/bin/sh\nnpm run lint\n"),
			false, ""},
		{"no hooks at all", preCommitSecretScan, files("main.go", "package main"), false, ""},

		{"GitHub Actions runs palisade", ciRuns(inlineScanCommand, "an inline security scan"),
			files(".github/workflows/ci.yml", "on: push\njobs:\n  scan:\n    steps:\n      - run: palisade scan --fail-on high .\n"),
			true, ".github/workflows/ci.yml:5 runs palisade scan"},
		{"GitLab CI runs trivy", ciRuns(inlineScanCommand, "an inline security scan"),
			files(".gitlab-ci.yml", "scan:\n  script:\n    - trivy fs --exit-code 1 .\n"),
			true, ".gitlab-ci.yml:3 runs trivy fs"},
		{"CI without a scan", ciRuns(inlineScanCommand, "an inline security scan"),
			files(".github/workflows/test.yaml", "jobs:\n  test:\n    steps:\n      - run: go test ./...\n"),
			false, "no CI configuration runs an inline security scan (read .github/workflows/test.yaml)"},
		{"no CI at all", ciRuns(inlineScanCommand, "an inline security scan"), files("README.md", "hi"), false, "no CI configuration found"},
		{"CodeQL is SAST", ciRuns(sastCommand, "a SAST tool"),
			files(".github/workflows/codeql.yml", "steps:\n  - uses: github/codeql-action/init@v3\n  - uses: github/codeql-action/analyze@v3\n"),
			true, "codeql.yml:3"},
		{"semgrep in Jenkins", ciRuns(sastCommand, "a SAST tool"), files("Jenkinsfile", "sh 'semgrep ci'"), true, "Jenkinsfile:1 runs semgrep"},
		{"a comment runs nothing", ciRuns(sastCommand, "a SAST tool"),
			files(".github/workflows/ci.yml", "# TODO: add semgrep\njobs:\n  sast:\n    name: semgrep\n    steps:\n      - run: make test # semgrep later\n"),
			true, "ci.yml:6"},
		{"only comments and names", ciRuns(sastCommand, "a SAST tool"),
			files(".github/workflows/ci.yml", "# TODO: add semgrep\njobs:\n  sast:\n    steps:\n      - name: semgrep\n        run: make test\n"),
			false, "no CI configuration runs a SAST tool"},

		{"Dependabot", dependencyUpdates, files(".github/dependabot.yml", "version: 2"), true, ".github/dependabot.yml"},
		{"Renovate", dependencyUpdates, files("renovate.json", "{}"), true, "renovate.json"},
		{"no update bot", dependencyUpdates, files("go.mod", "module x"), false, "no Dependabot or Renovate"},

		{"Terraform", infrastructureAsCode, files("infra/main.tf", `resource "aws_s3_bucket" "b" {}`), true, "infra/main.tf"},
		{"CloudFormation", infrastructureAsCode, files("deploy/stack.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"), true, "deploy/stack.yaml"},
		{"a downloaded module is not the repository's code", infrastructureAsCode,
			files(".terraform/modules/vpc/main.tf", "x", "app/values.yaml", "replicas: 2"), false, "no Terraform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail, err := tc.check(tc.repo)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.want || !strings.Contains(detail, tc.detail) {
				t.Errorf("got %v (%s), want %v containing %q", ok, detail, tc.want, tc.detail)
			}
		})
	}
}

func TestRepoChecksReportBadFiles(t *testing.T) {
	_, _, err := preCommitSecretScan(files(".pre-commit-config.yaml", "repos:\n  - repo: x\n    hooks: [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), ".pre-commit-config.yaml:") {
		t.Errorf("malformed YAML: %v, want an error naming the file and line", err)
	}
	_, _, err = preCommitSecretScan(files(".pre-commit-config.yaml", "repos: 3\n"))
	if err == nil || !strings.HasPrefix(err.Error(), ".pre-commit-config.yaml:1: ") {
		t.Errorf("wrong shape: %v, want .pre-commit-config.yaml:1: ...", err)
	}
	big := fstest.MapFS{".github/workflows/ci.yml": &fstest.MapFile{Data: make([]byte, maxRepoFile+1)}}
	if _, _, err := ciRuns(inlineScanCommand, "x")(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge CI file: %v, want it refused", err)
	}
}

func FuzzPreCommitSecretScan(f *testing.F) {
	f.Add([]byte("repos:\n  - repo: x\n    hooks:\n      - id: gitleaks\n"))
	f.Add([]byte("repos: [{hooks: [{id: palisade-secrets}]}]"))
	f.Add([]byte("repos: 3"))
	f.Add([]byte("repos:\n  - hooks: [\x1b]0;x\x07\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ok, detail, err := preCommitSecretScan(files(".pre-commit-config.yaml", string(data)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), ".pre-commit-config.yaml") || Clean(err.Error()) != err.Error() {
				t.Fatalf("error %q does not name the file or carries control characters", err)
			}
			return
		}
		if ok != strings.Contains(detail, "runs the") {
			t.Fatalf("ok %v with detail %q", ok, detail)
		}
		if Clean(detail) != detail {
			t.Fatalf("detail %q carries control characters", detail)
		}
	})
}

func TestReadSmallRefusesDevicesAndHugeFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "ci.yml")); err != nil {
		t.Skip(err)
	}
	if _, err := readSmall(os.DirFS(dir), "ci.yml"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a symlink to /dev/zero: %v, want it refused", err)
	}
	// Opening a FIFO for reading waits for a writer: refused before opening.
	if err := syscall.Mkfifo(filepath.Join(dir, "renovate.json"), 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, err := readSmall(os.DirFS(dir), "renovate.json"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO: %v, want it refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
}
