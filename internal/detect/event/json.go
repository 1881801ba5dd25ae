package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a Value; Missing means the path was not there.
type Kind uint8

// JSON value kinds. Missing is the zero value so an absent field is never
// mistaken for a present one.
const (
	Missing Kind = iota
	Null
	Bool
	Number
	String
	Object
	Array
)

// Value is one JSON value inside an event, kept as its raw text so nested
// objects are only parsed when a rule asks for them.
type Value struct {
	Kind Kind
	// Raw is the exact JSON text of the value (with quotes for strings).
	Raw string
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// errSyntax is wrapped by every JSON syntax error the skimmer reports.
var errSyntax = errors.New("invalid JSON")

func syntaxErr(off int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, off, what)
}

// Str returns the value as a string: unescaped text for strings, the literal
// text for numbers and booleans, "" for null, missing, objects and arrays.
func (v Value) Str() string {
	switch v.Kind {
	case String:
		return unquote(v.Raw)
	case Number, Bool:
		return v.Raw
	default:
		return ""
	}
}

// Each calls fn for every element of an array value (stopping when fn
// returns false). It does nothing for other kinds.
func (v Value) Each(fn func(Value) bool) {
	if v.Kind != Array {
		return
	}
	s := v.Raw
	i := skipWS(s, 1)
	if i < len(s) && s[i] == ']' {
		return
	}
	for i < len(s) {
		end, k, err := skipValue(s, i, 0)
		if err != nil {
			return
		}
		if !fn(Value{Kind: k, Raw: s[i:end]}) {
			return
		}
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ',' {
			return
		}
		i = skipWS(s, i+1)
	}
}

// Members calls fn for every key and value of an object value (stopping when
// fn returns false). It does nothing for other kinds.
func (v Value) Members(fn func(key string, val Value) bool) {
	if v.Kind != Object {
		return
	}
	_, _ = eachMember(v.Raw, 0, fn)
}

// Get returns the member named key of an object value, or a Missing value.
func (v Value) Get(key string) Value {
	out := Value{}
	v.Members(func(k string, val Value) bool {
		if k == key {
			out = val
			return false
		}
		return true
	})
	return out
}

// Path follows a dotted path (a.b.c) through nested objects. A path step
// that meets an array looks into each element and returns the first match.
func (v Value) Path(path string) Value {
	cur := v
	for path != "" {
		step := path
		rest := ""
		if i := strings.IndexByte(path, '.'); i >= 0 {
			step, rest = path[:i], path[i+1:]
		}
		switch cur.Kind {
		case Object:
			cur = cur.Get(step)
		case Array:
			found := Value{}
			cur.Each(func(el Value) bool {
				if r := el.Path(path); r.Kind != Missing {
					found = r
					return false
				}
				return true
			})
			return found
		default:
			return Value{}
		}
		path = rest
	}
	return cur
}

// eachMember walks the members of the object starting at s[start] ('{')
// and returns the index just past it. When fn returns false the walk stops
// early and the returned index is 0.
func eachMember(s string, start int, fn func(key string, val Value) bool) (int, error) {
	i := skipWS(s, start+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return 0, syntaxErr(i, "expected object key")
		}
		kend, err := skipString(s, i)
		if err != nil {
			return 0, err
		}
		key := s[i+1 : kend-1]
		if strings.IndexByte(key, '\\') >= 0 {
			key = unquote(s[i:kend])
		}
		i = skipWS(s, kend)
		if i >= len(s) || s[i] != ':' {
			return 0, syntaxErr(i, "expected ':'")
		}
		i = skipWS(s, i+1)
		vend, k, err := skipValue(s, i, 1)
		if err != nil {
			return 0, err
		}
		if !fn(key, Value{Kind: k, Raw: s[i:vend]}) {
			return 0, nil
		}
		i = skipWS(s, vend)
		if i >= len(s) {
			return 0, syntaxErr(i, "unterminated object")
		}
		if s[i] == '}' {
			return i + 1, nil
		}
		if s[i] != ',' {
			return 0, syntaxErr(i, "expected ',' or '}'")
		}
		i = skipWS(s, i+1)
	}
}

