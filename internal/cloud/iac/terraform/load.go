// Package terraform evaluates Terraform configurations (HCL with variables,
// locals, count, for_each, dynamic blocks, local and downloaded modules and
// the common built-in functions) and Terraform plan JSON into resources of
// the source-neutral value tree, then maps them into the cloud model.
// Whatever cannot be resolved without running Terraform stays Unknown.
package terraform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
	"github.com/palisade-sec/palisade/internal/regular"
	"github.com/zclconf/go-cty/cty"
)

// Options tune evaluation of root modules.
type Options struct {
	// Vars are -var values for root modules, by variable name.
	Vars map[string]string
	// VarFiles are extra .tfvars files applied to every root module, after
	// terraform.tfvars and *.auto.tfvars.
	VarFiles []string

	// keptSource overrides how many bytes of configuration LoadDirs keeps
	// parsed between its two passes (tests set it to force re-parsing).
	keptSource int64
}

// Resource is one evaluated resource instance.
type Resource struct {
	// Mode is "managed" or "data".
	Mode    string
	Type    string
	Address string
	// Base is the address without instance key, e.g. "aws_s3_bucket.logs".
	Base    string
	Body    *tree.Value
	Src     cloud.Source
	Ignores []cloud.Ignore
	// DefaultTags are the default_tags of the AWS provider configuration
	// the resource uses (nil when it has none); the resource's own tags
	// win over them.
	DefaultTags *tree.Value
}

// ErrCycle is wrapped by the problem reported for a reference cycle.
var ErrCycle = errors.New("reference cycle")

// ErrModuleNotFound is wrapped by the problem reported for a module whose
// source is not on disk.
var ErrModuleNotFound = errors.New("module not found")

// module is one parsed directory.
type module struct {
	dir       string
	files     map[string][]string // file -> lines, for ignore comments
	variables map[string]*hclsyntax.Block
	locals    map[string]*hclsyntax.Attribute
	outputs   map[string]*hclsyntax.Attribute
	resources []*hclsyntax.Block // resource and data blocks
	calls     []*hclsyntax.Block // module blocks
	providers []*hclsyntax.Block // provider blocks
	// reads maps resource keys to the attributes expressions read (attrsRead).
	reads map[string]map[string]bool
	// size is the bytes of configuration the module was parsed from.
	size     int64
	bodyFile map[*hclsyntax.Block]string
	attrFile map[*hclsyntax.Attribute]string
}

// ParseFile parses one .tf file; the error names file and line.
func ParseFile(path string, src []byte) (*hclsyntax.Body, error) {
	f, diags := hclsyntax.ParseConfig(src, path, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("%s: not native HCL syntax", path)
	}
	return body, nil
}

func diagError(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Subject != nil {
			return fmt.Errorf("%s:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Summary, d.Detail)
		}
		return fmt.Errorf("%s: %s", d.Summary, d.Detail)
	}
	return diags
}

// parseDir parses the .tf files of one directory. Problems with single
// files are reported and the rest of the directory is still read.
func parseDir(dir string, problem func(string, error)) (*module, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		problem(dir, err)
		return nil, false
	}
	m := &module{
		dir: dir, files: map[string][]string{},
		variables: map[string]*hclsyntax.Block{}, locals: map[string]*hclsyntax.Attribute{},
		outputs: map[string]*hclsyntax.Attribute{}, bodyFile: map[*hclsyntax.Block]string{},
		attrFile: map[*hclsyntax.Attribute]string{},
	}
	// OpenTofu reads x.tofu (or x.tofu.json) instead of x.tf (x.tf.json)
	// when both are present.
	tofu := map[string]bool{}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".tofu") || strings.HasSuffix(n, ".tofu.json")) {
			tofu[strings.TrimSuffix(strings.TrimSuffix(n, ".json"), ".tofu")] = true
		}
	}
	// Override files (override.tf, *_override.tf) are merged into the
	// blocks of the other files after all of those are read, in name order.
	var names, overrides []string
	for _, e := range entries {
		if e.IsDir() || !isConfigFile(e.Name()) {
			continue
		}
		if n := e.Name(); (strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) && tofu[strings.TrimSuffix(strings.TrimSuffix(n, ".json"), ".tf")] {
			continue
		}
		if isOverrideFile(e.Name()) {
			overrides = append(overrides, e.Name())
		} else {
			names = append(names, e.Name())
		}
	}
	found := len(names)+len(overrides) > 0
	for i, name := range append(names, overrides...) {
		path := filepath.Join(dir, name)
		body := m.parseFile(path, problem)
		if body == nil {
			continue
		}
		if i >= len(names) {
			m.override(body, path, problem)
			continue
		}
		for _, b := range body.Blocks {
			m.add(b, path)
		}
	}
	m.reads = attrsRead(m)
	return m, found
}

