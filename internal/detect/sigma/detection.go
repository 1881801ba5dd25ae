package sigma

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// modSet is the parsed modifier chain of one detection key (field|a|b).
type modSet struct {
	contains, startswith, endswith, all, re, reI, reM, reS bool
	cidr, exists, fieldref, base64, base64offset, windash  bool
	cased                                                  bool
	num                                                    string // gt, gte, lt, lte
}

func parseMods(mods []string) (modSet, error) {
	var m modSet
	for _, mod := range mods {
		switch mod {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "re":
			m.re = true
		case "i":
			m.reI = true
		case "m":
			m.reM = true
		case "s":
			m.reS = true
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "base64":
			m.base64 = true
		case "base64offset":
			m.base64offset = true
		case "windash":
			m.windash = true
		case "cased":
			m.cased = true
		case "gt", "gte", "lt", "lte":
			m.num = mod
		case "expand":
			return m, fmt.Errorf("modifier |expand needs placeholder values: %w", ErrUnsupported)
		default:
			return m, fmt.Errorf("unknown modifier |%s", mod)
		}
	}
	if (m.reI || m.reM || m.reS) && !m.re {
		return m, fmt.Errorf("modifiers |i, |m, |s only go with |re")
	}
	return m, nil
}

// selection is one named search identifier of a detection.
type selection struct {
	name string
	p    pred
	// cons maps "eventName"/"eventSource" to the lower-case values the
	// selection requires; a missing key means no requirement.
	cons map[string][]string
}

var indexFields = []string{"eventName", "eventSource"}

func compileDetection(file string, r *Rule, det *yaml.Node) error {
	if det.Kind != yaml.MappingNode {
		return errAt(file, det, "detection must be a mapping")
	}
	sels := map[string]*selection{}
	var condNode *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			condNode = v
			continue
		case "timeframe":
			continue
		}
		s, err := compileSelection(file, v)
		if err != nil {
			return fmt.Errorf("%w (selection %q)", err, k.Value)
		}
		s.name = k.Value
		sels[k.Value] = s
	}
	if condNode == nil {
		return errAt(file, det, "detection has no condition")
	}
	var conds []string
	switch condNode.Kind {
	case yaml.ScalarNode:
		conds = []string{condNode.Value}
	case yaml.SequenceNode:
		for _, c := range condNode.Content {
			conds = append(conds, c.Value)
		}
	default:
		return errAt(file, condNode, "condition must be a string or a list")
	}
	var roots []*cnode
	for _, c := range conds {
		n, err := parseCondition(c, sels)
		if err != nil {
			return wrapAt(file, condNode, fmt.Errorf("condition %q: %w", c, err))
		}
		roots = append(roots, n)
	}
	root := roots[0]
	if len(roots) > 1 {
		root = &cnode{op: "or", kids: roots}
	}
	r.match = root.compile()
	if set, ok := root.constraint("eventName"); ok {
		r.names = set
	} else if set, ok := root.constraint("eventSource"); ok {
		r.sources = set
	}
	return nil
}

func compileSelection(file string, n *yaml.Node) (*selection, error) {
	switch n.Kind {
	case yaml.MappingNode:
		return compileMap(file, n)
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errAt(file, n, "empty selection")
		}
		if n.Content[0].Kind == yaml.MappingNode {
			var subs []*selection
			for _, c := range n.Content {
				if c.Kind != yaml.MappingNode {
					return nil, errAt(file, c, "a list of maps cannot mix in other values")
				}
				s, err := compileMap(file, c)
				if err != nil {
					return nil, err
				}
				subs = append(subs, s)
			}
			return orSelections(subs), nil
		}
		var ps []strPred
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(file, c, "keyword lists hold only strings")
			}
			p, err := stringMatcher(c.Value, modSet{contains: true})
			if err != nil {
				return nil, wrapAt(file, c, err)
			}
			ps = append(ps, p)
		}
		return &selection{p: keywordPred(ps)}, nil
	case yaml.ScalarNode:
		p, err := stringMatcher(n.Value, modSet{contains: true})
		if err != nil {
			return nil, wrapAt(file, n, err)
		}
		return &selection{p: keywordPred([]strPred{p})}, nil
	}
	return nil, errAt(file, n, "unsupported selection")
}

// keywordPred matches keywords anywhere in the event's JSON text.
func keywordPred(ps []strPred) pred {
	return func(ev *event.Event) bool {
		for _, p := range ps {
			if p(ev.Raw) {
				return true
			}
		}
		return false
	}
}

