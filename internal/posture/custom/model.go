package custom

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/google/cel-go/common/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// The model as CEL sees it. Each resource kind of cloud.State (one per
// field, named by the singular of the field's JSON name: s3_buckets gives
// s3_bucket) is an object type "palisade.<Go type name>" whose fields are the
// model's JSON names:
//
//   - cloud.Bool, cloud.String and cloud.Int are nullable bool, string and
//     int: null when the source could not resolve the value;
//   - cloud.StringList is a list of the elements that could be resolved, or
//     null when none could and the list is unknown;
//   - tags are a map(string, string), null when some tag could not be
//     resolved (so a rule never reads a partial tag set), and tags_known
//     says which (CEL's checker does not let a map be compared with null);
//   - a policy document is an object {set, statements}, null when it was
//     written but could not be resolved;
//   - nested structs are objects, pointers to structs are objects or null;
//   - file locations and palisade:ignore suppressions are not exposed.

var (
	boolAttr   = reflect.TypeOf(cloud.Bool{})
	stringAttr = reflect.TypeOf(cloud.String{})
	intAttr    = reflect.TypeOf(cloud.Int{})
	stringList = reflect.TypeOf(cloud.StringList{})
	tagsType   = reflect.TypeOf(cloud.Tags{})
	policyType = reflect.TypeOf(cloud.PolicyDocument{})
	metaType   = reflect.TypeOf(cloud.Meta{})
	sourceType = reflect.TypeOf(cloud.Source{})
	ignoreList = reflect.TypeOf([]cloud.Ignore{})
)

// Kind is one resource kind custom rules can name in resource_types.
type Kind struct {
	// Name is the kind's name in rule files, such as "s3_bucket".
	Name string
	// Field is the cloud.State field holding resources of this kind.
	Field string
	// TypeName is the CEL object type of the resource variable.
	TypeName string
	elem     reflect.Type
}

// Field is one field of a CEL object type, for documentation.
type Field struct {
	Name string
	// Type is the CEL type, e.g. "bool?" (nullable), "list(string)",
	// "palisade.SGRule".
	Type string
}

// Kinds lists every resource kind of the model in cloud.State order.
func Kinds() []Kind {
	st := reflect.TypeOf(cloud.State{})
	var out []Kind
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Pointer {
			continue
		}
		elem := f.Type.Elem().Elem()
		out = append(out, Kind{Name: singular(jsonName(f)), Field: f.Name, TypeName: typeName(elem), elem: elem})
	}
	return out
}

// singular turns a State field's JSON name into a kind name.
func singular(plural string) string {
	switch {
	case strings.HasSuffix(plural, "ies"):
		return strings.TrimSuffix(plural, "ies") + "y"
	case strings.HasSuffix(plural, "s"):
		return strings.TrimSuffix(plural, "s")
	}
	return plural
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

func typeName(t reflect.Type) string { return "palisade." + t.Name() }

// exposed reports whether a struct field is visible to CEL.
func exposed(f reflect.StructField) bool {
	// PolicyDocument.Known is folded into null (see Value); Attr types
	// are scalars and never walked as objects.
	return f.IsExported() && f.Type != sourceType && f.Type != ignoreList && f.Tag.Get("json") != "-" && f.Name != "Known"
}

// objectFields walks a struct's exposed fields, flattening the embedded
// Meta. As in encoding/json, a field of the struct itself shadows a Meta
// field of the same name (LoadBalancer.type is the balancer's type).
func objectFields(t reflect.Type, visit func(f reflect.StructField, index []int)) {
	own := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); !f.Anonymous {
			own[jsonName(f)] = true
		}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type == metaType {
			for j := 0; j < metaType.NumField(); j++ {
				mf := metaType.Field(j)
				if exposed(mf) && !own[jsonName(mf)] {
					visit(mf, []int{i, j})
				}
			}
			continue
		}
		if exposed(f) {
			visit(f, []int{i})
		}
	}
}

// schema holds the CEL object types reachable from the resource kinds.
type schema struct {
	objects map[string]map[string]*types.Type
	order   map[string][]string
}

func newSchema() *schema {
	s := &schema{objects: map[string]map[string]*types.Type{}, order: map[string][]string{}}
	for _, k := range Kinds() {
		s.object(k.elem)
	}
	return s
}

// object declares the struct type t (and what it contains) and returns its CEL type.
func (s *schema) object(t reflect.Type) *types.Type {
	name := typeName(t)
	if _, ok := s.objects[name]; ok {
		return types.NewObjectType(name)
	}
	fields := map[string]*types.Type{}
	s.objects[name] = fields
	objectFields(t, func(f reflect.StructField, _ []int) {
		n := jsonName(f)
		fields[n] = s.celType(f.Type)
		s.order[name] = append(s.order[name], n)
	})
	return types.NewObjectType(name)
}

