package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

type findingT = finding.Finding

// scanFunc runs one scanner over a folder.
type scanFunc func(ctx context.Context, root string, emit func(findingT), problem func(string, error)) error

// withDiffBase runs scan over the job's folder. With --diff-base it reports
// only the findings the change introduced: it also scans the merge base
// (checked out in a temporary worktree) and drops every finding whose
// fingerprint was already there. Fingerprints leave out line numbers, so a
// finding that merely moved is not "introduced".
func withDiffBase(ctx context.Context, j *scanJob, scan scanFunc) error {
	if j.flags.diffBase == "" {
		return scan(ctx, j.root, j.emit, j.problem)
	}
	top, err := gitOut(ctx, j.root, "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("--diff-base needs a git repository: %w", err)
	}
	rel, err := filepath.Rel(top, j.root)
	if err != nil {
		return err
	}
	base, err := gitOut(ctx, j.root, "merge-base", j.flags.diffBase, "HEAD")
	if err != nil {
		return fmt.Errorf("--diff-base %s: %w", j.flags.diffBase, err)
	}
	changed, err := gitOut(ctx, j.root, "diff", "--name-only", "--no-renames", base, "--", ".")
	if err != nil {
		return err
	}
	untracked, err := gitOut(ctx, j.root, "ls-files", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return err
	}
	if strings.TrimSpace(changed+untracked) == "" {
		return nil // nothing changed under this folder: nothing introduced
	}
	var head []findingT
	if err := scan(ctx, j.root, func(f findingT) { head = append(head, f) }, j.problem); err != nil {
		return err
	}
	wt, err := os.MkdirTemp("", "palisade-base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(wt)
	if _, err := gitOut(ctx, top, "worktree", "add", "--detach", "--quiet", wt, base); err != nil {
		return fmt.Errorf("check out the merge base: %w", err)
	}
	defer gitOut(context.Background(), top, "worktree", "remove", "--force", wt) //nolint:errcheck // best effort cleanup
	seen := map[string]bool{}
	baseRoot := filepath.Join(wt, rel)
	if _, err := os.Stat(baseRoot); err == nil {
		if err := scan(ctx, baseRoot, func(f findingT) {
			finding.SetFingerprint(&f)
			seen[f.Fingerprint] = true
		}, func(string, error) {}); err != nil {
			return fmt.Errorf("scan the merge base: %w", err)
		}
	}
	for _, f := range head {
		finding.SetFingerprint(&f)
		if !seen[f.Fingerprint] {
			j.emit(f)
		}
	}
	return nil
}

func gitOut(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
