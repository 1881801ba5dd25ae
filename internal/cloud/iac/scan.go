// Package iac scans a folder of infrastructure as code: it loads Terraform
// configurations and plans and CloudFormation templates into the cloud
// model, runs the posture rules on it, and emits misconfiguration findings
// located at the offending attribute.
package iac

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/cloudformation"
	"github.com/palisade-sec/palisade/internal/cloud/iac/terraform"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
	"github.com/palisade-sec/palisade/internal/posture/custom"
	"github.com/palisade-sec/palisade/internal/regular"
)

// Scanner is the scanner name findings carry.
const Scanner = "iac"

// Options tune a scan.
type Options struct {
	// Skip, when set, is asked about every path (relative to root); true
	// leaves it out.
	Skip func(rel string, isDir bool) bool
	// Vars are Terraform -var values; VarFiles are extra .tfvars files.
	Vars     map[string]string
	VarFiles []string
	// Rules to run; nil means posture.Rules().
	Rules []posture.Rule
	// RulesDir, when set, is a folder of custom rule files (YAML with CEL
	// conditions, see docs/policy.md) run in addition to Rules. A broken
	// rule is a problem and the others still run; a missing folder stops
	// the scan. A relative path is relative to the working directory; when
	// the folder is inside root it is not scanned for templates.
	RulesDir string
}

// Stats counts what a scan looked at.
type Stats struct {
	TerraformDirs      int
	TerraformResources int
	Templates          int
	TemplateResources  int
	Findings           int
	Problems           int
	// CustomRules counts the custom rules loaded from Options.RulesDir.
	CustomRules int
}

// Load reads every Terraform directory and CloudFormation template under
// root into one state. Problems with single files go to problem.
func Load(ctx context.Context, root string, opts Options, problem func(path string, err error)) (*cloud.State, Stats, error) {
	var stats Stats
	count := func(path string, err error) {
		stats.Problems++
		problem(path, err)
	}
	state := &cloud.State{}
	dirs, err := terraform.Dirs(root, opts.Skip)
	if err != nil {
		return nil, stats, err
	}
	if err := ctx.Err(); err != nil {
		return nil, stats, err
	}
	stats.TerraformDirs = len(dirs)
	rs := terraform.LoadDirs(dirs, terraform.Options{Vars: opts.Vars, VarFiles: opts.VarFiles}, count)
	stats.TerraformResources = len(rs)
	state.Merge(terraform.State(rs))
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			count(path, err)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if path != root && (d.Name() == ".terraform" || d.Name() == ".git" || d.Name() == "node_modules" || opts.Skip != nil && opts.Skip(rel, true) || sameDir(path, opts.RulesDir)) {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if strings.HasSuffix(path, ".tf.json") || strings.HasSuffix(path, ".tofu.json") {
			return nil // Terraform JSON syntax, loaded with its directory above
		}
		if ext != ".yaml" && ext != ".yml" && ext != ".json" && ext != ".template" || opts.Skip != nil && opts.Skip(rel, false) {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 8<<20 {
			return nil
		}
		data, err := regular.ReadFile(path)
		if err != nil {
			count(path, err)
			return nil
		}
		if ext == ".json" && bytes.Contains(data, []byte(`"planned_values"`)) {
			plan, err := terraform.LoadPlan(path, data)
			if err != nil {
				count(path, err)
				return nil
			}
			stats.TerraformResources += len(plan)
			state.Merge(terraform.State(plan))
			return nil
		}
		if !cloudformation.LooksLikeTemplate(data) {
			return nil
		}
		t, err := cloudformation.Parse(path, data)
		if err != nil {
			count(path, err)
			if t == nil {
				return nil
			}
		}
		stats.Templates++
		stats.TemplateResources += len(t.Resources)
		state.Merge(cloudformation.State(t))
		return nil
	})
	return state, stats, err
}

// sameDir reports whether a and b name the same folder (the custom rules
// folder is not scanned as templates when it sits inside the scan root).
func sameDir(a, b string) bool {
	if b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// Scan loads root and emits one finding per rule violation. Paths in
// findings are relative to root, with forward slashes.
func Scan(ctx context.Context, root string, opts Options, emit func(finding.Finding), problem func(path string, err error)) (Stats, error) {
	rules := opts.Rules
	if rules == nil {
		rules = posture.Rules()
	}
	var extra []posture.Rule
	var ruleProblems []error
	if opts.RulesDir != "" {
		env, err := custom.NewEnv()
		if err != nil {
			return Stats{}, err
		}
		extra, ruleProblems, err = env.LoadDir(opts.RulesDir, rules)
		if err != nil {
			return Stats{}, err
		}
	}
	state, stats, err := Load(ctx, root, opts, problem)
	if err != nil {
		return stats, err
	}
	for _, p := range ruleProblems {
		stats.Problems++
		path := custom.ErrorFile(p)
		if path == "" {
			path = opts.RulesDir
		}
		problem(path, p)
	}
	stats.CustomRules = len(extra)
	if len(extra) > 0 {
		rules = append(append([]posture.Rule(nil), rules...), extra...)
	}
	posture.Evaluate(state, rules, func(r posture.Result) {
		f := r.Finding(Scanner, finding.Misconfiguration)
		if rel, err := filepath.Rel(root, f.Location.Path); err == nil && !strings.HasPrefix(rel, "..") {
			f.Location.Path = filepath.ToSlash(rel)
		}
		finding.SetFingerprint(&f)
		stats.Findings++
		emit(f)
	})
	return stats, nil
}
