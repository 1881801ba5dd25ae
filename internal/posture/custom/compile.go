package custom

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
	"github.com/palisade-sec/palisade/internal/regular"
)

// costLimit bounds the work one evaluation may do (CEL's cost units: about
// one per value visited), so a rule cannot stall a scan.
const costLimit = 1_000_000

// Env compiles custom rules against the cloud model. Build one with NewEnv
// and reuse it; it is safe for concurrent use.
type Env struct {
	base   *cel.Env
	schema *schema
	kinds  map[string]Kind
	names  []string

	mu      sync.Mutex
	perKind map[string]*cel.Env
}

// NewEnv builds the CEL environment: the model's object types, the
// standard library, optional values (m[?k].orValue(d)), and the strings
// and sets extensions.
func NewEnv() (*Env, error) {
	sch := newSchema()
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, fmt.Errorf("cel registry: %w", err)
	}
	base, err := cel.NewEnv(
		cel.CustomTypeProvider(&provider{Registry: reg, schema: sch}),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Sets(),
	)
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	e := &Env{base: base, schema: sch, kinds: map[string]Kind{}, perKind: map[string]*cel.Env{}}
	for _, k := range Kinds() {
		e.kinds[k.Name] = k
		e.names = append(e.names, k.Name)
	}
	return e, nil
}

// provider declares the model's object types to the CEL type checker;
// values are maps at run time, so field access needs no getters.
type provider struct {
	*types.Registry
	schema *schema
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.schema.objects[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if _, ok := p.schema.objects[name]; ok {
		return p.schema.order[name], true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if fields, ok := p.schema.objects[name]; ok {
		t, ok := fields[field]
		if !ok {
			return nil, false
		}
		return &types.FieldType{Type: t}, true
	}
	return p.Registry.FindStructFieldType(name, field)
}

// NewValue refuses to build model objects: rules read resources, they do
// not construct them.
func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.schema.objects[name]; ok {
		return types.NewErr("cannot construct %s", name)
	}
	return p.Registry.NewValue(name, fields)
}

func (e *Env) kindEnv(k Kind) (*cel.Env, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if env, ok := e.perKind[k.Name]; ok {
		return env, nil
	}
	env, err := e.base.Extend(cel.Variable("resource", types.NewObjectType(k.TypeName)))
	if err != nil {
		return nil, err
	}
	e.perKind[k.Name] = env
	return env, nil
}

// compiled is one rule's programs for one resource kind.
type compiled struct {
	kind    Kind
	cond    cel.Program
	message cel.Program
	// at is the JSON name of the one resource field the condition reads
	// (besides type, address and tags), when it reads exactly one: findings
	// are placed at that attribute.
	at string
}

// Compile type-checks a rule against each of its resource kinds and returns
// it as a posture rule. Errors carry the rule file and line.
func (e *Env) Compile(s *Spec) (posture.Rule, error) {
	sev, err := finding.ParseSeverity(s.Severity)
	if err != nil {
		return posture.Rule{}, errAt(s.File, s.lines["severity"], "%v", err)
	}
	var progs []compiled
	for _, name := range s.ResourceTypes {
		k, ok := e.kinds[name]
		if !ok {
			return posture.Rule{}, errAt(s.File, s.lines["resource_types"], "unknown resource type %q (known: %s)", name, strings.Join(e.names, ", "))
		}
		env, err := e.kindEnv(k)
		if err != nil {
			return posture.Rule{}, &Error{File: s.File, Line: s.Line, Err: err}
		}
		c := compiled{kind: k}
		var fields []string
		c.cond, fields, err = e.program(env, s, s.Expression, s.exprNode, "expression", k, true)
		if err != nil {
			return posture.Rule{}, err
		}
		if len(fields) == 1 {
			c.at = fields[0]
		}
		if s.Message != "" {
			c.message, _, err = e.program(env, s, s.Message, s.msgNode, "message", k, false)
			if err != nil {
				return posture.Rule{}, err
			}
		}
		progs = append(progs, c)
	}
	title := strings.TrimSpace(s.Title)
	return posture.Rule{
		ID:          s.ID,
		Title:       title,
		Severity:    sev,
		Rationale:   strings.TrimSpace(s.Description),
		Remediation: posture.Remediation{Text: strings.TrimSpace(s.Remediation)},
		Refs: posture.Refs{
			CIS: s.References.CIS, CWE: s.References.CWE,
			Checklist: s.References.Checklist, URLs: s.References.URLs,
		},
		Check: func(st *cloud.State, report posture.Reporter) {
			for _, c := range progs {
				c.run(st, title, report)
			}
		},
	}, nil
}

// program compiles one expression; cond says it must be a boolean.
func (e *Env) program(env *cel.Env, s *Spec, src string, node *yaml.Node, key string, k Kind, cond bool) (cel.Program, []string, error) {
	// A trailing newline would put an error at the end on a line of its own.
	checked, iss := env.Compile(strings.TrimRight(src, "\n"))
	if iss != nil && iss.Err() != nil {
		first := iss.Errors()[0]
		line := exprLine(node, first.Location.Line())
		msg := first.Message
		if len(iss.Errors()) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(iss.Errors())-1)
		}
		return nil, nil, errAt(s.File, line, "%s (resource type %s, column %d): %s", key, k.Name, first.Location.Column()+1, msg)
	}
	out := checked.OutputType()
	if cond {
		if !out.IsExactType(types.BoolType) && !out.IsExactType(types.NewNullableType(types.BoolType)) && !out.IsExactType(types.DynType) {
			return nil, nil, errAt(s.File, exprLine(node, 1), "expression (resource type %s) is %s, want bool", k.Name, typeString(out))
		}
	} else if !out.IsExactType(types.StringType) && !out.IsExactType(types.NewNullableType(types.StringType)) && !out.IsExactType(types.DynType) {
		return nil, nil, errAt(s.File, exprLine(node, 1), "message (resource type %s) is %s, want string", k.Name, typeString(out))
	}
	prg, err := env.Program(checked, cel.CostLimit(costLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, nil, errAt(s.File, exprLine(node, 1), "%s: %v", key, err)
	}
	return prg, resourceFields(checked.NativeRep()), nil
}

