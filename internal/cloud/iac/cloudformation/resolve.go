package cloudformation

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/cloud/iac/tree"
)

const (
	condUnknown = iota
	condTrue
	condFalse
	condVisiting
)

// maxDepth bounds intrinsic nesting so a hostile template cannot recurse forever.
const maxDepth = 64

type resolver struct {
	file         string
	params       map[string]*tree.Value
	mappings     map[string]*tree.Value
	mappingsNode *tree.Value
	conditions   map[string]*yaml.Node
	condCache    map[string]int
	resources    map[string]string
	depth        int
	err          error
}

func (r *resolver) unknown(at *tree.Value) *tree.Value {
	return &tree.Value{Kind: tree.Unknown, File: at.File, Line: at.Line}
}

func (r *resolver) str(at *tree.Value, s string) *tree.Value {
	return &tree.Value{Kind: tree.String, S: s, File: at.File, Line: at.Line}
}

// resolve evaluates intrinsic functions in v. AWS::NoValue removes the
// property (returns nil).
func (r *resolver) resolve(v *tree.Value) *tree.Value {
	if v == nil {
		return nil
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return r.unknown(v)
	}
	switch v.Kind {
	case tree.List:
		out := &tree.Value{Kind: tree.List, File: v.File, Line: v.Line}
		for _, e := range v.L {
			if re := r.resolve(e); re != nil {
				out.L = append(out.L, re)
			}
		}
		return out
	case tree.Map:
		if len(v.M) == 1 {
			for k, arg := range v.M {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || k == "Condition" && arg.Kind == tree.String && r.conditions[arg.S] != nil {
					out := r.call(k, arg, v)
					return out
				}
			}
		}
		out := &tree.Value{Kind: tree.Map, M: map[string]*tree.Value{}, File: v.File, Line: v.Line}
		for k, e := range v.M {
			if re := r.resolve(e); re != nil {
				out.M[k] = re
			}
		}
		return out
	}
	return v
}

func (r *resolver) call(fn string, arg, at *tree.Value) *tree.Value {
	switch fn {
	case "Ref":
		name, ok := arg.Str()
		if !ok {
			return r.unknown(at)
		}
		if name == "AWS::NoValue" {
			return nil
		}
		if p, ok := r.params[name]; ok {
			out := *r.resolve(p)
			out.File, out.Line = at.File, at.Line
			return &out
		}
		if _, ok := r.resources[name]; ok {
			out := r.str(at, tree.RefPrefix+name)
			out.Refs = []string{name}
			return out
		}
		return r.unknown(at) // pseudo parameters and unknown names
	case "Fn::GetAtt":
		parts := tree.Strings(r.resolve(arg))
		if len(parts) == 0 {
			return r.unknown(at)
		}
		out := r.unknown(at)
		if _, ok := r.resources[parts[0]]; ok {
			out = r.str(at, tree.RefPrefix+strings.Join(parts, "."))
			out.Refs = []string{parts[0]}
		}
		return out
	case "Fn::Sub":
		return r.sub(arg, at)
	case "Fn::Join":
		a := r.resolve(arg)
		if a == nil || a.Kind != tree.List || len(a.L) != 2 {
			return r.unknown(at)
		}
		sep, ok := a.L[0].Str()
		if !ok || a.L[1].Kind != tree.List {
			return r.unknown(at)
		}
		var parts []string
		for _, e := range a.L[1].L {
			s, ok := e.Str()
			if !ok {
				return r.unknown(at)
			}
			parts = append(parts, s)
		}
		return r.str(at, strings.Join(parts, sep))
	case "Fn::Select":
		a := r.resolve(arg)
		if a == nil || a.Kind != tree.List || len(a.L) != 2 {
			return r.unknown(at)
		}
		is, ok := a.L[0].Str()
		i, err := strconv.Atoi(is)
		if !ok || err != nil || a.L[1].Kind != tree.List || i < 0 || i >= len(a.L[1].L) {
			return r.unknown(at)
		}
		return a.L[1].L[i]
	case "Fn::Split":
		a := r.resolve(arg)
		if a == nil || a.Kind != tree.List || len(a.L) != 2 {
			return r.unknown(at)
		}
		sep, ok1 := a.L[0].Str()
		s, ok2 := a.L[1].Str()
		if !ok1 || !ok2 {
			return r.unknown(at)
		}
		out := &tree.Value{Kind: tree.List, File: at.File, Line: at.Line}
		for _, p := range strings.Split(s, sep) {
			out.L = append(out.L, r.str(at, p))
		}
		return out
	case "Fn::If":
		if arg.Kind != tree.List || len(arg.L) != 3 {
			return r.unknown(at)
		}
		name, _ := arg.L[0].Str()
		switch r.condition(name) {
		case condTrue:
			return r.resolve(arg.L[1])
		case condFalse:
			return r.resolve(arg.L[2])
		}
		return r.unknown(at)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		switch r.evalCond(intrinsic(fn, arg)) {
		case condTrue:
			return &tree.Value{Kind: tree.Bool, B: true, File: at.File, Line: at.Line}
		case condFalse:
			return &tree.Value{Kind: tree.Bool, B: false, File: at.File, Line: at.Line}
		}
		return r.unknown(at)
	case "Fn::FindInMap":
		a := r.resolve(arg)
		if a == nil || a.Kind != tree.List || len(a.L) < 3 || r.mappingsNode == nil {
			return r.unknown(at)
		}
		var keys []string
		for _, e := range a.L[:3] {
			s, ok := e.Str()
			if !ok {
				return r.unknown(at)
			}
			keys = append(keys, s)
		}
		if v := r.mappingsNode.Path(keys...); v != nil {
			return r.resolve(v)
		}
		return r.unknown(at)
	case "Fn::Base64":
		return r.resolve(arg)
	case "Fn::ToJsonString":
		a := r.resolve(arg)
		if a == nil || a.HasUnknown() {
			return r.unknown(at)
		}
		b, err := json.Marshal(toAny(a))
		if err != nil {
			return r.unknown(at)
		}
		return r.str(at, string(b))
	}
	// Fn::GetAZs, Fn::ImportValue, Fn::Cidr, Fn::Transform, ... need a live account.
	return r.unknown(at)
}

