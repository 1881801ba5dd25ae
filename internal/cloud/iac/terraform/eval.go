package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

var ctyString = cty.String

// maxModuleDepth bounds module nesting, which also stops a module that
// calls itself.
const maxModuleDepth = 12

type evaluator struct {
	root     string
	manifest map[string]string
	problem  func(string, error)
	parsed   map[string]*module
	funcs    map[string]function.Function
	outVars  map[*module]map[string]map[string]bool
	// deps caches each expression's dependency keys, by the folder of the
	// file it is in. Modules are shared by the evaluators of one LoadDirs
	// call, and a module called from many places is evaluated many times;
	// walking its expressions each time was a tenth of a scan's
	// allocations. LoadDirs drops a root's entry once the root is done.
	deps map[string]map[hcl.Expression][]string
	// reported holds the folders LoadDirs has parsed once already: parsing
	// one again (its tree was not kept) must not report its problems twice.
	reported map[string]bool
}

// scope is the evaluation state of one module instance.
type scope struct {
	m         *module
	vars      map[string]cty.Value
	locals    map[string]cty.Value
	resources map[string]map[string]cty.Value // type -> name -> value
	data      map[string]map[string]cty.Value
	modules   map[string]cty.Value
	// providerTags maps a provider configuration ("aws", "aws.west") to
	// its default_tags, inherited from the caller or set by a provider
	// block of this module.
	providerTags map[string]*tree.Value
	ctx          *hcl.EvalContext
	// stale names the top-level variables of ctx ("var", "local",
	// "module", "data" or a resource type) changed since it was built.
	// Only those are rebuilt: rebuilding every object after each node made
	// a module's evaluation quadratic in its resources.
	stale map[string]bool
}

// touch marks a top-level variable of the evaluation context as changed.
func (s *scope) touch(root string) {
	if s.stale == nil {
		s.stale = map[string]bool{}
	}
	s.stale[root] = true
}

func (s *scope) evalContext(e *evaluator) *hcl.EvalContext {
	if s.ctx == nil {
		s.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{
			"path":      cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(s.m.dir), "root": cty.StringVal(e.root), "cwd": cty.StringVal(e.root)}),
			"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		}, Functions: e.funcs}
		s.touch("var")
		s.touch("local")
		s.touch("module")
		s.touch("data")
		for t := range s.resources {
			s.touch(t)
		}
	}
	vars := s.ctx.Variables
	for root := range s.stale {
		switch root {
		case "var":
			vars[root] = cty.ObjectVal(s.vars)
		case "local":
			vars[root] = cty.ObjectVal(s.locals)
		case "module":
			vars[root] = cty.ObjectVal(s.modules)
		case "data":
			data := map[string]cty.Value{}
			for t, byName := range s.data {
				data[t] = cty.ObjectVal(byName)
			}
			vars[root] = cty.ObjectVal(data)
		default:
			vars[root] = cty.ObjectVal(s.resources[root])
		}
	}
	clear(s.stale)
	return s.ctx
}

// node is one referenceable thing of a module.
type node struct {
	key  string // "var.x", "local.x", "aws_s3_bucket.x", "data.t.n", "module.x", "output.x"
	file string
	line int
	deps []string
	eval func()
	fail func() // marks the node unknown when it cannot be evaluated
}

func traversalKey(t hcl.Traversal) string {
	root := t.RootName()
	attr := func(i int) string {
		if i < len(t) {
			if a, ok := t[i].(hcl.TraverseAttr); ok {
				return a.Name
			}
		}
		return ""
	}
	switch root {
	case "module":
		// module.x.out is its own node, so a data source may read one output
		// of a module while feeding another of its inputs.
		if n, o := attr(1), attr(2); n != "" && o != "" {
			return "module." + n + "." + o
		}
		if n := attr(1); n != "" {
			return "module." + n
		}
	case "var", "local":
		if n := attr(1); n != "" {
			return root + "." + n
		}
	case "data":
		if a, b := attr(1), attr(2); a != "" && b != "" {
			return "data." + a + "." + b
		}
	case "count", "each", "self", "path", "terraform":
	default:
		if n := attr(1); n != "" {
			return root + "." + n
		}
	}
	return ""
}