func (s *schema) celType(t reflect.Type) *types.Type {
	switch t {
	case boolAttr:
		return types.NewNullableType(types.BoolType)
	case stringAttr:
		return types.NewNullableType(types.StringType)
	case intAttr:
		return types.NewNullableType(types.IntType)
	case stringList:
		return types.NewListType(types.StringType)
	case tagsType:
		return types.NewMapType(types.StringType, types.StringType)
	}
	switch t.Kind() {
	case reflect.Bool:
		return types.BoolType
	case reflect.String:
		return types.StringType
	case reflect.Int, reflect.Int64:
		return types.IntType
	case reflect.Pointer:
		return s.celType(t.Elem())
	case reflect.Slice:
		return types.NewListType(s.celType(t.Elem()))
	case reflect.Map:
		return types.NewMapType(types.StringType, s.celType(t.Elem()))
	case reflect.Struct:
		return s.object(t)
	}
	// The model holds no other kinds; a new one must be added above.
	panic(fmt.Sprintf("custom: no CEL type for %s", t))
}

// Object is one CEL object type of the model with its fields, for
// documentation.
type Object struct {
	Name   string
	Fields []Field
}

// Objects describes every object type rules can read: the resource kinds'
// types and the types nested in them, sorted by name.
func Objects() []Object {
	s := newSchema()
	var out []Object
	for _, n := range s.objectNames() {
		out = append(out, Object{Name: n, Fields: s.fields(n)})
	}
	return out
}

// fields documents the fields of one object type in declaration order.
func (s *schema) fields(name string) []Field {
	var out []Field
	for _, n := range s.order[name] {
		out = append(out, Field{Name: n, Type: typeString(s.objects[name][n])})
	}
	return out
}

// objectNames lists the declared object types, sorted.
func (s *schema) objectNames() []string {
	var out []string
	for n := range s.objects {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func typeString(t *types.Type) string {
	switch t.Kind() {
	case types.ListKind:
		return "list(" + typeString(t.Parameters()[0]) + ")"
	case types.MapKind:
		return "map(" + typeString(t.Parameters()[0]) + ", " + typeString(t.Parameters()[1]) + ")"
	case types.BoolKind, types.StringKind, types.IntKind:
		if t.IsAssignableType(types.NullType) {
			return t.TypeName() + "?"
		}
	}
	// The checker prints nullable primitives as wrapper(T).
	if s := t.String(); strings.HasPrefix(s, "wrapper(") && strings.HasSuffix(s, ")") {
		return strings.TrimSuffix(strings.TrimPrefix(s, "wrapper("), ")") + "?"
	}
	return t.String()
}

// Value converts a resource into the value CEL rules see: nested maps,
// lists and scalars keyed by the model's JSON names, with null for unknown
// values. It is exported so tools can show users what a rule will read.
func Value(r cloud.Resource) map[string]any {
	v := reflect.ValueOf(r)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	m, _ := toCEL(v).(map[string]any)
	return m
}

func toCEL(v reflect.Value) any {
	switch v.Type() {
	case boolAttr, stringAttr, intAttr:
		if !v.FieldByName("Known").Bool() {
			return nil
		}
		return scalar(v.FieldByName("Val"))
	case stringList:
		l := v.Interface().(cloud.StringList)
		if l.Unknown && len(l.Vals) == 0 {
			return nil
		}
		return strings2any(l.Vals)
	case policyType:
		d := v.Interface().(cloud.PolicyDocument)
		if d.Set && !d.Known {
			return nil
		}
		return map[string]any{"set": d.Set, "statements": toCEL(v.FieldByName("Statements"))}
	}
	switch v.Kind() {
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int64:
		return scalar(v)
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return toCEL(v.Elem())
	case reflect.Slice:
		out := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			e := toCEL(v.Index(i))
			if e == nil && isAttr(v.Type().Elem()) {
				continue // an unresolved element of a list of attributes
			}
			out = append(out, e)
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			e := toCEL(iter.Value())
			if e == nil && isAttr(v.Type().Elem()) {
				continue
			}
			out[iter.Key().String()] = e
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		objectFields(v.Type(), func(f reflect.StructField, index []int) {
			fv := v.FieldByIndex(index)
			if f.Type == tagsType {
				meta := v.FieldByIndex(index[:1]).Interface().(cloud.Meta)
				if !meta.TagsKnown {
					out[jsonName(f)] = nil
					return
				}
			}
			out[jsonName(f)] = toCEL(fv)
		})
		return out
	}
	return nil
}

func isAttr(t reflect.Type) bool { return t == boolAttr || t == stringAttr || t == intAttr }

func scalar(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64:
		return v.Int()
	}
	return nil
}

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
