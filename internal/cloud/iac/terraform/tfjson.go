package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// nativeFromJSON turns a Terraform JSON configuration (.tf.json) into native
// syntax, which the evaluator reads like any .tf file. The file is parsed
// with HCL's JSON parser (so syntax errors name the file and line); each
// block and attribute is written on the line its key has in the JSON file
// (or just below, when several share a line), so findings point into the
// JSON file. JSON strings are templates in both syntaxes and are copied as
// such; variable defaults and module sources are literals and are escaped.
//
// Supported: resource, data, variable, locals, output, module and provider
// blocks, dynamic blocks in resources, "//" comments (a "//" whose text
// starts with palisade:ignore suppresses rules like a comment above the
// block). Other top-level keys (terraform, moved, import, check) are
// skipped. Nested blocks of resources are written as object attributes,
// which the adapters read the same way.
func nativeFromJSON(path string, src []byte) ([]byte, error) {
	root, diags := hcljson.ParseExpression(src, path)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	w := &nativeWriter{src: src, line: 1, start: true}
	pairs, ok := objectPairs(root)
	if !ok {
		return nil, fmt.Errorf("%s:%d: a Terraform JSON file is an object", path, root.Range().Start.Line)
	}
	for _, p := range pairs {
		key := w.key(p.Key)
		switch key {
		case "resource", "data":
			eachObject(p.Value, func(types []hcl.KeyValuePair) {
				for _, t := range types {
					typ := w.key(t.Key)
					eachObject(t.Value, func(names []hcl.KeyValuePair) {
						for _, n := range names {
							eachObject(n.Value, func(body []hcl.KeyValuePair) {
								w.block(n.Key, body, key, typ, w.key(n.Key))
								w.body(body, resourceBody)
								w.close()
							})
						}
					})
				}
			})
		case "variable", "output", "module", "provider":
			kind := map[string]bodyKind{"variable": variableBody, "output": outputBody, "module": moduleBody, "provider": providerBody}[key]
			eachObject(p.Value, func(names []hcl.KeyValuePair) {
				for _, n := range names {
					eachObject(n.Value, func(body []hcl.KeyValuePair) {
						w.block(n.Key, body, key, w.key(n.Key))
						w.body(body, kind)
						w.close()
					})
				}
			})
		case "locals":
			eachObject(p.Value, func(body []hcl.KeyValuePair) {
				w.block(p.Key, body, "locals")
				w.body(body, resourceBody)
				w.close()
			})
		}
	}
	w.newline()
	return w.out.Bytes(), nil
}

// bodyKind says how a block's attributes are read.
type bodyKind int

const (
	resourceBody bodyKind = iota
	variableBody
	outputBody
	moduleBody
	providerBody
)

type nativeWriter struct {
	src   []byte
	out   bytes.Buffer
	line  int  // current output line, 1-based
	start bool // nothing written on the current line yet
}

func (w *nativeWriter) raw(e hcl.Expression) []byte {
	r := e.Range()
	if r.Start.Byte < 0 || r.End.Byte > len(w.src) || r.Start.Byte > r.End.Byte {
		return nil
	}
	return w.src[r.Start.Byte:r.End.Byte]
}

// key returns an object key's text.
func (w *nativeWriter) key(e hcl.Expression) string {
	var s string
	if json.Unmarshal(w.raw(e), &s) != nil {
		return ""
	}
	return s
}

func (w *nativeWriter) write(s string) {
	w.out.WriteString(s)
	w.start = false
}

func (w *nativeWriter) newline() {
	w.out.WriteByte('\n')
	w.line++
	w.start = true
}

// statement starts a new line at (or after) the line of e.
func (w *nativeWriter) statement(e hcl.Expression) {
	if !w.start {
		w.newline()
	}
	for w.line < e.Range().Start.Line {
		w.newline()
	}
}

// block opens `typ "label" ... {` at the line of at; a palisade:ignore
// "//" comment of the body goes on the line above.
func (w *nativeWriter) block(at hcl.Expression, body []hcl.KeyValuePair, typ string, labels ...string) {
	var ignores []string
	for _, p := range body {
		if w.key(p.Key) != "//" {
			continue
		}
		var c string
		if json.Unmarshal(w.raw(p.Value), &c) == nil && strings.HasPrefix(strings.TrimSpace(c), "palisade:ignore") {
			ignores = append(ignores, strings.Join(strings.Fields(c), " "))
		}
	}
	if !w.start {
		w.newline()
	}
	target := at.Range().Start.Line
	for _, ig := range ignores {
		for w.line < target-len(ignores) {
			w.newline()
		}
		w.write("# " + ig)
		w.newline()
	}
	for w.line < target {
		w.newline()
	}
	w.write(typ)
	for _, l := range labels {
		w.write(" " + quote(l, true))
	}
	w.write(" {")
	w.newline()
}

func (w *nativeWriter) close() {
	if !w.start {
		w.newline()
	}
	w.write("}")
	w.newline()
}