func orSelections(subs []*selection) *selection {
	ps := make([]pred, len(subs))
	for i, s := range subs {
		ps[i] = s.p
	}
	out := &selection{p: anyOf(ps), cons: map[string][]string{}}
	for _, f := range indexFields {
		var union []string
		ok := true
		for _, s := range subs {
			set, has := s.cons[f]
			if !has {
				ok = false
				break
			}
			union = append(union, set...)
		}
		if ok {
			out.cons[f] = dedupe(union)
		}
	}
	return out
}

func compileMap(file string, n *yaml.Node) (*selection, error) {
	s := &selection{cons: map[string][]string{}}
	var ps []pred
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		parts := strings.Split(k.Value, "|")
		field := parts[0]
		mods, err := parseMods(parts[1:])
		if err != nil {
			return nil, wrapAt(file, k, err)
		}
		p, err := compileField(file, field, mods, v)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
		if len(parts) == 1 {
			for _, f := range indexFields {
				if field == f {
					if set, ok := literalSet(v); ok {
						s.cons[f] = set
					}
				}
			}
		}
	}
	s.p = allOf(ps)
	return s, nil
}

// literalSet returns the lower-case values of a plain equality value node
// when none holds a wildcard or null.
func literalSet(v *yaml.Node) ([]string, bool) {
	var nodes []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{v}
	case yaml.SequenceNode:
		nodes = v.Content
	default:
		return nil, false
	}
	var out []string
	for _, n := range nodes {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.ContainsAny(n.Value, "*?\\") {
			return nil, false
		}
		out = append(out, strings.ToLower(n.Value))
	}
	return out, len(out) > 0
}

func compileField(file, field string, mods modSet, v *yaml.Node) (pred, error) {
	if field == "" {
		return nil, errAt(file, v, "keyword search with modifiers is not supported: %v", ErrUnsupported)
	}
	var vals []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		vals = []*yaml.Node{v}
	case yaml.SequenceNode:
		vals = v.Content
		if len(vals) == 0 {
			return nil, errAt(file, v, "field %s has an empty value list", field)
		}
	default:
		return nil, errAt(file, v, "field %s: value must be a scalar or a list", field)
	}
	for _, n := range vals {
		if n.Kind != yaml.ScalarNode {
			return nil, errAt(file, n, "field %s: nested values are not allowed", field)
		}
	}
	if mods.exists {
		want := vals[0].Value == "true"
		if len(vals) != 1 || (vals[0].Value != "true" && vals[0].Value != "false") {
			return nil, errAt(file, v, "field %s|exists needs true or false", field)
		}
		return func(ev *event.Event) bool {
			k := ev.Field(field).Kind
			return (k != event.Missing && k != event.Null) == want
		}, nil
	}
	if mods.fieldref {
		var ps []pred
		for _, n := range vals {
			other := n.Value
			sub := mods
			sub.fieldref = false
			ps = append(ps, func(ev *event.Event) bool {
				ref := ev.Field(other)
				if ref.Kind == event.Missing || ref.Kind == event.Null {
					return false
				}
				sp, err := stringMatcher(escapeWildcards(ref.Str()), sub)
				return err == nil && matchValue(ev.Field(field), sp, false)
			})
		}
		if mods.all {
			return allOf(ps), nil
		}
		return anyOf(ps), nil
	}
	var ps []pred
	for _, n := range vals {
		if n.Tag == "!!null" {
			ps = append(ps, func(ev *event.Event) bool {
				k := ev.Field(field).Kind
				return k == event.Missing || k == event.Null
			})
			continue
		}
		var sps []strPred
		for _, x := range expandValue(n.Value, mods) {
			sp, err := stringMatcher(x, mods)
			if err != nil {
				return nil, wrapAt(file, n, fmt.Errorf("field %s: %w", field, err))
			}
			sps = append(sps, sp)
		}
		one := sps[0]
		if len(sps) > 1 {
			one = func(s string) bool {
				for _, sp := range sps {
					if sp(s) {
						return true
					}
				}
				return false
			}
		}
		rawToo := mods.contains || strings.ContainsAny(n.Value, "*?")
		ps = append(ps, func(ev *event.Event) bool {
			return matchValue(ev.Field(field), one, rawToo)
		})
	}
	if mods.all {
		return allOf(ps), nil
	}
	return anyOf(ps), nil
}

func escapeWildcards(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)
	return r.Replace(s)
}

func allOf(ps []pred) pred {
	if len(ps) == 1 {
		return ps[0]
	}
	return func(ev *event.Event) bool {
		for _, p := range ps {
			if !p(ev) {
				return false
			}
		}
		return true
	}
}