// resourceFields lists the distinct top-level fields of "resource" an
// expression selects, other than the common ones (type, address, tags),
// sorted.
func resourceFields(a *ast.AST) []string {
	seen := map[string]bool{}
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(x ast.Expr) {
		if x.Kind() != ast.SelectKind {
			return
		}
		sel := x.AsSelect()
		if op := sel.Operand(); op.Kind() == ast.IdentKind && op.AsIdent() == "resource" {
			switch sel.FieldName() {
			case "type", "address", "tags", "tags_known":
				// Every resource has these; they do not say where the problem is.
			default:
				seen[sel.FieldName()] = true
			}
		}
	}))
	var out []string
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func (c compiled) run(st *cloud.State, title string, report posture.Reporter) {
	list := reflect.ValueOf(st).Elem().FieldByName(c.kind.Field)
	for i := 0; i < list.Len(); i++ {
		r, ok := list.Index(i).Interface().(cloud.Resource)
		if !ok || list.Index(i).IsNil() {
			continue
		}
		act := map[string]any{"resource": Value(r)}
		out, _, err := c.cond.Eval(act)
		// An evaluation error (reading a null value, a cost overrun) means
		// the answer is unknown, and unknown never produces a finding.
		if err != nil || out != types.True {
			continue
		}
		msg := title
		if c.message != nil {
			if mv, _, err := c.message.Eval(act); err == nil {
				if s, ok := mv.Value().(string); ok && s != "" {
					msg = s
				}
			}
		}
		report(r, attrSource(r, c.at), msg)
	}
}

// attrSource is where the field with JSON name field was written, or the
// resource's own location.
func attrSource(r cloud.Resource, field string) cloud.Source {
	m := r.Base()
	if field == "" {
		return m.Src
	}
	v := reflect.ValueOf(r).Elem()
	var at cloud.Source
	objectFields(v.Type(), func(f reflect.StructField, index []int) {
		if jsonName(f) != field {
			return
		}
		switch a := v.FieldByIndex(index).Interface().(type) {
		case cloud.Bool:
			at = cloud.At(m, a)
		case cloud.String:
			at = cloud.At(m, a)
		case cloud.Int:
			at = cloud.At(m, a)
		case cloud.StringList:
			at = cloud.AtList(m, a)
		case cloud.PolicyDocument:
			if a.Set && !a.Src.IsZero() {
				at = a.Src
			}
		}
	})
	if at.IsZero() {
		return m.Src
	}
	return at
}

// LoadDir compiles every .yaml and .yml file under dir, in path order. A
// broken rule (bad YAML, unknown key or resource type, CEL error, an id
// used twice or by a built-in rule) is returned in problems and the others
// still load. The error is for dir itself (missing, unreadable).
func (e *Env) LoadDir(dir string, builtin []posture.Rule) (rules []posture.Rule, problems []error, err error) {
	seen := map[string]string{}
	for _, r := range builtin {
		seen[r.ID] = "a built-in rule"
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("rules folder: %w", err)
	}
	if !info.IsDir() {
		return nil, nil, fmt.Errorf("rules folder %s: not a folder", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, err)
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, problems, fmt.Errorf("rules folder %s: %w", dir, err)
	}
	sort.Strings(files)
	for _, path := range files {
		data, err := regular.ReadFile(path)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		specs, errs := Parse(path, data)
		problems = append(problems, errs...)
		for _, s := range specs {
			if where, dup := seen[s.ID]; dup {
				problems = append(problems, errAt(path, s.lines["id"], "id %s is already used by %s", s.ID, where))
				continue
			}
			r, err := e.Compile(s)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			seen[s.ID] = fmt.Sprintf("%s:%d", path, s.Line)
			rules = append(rules, r)
		}
	}
	return rules, problems, nil
}

// ErrorFile returns the rule file a LoadDir problem is about, or "".
func ErrorFile(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.File
	}
	return ""
}
