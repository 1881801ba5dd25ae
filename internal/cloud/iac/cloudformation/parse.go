// Package cloudformation reads CloudFormation templates (YAML with the short
// intrinsic forms, or JSON) from the YAML node tree so every value keeps its
// line, resolves parameters with defaults, conditions, mappings and the
// intrinsic functions, and maps the resources into the cloud model. Values
// that need a deployed stack (pseudo parameters, parameters without
// defaults, imports) stay Unknown.
package cloudformation

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

// ErrNotTemplate is returned by Parse for YAML or JSON that is not a
// CloudFormation template.
var ErrNotTemplate = errors.New("not a CloudFormation template")

// Resource is one template resource with resolved properties.
type Resource struct {
	LogicalID  string
	Type       string
	Properties *tree.Value
	Src        cloud.Source
	Ignores    []cloud.Ignore
}

// Template is a parsed template.
type Template struct {
	File      string
	Resources []*Resource
}

// LooksLikeTemplate reports whether data is plausibly a CloudFormation
// template, cheaply, before a full parse.
func LooksLikeTemplate(data []byte) bool {
	return bytes.Contains(data, []byte("AWSTemplateFormatVersion")) ||
		(bytes.Contains(data, []byte("Resources")) && bytes.Contains(data, []byte("AWS::")))
}

// Parse reads a template. Errors name the file and line.
func Parse(file string, data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:1: %w", file, ErrNotTemplate)
	}
	root := doc.Content[0]
	top := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		top[root.Content[i].Value] = root.Content[i+1]
	}
	resNode := top["Resources"]
	if resNode == nil || resNode.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: %w (no Resources mapping)", file, root.Line, ErrNotTemplate)
	}
	r := &resolver{file: file, params: map[string]*tree.Value{}, mappings: map[string]*tree.Value{}, conditions: map[string]*yaml.Node{}, condCache: map[string]int{}, resources: map[string]string{}}
	if p := top["Parameters"]; p != nil && p.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(p.Content); i += 2 {
			name, decl := p.Content[i].Value, p.Content[i+1]
			v := &tree.Value{Kind: tree.Unknown, File: file, Line: p.Content[i].Line}
			if decl.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(decl.Content); j += 2 {
					if decl.Content[j].Value == "Default" {
						v = r.raw(decl.Content[j+1])
					}
				}
				// SSM parameter types resolve at deploy time.
				for j := 0; j+1 < len(decl.Content); j += 2 {
					if decl.Content[j].Value == "Type" && strings.HasPrefix(decl.Content[j+1].Value, "AWS::SSM::") {
						v = &tree.Value{Kind: tree.Unknown, File: file, Line: p.Content[i].Line}
					}
				}
			}
			r.params[name] = v
		}
	}
	if m := top["Mappings"]; m != nil {
		r.mappingsNode = r.raw(m)
	}
	if c := top["Conditions"]; c != nil && c.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(c.Content); i += 2 {
			r.conditions[c.Content[i].Value] = c.Content[i+1]
		}
	}
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		if body := resNode.Content[i+1]; body.Kind == yaml.MappingNode {
			r.resources[resNode.Content[i].Value] = ""
		}
	}
	// SAM templates put properties shared by their functions, APIs and
	// tables under Globals; the transform copies them into each resource.
	globals := map[string]*tree.Value{}
	if g := top["Globals"]; g != nil && g.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(g.Content); i += 2 {
			globals[g.Content[i].Value] = r.resolve(r.raw(g.Content[i+1]))
		}
	}
	lines := strings.Split(string(data), "\n")
	t := &Template{File: file}
	for i := 0; i+1 < len(resNode.Content); i += 2 {
		key, body := resNode.Content[i], resNode.Content[i+1]
		if body.Kind != yaml.MappingNode {
			return t, fmt.Errorf("%s:%d: resource %q is not a mapping", file, key.Line, key.Value)
		}
		res := &Resource{LogicalID: key.Value, Src: cloud.Source{File: file, Line: key.Line}}
		res.Ignores = ignores(key, lines, file)
		var cond string
		var props *yaml.Node
		for j := 0; j+1 < len(body.Content); j += 2 {
			switch body.Content[j].Value {
			case "Type":
				res.Type = body.Content[j+1].Value
			case "Properties":
				props = body.Content[j+1]
			case "Condition":
				cond = body.Content[j+1].Value
			}
		}
		if cond != "" && r.condition(cond) == condFalse {
			continue
		}
		if props != nil {
			res.Properties = r.resolve(r.raw(props))
		} else {
			res.Properties = &tree.Value{Kind: tree.Map, M: map[string]*tree.Value{}, File: file, Line: key.Line}
		}
		if section, ok := samGlobals[res.Type]; ok {
			res.Properties = withGlobals(res.Properties, globals[section])
		}
		t.Resources = append(t.Resources, res)
	}
	if r.err != nil {
		return t, r.err
	}
	return t, nil
}

