package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// providerConfigName is a provider block's configuration name: "aws", or
// "aws.west" for one with alias = "west".
func providerConfigName(b *hclsyntax.Block) string {
	name := b.Labels[0]
	if a := b.Body.Attributes["alias"]; a != nil {
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type().Equals(ctyString) {
			return name + "." + v.AsString()
		}
	}
	return name
}

// resourceProvider is the provider configuration a resource block uses: its
// provider argument, or the default configuration of the provider its type
// names (aws_s3_bucket uses "aws").
func resourceProvider(b *hclsyntax.Block) string {
	if a := b.Body.Attributes["provider"]; a != nil {
		if name := traversalName(a.Expr); name != "" {
			return name
		}
	}
	typ, _, _ := strings.Cut(b.Labels[0], "_")
	return typ
}

// traversalName renders a reference such as aws.west as "aws.west".
func traversalName(expr hcl.Expression) string {
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() {
		return ""
	}
	parts := []string{tr.RootName()}
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			return ""
		}
		parts = append(parts, a.Name)
	}
	return strings.Join(parts, ".")
}

// childProviders are the provider configurations a module call passes on:
// those its providers argument maps, or else every default (unaliased)
// configuration of the caller, as Terraform does.
func childProviders(s *scope, call *hclsyntax.Block) map[string]*tree.Value {
	out := map[string]*tree.Value{}
	a := call.Body.Attributes["providers"]
	if a == nil {
		for k, v := range s.providerTags {
			if !strings.Contains(k, ".") {
				out[k] = v
			}
		}
		return out
	}
	obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return out
	}
	for _, item := range obj.Items {
		inChild, fromCaller := traversalName(item.KeyExpr), traversalName(item.ValueExpr)
		if inChild != "" && fromCaller != "" {
			out[inChild] = s.providerTags[fromCaller]
		}
	}
	return out
}

// defaultTags evaluates a provider block's default_tags { tags = ... };
// nil when it has none.
func (e *evaluator) defaultTags(s *scope, b *hclsyntax.Block, file, prefix string) *tree.Value {
	for _, blk := range b.Body.Blocks {
		if blk.Type != "default_tags" {
			continue
		}
		_, t := e.evalBody(blk.Body, s.evalContext(e), file, prefix, nil)
		return t.Get("tags")
	}
	return nil
}
