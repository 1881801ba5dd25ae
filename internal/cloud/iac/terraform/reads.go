package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// attrsRead returns, for each resource and data source of m ("aws_iam_role.r",
// "data.aws_caller_identity.current"), the attribute names the module's
// expressions read from it. A resource's value holds its arguments and
// placeholder ids; an attribute only the provider knows (a data source's
// account_id, a role's unique_id) is added as unknown, so reading it gives
// an unknown value instead of an error that would make the whole enclosing
// expression unknown.
func attrsRead(m *module) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	visit := func(expr hcl.Expression) {
		if expr == nil {
			return
		}
		for _, t := range expr.Variables() {
			key, attr := resourceAttr(t)
			if key == "" || attr == "" {
				continue
			}
			if out[key] == nil {
				out[key] = map[string]bool{}
			}
			out[key][attr] = true
		}
	}
	var body func(b *hclsyntax.Body)
	body = func(b *hclsyntax.Body) {
		for _, a := range b.Attributes {
			visit(a.Expr)
		}
		for _, blk := range b.Blocks {
			body(blk.Body)
		}
	}
	for _, a := range m.locals {
		visit(a.Expr)
	}
	for _, a := range m.outputs {
		visit(a.Expr)
	}
	for _, list := range [][]*hclsyntax.Block{m.resources, m.calls, m.providers} {
		for _, b := range list {
			body(b.Body)
		}
	}
	return out
}

// resourceAttr splits a traversal such as aws_iam_role.r.arn,
// aws_iam_role.r[0].arn or data.aws_region.current.name into the resource
// key and the attribute read.
func resourceAttr(t hcl.Traversal) (key, attr string) {
	names := 2 // type and name
	root := t.RootName()
	switch root {
	case "data":
		names = 3
	case "var", "local", "module", "count", "each", "self", "path", "terraform":
		return "", ""
	}
	key = root
	i := 1
	for ; i < len(t) && i < names; i++ {
		a, ok := t[i].(hcl.TraverseAttr)
		if !ok {
			return "", ""
		}
		key += "." + a.Name
	}
	if i < names {
		return "", ""
	}
	for ; i < len(t); i++ {
		switch step := t[i].(type) {
		case hcl.TraverseIndex:
			continue // an instance of count or for_each
		case hcl.TraverseAttr:
			return key, step.Name
		default:
			return "", ""
		}
	}
	return "", ""
}

// addUnknownReads adds each attribute in reads that refs lacks as unknown.
func addUnknownReads(refs map[string]cty.Value, reads map[string]bool) {
	for a := range reads {
		if _, ok := refs[a]; !ok {
			refs[a] = cty.DynamicVal
		}
	}
}