func anyOf(ps []pred) pred {
	if len(ps) == 1 {
		return ps[0]
	}
	return func(ev *event.Event) bool {
		for _, p := range ps {
			if p(ev) {
				return true
			}
		}
		return false
	}
}

func dedupe(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// cnode is a node of a parsed condition.
type cnode struct {
	op   string // and, or, not, sel
	kids []*cnode
	sel  *selection
}

func (n *cnode) compile() pred {
	switch n.op {
	case "sel":
		return n.sel.p
	case "not":
		p := n.kids[0].compile()
		return func(ev *event.Event) bool { return !p(ev) }
	}
	ps := make([]pred, len(n.kids))
	for i, k := range n.kids {
		ps[i] = k.compile()
	}
	if n.op == "and" {
		return allOf(ps)
	}
	return anyOf(ps)
}

// constraint returns the values field must have for the condition to hold.
func (n *cnode) constraint(field string) ([]string, bool) {
	switch n.op {
	case "sel":
		set, ok := n.sel.cons[field]
		return set, ok
	case "and":
		var best []string
		found := false
		for _, k := range n.kids {
			if set, ok := k.constraint(field); ok && (!found || len(set) < len(best)) {
				best, found = set, true
			}
		}
		return best, found
	case "or":
		var union []string
		for _, k := range n.kids {
			set, ok := k.constraint(field)
			if !ok {
				return nil, false
			}
			union = append(union, set...)
		}
		return dedupe(union), true
	}
	return nil, false
}

// parseCondition parses a Sigma condition expression.
func parseCondition(s string, sels map[string]*selection) (*cnode, error) {
	if strings.Contains(s, "|") {
		return nil, fmt.Errorf("aggregation expressions (| count() ...) are replaced by Sigma correlation rules: %w", ErrUnsupported)
	}
	toks := tokenize(s)
	p := &condParser{toks: toks, sels: sels}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(toks) {
		return nil, fmt.Errorf("unexpected %q", toks[p.pos])
	}
	return n, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, c := range s {
		switch c {
		case '(', ')':
			flush()
			toks = append(toks, string(c))
		case ' ', '\t', '\n', '\r':
			flush()
		default:
			cur.WriteRune(c)
		}
	}
	flush()
	return toks
}

type condParser struct {
	toks []string
	pos  int
	sels map[string]*selection
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) or() (*cnode, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{left}
	for strings.EqualFold(p.peek(), "or") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, right)
	}
	if len(kids) == 1 {
		return left, nil
	}
	return &cnode{op: "or", kids: kids}, nil
}

func (p *condParser) and() (*cnode, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	kids := []*cnode{left}
	for strings.EqualFold(p.peek(), "and") {
		p.pos++
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		kids = append(kids, right)
	}
	if len(kids) == 1 {
		return left, nil
	}
	return &cnode{op: "and", kids: kids}, nil
}

func (p *condParser) not() (*cnode, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.pos++
		k, err := p.not()
		if err != nil {
			return nil, err
		}
		return &cnode{op: "not", kids: []*cnode{k}}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (*cnode, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("unexpected end of condition")
	case t == "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return n, nil
	case t == ")":
		return nil, fmt.Errorf("unexpected ')'")
	case (t == "1" || strings.EqualFold(t, "all") || strings.EqualFold(t, "any")) && p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of"):
		if p.pos+2 >= len(p.toks) {
			return nil, fmt.Errorf("%s of what?", t)
		}
		target := p.toks[p.pos+2]
		p.pos += 3
		var names []string
		for name := range p.sels {
			if strings.EqualFold(target, "them") {
				if !strings.HasPrefix(name, "_") {
					names = append(names, name)
				}
			} else if ok, _ := path.Match(target, name); ok {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%q matches no selection", target)
		}
		sort.Strings(names)
		var kids []*cnode
		for _, name := range names {
			kids = append(kids, &cnode{op: "sel", sel: p.sels[name]})
		}
		if len(kids) == 1 {
			return kids[0], nil
		}
		op := "or"
		if strings.EqualFold(t, "all") {
			op = "and"
		}
		return &cnode{op: op, kids: kids}, nil
	}
	switch strings.ToLower(t) {
	case "and", "or", "of":
		return nil, fmt.Errorf("unexpected %q", t)
	}
	s, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("unknown selection %q", t)
	}
	p.pos++
	return &cnode{op: "sel", sel: s}, nil
}