// exprDeps adds the keys of the nodes expr refers to to into.
func (e *evaluator) exprDeps(expr hcl.Expression, into map[string]bool) {
	if expr == nil {
		return
	}
	dir := filepath.Dir(expr.Range().Filename)
	byExpr := e.deps[dir]
	keys, ok := byExpr[expr]
	if !ok {
		for _, t := range expr.Variables() {
			if k := traversalKey(t); k != "" {
				keys = append(keys, k)
			}
		}
		if e.deps == nil {
			e.deps = map[string]map[hcl.Expression][]string{}
		}
		if byExpr == nil {
			byExpr = map[hcl.Expression][]string{}
			e.deps[dir] = byExpr
		}
		byExpr[expr] = keys
	}
	for _, k := range keys {
		into[k] = true
	}
}

// bodyDeps is exprDeps for every expression of a body, nested blocks too.
func (e *evaluator) bodyDeps(b *hclsyntax.Body, into map[string]bool) {
	for _, a := range b.Attributes {
		e.exprDeps(a.Expr, into)
	}
	for _, blk := range b.Blocks {
		e.bodyDeps(blk.Body, into)
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// evalModule evaluates one module instance; prefix is its address prefix
// ("" for a root, "module.a." for a child), key its manifest key.
func (e *evaluator) evalModule(m *module, prefix, key string, inputs map[string]cty.Value, depth int) []*Resource {
	var final *scope
	return e.evalModuleScope(m, prefix, key, inputs, nil, depth, &final)
}

// evalModuleScope is evalModule that also hands back the module's final
// scope, for evaluating its outputs.
func (e *evaluator) evalModuleScope(m *module, prefix, key string, inputs map[string]cty.Value, providers map[string]*tree.Value, depth int, final **scope) []*Resource {
	if e.funcs == nil {
		e.funcs = functions()
	}
	s := &scope{m: m, vars: map[string]cty.Value{}, locals: map[string]cty.Value{},
		resources: map[string]map[string]cty.Value{}, data: map[string]map[string]cty.Value{}, modules: map[string]cty.Value{},
		providerTags: map[string]*tree.Value{}}
	for k, v := range providers {
		s.providerTags[k] = v
	}
	var out []*Resource
	nodes := map[string]*node{}
	evaluated := map[string]bool{}
	add := func(n *node) { nodes[n.key] = n }

	for name, b := range m.variables {
		name, b := name, b
		n := &node{key: "var." + name, file: m.bodyFile[b], line: b.DefRange().Start.Line}
		n.eval = func() {
			s.touch("var")
			if v, ok := inputs[name]; ok {
				s.vars[name] = v
				return
			}
			if d := b.Body.Attributes["default"]; d != nil {
				v, diags := d.Expr.Value(nil)
				if !diags.HasErrors() {
					s.vars[name] = v
					return
				}
			}
			s.vars[name] = cty.DynamicVal
		}
		n.fail = func() { s.vars[name] = cty.DynamicVal; s.touch("var") }
		add(n)
	}
	for name, a := range m.locals {
		name, a := name, a
		deps := map[string]bool{}
		e.exprDeps(a.Expr, deps)
		n := &node{key: "local." + name, file: m.attrFile[a], line: a.SrcRange.Start.Line, deps: sortedKeys(deps)}
		n.eval = func() {
			v, _ := a.Expr.Value(s.evalContext(e))
			s.locals[name] = v
			s.touch("local")
		}
		n.fail = func() { s.locals[name] = cty.DynamicVal; s.touch("local") }
		add(n)
	}
	for _, b := range m.providers {
		b := b
		cfg := providerConfigName(b)
		deps := map[string]bool{}
		e.bodyDeps(b.Body, deps)
		file := m.bodyFile[b]
		n := &node{key: "provider." + cfg, file: file, line: b.DefRange().Start.Line, deps: sortedKeys(deps)}
		n.eval = func() { s.providerTags[cfg] = e.defaultTags(s, b, file, prefix) }
		n.fail = func() {
			s.providerTags[cfg] = &tree.Value{Kind: tree.Unknown, File: file, Line: b.DefRange().Start.Line}
		}
		add(n)
	}
	for _, b := range m.resources {
		b := b
		typ, name := b.Labels[0], b.Labels[1]
		k := typ + "." + name
		mode := "managed"
		if b.Type == "data" {
			k = "data." + k
			mode = "data"
		}
		deps := map[string]bool{}
		e.bodyDeps(b.Body, deps)
		delete(deps, k)
		deps["provider."+resourceProvider(b)] = true
		file := m.bodyFile[b]
		n := &node{key: k, file: file, line: b.DefRange().Start.Line, deps: sortedKeys(deps)}
		n.eval = func() {
			val, rs := e.evalResource(s, b, mode, prefix, file)
			out = append(out, rs...)
			s.setResource(mode, typ, name, val)
		}
		n.fail = func() { s.setResource(mode, typ, name, cty.DynamicVal) }
		add(n)
	}
	for _, b := range m.calls {
		b := b
		name := b.Labels[0]
		deps := map[string]bool{}
		e.bodyDeps(b.Body, deps)
		for _, pb := range m.providers {
			deps["provider."+providerConfigName(pb)] = true // the call passes provider tags on
		}
		full := false
		n := &node{key: "module." + name, file: m.bodyFile[b], line: b.DefRange().Start.Line, deps: sortedKeys(deps)}
		n.eval = func() {
			val, rs := e.evalCall(s, b, prefix, key, depth)
			out = append(out, rs...)
			s.modules[name] = val
			full = true
			s.touch("module")
		}
		n.fail = func() { s.modules[name] = cty.DynamicVal; full = true; s.touch("module") }
		add(n)
		e.addOutputNodes(s, b, prefix, key, depth, deps, &full, evaluated, add)
	}
	// A reference to module.x.out where x has no node per output (a module
	// with count or for_each, or one not found) depends on the whole call.
	for _, n := range nodes {
		for i, d := range n.deps {
			if _, ok := nodes[d]; !ok && strings.HasPrefix(d, "module.") && strings.Count(d, ".") == 2 {
				n.deps[i] = d[:strings.LastIndex(d, ".")]
			}
		}
	}
	for _, k := range e.order(nodes) {
		nodes[k].eval()
		evaluated[k] = true
	}
	*final = s
	return out
}

func (s *scope) setResource(mode, typ, name string, v cty.Value) {
	target := s.resources
	if mode == "data" {
		target = s.data
	}
	if target[typ] == nil {
		target[typ] = map[string]cty.Value{}
	}
	target[typ][name] = v
	if mode == "data" {
		s.touch("data")
	} else {
		s.touch(typ)
	}
}

// order returns node keys in dependency order. Nodes on a reference cycle
// are reported once, with file and line, and marked unknown.
func (e *evaluator) order(nodes map[string]*node) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var out []string
	var stack []string
	keys := make([]string, 0, len(nodes))
	for k := range nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var visit func(k string) bool
	visit = func(k string) bool {
		switch color[k] {
		case grey:
			// Report the cycle from where it closes.
			i := len(stack) - 1
			for i >= 0 && stack[i] != k {
				i--
			}
			cyc := append(append([]string{}, stack[i:]...), k)
			n := nodes[k]
			e.problem(n.file, fmt.Errorf("%s:%d: %w: %s", n.file, n.line, ErrCycle, strings.Join(cyc, " -> ")))
			for _, c := range cyc {
				if color[c] != black {
					nodes[c].fail()
					color[c] = black
				}
			}
			return false
		case black:
			return true
		}
		color[k] = grey
		stack = append(stack, k)
		ok := true
		for _, d := range nodes[k].deps {
			if _, exists := nodes[d]; exists {
				if !visit(d) {
					ok = false
				}
			}
		}
		stack = stack[:len(stack)-1]
		if color[k] == black {
			return false // failed as part of a cycle
		}
		color[k] = black
		out = append(out, k)
		return ok
	}
	for _, k := range keys {
		if color[k] == white {
			visit(k)
		}
	}
	return out
}

// evalResource expands count/for_each and evaluates each instance. It
// returns the value other expressions see for the resource and the
// instances found.
func (e *evaluator) evalResource(s *scope, b *hclsyntax.Block, mode, prefix, file string) (cty.Value, []*Resource) {
	typ, name := b.Labels[0], b.Labels[1]
	base := prefix + typ + "." + name
	if mode == "data" {
		base = prefix + "data." + typ + "." + name
	}
	lines := s.m.files[file]
	line := b.DefRange().Start.Line
	ignores := ignoresAt(lines, file, line)
	var rs []*Resource
	instance := func(addr string, extra map[string]cty.Value) cty.Value {
		ctx := s.evalContext(e)
		if extra != nil {
			ctx = ctx.NewChild()
			ctx.Variables = extra
		}
		val, body := e.evalBody(b.Body, ctx, file, prefix, map[string]bool{"count": true, "for_each": true, "lifecycle": true, "depends_on": true, "provider": true, "provisioner": true, "connection": true})
		body.File, body.Line = file, line
		refs := map[string]cty.Value{}
		for k, v := range val.AsValueMap() {
			refs[k] = v
		}
		if _, ok := refs["id"]; !ok {
			refs["id"] = cty.StringVal(tree.RefPrefix + addr)
		}
		if mode == "data" && typ == "aws_iam_policy_document" {
			refs["json"] = policyDocumentJSON(body)
		}
		if _, ok := refs["arn"]; !ok {
			refs["arn"] = cty.StringVal(tree.RefPrefix + addr + ".arn")
		}
		if mode == "data" {
			addUnknownReads(refs, s.m.reads["data."+typ+"."+name])
		} else {
			addUnknownReads(refs, s.m.reads[typ+"."+name])
		}
		rs = append(rs, &Resource{Mode: mode, Type: typ, Address: addr, Base: base, Body: body, Src: cloud.Source{File: file, Line: line}, Ignores: ignores,
			DefaultTags: s.providerTags[resourceProvider(b)]})
		return cty.ObjectVal(refs)
	}
	if a := b.Body.Attributes["count"]; a != nil {
		cv, diags := a.Expr.Value(s.evalContext(e))
		if diags.HasErrors() || !cv.IsKnown() || cv.IsNull() || !cv.Type().Equals(cty.Number) {
			// Unknown count: one instance stands for a list of unknown length.
			instance(base, map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})})
			return cty.DynamicVal, rs
		}
		n, _ := cv.AsBigFloat().Int64()
		var elems []cty.Value
		for i := int64(0); i < n && i < 1000; i++ {
			elems = append(elems, instance(fmt.Sprintf("%s[%d]", base, i), map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)})}))
		}
		return cty.TupleVal(elems), rs
	}
	if a := b.Body.Attributes["for_each"]; a != nil {
		fv, diags := a.Expr.Value(s.evalContext(e))
		if diags.HasErrors() || !fv.IsWhollyKnown() || fv.IsNull() || !(fv.CanIterateElements()) {
			instance(base, map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})})
			return cty.DynamicVal, rs
		}
		elems := map[string]cty.Value{}
		for it := fv.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if fv.Type().IsSetType() {
				k = v
			}
			ks := ctyKeyString(k)
			elems[ks] = instance(fmt.Sprintf("%s[%q]", base, ks), map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(ks), "value": v})})
		}
		return cty.ObjectVal(elems), rs
	}
	return instance(base, nil), rs
}