func skipWS(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at s[i] ('"').
// It jumps between quotes with IndexByte; control characters inside
// strings are tolerated (CloudTrail never writes them).
func skipString(s string, i int) (int, error) {
	j := i + 1
	for {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return 0, syntaxErr(i, "unterminated string")
		}
		end := j + k
		n := 0
		for b := end - 1; b > i && s[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return end + 1, nil
		}
		j = end + 1
	}
}

// skipValue validates and skips one JSON value starting at s[i], returning
// the index just past it and its kind.
func skipValue(s string, i int, depth int) (int, Kind, error) {
	if depth > maxDepth {
		return 0, Missing, syntaxErr(i, "nesting too deep")
	}
	if i >= len(s) {
		return 0, Missing, syntaxErr(i, "unexpected end of input")
	}
	switch c := s[i]; {
	case c == '"':
		end, err := skipString(s, i)
		return end, String, err
	case c == '{':
		j := skipWS(s, i+1)
		if j < len(s) && s[j] == '}' {
			return j + 1, Object, nil
		}
		for {
			if j >= len(s) || s[j] != '"' {
				return 0, Missing, syntaxErr(j, "expected object key")
			}
			kend, err := skipString(s, j)
			if err != nil {
				return 0, Missing, err
			}
			j = skipWS(s, kend)
			if j >= len(s) || s[j] != ':' {
				return 0, Missing, syntaxErr(j, "expected ':'")
			}
			j = skipWS(s, j+1)
			vend, _, err := skipValue(s, j, depth+1)
			if err != nil {
				return 0, Missing, err
			}
			j = skipWS(s, vend)
			if j >= len(s) {
				return 0, Missing, syntaxErr(j, "unterminated object")
			}
			if s[j] == '}' {
				return j + 1, Object, nil
			}
			if s[j] != ',' {
				return 0, Missing, syntaxErr(j, "expected ',' or '}'")
			}
			j = skipWS(s, j+1)
		}
	case c == '[':
		j := skipWS(s, i+1)
		if j < len(s) && s[j] == ']' {
			return j + 1, Array, nil
		}
		for {
			vend, _, err := skipValue(s, j, depth+1)
			if err != nil {
				return 0, Missing, err
			}
			j = skipWS(s, vend)
			if j >= len(s) {
				return 0, Missing, syntaxErr(j, "unterminated array")
			}
			if s[j] == ']' {
				return j + 1, Array, nil
			}
			if s[j] != ',' {
				return 0, Missing, syntaxErr(j, "expected ',' or ']'")
			}
			j = skipWS(s, j+1)
		}
	case c == 't':
		return literal(s, i, "true", Bool)
	case c == 'f':
		return literal(s, i, "false", Bool)
	case c == 'n':
		return literal(s, i, "null", Null)
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(s) {
			d := s[j]
			if (d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-' {
				j++
				continue
			}
			break
		}
		if s[j-1] == '-' || s[j-1] == '.' || s[j-1] == 'e' || s[j-1] == 'E' || s[j-1] == '+' {
			return 0, Missing, syntaxErr(i, "malformed number")
		}
		return j, Number, nil
	default:
		return 0, Missing, syntaxErr(i, fmt.Sprintf("unexpected character %q", c))
	}
}

func literal(s string, i int, lit string, k Kind) (int, Kind, error) {
	if strings.HasPrefix(s[i:], lit) {
		return i + len(lit), k, nil
	}
	return 0, Missing, syntaxErr(i, "invalid literal")
}

// unquote decodes a JSON string literal (with its quotes). Invalid escapes
// are kept as written: the skimmer has already rejected malformed strings.
func unquote(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	s := raw[1 : len(raw)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n := decodeU(s[i+1:])
			if n == 0 {
				b.WriteString("\\u")
				continue
			}
			i += n
			if utf16.IsSurrogate(r) && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				r2, n2 := decodeU(s[i+3:])
				if n2 != 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 2 + n2
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func decodeU(s string) (rune, int) {
	if len(s) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}
