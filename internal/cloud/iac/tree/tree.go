// Package tree is the source-neutral value tree both IaC adapters produce
// before mapping into the cloud model: Terraform attributes and blocks and
// CloudFormation properties become the same Value, each node with the file
// and line it was written at, and unresolvable values are an explicit
// Unknown kind.
package tree

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// Kind is the kind of a Value.
type Kind uint8

// Value kinds. Null means "absent or explicitly null"; Unknown means "present
// but not resolvable from the source alone".
const (
	Null Kind = iota
	Unknown
	Bool
	Number
	String
	List
	Map
)

// RefPrefix starts the opaque string that stands for a reference to another
// resource whose real id is only known after deploy, e.g.
// "palisade-ref:aws_s3_bucket.logs". Adapters use it to attach separate
// resources (a bucket policy to its bucket).
const RefPrefix = "palisade-ref:"

// Value is one node of the tree.
type Value struct {
	Kind Kind
	B    bool
	N    float64
	S    string
	L    []*Value
	M    map[string]*Value
	File string
	Line int
	// Refs lists the addresses of the resources the expression that produced
	// this value referred to (e.g. "aws_s3_bucket.logs"), so a separate
	// resource can be attached to its target even when the target's id is
	// unknown until deploy.
	Refs []string
}

// RefersTo reports whether v names address as a reference or holds its
// placeholder id.
func (v *Value) RefersTo(address string) bool {
	if v == nil {
		return false
	}
	for _, r := range v.Refs {
		if r == address {
			return true
		}
	}
	if s, ok := v.Str(); ok && strings.HasPrefix(s, RefPrefix) {
		rest := strings.TrimPrefix(s, RefPrefix)
		return rest == address || strings.HasPrefix(rest, address+".")
	}
	return false
}

// Src returns where the value was written.
func (v *Value) Src() cloud.Source {
	if v == nil {
		return cloud.Source{}
	}
	return cloud.Source{File: v.File, Line: v.Line}
}

// IsNull reports whether v is absent or null.
func (v *Value) IsNull() bool { return v == nil || v.Kind == Null }

// IsUnknown reports whether v is unknown.
func (v *Value) IsUnknown() bool { return v != nil && v.Kind == Unknown }

// HasUnknown reports whether v or any descendant is unknown.
func (v *Value) HasUnknown() bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case Unknown:
		return true
	case List:
		for _, e := range v.L {
			if e.HasUnknown() {
				return true
			}
		}
	case Map:
		for _, e := range v.M {
			if e.HasUnknown() {
				return true
			}
		}
	}
	return false
}

// Get returns the map entry key. Terraform nested blocks are lists of maps,
// so on a list Get looks into its first element. It returns nil when absent.
func (v *Value) Get(key string) *Value {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case Map:
		return v.M[key]
	case List:
		if len(v.L) > 0 {
			return v.L[0].Get(key)
		}
	}
	return nil
}

// Path follows Get through keys.
func (v *Value) Path(keys ...string) *Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}

// Items returns the elements of a list, or the map itself as one element, so
// that a block written once or many times reads the same.
func (v *Value) Items() []*Value {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case List:
		return v.L
	case Map:
		return []*Value{v}
	}
	return nil
}

