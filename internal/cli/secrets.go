package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/palisade-sec/palisade/internal/config"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/regular"
	"github.com/palisade-sec/palisade/internal/secrets"
	"github.com/palisade-sec/palisade/internal/secrets/verify"
)

// defaultHashKey keys secret hashes when PALISADE_HASH_KEY is unset. A team
// that wants hashes nobody outside can test guesses against sets its own key
// in the environment of every machine that shares a store or baseline.
const defaultHashKey = "palisade/secret-hash/v1"

// DefaultBaseline is the baseline file used when present in the scanned
// folder and no other is named.
const DefaultBaseline = ".palisade-baseline"

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

func secretsVersion() string { return secrets.Version }

func hashKey(a *App) []byte {
	if k := a.Getenv("PALISADE_HASH_KEY"); k != "" {
		return []byte(k)
	}
	return []byte(defaultHashKey)
}

func secretsEngine(ctx context.Context, a *App, cfg *config.Config, f *scanFlags, root string) (*secrets.Engine, error) {
	opts := secrets.Options{
		HashKey:       hashKey(a),
		DisabledRules: cfg.Secrets.DisabledRules,
		MaxFileSize:   int64(cfg.Secrets.MaxFileSize),
		DecodeDepth:   2,
	}
	if cfg.Secrets.DecodeDepth != nil {
		opts.DecodeDepth = *cfg.Secrets.DecodeDepth
	}
	if f.verify {
		opts.Verify = verify.AWS(ctx, verify.AWSOptions{Endpoint: f.awsEndpoint})
	}
	if f.maxFileSize != "" {
		n, err := config.ParseByteSize(f.maxFileSize)
		if err != nil {
			return nil, usageErrorf("--max-file-size: %v", err)
		}
		opts.MaxFileSize = int64(n)
	}
	baseline := f.baseline
	switch {
	case baseline != "":
		if !filepath.IsAbs(baseline) {
			baseline = filepath.Join(a.Dir, baseline)
		}
	case cfg.Secrets.Baseline != "":
		baseline = cfg.Secrets.Baseline
		if !filepath.IsAbs(baseline) {
			baseline = filepath.Join(configDir(root), baseline)
		}
	default:
		// A baseline at the conventional place is used without configuration.
		if p := filepath.Join(configDir(root), DefaultBaseline); fileExists(p) {
			baseline = p
		}
	}
	if baseline != "" {
		fh, err := regular.Open(baseline)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer fh.Close()
		b, err := secrets.ReadBaseline(fh, baseline)
		if err != nil {
			return nil, err
		}
		opts.Baseline = b
	}
	return secrets.New(opts), nil
}

func runSecrets(ctx context.Context, j *scanJob) error {
	e, err := secretsEngine(ctx, j.app, j.cfg, j.flags, j.root)
	if err != nil {
		return err
	}
	sink := secrets.Sink{Emit: j.emit, Problem: j.problem}
	var st secrets.Stats
	switch {
	case j.stdin:
		st, err = e.ScanReader(j.app.Stdin, "stdin", sink)
	case j.flags.history:
		st, err = e.ScanGit(ctx, secrets.GitSource{Repo: j.root, Mode: secrets.GitHistory, Range: j.flags.gitRange, Since: j.flags.sinceCommit}, j.skip, sink)
	case j.flags.staged:
		st, err = e.ScanGit(ctx, secrets.GitSource{Repo: j.root, Mode: secrets.GitStaged}, j.skip, sink)
	case j.flags.diffBase != "":
		st, err = e.ScanGit(ctx, secrets.GitSource{Repo: j.root, Mode: secrets.GitDiffBase, Base: j.flags.diffBase}, j.skip, sink)
	default:
		st, err = e.ScanDir(ctx, j.root, j.skip, sink)
	}
	if err != nil {
		return err
	}
	if j.progress != nil {
		fmt.Fprintf(j.progress, "palisade: secrets: %d files, %.1f MB, %d findings, %d suppressed, %d skipped\n",
			st.Files, float64(st.Bytes)/(1<<20), st.Findings, st.Suppressed, st.Skipped)
	}
	return nil
}

// writeBaselineFile writes the secret findings' hashes as a baseline.
func writeBaselineFile(path, root string, fds []finding.Finding) error {
	b := secrets.NewBaseline()
	for _, f := range fds {
		if f.Category == finding.Secret && f.SecretHash != "" {
			b.Add(f.SecretHash, f.RuleID, f.Location.Path)
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".palisade-baseline-*")
	if err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := b.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write baseline: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
