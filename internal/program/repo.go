package program

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/finding"
)

// maxRepoFile bounds what a repository check reads of one file: CI and hook
// configurations are small, and a check must not read a large file whole.
const maxRepoFile = 1 << 20

// secretHookIDs are pre-commit framework hook ids of secret scanners.
var secretHookIDs = map[string]bool{
	"palisade-secrets": true, "palisade": true, "gitleaks": true, "gitleaks-docker": true,
	"detect-secrets": true, "trufflehog": true, "ggshield": true, "talisman-commit": true,
}

// preCommitSecretScan finds a secret scanner in the repository's pre-commit
// hooks: a .pre-commit-config.yaml hook for the pre-commit framework, or a
// plain git hook installed by `palisade hook install` (or husky's, or
// lefthook's) that runs one.
func preCommitSecretScan(repo fs.FS) (bool, string, error) {
	data, err := readSmall(repo, ".pre-commit-config.yaml")
	switch {
	case err == nil:
		ids, err := preCommitHookIDs(data)
		if err != nil {
			return false, "", yamlError(".pre-commit-config.yaml", err)
		}
		for _, id := range ids {
			if secretHookIDs[id] {
				return true, fmt.Sprintf(".pre-commit-config.yaml runs the %s hook", id), nil
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false, "", err
	}
	for _, name := range []string{".git/hooks/pre-commit", ".husky/pre-commit", "lefthook.yml", ".lefthook.yml"} {
		data, err := readSmall(repo, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, "", err
		}
		if tool := secretScannerCommand.FindString(string(data)); tool != "" {
			return true, fmt.Sprintf("%s runs %s", name, tool), nil
		}
	}
	return false, "no pre-commit hook runs a secret scanner (palisade hook install, or .pre-commit-config.yaml)", nil
}

// secretScannerCommand is a command line that scans for secrets.
var secretScannerCommand = regexp.MustCompile(`palisade\s+scan[^\n]*--staged|gitleaks\s+(?:protect|git|dir|detect)|detect-secrets-hook|trufflehog\s+git|ggshield\s+secret`)

// preCommitHookIDs reads the hook ids of a pre-commit framework config. A
// malformed file is an error with its line, not an absent hook.
func preCommitHookIDs(data []byte) ([]string, error) {
	var cfg struct {
		Repos []struct {
			Hooks []struct {
				ID string `yaml:"id"`
			} `yaml:"hooks"`
		} `yaml:"repos"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range cfg.Repos {
		for _, h := range r.Hooks {
			ids = append(ids, h.ID)
		}
	}
	return ids, nil
}

// ciFiles are the CI configurations the checks read: GitHub Actions
// workflows and the single files of other CI systems.
func ciFiles(repo fs.FS) ([]string, error) {
	var out []string
	for _, dir := range []string{".github/workflows", ".gitea/workflows", ".forgejo/workflows"} {
		entries, err := fs.ReadDir(repo, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
				out = append(out, path.Join(dir, e.Name()))
			}
		}
	}
	for _, name := range []string{".gitlab-ci.yml", ".circleci/config.yml", "Jenkinsfile", "azure-pipelines.yml",
		"bitbucket-pipelines.yml", ".buildkite/pipeline.yml", ".travis.yml", "buildspec.yml", ".drone.yml"} {
		if _, err := fs.Stat(repo, name); err == nil {
			out = append(out, name)
		}
	}
	return out, nil
}

// ciRuns returns a check that passes when a CI configuration runs a command
// matching re; what names the step in the failure message.
func ciRuns(re *regexp.Regexp, what string) func(fs.FS) (bool, string, error) {
	return func(repo fs.FS) (bool, string, error) {
		files, err := ciFiles(repo)
		if err != nil {
			return false, "", err
		}
		if len(files) == 0 {
			return false, "no CI configuration found (.github/workflows, .gitlab-ci.yml, Jenkinsfile, ...)", nil
		}
		for _, name := range files {
			data, err := readSmall(repo, name)
			if err != nil {
				return false, "", err
			}
			for i, line := range strings.Split(string(data), "\n") {
				if !commandLine(line) {
					continue
				}
				if m := re.FindString(line); m != "" {
					return true, fmt.Sprintf("%s:%d runs %s", name, i+1, Clean(strings.TrimSpace(m))), nil
				}
			}
		}
		return false, fmt.Sprintf("no CI configuration runs %s (read %s)", what, strings.Join(files, ", ")), nil
	}
}

// commandLine reports whether a CI configuration line can run something:
// comments and job or step names cannot ("# add semgrep later",
// "name: semgrep").
func commandLine(line string) bool {
	t := strings.TrimSpace(line)
	t = strings.TrimPrefix(t, "- ")
	switch {
	case t == "", strings.HasPrefix(t, "#"), strings.HasPrefix(t, "//"), strings.HasPrefix(t, "*"),
		strings.HasPrefix(t, "name:"), strings.HasPrefix(t, "description:"), strings.HasPrefix(t, "stage:"):
		return false
	}
	return true
}

// inlineScanCommand is a security scan a pipeline runs inline.
var inlineScanCommand = regexp.MustCompile(`palisade\s+scan|gitleaks\s+(?:detect|git|dir)|gitleaks/gitleaks-action|trivy\s+(?:fs|config|repo)|aquasecurity/trivy-action|osv-scanner|checkov\b|trufflehog\s+(?:git|filesystem)`)

// sastCommand is a static analysis tool for application code.
var sastCommand = regexp.MustCompile(`github/codeql-action/analyze|semgrep\b|gosec\b|bandit\b|brakeman\b|sonar-scanner|sonarsource/sonarqube-scan-action|njsscan|spotbugs|snyk\s+code`)

// dependencyUpdates finds automated dependency update configuration
// (Dependabot or Renovate), the checklist's "keep dependencies up to date".
func dependencyUpdates(repo fs.FS) (bool, string, error) {
	for _, name := range []string{".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", "renovate.json5",
		".renovaterc", ".renovaterc.json", ".github/renovate.json", ".github/renovate.json5", ".gitlab/renovate.json"} {
		if _, err := fs.Stat(repo, name); err == nil {
			return true, name + " configures automated dependency updates", nil
		}
	}
	return false, "no Dependabot or Renovate configuration", nil
}

// infrastructureAsCode finds Terraform, OpenTofu or CloudFormation files,
// outside vendored and downloaded folders.
func infrastructureAsCode(repo fs.FS) (bool, string, error) {
	found := ""
	err := fs.WalkDir(repo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable folder proves nothing either way
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "vendor", ".terraform":
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, ".tf"), strings.HasSuffix(name, ".tofu"), strings.HasSuffix(name, ".tf.json"):
			found = p
		case strings.HasSuffix(name, ".yaml"), strings.HasSuffix(name, ".yml"), strings.HasSuffix(name, ".json"), strings.HasSuffix(name, ".template"):
			data, err := readSmall(repo, p)
			if err == nil && strings.Contains(string(data), "AWSTemplateFormatVersion") {
				found = p
			}
		}
		if found != "" {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return false, "", err
	}
	if found == "" {
		return false, "no Terraform, OpenTofu or CloudFormation file in the repository", nil
	}
	return true, found + " defines infrastructure as code", nil
}

// readSmall reads a regular file of at most maxRepoFile bytes. A device,
// a pipe or a symbolic link to one (/dev/zero reports size 0 and never
// ends) is refused, and the read is bounded whatever the size says.
func readSmall(repo fs.FS, name string) ([]byte, error) {
	// Checked before opening too: opening a FIFO waits for a writer.
	if info, err := fs.Stat(repo, name); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	f, err := repo.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRepoFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxRepoFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxRepoFile)
	}
	return data, nil
}

// yamlLine is the line yaml.v3 puts in its messages ("yaml: line 3: ...",
// "line 2: cannot unmarshal ...").
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// yamlError names the file and line of a YAML error, with the file's own
// text in the message made safe to print.
func yamlError(name string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], Clean(m[2]))
	}
	return fmt.Errorf("%s: %s", name, Clean(err.Error()))
}

// Clean makes text from files and users safe for one line of a terminal:
// control characters (escape sequences, newlines) and bidirectional
// overrides become "?".
func Clean(s string) string {
	return strings.Map(func(r rune) rune {
		if finding.UnsafeRune(r) {
			return '?'
		}
		return r
	}, s)
}