var subVarRE = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (r *resolver) sub(arg, at *tree.Value) *tree.Value {
	var tmpl string
	vars := map[string]*tree.Value{}
	switch arg.Kind {
	case tree.String:
		tmpl = arg.S
	case tree.List:
		if len(arg.L) != 2 {
			return r.unknown(at)
		}
		s, ok := arg.L[0].Str()
		if !ok {
			return r.unknown(at)
		}
		tmpl = s
		if m := arg.L[1]; m.Kind == tree.Map {
			for k, v := range m.M {
				vars[k] = r.resolve(v)
			}
		}
	default:
		return r.unknown(at)
	}
	unknown := false
	var refs []string
	out := subVarRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			if s, ok := v.Str(); ok {
				return s
			}
			unknown = true
			return m
		}
		var v *tree.Value
		if i := strings.Index(name, "."); i > 0 {
			v = r.call("Fn::GetAtt", &tree.Value{Kind: tree.List, L: []*tree.Value{r.str(at, name[:i]), r.str(at, name[i+1:])}}, at)
		} else {
			v = r.call("Ref", r.str(at, name), at)
		}
		if v != nil {
			refs = append(refs, v.Refs...)
		}
		if s, ok := v.Str(); ok && v != nil {
			return s
		}
		unknown = true
		return m
	})
	out = strings.ReplaceAll(out, "${!", "${")
	if unknown {
		u := r.unknown(at)
		u.Refs = refs
		return u
	}
	v := r.str(at, out)
	v.Refs = refs
	return v
}

// condition evaluates a named condition; cycles are an error and unknown.
func (r *resolver) condition(name string) int {
	if c, ok := r.condCache[name]; ok {
		if c == condVisiting {
			if r.err == nil {
				line := 0
				if n := r.conditions[name]; n != nil {
					line = n.Line
				}
				r.err = fmt.Errorf("%s:%d: condition %q refers to itself (reference cycle)", r.file, line, name)
			}
			return condUnknown
		}
		return c
	}
	n := r.conditions[name]
	if n == nil {
		return condUnknown
	}
	r.condCache[name] = condVisiting
	c := r.evalCond(r.raw(n))
	r.condCache[name] = c
	return c
}

func (r *resolver) evalCond(v *tree.Value) int {
	if v == nil || v.Kind != tree.Map || len(v.M) != 1 {
		if v != nil && v.Kind == tree.Bool {
			if v.B {
				return condTrue
			}
			return condFalse
		}
		return condUnknown
	}
	for k, arg := range v.M {
		switch k {
		case "Condition":
			name, _ := arg.Str()
			return r.condition(name)
		case "Fn::Not":
			items := arg.Items()
			if len(items) != 1 {
				return condUnknown
			}
			switch r.evalCond(items[0]) {
			case condTrue:
				return condFalse
			case condFalse:
				return condTrue
			}
			return condUnknown
		case "Fn::And", "Fn::Or":
			res := condTrue
			if k == "Fn::Or" {
				res = condFalse
			}
			sawUnknown := false
			for _, e := range arg.Items() {
				c := r.evalCond(e)
				if k == "Fn::And" && c == condFalse {
					return condFalse
				}
				if k == "Fn::Or" && c == condTrue {
					return condTrue
				}
				if c != condTrue && c != condFalse {
					sawUnknown = true
				}
			}
			if sawUnknown {
				return condUnknown
			}
			return res
		case "Fn::Equals":
			a := r.resolve(arg)
			if a == nil || a.Kind != tree.List || len(a.L) != 2 {
				return condUnknown
			}
			x, ok1 := a.L[0].Str()
			y, ok2 := a.L[1].Str()
			if !ok1 || !ok2 {
				return condUnknown
			}
			if x == y {
				return condTrue
			}
			return condFalse
		}
	}
	return condUnknown
}

func toAny(v *tree.Value) any {
	switch v.Kind {
	case tree.Bool:
		return v.B
	case tree.Number:
		return v.N
	case tree.String:
		return v.S
	case tree.List:
		out := make([]any, 0, len(v.L))
		for _, e := range v.L {
			out = append(out, toAny(e))
		}
		return out
	case tree.Map:
		out := map[string]any{}
		for k, e := range v.M {
			out[k] = toAny(e)
		}
		return out
	}
	return nil
}
