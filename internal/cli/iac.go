package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud/iac"
	"github.com/palisade-sec/palisade/internal/posture"
)

// iacVersion is recorded with each scan that ran the IaC scanner.
const iacVersion = "0.1.0"

func runIaC(ctx context.Context, j *scanJob) error {
	if j.stdin {
		return usageErrorf("the iac scanner reads folders, not standard input")
	}
	if j.app.Getenv("GOGC") == "" {
		// Evaluating Terraform makes much short-lived garbage (HCL tokens,
		// cty objects) around a small live set, and the default target let
		// the heap grow by the whole baseline of the binary before the
		// first collection. A quarter of the live heap keeps a scan of
		// terraform-aws-s3-bucket at 62 MB instead of 72 MB for about
		// 0.05 s of CPU. Scanners run one after another, so this applies to
		// this one only; the previous target comes back afterwards.
		defer debug.SetGCPercent(debug.SetGCPercent(25))
	}
	vars := map[string]string{}
	for _, kv := range j.flags.tfVars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageErrorf("--var %q: want NAME=VALUE", kv)
		}
		vars[k] = v
	}
	pcfg := posture.DefaultConfig()
	if j.cfg.IaC.OwnerTag != "" {
		pcfg.OwnerTag = j.cfg.IaC.OwnerTag
	}
	if len(j.cfg.IaC.ApprovedAMIOwners) > 0 {
		pcfg.ApprovedAMIOwners = j.cfg.IaC.ApprovedAMIOwners
	}
	varFiles := append([]string{}, j.flags.tfVarFiles...)
	for _, f := range j.cfg.IaC.VarFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(configDir(j.root), f)
		}
		varFiles = append(varFiles, f)
	}
	rulesDir := j.flags.iacRules
	if rulesDir == "" && j.cfg.IaC.RulesDir != "" {
		rulesDir = j.cfg.IaC.RulesDir
		if !filepath.IsAbs(rulesDir) {
			rulesDir = filepath.Join(configDir(j.root), rulesDir)
		}
	} else if rulesDir != "" && !filepath.IsAbs(rulesDir) {
		rulesDir = filepath.Join(j.app.Dir, rulesDir)
	}
	opts := iac.Options{Skip: j.skip, Vars: vars, VarFiles: varFiles, Rules: posture.RulesFor(pcfg), RulesDir: rulesDir}
	return withDiffBase(ctx, j, func(ctx context.Context, root string, emit func(f findingT), problem func(string, error)) error {
		st, err := iac.Scan(ctx, root, opts, emit, problem)
		if err != nil {
			return err
		}
		if j.progress != nil && root == j.root {
			fmt.Fprintf(j.progress, "palisade: iac: %d Terraform folders (%d resources), %d templates (%d resources), %d findings\n",
				st.TerraformDirs, st.TerraformResources, st.Templates, st.TemplateResources, st.Findings)
		}
		return nil
	})
}