func ctyKeyString(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() {
		return "?"
	}
	switch {
	case v.Type().Equals(cty.String):
		return v.AsString()
	case v.Type().Equals(cty.Number):
		return v.AsBigFloat().Text('f', -1)
	case v.Type().Equals(cty.Bool):
		if v.True() {
			return "true"
		}
		return "false"
	}
	return "?"
}

// orFile is name, or def when name is empty.
func orFile(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

// evalBody evaluates a block body into a cty object (for references) and a
// tree (for mapping). Nested blocks become lists of objects; dynamic blocks
// are expanded.
func (e *evaluator) evalBody(b *hclsyntax.Body, ctx *hcl.EvalContext, file, prefix string, skip map[string]bool) (cty.Value, *tree.Value) {
	obj := map[string]cty.Value{}
	t := &tree.Value{Kind: tree.Map, M: map[string]*tree.Value{}, File: file, Line: b.SrcRange.Start.Line}
	for name, a := range b.Attributes {
		if skip[name] {
			continue
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		obj[name] = v
		// An argument from an override file is placed in that file.
		tv := fromCty(v, orFile(a.SrcRange.Filename, file), a.SrcRange.Start.Line)
		deps := map[string]bool{}
		e.exprDeps(a.Expr, deps)
		for _, d := range sortedKeys(deps) {
			if !strings.HasPrefix(d, "var.") && !strings.HasPrefix(d, "local.") {
				tv.Refs = append(tv.Refs, prefix+d)
			}
		}
		t.M[name] = tv
	}
	blocks := map[string][]cty.Value{}
	blockTrees := map[string]*tree.Value{}
	addBlock := func(typ string, v cty.Value, bt *tree.Value) {
		blocks[typ] = append(blocks[typ], v)
		lt := blockTrees[typ]
		if lt == nil {
			lt = &tree.Value{Kind: tree.List, File: file, Line: bt.Line}
			blockTrees[typ] = lt
		}
		lt.L = append(lt.L, bt)
	}
	for _, blk := range b.Blocks {
		if skip[blk.Type] {
			continue
		}
		blkFile := orFile(blk.Body.SrcRange.Filename, file)
		if blk.Type == "dynamic" && len(blk.Labels) == 1 {
			e.expandDynamic(blk, ctx, blkFile, prefix, addBlock)
			continue
		}
		v, bt := e.evalBody(blk.Body, ctx, blkFile, prefix, nil)
		bt.Line = blk.DefRange().Start.Line
		addBlock(blk.Type, v, bt)
	}
	for typ, vs := range blocks {
		obj[typ] = cty.TupleVal(vs)
		t.M[typ] = blockTrees[typ]
	}
	return cty.ObjectVal(obj), t
}

func (e *evaluator) expandDynamic(blk *hclsyntax.Block, ctx *hcl.EvalContext, file, prefix string, add func(string, cty.Value, *tree.Value)) {
	name := blk.Labels[0]
	iter := name
	if a := blk.Body.Attributes["iterator"]; a != nil {
		if tr, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() {
			iter = tr.RootName()
		}
	}
	var content *hclsyntax.Block
	for _, c := range blk.Body.Blocks {
		if c.Type == "content" {
			content = c
		}
	}
	if content == nil {
		return
	}
	line := blk.DefRange().Start.Line
	fa := blk.Body.Attributes["for_each"]
	if fa == nil {
		return
	}
	fv, diags := fa.Expr.Value(ctx)
	if diags.HasErrors() || !fv.IsKnown() || fv.IsNull() || !fv.CanIterateElements() {
		// Unknown collection: the block's presence and contents are unknown.
		add(name, cty.DynamicVal, &tree.Value{Kind: tree.Unknown, File: file, Line: line})
		return
	}
	for it := fv.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
		cv, bt := e.evalBody(content.Body, child, file, prefix, nil)
		bt.Line = line
		add(name, cv, bt)
	}
}

// evalCall evaluates a module call: its inputs, then the child module once
// per count/for_each instance. The value is the object of its outputs.
func (e *evaluator) evalCall(s *scope, b *hclsyntax.Block, prefix, parentKey string, depth int) (cty.Value, []*Resource) {
	name := b.Labels[0]
	file := s.m.bodyFile[b]
	line := b.DefRange().Start.Line
	key := name
	if parentKey != "" {
		key = parentKey + "." + name
	}
	if depth >= maxModuleDepth {
		e.problem(file, fmt.Errorf("%s:%d: module %q: nesting deeper than %d (does it call itself?)", file, line, name, maxModuleDepth))
		return cty.DynamicVal, nil
	}
	src := literalSource(b)
	var dir string
	switch {
	case isLocalSource(src):
		dir = filepath.Clean(filepath.Join(s.m.dir, src))
	case e.manifest[key] != "":
		dir = e.manifest[key]
	}
	child := e.parsed[dir]
	if child == nil && dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			problem := e.problem
			if e.reported[dir] {
				problem = func(string, error) {}
			}
			if m, ok := parseDir(dir, problem); ok {
				child = m
				e.parsed[dir] = m
			}
		}
	}
	if child == nil {
		e.problem(file, fmt.Errorf("%s:%d: module %q (source %q): %w (run terraform init to download it)", file, line, name, src, ErrModuleNotFound))
		return cty.DynamicVal, nil
	}
	skip := map[string]bool{"source": true, "version": true, "count": true, "for_each": true, "providers": true, "depends_on": true}
	run := func(addr string, extra map[string]cty.Value) (cty.Value, []*Resource) {
		ctx := s.evalContext(e)
		if extra != nil {
			ctx = ctx.NewChild()
			ctx.Variables = extra
		}
		inputs := map[string]cty.Value{}
		for n, a := range b.Body.Attributes {
			if skip[n] {
				continue
			}
			v, diags := a.Expr.Value(ctx)
			if diags.HasErrors() {
				v = cty.DynamicVal
			}
			inputs[n] = v
		}
		rs := e.evalModuleOutputs(child, addr+".", key, inputs, childProviders(s, b), depth+1)
		return rs.outputs, rs.resources
	}
	base := prefix + "module." + name
	if a := b.Body.Attributes["count"]; a != nil {
		cv, diags := a.Expr.Value(s.evalContext(e))
		if diags.HasErrors() || !cv.IsKnown() || cv.IsNull() || !cv.Type().Equals(cty.Number) {
			_, rs := run(base, map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.UnknownVal(cty.Number)})})
			return cty.DynamicVal, rs
		}
		n, _ := cv.AsBigFloat().Int64()
		var all []*Resource
		var elems []cty.Value
		for i := int64(0); i < n && i < 100; i++ {
			v, rs := run(fmt.Sprintf("%s[%d]", base, i), map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)})})
			elems = append(elems, v)
			all = append(all, rs...)
		}
		return cty.TupleVal(elems), all
	}
	if a := b.Body.Attributes["for_each"]; a != nil {
		fv, diags := a.Expr.Value(s.evalContext(e))
		if diags.HasErrors() || !fv.IsWhollyKnown() || fv.IsNull() || !fv.CanIterateElements() {
			_, rs := run(base, map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})})
			return cty.DynamicVal, rs
		}
		var all []*Resource
		elems := map[string]cty.Value{}
		for it := fv.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if fv.Type().IsSetType() {
				k = v
			}
			ks := ctyKeyString(k)
			ov, rs := run(fmt.Sprintf("%s[%q]", base, ks), map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(ks), "value": v})})
			elems[ks] = ov
			all = append(all, rs...)
		}
		return cty.ObjectVal(elems), all
	}
	return run(base, nil)
}