func (w *nativeWriter) body(pairs []hcl.KeyValuePair, kind bodyKind) {
	for _, p := range pairs {
		name := w.key(p.Key)
		if name == "" || name == "//" || !validIdent(name) {
			continue
		}
		switch {
		case name == "depends_on" || name == "lifecycle" || name == "provisioner" || name == "connection" || name == "validation":
			continue
		case kind == resourceBody && name == "dynamic":
			w.dynamic(p.Value)
			continue
		case kind == providerBody && name == "default_tags":
			eachObject(p.Value, func(body []hcl.KeyValuePair) {
				w.block(p.Key, nil, "default_tags")
				w.body(body, resourceBody)
				w.close()
			})
			continue
		}
		w.statement(p.Key)
		w.write(name + " = ")
		switch {
		case name == "provider" || name == "iterator" || kind == variableBody && name == "type":
			w.bare(p.Value)
		case kind == moduleBody && name == "providers":
			w.providers(p.Value)
		case kind == variableBody || kind == moduleBody && (name == "source" || name == "version"):
			w.value(p.Value, true)
		default:
			w.value(p.Value, false)
		}
	}
}

// dynamic writes {"dynamic": {"ingress": {"for_each": ..., "content": {...}}}}.
func (w *nativeWriter) dynamic(e hcl.Expression) {
	eachObject(e, func(labels []hcl.KeyValuePair) {
		for _, l := range labels {
			eachObject(l.Value, func(body []hcl.KeyValuePair) {
				w.block(l.Key, nil, "dynamic", w.key(l.Key))
				var content []hcl.KeyValuePair
				var contentAt hcl.Expression
				var rest []hcl.KeyValuePair
				for _, p := range body {
					if w.key(p.Key) == "content" {
						contentAt = p.Key
						content, _ = objectPairs(p.Value)
						continue
					}
					rest = append(rest, p)
				}
				w.body(rest, resourceBody)
				if contentAt != nil {
					w.block(contentAt, nil, "content")
					w.body(content, resourceBody)
					w.close()
				}
				w.close()
			})
		}
	})
}

// bare writes a string that holds a reference or type ("aws.west",
// "list(string)") without quotes; anything else is written as a value.
func (w *nativeWriter) bare(e hcl.Expression) {
	var s string
	if json.Unmarshal(w.raw(e), &s) == nil {
		s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "${"), "}")
		if isBareExpr(s) {
			w.write(s)
			return
		}
	}
	w.value(e, false)
}

// providers writes a module's providers map, {"aws": "aws.west"}.
func (w *nativeWriter) providers(e hcl.Expression) {
	pairs, ok := objectPairs(e)
	if !ok {
		w.write("{}")
		return
	}
	w.write("{")
	for _, p := range pairs {
		k := w.key(p.Key)
		if !isBareExpr(k) {
			continue
		}
		w.statement(p.Key)
		w.write(k + " = ")
		w.bare(p.Value)
	}
	w.newlineIfNeeded()
	w.write("}")
}

func (w *nativeWriter) newlineIfNeeded() {
	if !w.start {
		w.newline()
	}
}

// value writes a JSON value as a native expression; literal escapes
// template sequences so strings stay plain text.
func (w *nativeWriter) value(e hcl.Expression, literal bool) {
	raw := bytes.TrimSpace(w.raw(e))
	if len(raw) == 0 {
		w.write("null")
		return
	}
	switch raw[0] {
	case '{':
		pairs, _ := objectPairs(e)
		w.write("{")
		for _, p := range pairs {
			k := w.key(p.Key)
			if k == "//" {
				continue
			}
			w.statement(p.Key)
			w.write(quote(k, true) + " = ")
			w.value(p.Value, literal)
		}
		w.newlineIfNeeded()
		w.write("}")
	case '[':
		items, _ := hcl.ExprList(e)
		w.write("[")
		for i, it := range items {
			if i > 0 {
				w.write(",")
			}
			for w.line < it.Range().Start.Line {
				w.newline()
			}
			w.value(it, literal)
		}
		w.write("]")
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			w.write("null")
			return
		}
		w.write(quote(s, literal))
	default:
		w.write(string(raw)) // number, true, false, null
	}
}

// quote writes s as a native quoted template; literal also escapes ${ and %{.
func quote(s string, literal bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		case literal && (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// objectPairs returns a JSON object's members in order.
func objectPairs(e hcl.Expression) ([]hcl.KeyValuePair, bool) {
	pairs, diags := hcl.ExprMap(e)
	return pairs, !diags.HasErrors()
}

// eachObject calls fn with the members of e, or of each object of an array
// e (Terraform JSON allows both wherever blocks repeat).
func eachObject(e hcl.Expression, fn func([]hcl.KeyValuePair)) {
	if pairs, ok := objectPairs(e); ok {
		fn(pairs)
		return
	}
	items, diags := hcl.ExprList(e)
	if diags.HasErrors() {
		return
	}
	for _, it := range items {
		if pairs, ok := objectPairs(it); ok {
			fn(pairs)
		}
	}
}

func validIdent(s string) bool {
	for i, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// isBareExpr accepts references and type expressions: identifiers, dots
// and parentheses, such as aws.west or map(list(string)).
func isBareExpr(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c == '(' || c == ')' || c == ',' || c == ' ' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
