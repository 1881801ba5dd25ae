// Package custom loads posture rules that users write in YAML files with a
// CEL condition over one resource of the cloud model. A compiled custom rule
// is an ordinary posture.Rule, so it runs on Terraform, CloudFormation and
// live state alike, honours palisade:ignore comments and yields the same
// findings as a built-in rule. The format is documented in docs/policy.md.
package custom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is one rule as written in a rule file, before compilation.
type Spec struct {
	ID          string
	Title       string
	Severity    string
	Description string
	Remediation string
	// ResourceTypes are kind names such as "s3_bucket" (see Kinds).
	ResourceTypes []string
	// Expression is the CEL condition, true when the resource is misconfigured.
	Expression string
	// Message is an optional CEL expression giving the finding's message.
	Message    string
	References References
	// File is the rule file; Line is where the rule starts.
	File string
	Line int
	// lines holds the line of each key's value, for error messages.
	lines map[string]int
	// exprNode and msgNode keep the scalars' styles to place CEL errors.
	exprNode, msgNode *yaml.Node
}

// References tie a custom rule to external identifiers.
type References struct {
	CIS       []string
	CWE       []string
	Checklist string
	URLs      []string
}

// Error is a problem with one rule file, at a line.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrRuleFile marks a rule file that breaks the format; errors.Is finds it
// under every Error the parser returns.
var ErrRuleFile = errors.New("invalid rule file")

var idRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

func errAt(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Err: fmt.Errorf("%w: "+format, append([]any{ErrRuleFile}, args...)...)}
}

// Parse reads a rule file: one rule per YAML document (documents are
// separated by "---"). It returns the rules it could read and an error for
// each one it could not; a broken rule does not hide the others, except
// that a YAML syntax error ends the file at that point.
func Parse(file string, data []byte) ([]*Spec, []error) {
	var specs []*Spec
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &Error{File: file, Line: yamlErrLine(err), Err: fmt.Errorf("%w: %v", ErrRuleFile, err)})
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		s, err := parseRule(file, doc.Content[0])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs = append(specs, s)
	}
	return specs, errs
}

// yamlErrLine digs the line out of a yaml.v3 error ("yaml: line 3: ...").
func yamlErrLine(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 1
	}
	n := 0
	for _, c := range msg[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			break
		}
	}
	if n == 0 {
		return 1
	}
	return n
}

func parseRule(file string, n *yaml.Node) (*Spec, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n.Line, "a rule is a mapping of keys (id, title, ...)")
	}
	s := &Spec{File: file, Line: n.Line, lines: map[string]int{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := s.lines[k.Value]; dup {
			return nil, errAt(file, k.Line, "key %q given twice", k.Value)
		}
		s.lines[k.Value] = v.Line
		var err error
		switch k.Value {
		case "id":
			s.ID, err = str(file, v)
		case "title":
			s.Title, err = str(file, v)
		case "severity":
			s.Severity, err = str(file, v)
		case "description":
			s.Description, err = str(file, v)
		case "remediation":
			s.Remediation, err = str(file, v)
		case "resource_types":
			s.ResourceTypes, err = strs(file, v)
		case "expression":
			s.Expression, err = str(file, v)
			s.exprNode = v
		case "message":
			s.Message, err = str(file, v)
			s.msgNode = v
		case "references":
			err = s.parseRefs(v)
		default:
			err = errAt(file, k.Line, "unknown key %q (want id, title, severity, description, remediation, resource_types, expression, message, references)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, key := range []string{"id", "title", "severity", "resource_types", "expression"} {
		if _, ok := s.lines[key]; !ok {
			return nil, errAt(file, n.Line, "rule has no %s", key)
		}
	}
	if !idRE.MatchString(s.ID) {
		return nil, errAt(file, s.lines["id"], "id %q: want a letter then letters, digits, '.', '_' or '-' (at most 64)", s.ID)
	}
	if strings.TrimSpace(s.Title) == "" {
		return nil, errAt(file, s.lines["title"], "empty title")
	}
	if len(s.ResourceTypes) == 0 {
		return nil, errAt(file, s.lines["resource_types"], "resource_types is empty")
	}
	if strings.TrimSpace(s.Expression) == "" {
		return nil, errAt(file, s.lines["expression"], "empty expression")
	}
	return s, nil
}

func (s *Spec) parseRefs(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return errAt(s.File, n.Line, "references is a mapping (cis, cwe, checklist, urls)")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "cis":
			s.References.CIS, err = strs(s.File, v)
		case "cwe":
			s.References.CWE, err = strs(s.File, v)
		case "checklist":
			s.References.Checklist, err = str(s.File, v)
		case "urls":
			s.References.URLs, err = strs(s.File, v)
		default:
			err = errAt(s.File, k.Line, "unknown reference kind %q (want cis, cwe, checklist, urls)", k.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func str(file string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", errAt(file, n.Line, "want a string")
	}
	return n.Value, nil
}

// strs reads a list of strings; a single string is a list of one.
func strs(file string, n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		s, err := str(file, n)
		return []string{s}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(file, n.Line, "want a string or a list of strings")
	}
	var out []string
	for _, e := range n.Content {
		s, err := str(file, e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// exprLine maps a line of a CEL expression to the rule file: block scalars
// (| and >) start on the line after their key.
func exprLine(n *yaml.Node, celLine int) int {
	if n == nil {
		return 0
	}
	switch n.Style {
	case yaml.LiteralStyle:
		return n.Line + celLine
	case yaml.FoldedStyle:
		return n.Line + 1
	}
	return n.Line
}
