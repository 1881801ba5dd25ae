package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/palisade-sec/palisade/internal/regular"
)

// rootVars collects a root module's input values, later sources winning:
// terraform.tfvars, *.auto.tfvars (in name order), opts.VarFiles, then
// opts.Vars. Variables left without a value evaluate to their default, or to
// unknown.
func rootVars(m *module, opts Options) (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	var files []string
	if _, err := os.Stat(filepath.Join(m.dir, "terraform.tfvars")); err == nil {
		files = append(files, filepath.Join(m.dir, "terraform.tfvars"))
	}
	auto, _ := filepath.Glob(filepath.Join(m.dir, "*.auto.tfvars"))
	sort.Strings(auto)
	files = append(files, auto...)
	files = append(files, opts.VarFiles...)
	var firstErr error
	for _, f := range files {
		if err := readTfvars(f, out); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for name, raw := range opts.Vars {
		out[name] = parseVarFlag(m, name, raw)
	}
	return out, firstErr
}

func readTfvars(path string, into map[string]cty.Value) error {
	src, err := regular.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read var file: %w", err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return diagError(diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return diagError(diags)
	}
	for name, a := range attrs {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		into[name] = v
	}
	return nil
}

// parseVarFlag reads a -var value the way Terraform does: as a string for a
// string (or untyped) variable, else as an HCL expression.
func parseVarFlag(m *module, name, raw string) cty.Value {
	if b := m.variables[name]; b != nil {
		if t := b.Body.Attributes["type"]; t != nil {
			if tr, diags := hcl.AbsTraversalForExpr(t.Expr); !diags.HasErrors() && tr.RootName() == "string" {
				return cty.StringVal(raw)
			}
			expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var "+name, hcl.Pos{Line: 1, Column: 1})
			if !diags.HasErrors() {
				if v, diags := expr.Value(nil); !diags.HasErrors() {
					return v
				}
			}
		}
	}
	return cty.StringVal(raw)
}