// parseFile reads and parses one configuration file of the module,
// recording its lines for ignore comments; nil after a reported problem.
func (m *module) parseFile(path string, problem func(string, error)) *hclsyntax.Body {
	src, err := regular.ReadFile(path)
	if err != nil {
		problem(path, err)
		return nil
	}
	if strings.HasSuffix(path, ".json") {
		if src, err = nativeFromJSON(path, src); err != nil {
			problem(path, err)
			return nil
		}
	}
	body, err := ParseFile(path, src)
	if err != nil {
		problem(path, err)
		return nil
	}
	m.files[path] = strings.Split(string(src), "\n")
	m.size += int64(len(src))
	return body
}

// add records one top-level block of a file.
func (m *module) add(b *hclsyntax.Block, path string) {
	m.bodyFile[b] = path
	switch b.Type {
	case "variable":
		if len(b.Labels) == 1 {
			m.variables[b.Labels[0]] = b
		}
	case "locals":
		for name, a := range b.Body.Attributes {
			m.locals[name] = a
			m.attrFile[a] = path
		}
	case "output":
		if len(b.Labels) == 1 {
			if a := b.Body.Attributes["value"]; a != nil {
				m.outputs[b.Labels[0]] = a
				m.attrFile[a] = path
			}
		}
	case "resource", "data":
		if len(b.Labels) == 2 {
			m.resources = append(m.resources, b)
		}
	case "module":
		if len(b.Labels) == 1 {
			m.calls = append(m.calls, b)
		}
	case "provider":
		if len(b.Labels) == 1 {
			m.providers = append(m.providers, b)
		}
	}
}

// isOverrideFile reports whether a configuration file is an override file:
// override.tf, or a name ending in _override.tf (and their .tf.json, .tofu
// and .tofu.json forms).
func isOverrideFile(name string) bool {
	for _, ext := range []string{".tf.json", ".tofu.json", ".tf", ".tofu"} {
		if base, ok := strings.CutSuffix(name, ext); ok {
			return base == "override" || strings.HasSuffix(base, "_override")
		}
	}
	return false
}

