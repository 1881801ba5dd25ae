package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

type planModule struct {
	Resources []struct {
		Address string         `json:"address"`
		Mode    string         `json:"mode"`
		Type    string         `json:"type"`
		Values  map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []planModule `json:"child_modules"`
}

// LoadPlan reads `terraform show -json` output. Values the plan marks as
// known only after apply become Unknown; each resource is placed at the
// line of its address in the file.
func LoadPlan(path string, data []byte) ([]*Resource, error) {
	var plan struct {
		FormatVersion string `json:"format_version"`
		PlannedValues struct {
			RootModule planModule `json:"root_module"`
		} `json:"planned_values"`
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				AfterUnknown map[string]any `json:"after_unknown"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&plan); err != nil {
		line := 1
		var se *json.SyntaxError
		if ok := asSyntax(err, &se); ok {
			line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		}
		return nil, fmt.Errorf("%s:%d: parse plan JSON: %w", path, line, err)
	}
	unknown := map[string]map[string]any{}
	for _, rc := range plan.ResourceChanges {
		unknown[rc.Address] = rc.Change.AfterUnknown
	}
	var out []*Resource
	var walk func(m planModule)
	walk = func(m planModule) {
		for _, r := range m.Resources {
			line := lineOf(data, `"address": "`+r.Address+`"`)
			body := tree.FromJSON(map[string]any(r.Values), path, line)
			markUnknown(body, unknown[r.Address])
			mode := "managed"
			if r.Mode == "data" {
				mode = "data"
			}
			base := r.Address
			if i := bytes.IndexByte([]byte(base), '['); i > 0 {
				base = base[:i]
			}
			out = append(out, &Resource{Mode: mode, Type: r.Type, Address: r.Address, Base: base, Body: body, Src: cloud.Source{File: path, Line: line}})
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	walk(plan.PlannedValues.RootModule)
	return out, nil
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

func lineOf(data []byte, needle string) int {
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		// Compact JSON has no space after the colon.
		i = bytes.Index(data, bytes.ReplaceAll([]byte(needle), []byte(`": "`), []byte(`":"`)))
	}
	if i < 0 {
		return 1
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

// markUnknown turns values the plan reports as unknown into Unknown nodes.
func markUnknown(v *tree.Value, u map[string]any) {
	if v == nil || v.Kind != tree.Map {
		return
	}
	for k, x := range u {
		switch t := x.(type) {
		case bool:
			if t {
				v.M[k] = &tree.Value{Kind: tree.Unknown, File: v.File, Line: v.Line}
			}
		case map[string]any:
			markUnknown(v.M[k], t)
		case []any:
			child := v.M[k]
			if child == nil || child.Kind != tree.List {
				continue
			}
			for i, e := range t {
				if i >= len(child.L) {
					break
				}
				if b, ok := e.(bool); ok && b {
					child.L[i] = &tree.Value{Kind: tree.Unknown, File: v.File, Line: v.Line}
				} else if m, ok := e.(map[string]any); ok {
					markUnknown(child.L[i], m)
				}
			}
		}
	}
}
