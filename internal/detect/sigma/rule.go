// Package sigma parses Sigma detection and correlation rules, compiles them
// once into predicates over events, and indexes them by the eventName or
// eventSource they require so each event runs only the rules that can match.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// ErrUnsupported is wrapped by errors about Sigma features this engine does
// not implement (old aggregation syntax, placeholders).
var ErrUnsupported = errors.New("unsupported Sigma feature")

// Logsource is a rule's logsource block.
type Logsource struct {
	Product  string
	Service  string
	Category string
}

// Rule is one compiled Sigma document: a detection rule, or a correlation
// rule when Correlation is set.
type Rule struct {
	Title          string
	ID             string
	Name           string
	Status         string
	Level          string
	Description    string
	Tags           []string
	Logsource      Logsource
	FalsePositives []string
	// File and Line say where the document starts.
	File string
	Line int
	// Correlation is set for correlation documents; Match never fires for them.
	Correlation *Correlation
	// Silent is set on a detection rule that a correlation with generate:
	// false references: it feeds the correlation and raises no alert itself.
	Silent bool

	match pred
	// index keys: eventName or eventSource values the rule requires (lower case).
	names   []string
	sources []string
}

// Match reports whether the detection rule matches the event.
func (r *Rule) Match(ev *event.Event) bool {
	return r.match != nil && r.match(ev)
}

// Attack returns the ATT&CK technique ids in the rule's tags (T1098.001).
func (r *Rule) Attack() []string {
	var out []string
	for _, t := range r.Tags {
		lt := strings.ToLower(t)
		if strings.HasPrefix(lt, "attack.t") && len(lt) > len("attack.t") && lt[8] >= '0' && lt[8] <= '9' {
			out = append(out, strings.ToUpper(t[len("attack."):]))
		}
	}
	return out
}

// Correlation is a Sigma correlation rule over other rules' matches.
type Correlation struct {
	// Type is event_count, value_count, temporal or temporal_ordered.
	Type string
	// RuleRefs are the referenced rules' names, ids or titles as written.
	RuleRefs []string
	// Rules are the resolved referenced rules (filled by the RuleSet).
	Rules    []*Rule
	GroupBy  []string
	Timespan time.Duration
	// Op is gt, gte, lt, lte or eq; Count its operand (not used by temporal types).
	Op    string
	Count int
	// Field is the value_count field.
	Field    string
	Generate bool
}

// errAt formats an error at a file and line.
func errAt(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

// wrapAt wraps err at a file and line.
func wrapAt(file string, n *yaml.Node, err error) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("%s:%d: %w", file, line, err)
}

// Parse reads every YAML document in data (a rule file named file) and
// compiles each. A broken document is reported and the others are kept.
func Parse(file string, data []byte) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: yaml: %w", file, err))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseDoc(file, doc.Content[0])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

// mapGet returns the value node of key in a mapping node.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func stringList(file string, n *yaml.Node) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(file, c, "expected a list of strings")
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(file, n, "expected a string or a list of strings")
}

func parseDoc(file string, n *yaml.Node) (*Rule, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "a Sigma document must be a mapping")
	}
	r := &Rule{
		File:        file,
		Line:        n.Line,
		Title:       scalar(mapGet(n, "title")),
		ID:          scalar(mapGet(n, "id")),
		Name:        scalar(mapGet(n, "name")),
		Status:      scalar(mapGet(n, "status")),
		Level:       scalar(mapGet(n, "level")),
		Description: scalar(mapGet(n, "description")),
	}
	var err error
	if r.Tags, err = stringList(file, mapGet(n, "tags")); err != nil {
		return nil, err
	}
	if r.FalsePositives, err = stringList(file, mapGet(n, "falsepositives")); err != nil {
		return nil, err
	}
	if ls := mapGet(n, "logsource"); ls != nil {
		r.Logsource = Logsource{
			Product:  scalar(mapGet(ls, "product")),
			Service:  scalar(mapGet(ls, "service")),
			Category: scalar(mapGet(ls, "category")),
		}
	}
	if r.Title == "" {
		return nil, errAt(file, n, "rule has no title")
	}
	if c := mapGet(n, "correlation"); c != nil {
		r.Correlation, err = parseCorrelation(file, c)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	det := mapGet(n, "detection")
	if det == nil {
		return nil, errAt(file, n, "rule %q has neither detection nor correlation", r.Title)
	}
	if err := compileDetection(file, r, det); err != nil {
		return nil, err
	}
	return r, nil
}

func parseCorrelation(file string, n *yaml.Node) (*Correlation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(file, n, "correlation must be a mapping")
	}
	c := &Correlation{Type: scalar(mapGet(n, "type"))}
	switch c.Type {
	case "event_count", "value_count", "temporal", "temporal_ordered":
	default:
		return nil, errAt(file, n, "unknown correlation type %q", c.Type)
	}
	var err error
	if c.RuleRefs, err = stringList(file, mapGet(n, "rules")); err != nil {
		return nil, err
	}
	if len(c.RuleRefs) == 0 {
		return nil, errAt(file, n, "correlation names no rules")
	}
	if c.GroupBy, err = stringList(file, mapGet(n, "group-by")); err != nil {
		return nil, err
	}
	ts := mapGet(n, "timespan")
	if ts == nil {
		return nil, errAt(file, n, "correlation has no timespan")
	}
	if c.Timespan, err = parseTimespan(ts.Value); err != nil {
		return nil, wrapAt(file, ts, err)
	}
	if g := mapGet(n, "generate"); g != nil {
		c.Generate = g.Value == "true"
	}
	if mapGet(n, "aliases") != nil {
		return nil, wrapAt(file, mapGet(n, "aliases"), fmt.Errorf("correlation aliases: %w", ErrUnsupported))
	}
	cond := mapGet(n, "condition")
	switch c.Type {
	case "event_count", "value_count":
		if cond == nil || cond.Kind != yaml.MappingNode {
			return nil, errAt(file, n, "%s correlation needs a condition mapping", c.Type)
		}
		for i := 0; i+1 < len(cond.Content); i += 2 {
			k, v := cond.Content[i].Value, cond.Content[i+1]
			switch k {
			case "gt", "gte", "lt", "lte", "eq":
				cnt, err := strconv.Atoi(v.Value)
				if err != nil || cnt < 0 {
					return nil, errAt(file, v, "condition %s needs a count, got %q", k, v.Value)
				}
				c.Op, c.Count = k, cnt
			case "field":
				c.Field = v.Value
			default:
				return nil, errAt(file, cond.Content[i], "unknown correlation condition key %q", k)
			}
		}
		if c.Op == "" {
			return nil, errAt(file, cond, "correlation condition has no comparison")
		}
		if c.Type == "value_count" && c.Field == "" {
			return nil, errAt(file, cond, "value_count condition needs a field")
		}
	default:
		// temporal rules: all referenced rules must match (condition optional).
		c.Op, c.Count = "gte", len(c.RuleRefs)
	}
	return c, nil
}

// parseTimespan reads Sigma timespans: 30s, 5m, 1h, 2d, 1w.
func parseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("bad timespan unit in %q", s)
	}
	return time.Duration(n) * unit, nil
}