type moduleResult struct {
	outputs   cty.Value
	resources []*Resource
}

// evalModuleOutputs evaluates a child module and then its outputs.
func (e *evaluator) evalModuleOutputs(m *module, prefix, key string, inputs map[string]cty.Value, providers map[string]*tree.Value, depth int) moduleResult {
	// Evaluate the module, capturing its final scope through a second pass
	// over the outputs.
	var res moduleResult
	var final *scope
	res.resources = e.evalModuleScope(m, prefix, key, inputs, providers, depth, &final)
	outs := map[string]cty.Value{}
	for name, a := range m.outputs {
		v, diags := a.Expr.Value(final.evalContext(e))
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		outs[name] = v
	}
	res.outputs = cty.ObjectVal(outs)
	return res
}

// fromCty converts an evaluated value into the tree, placing every node at
// file:line.
func fromCty(v cty.Value, file string, line int) *tree.Value {
	out := &tree.Value{File: file, Line: line}
	v, _ = v.Unmark()
	switch {
	case !v.IsKnown():
		out.Kind = tree.Unknown
	case v.IsNull():
		out.Kind = tree.Null
	case v.Type() == cty.Bool:
		out.Kind, out.B = tree.Bool, v.True()
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		out.Kind, out.N = tree.Number, f
	case v.Type() == cty.String:
		out.Kind, out.S = tree.String, v.AsString()
	case v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType():
		out.Kind = tree.List
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out.L = append(out.L, fromCty(e, file, line))
		}
	case v.Type().IsMapType() || v.Type().IsObjectType():
		out.Kind = tree.Map
		out.M = map[string]*tree.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out.M[k.AsString()] = fromCty(e, file, line)
		}
	default:
		out.Kind = tree.Unknown
	}
	return out
}
