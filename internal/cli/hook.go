package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// hookMarker identifies a pre-commit hook palisade wrote, so install can
// refresh its own hook but never overwrites someone else's.
const hookMarker = "# installed by palisade hook install"

const hookScript = `#!/bin/sh
` + hookMarker + `
# Scans the staged changes for secrets before each commit. Bypass once with
# git commit --no-verify; suppress a line with a "palisade:ignore" comment.
exec palisade scan --staged --no-store --format table --fail-on low
`

func newHookCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Manage the git pre-commit hook that scans staged changes for secrets",
	}
	var force bool
	install := &cobra.Command{
		Use:   "install",
		Short: "Install a pre-commit hook in the current repository",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := exec.CommandContext(cmd.Context(), "git", "-C", a.Dir, "rev-parse", "--git-path", "hooks").Output()
			if err != nil {
				return fmt.Errorf("hook install: %s is not in a git repository", a.Dir)
			}
			dir := strings.TrimSpace(string(out))
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(a.Dir, dir)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("hook install: %w", err)
			}
			path := filepath.Join(dir, "pre-commit")
			old, err := os.ReadFile(path)
			switch {
			case err == nil && !bytes.Contains(old, []byte(hookMarker)) && !force:
				return fmt.Errorf("hook install: %s exists and was not written by palisade (use --force to replace it, or call palisade from it)", path)
			case err != nil && !errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("hook install: %w", err)
			}
			if err := os.WriteFile(path, []byte(hookScript), 0o755); err != nil {
				return fmt.Errorf("hook install: %w", err)
			}
			_, err = fmt.Fprintf(a.Stdout, "installed %s\n", path)
			return err
		},
	}
	install.Flags().BoolVar(&force, "force", false, "replace an existing pre-commit hook")
	cmd.AddCommand(install)
	return cmd
}