// override merges the blocks of an override file into the module as
// Terraform does: a block replaces the arguments it sets in the block of
// the same type and labels, and the nested blocks of each type it has
// (lifecycle is merged argument by argument); a local value replaces the
// one of the same name. A block with no original is reported.
func (m *module) override(body *hclsyntax.Body, path string, problem func(string, error)) {
	same := func(a, b *hclsyntax.Block) bool {
		return a.Type == b.Type && slices.Equal(a.Labels, b.Labels)
	}
	merge := func(orig, over *hclsyntax.Block) *hclsyntax.Block {
		merged := *orig
		merged.Body = overrideBody(orig.Body, over.Body)
		m.bodyFile[&merged] = m.bodyFile[orig]
		return &merged
	}
	missing := func(b *hclsyntax.Block) {
		problem(path, fmt.Errorf("%s:%d: override of %s %s, which no other file of the module declares", path, b.DefRange().Start.Line, b.Type, strings.Join(b.Labels, ".")))
	}
	for _, b := range body.Blocks {
		switch b.Type {
		case "locals":
			for name, a := range b.Body.Attributes {
				m.locals[name] = a
				m.attrFile[a] = path
			}
		case "variable":
			if len(b.Labels) != 1 || m.variables[b.Labels[0]] == nil {
				missing(b)
				continue
			}
			m.variables[b.Labels[0]] = merge(m.variables[b.Labels[0]], b)
		case "output":
			if len(b.Labels) != 1 || m.outputs[b.Labels[0]] == nil {
				missing(b)
				continue
			}
			if a := b.Body.Attributes["value"]; a != nil {
				m.outputs[b.Labels[0]] = a
				m.attrFile[a] = path
			}
		case "resource", "data", "module", "provider":
			list := map[string]*[]*hclsyntax.Block{"resource": &m.resources, "data": &m.resources, "module": &m.calls, "provider": &m.providers}[b.Type]
			done := false
			for i, orig := range *list {
				// Providers with the same name and alias are the same block.
				if same(orig, b) && (b.Type != "provider" || attrString(orig.Body, "alias") == attrString(b.Body, "alias")) {
					(*list)[i] = merge(orig, b)
					done = true
					break
				}
			}
			if !done {
				missing(b)
			}
		}
	}
}

// overrideBody is orig with over's arguments and nested blocks in place of
// its own.
func overrideBody(orig, over *hclsyntax.Body) *hclsyntax.Body {
	out := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: orig.SrcRange, EndRange: orig.EndRange}
	for k, a := range orig.Attributes {
		out.Attributes[k] = a
	}
	for k, a := range over.Attributes {
		out.Attributes[k] = a
	}
	replaced := map[string]bool{}
	for _, b := range over.Blocks {
		replaced[b.Type] = true
	}
	for _, b := range orig.Blocks {
		if !replaced[b.Type] {
			out.Blocks = append(out.Blocks, b)
			continue
		}
		if b.Type == "lifecycle" {
			// lifecycle merges argument by argument.
			for _, ob := range over.Blocks {
				if ob.Type == "lifecycle" {
					lb := *b
					lb.Body = overrideBody(b.Body, ob.Body)
					out.Blocks = append(out.Blocks, &lb)
				}
			}
		}
	}
	for _, b := range over.Blocks {
		if b.Type != "lifecycle" || !hasBlock(orig, "lifecycle") {
			out.Blocks = append(out.Blocks, b)
		}
	}
	return out
}

func hasBlock(b *hclsyntax.Body, typ string) bool {
	for _, x := range b.Blocks {
		if x.Type == typ {
			return true
		}
	}
	return false
}