// Keys returns a map's keys in sorted order.
func (v *Value) Keys() []string {
	if v == nil || v.Kind != Map {
		return nil
	}
	out := make([]string, 0, len(v.M))
	for k := range v.M {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Str returns the value as a string and whether it is a known scalar.
func (v *Value) Str() (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case String:
		return v.S, true
	case Bool:
		return strconv.FormatBool(v.B), true
	case Number:
		return strconv.FormatFloat(v.N, 'f', -1, 64), true
	}
	return "", false
}

// BoolAttr reads v as a boolean attribute; def is the provider default used
// when v is absent. Strings "true"/"false" are accepted (CloudFormation).
func BoolAttr(v *Value, def bool) cloud.Bool {
	if v.IsNull() {
		return cloud.Default(def)
	}
	switch v.Kind {
	case Bool:
		return cloud.Known(v.B, v.Src())
	case String:
		switch strings.ToLower(v.S) {
		case "true":
			return cloud.Known(true, v.Src())
		case "false":
			return cloud.Known(false, v.Src())
		}
	}
	return cloud.Unknown[bool](v.Src())
}

// StringAttr reads v as a string attribute with default def.
func StringAttr(v *Value, def string) cloud.String {
	if v.IsNull() {
		return cloud.Default(def)
	}
	if s, ok := v.Str(); ok {
		return cloud.Known(s, v.Src())
	}
	return cloud.Unknown[string](v.Src())
}

// StringMapAttr reads a map of strings (a Lambda function's environment
// variables); nil when v is not a map.
func StringMapAttr(v *Value) map[string]cloud.String {
	if v == nil || v.Kind != Map {
		return nil
	}
	out := make(map[string]cloud.String, len(v.M))
	for k, x := range v.M {
		out[k] = StringAttr(x, "")
	}
	return out
}

// IntAttr reads v as an integer attribute with default def.
func IntAttr(v *Value, def int64) cloud.Int {
	if v.IsNull() {
		return cloud.Default(def)
	}
	switch v.Kind {
	case Number:
		if v.N == math.Trunc(v.N) {
			return cloud.Known(int64(v.N), v.Src())
		}
	case String:
		if n, err := strconv.ParseInt(strings.TrimSpace(v.S), 10, 64); err == nil {
			return cloud.Known(n, v.Src())
		}
	}
	return cloud.Unknown[int64](v.Src())
}

// PresentAttr is a Bool saying whether v is present (a block or attribute
// that turns a feature on by existing); unknown when v is unknown.
func PresentAttr(v *Value, at cloud.Source) cloud.Bool {
	switch {
	case v.IsUnknown():
		return cloud.Unknown[bool](v.Src())
	case v.IsNull():
		return cloud.Default(false)
	case v.Kind == List && len(v.L) == 0:
		return cloud.Known(false, v.Src())
	}
	src := v.Src()
	if src.IsZero() {
		src = at
	}
	return cloud.Known(true, src)
}

// StringListAttr reads a list of strings (or a single string).
func StringListAttr(v *Value) cloud.StringList {
	if v.IsNull() {
		return cloud.StringList{}
	}
	out := cloud.StringList{Set: true, Src: v.Src()}
	if v.Kind == Unknown {
		out.Unknown = true
		return out
	}
	items := v.L
	if v.Kind != List {
		items = []*Value{v}
	}
	for _, e := range items {
		if s, ok := e.Str(); ok {
			out.Vals = append(out.Vals, s)
		} else if !e.IsNull() {
			out.Unknown = true
		}
	}
	return out
}

// Strings returns the known strings of a list (or single string) value.
func Strings(v *Value) []string { return StringListAttr(v).Vals }

// FromJSON builds a tree from decoded JSON (encoding/json's any), every node
// placed at file:line.
func FromJSON(x any, file string, line int) *Value {
	v := &Value{File: file, Line: line}
	switch t := x.(type) {
	case nil:
		v.Kind = Null
	case bool:
		v.Kind, v.B = Bool, t
	case float64:
		v.Kind, v.N = Number, t
	case json.Number:
		f, _ := t.Float64()
		v.Kind, v.N = Number, f
	case string:
		v.Kind, v.S = String, t
	case []any:
		v.Kind = List
		for _, e := range t {
			v.L = append(v.L, FromJSON(e, file, line))
		}
	case map[string]any:
		v.Kind = Map
		v.M = make(map[string]*Value, len(t))
		for k, e := range t {
			v.M[k] = FromJSON(e, file, line)
		}
	default:
		v.Kind = Unknown
	}
	return v
}