var ignoreRE = regexp.MustCompile(`palisade:ignore\s+([A-Za-z0-9_*.:-]+)(?:\s+(.*?))?\s*$`)

// ignores reads "palisade:ignore RULE reason" comments on the logical id's
// line and on the comment lines directly above it.
func ignores(key *yaml.Node, lines []string, file string) []cloud.Ignore {
	var out []cloud.Ignore
	add := func(i int) {
		if i < 0 || i >= len(lines) {
			return
		}
		if m := ignoreRE.FindStringSubmatch(lines[i]); m != nil {
			out = append(out, cloud.Ignore{RuleID: m[1], Reason: strings.TrimSpace(m[2]), Src: cloud.Source{File: file, Line: i + 1}})
		}
	}
	add(key.Line - 1)
	for i := key.Line - 2; i >= 0 && i < len(lines); i-- {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
			break
		}
		add(i)
	}
	return out
}

// raw converts a YAML node to a tree, turning short intrinsic tags into
// their long form ({"Fn::Sub": ...}, {"Ref": ...}).
func (r *resolver) raw(n *yaml.Node) *tree.Value {
	v := &tree.Value{File: r.file, Line: n.Line}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return r.raw(n.Content[0])
		}
		v.Kind = tree.Null
		return v
	case yaml.AliasNode:
		if n.Alias != nil {
			return r.raw(n.Alias)
		}
		v.Kind = tree.Null
		return v
	}
	tag := n.Tag
	if strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := tag[1:]
		inner := *n
		inner.Tag = ""
		arg := r.raw(&inner)
		switch name {
		case "Ref":
			return intrinsic("Ref", arg)
		case "Condition":
			return intrinsic("Condition", arg)
		case "GetAtt":
			if s, ok := arg.Str(); ok && arg.Kind == tree.String {
				parts := strings.SplitN(s, ".", 2)
				l := &tree.Value{Kind: tree.List, File: r.file, Line: n.Line}
				for _, p := range parts {
					l.L = append(l.L, &tree.Value{Kind: tree.String, S: p, File: r.file, Line: n.Line})
				}
				arg = l
			}
		}
		return intrinsic("Fn::"+name, arg)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			v.Kind = tree.Null
		case "!!bool":
			v.Kind, v.B = tree.Bool, strings.EqualFold(n.Value, "true")
		case "!!int", "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
				v.Kind, v.N = tree.Number, f
			} else {
				v.Kind, v.S = tree.String, n.Value
			}
		default:
			v.Kind, v.S = tree.String, n.Value
		}
	case yaml.SequenceNode:
		v.Kind = tree.List
		for _, c := range n.Content {
			v.L = append(v.L, r.raw(c))
		}
	case yaml.MappingNode:
		v.Kind = tree.Map
		v.M = map[string]*tree.Value{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v.M[n.Content[i].Value] = r.raw(n.Content[i+1])
			// Properties are placed at their key's line.
			if v.M[n.Content[i].Value].Line == 0 || n.Content[i+1].Kind != yaml.ScalarNode {
				v.M[n.Content[i].Value].Line = n.Content[i].Line
			}
		}
	}
	return v
}

func intrinsic(name string, arg *tree.Value) *tree.Value {
	return &tree.Value{Kind: tree.Map, M: map[string]*tree.Value{name: arg}, File: arg.File, Line: arg.Line}
}