// attrString is a body's literal string argument, or "".
func attrString(b *hclsyntax.Body, name string) string {
	a := b.Attributes[name]
	if a == nil {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.Type().Equals(cty.String) || v.IsNull() || !v.IsKnown() {
		return ""
	}
	return v.AsString()
}

// isConfigFile reports whether a file name is a Terraform or OpenTofu
// configuration file: native syntax (.tf, .tofu) or JSON syntax (.tf.json,
// .tofu.json).
func isConfigFile(name string) bool {
	for _, ext := range []string{".tf", ".tf.json", ".tofu", ".tofu.json"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// literalSource returns a module block's source string when it is a literal.
func literalSource(b *hclsyntax.Block) string {
	a := b.Body.Attributes["source"]
	if a == nil {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || !v.Type().Equals(ctyString) {
		return ""
	}
	return v.AsString()
}

func isLocalSource(s string) bool {
	return strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || s == "." || s == ".."
}

var ignoreRE = regexp.MustCompile(`palisade:ignore\s+([A-Za-z0-9_*.:-]+)(?:\s+(.*?))?\s*(?:\*/)?$`)

// ignoresAt collects "palisade:ignore RULE reason" comments on the line of
// a block and on the comment lines directly above it.
func ignoresAt(lines []string, file string, line int) []cloud.Ignore {
	var out []cloud.Ignore
	add := func(i int) {
		if m := ignoreRE.FindStringSubmatch(lines[i]); m != nil {
			out = append(out, cloud.Ignore{RuleID: m[1], Reason: strings.TrimSpace(m[2]), Src: cloud.Source{File: file, Line: i + 1}})
		}
	}
	if line-1 < len(lines) && line >= 1 {
		add(line - 1)
	}
	for i := line - 2; i >= 0 && i < len(lines); i-- {
		t := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "/*") && !strings.HasPrefix(t, "*") {
			break
		}
		add(i)
	}
	return out
}

// moduleManifest maps module keys ("a" or "a.b") to directories from
// .terraform/modules/modules.json under root.
func moduleManifest(root string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(filepath.Join(root, ".terraform", "modules", "modules.json"))
	if err != nil {
		return out
	}
	var mf struct {
		Modules []struct{ Key, Dir string }
	}
	if json.Unmarshal(data, &mf) != nil {
		return out
	}
	for _, m := range mf.Modules {
		if m.Key != "" {
			out[m.Key] = filepath.Join(root, m.Dir)
		}
	}
	return out
}

// Dirs returns the directories under root holding .tf or .tofu files, skipping
// .terraform caches and whatever skip rejects (paths relative to root).
func Dirs(root string, skip func(rel string, isDir bool) bool) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if path != root && (d.Name() == ".terraform" || d.Name() == ".git" || (skip != nil && skip(rel, true))) {
				return filepath.SkipDir
			}
			return nil
		}
		if isConfigFile(d.Name()) && (skip == nil || !skip(rel, false)) {
			// A folder's files may come before and after its subfolders
			// (a.tf, modules/, z.tf), so remember every folder seen.
			if dir := filepath.Dir(path); !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

// LoadDirs evaluates the configurations in dirs: every directory that no
// other directory in the set calls as a local module is a root. Problems
// (bad files, missing modules, cycles) go to problem; the rest is loaded.
func LoadDirs(dirs []string, opts Options, problem func(path string, err error)) []*Resource {
	// Parsing every folder first tells which ones other folders call as
	// modules (those are not roots). The syntax trees of the first
	// keptSource bytes of configuration are kept for evaluation; past that,
	// a root is parsed again when its turn comes, so a monorepo of many
	// roots holds a bounded amount of syntax instead of all of it.
	keptSource := int64(4 << 20)
	if opts.keptSource > 0 {
		keptSource = opts.keptSource
	}
	mods := map[string]*module{}
	present := map[string]bool{}
	reported := map[string]bool{}
	called := map[string]bool{}
	var kept int64
	for _, d := range dirs {
		m, ok := parseDir(d, problem)
		reported[d] = true
		if !ok {
			continue
		}
		present[d] = true
		for _, c := range m.calls {
			if s := literalSource(c); isLocalSource(s) {
				called[filepath.Clean(filepath.Join(m.dir, s))] = true
			}
		}
		if kept < keptSource {
			mods[d] = m
			kept += m.size
		}
	}
	var out []*Resource
	deps := map[string]map[hcl.Expression][]string{}
	for _, d := range dirs {
		if !present[d] || called[d] {
			continue
		}
		m := mods[d]
		if m == nil {
			// Its problems were reported by the first parse.
			if m, _ = parseDir(d, func(string, error) {}); m == nil {
				continue
			}
		}
		e := &evaluator{root: d, manifest: moduleManifest(d), problem: problem, parsed: mods, deps: deps, reported: reported}
		vars, err := rootVars(m, opts)
		if err != nil {
			problem(d, err)
		}
		out = append(out, e.evalModule(m, "", "", vars, 0)...)
		// No folder calls this root, so its syntax trees are not needed
		// again.
		delete(mods, d)
		delete(deps, d)
	}
	return out
}
