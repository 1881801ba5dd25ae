package terraform

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// childModule finds the parsed module a call refers to, without reporting
// problems (the call's own evaluation reports them).
func (e *evaluator) childModule(parent *module, b *hclsyntax.Block, key string) *module {
	src := literalSource(b)
	var dir string
	switch {
	case isLocalSource(src):
		dir = filepath.Clean(filepath.Join(parent.dir, src))
	case e.manifest[key] != "":
		dir = e.manifest[key]
	default:
		return nil
	}
	if m := e.parsed[dir]; m != nil {
		return m
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		if m, ok := parseDir(dir, func(string, error) {}); ok {
			e.parsed[dir] = m
			return m
		}
	}
	return nil
}

// outputVars returns, for each output of m, the input variables its value
// depends on (through locals, resources, data sources and nested calls).
func (e *evaluator) outputVars(m *module) map[string]map[string]bool {
	if e.outVars == nil {
		e.outVars = map[*module]map[string]map[string]bool{}
	}
	if r, ok := e.outVars[m]; ok {
		return r
	}
	graph := map[string][]string{}
	for name, a := range m.locals {
		d := map[string]bool{}
		e.exprDeps(a.Expr, d)
		graph["local."+name] = sortedKeys(d)
	}
	for _, b := range m.resources {
		k := b.Labels[0] + "." + b.Labels[1]
		if b.Type == "data" {
			k = "data." + k
		}
		d := map[string]bool{}
		e.bodyDeps(b.Body, d)
		delete(d, k)
		graph[k] = sortedKeys(d)
	}
	for _, b := range m.calls {
		d := map[string]bool{}
		e.bodyDeps(b.Body, d)
		graph["module."+b.Labels[0]] = sortedKeys(d)
	}
	norm := func(k string) string {
		if strings.HasPrefix(k, "module.") && strings.Count(k, ".") == 2 {
			return k[:strings.LastIndex(k, ".")]
		}
		return k
	}
	res := map[string]map[string]bool{}
	for name, a := range m.outputs {
		vars := map[string]bool{}
		seen := map[string]bool{}
		var walk func(k string)
		walk = func(k string) {
			k = norm(k)
			if seen[k] {
				return
			}
			seen[k] = true
			if strings.HasPrefix(k, "var.") {
				vars[strings.TrimPrefix(k, "var.")] = true
				return
			}
			for _, d := range graph[k] {
				walk(d)
			}
		}
		d := map[string]bool{}
		e.exprDeps(a.Expr, d)
		for k := range d {
			walk(k)
		}
		res[name] = vars
	}
	e.outVars[m] = res
	return res
}

// addOutputNodes adds one node per output of a module call without count
// or for_each. An output node depends only on the call arguments that feed
// its value, so a data source may read module.x.a while its result is passed
// into module.x as another argument (as Terraform allows). An output node
// evaluated before the whole call evaluates the child with the arguments
// known so far; the whole call later replaces the value.
func (e *evaluator) addOutputNodes(s *scope, b *hclsyntax.Block, prefix, key string, depth int, callDeps map[string]bool, full *bool, evaluated map[string]bool, add func(*node)) {
	if b.Body.Attributes["count"] != nil || b.Body.Attributes["for_each"] != nil || depth+1 >= maxModuleDepth {
		return
	}
	childKey := b.Labels[0]
	if key != "" {
		childKey = key + "." + childKey
	}
	child := e.childModule(s.m, b, childKey)
	if child == nil {
		return
	}
	name := b.Labels[0]
	file, line := s.m.bodyFile[b], b.DefRange().Start.Line
	partial := map[string]cty.Value{}
	var cached cty.Value
	cachedAt := -1
	for out, vars := range e.outputVars(child) {
		out := out
		deps := map[string]bool{}
		for v := range vars {
			if a := b.Body.Attributes[v]; a != nil {
				e.exprDeps(a.Expr, deps)
			}
		}
		n := &node{key: "module." + name + "." + out, file: file, line: line, deps: sortedKeys(deps)}
		n.eval = func() {
			if *full {
				return
			}
			ready := 0
			for d := range callDeps {
				if evaluated[d] {
					ready++
				}
			}
			if ready != cachedAt {
				quiet := *e
				quiet.problem = func(string, error) {}
				cached, _ = quiet.evalCall(s, b, prefix, key, depth)
				cachedAt = ready
			}
			v := cty.DynamicVal
			if cached.IsKnown() && !cached.IsNull() && cached.Type().IsObjectType() && cached.Type().HasAttribute(out) {
				v = cached.GetAttr(out)
			}
			partial[out] = v
			s.modules[name] = objectOf(partial)
			s.touch("module")
		}
		n.fail = func() {
			if *full {
				return
			}
			partial[out] = cty.DynamicVal
			s.modules[name] = objectOf(partial)
			s.touch("module")
		}
		add(n)
	}
}

// objectOf builds an object from a copy of m, which its caller keeps changing.
func objectOf(m map[string]cty.Value) cty.Value {
	c := make(map[string]cty.Value, len(m))
	for k, v := range m {
		c[k] = v
	}
	return cty.ObjectVal(c)
}
