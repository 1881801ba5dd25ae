package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// pred is a compiled test on one event.
type pred func(ev *event.Event) bool

// strPred is a compiled test on one string value.
type strPred func(s string) bool

// matchValue applies p to a JSON value the Sigma way: scalars by their text,
// arrays when any element matches, objects when any string leaf matches or
// (for substring tests) when their JSON text does.
func matchValue(v event.Value, p strPred, rawToo bool) bool {
	switch v.Kind {
	case event.String:
		return p(v.Str())
	case event.Number, event.Bool:
		return p(v.Raw)
	case event.Array:
		found := false
		v.Each(func(el event.Value) bool {
			found = matchValue(el, p, rawToo)
			return !found
		})
		return found
	case event.Object:
		if rawToo && p(v.Raw) {
			return true
		}
		found := false
		v.Members(func(_ string, el event.Value) bool {
			found = matchValue(el, p, false)
			return !found
		})
		return found
	}
	return false
}

// pattern is one Sigma string value split into literal text and wildcards.
type pattern struct {
	parts []string // literal runs; wildcard positions are in wild
	wild  []byte   // wild[i] is the wildcard ('*' or '?') after parts[i], 0 at the end
}

// parsePattern splits a Sigma value on unescaped * and ?. A backslash
// escapes *, ? and itself; before anything else it is a literal backslash.
func parsePattern(s string) pattern {
	var p pattern
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case c == '*' || c == '?':
			p.parts = append(p.parts, cur.String())
			p.wild = append(p.wild, c)
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	p.parts = append(p.parts, cur.String())
	p.wild = append(p.wild, 0)
	return p
}

// literal returns the text when the pattern has no wildcard.
func (p pattern) literal() (string, bool) {
	if len(p.parts) == 1 {
		return p.parts[0], true
	}
	return "", false
}

// regexp builds an anchored regular expression for the pattern.
func (p pattern) regexp(cased bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if !cased {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)^")
	for i, part := range p.parts {
		b.WriteString(regexp.QuoteMeta(part))
		switch p.wild[i] {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// stringMatcher compiles one value with the string modifiers applied.
func stringMatcher(val string, mods modSet) (strPred, error) {
	if mods.re {
		expr := val
		flags := ""
		if mods.reI {
			flags += "i"
		}
		if mods.reM {
			flags += "m"
		}
		if mods.reS {
			flags += "s"
		}
		if flags != "" {
			expr = "(?" + flags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("bad regular expression %q: %w", val, err)
		}
		return re.MatchString, nil
	}
	if mods.cidr {
		pfx, err := netip.ParsePrefix(val)
		if err != nil {
			return nil, fmt.Errorf("bad CIDR %q: %w", val, err)
		}
		return func(s string) bool {
			a, err := netip.ParseAddr(s)
			return err == nil && pfx.Contains(a.Unmap())
		}, nil
	}
	if mods.num != "" {
		limit, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("|%s needs a number, got %q", mods.num, val)
		}
		op := mods.num
		return func(s string) bool {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return false
			}
			switch op {
			case "gt":
				return f > limit
			case "gte":
				return f >= limit
			case "lt":
				return f < limit
			}
			return f <= limit
		}, nil
	}
	// Sigma wraps contains/startswith/endswith values in wildcards.
	p := parsePattern(val)
	if mods.contains || mods.endswith {
		p.parts = append([]string{""}, p.parts...)
		p.wild = append([]byte{'*'}, p.wild...)
	}
	if mods.contains || mods.startswith {
		p.parts = append(p.parts, "")
		p.wild[len(p.wild)-1] = '*'
		p.wild = append(p.wild, 0)
	}
	cased := mods.cased
	if lit, ok := p.literal(); ok {
		if cased {
			return func(s string) bool { return s == lit }, nil
		}
		return func(s string) bool { return strings.EqualFold(s, lit) }, nil
	}
	// *lit*, lit*, *lit with no other wildcard: fast paths.
	if len(p.parts) == 2 && p.wild[0] == '*' {
		pre, suf := p.parts[0], p.parts[1]
		switch {
		case pre == "":
			return func(s string) bool { return hasSuffixFold(s, suf, cased) }, nil
		case suf == "":
			return func(s string) bool { return hasPrefixFold(s, pre, cased) }, nil
		}
	}
	if len(p.parts) == 3 && p.wild[0] == '*' && p.wild[1] == '*' && p.parts[0] == "" && p.parts[2] == "" {
		mid := p.parts[1]
		if !cased {
			mid = strings.ToLower(mid)
		}
		return func(s string) bool { return containsFold(s, mid, cased) }, nil
	}
	re, err := p.regexp(cased)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", val, err)
	}
	return re.MatchString, nil
}

func hasPrefixFold(s, pre string, cased bool) bool {
	if len(s) < len(pre) {
		return false
	}
	if cased {
		return s[:len(pre)] == pre
	}
	return strings.EqualFold(s[:len(pre)], pre)
}

func hasSuffixFold(s, suf string, cased bool) bool {
	if len(s) < len(suf) {
		return false
	}
	if cased {
		return s[len(s)-len(suf):] == suf
	}
	return strings.EqualFold(s[len(s)-len(suf):], suf)
}

// containsFold reports whether s contains sub; when !cased sub must already
// be lower case. ASCII text is compared without allocating.
func containsFold(s, sub string, cased bool) bool {
	if cased {
		return strings.Contains(s, sub)
	}
	if sub == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), sub)
		}
	}
	n := len(sub)
	first := sub[0]
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// expandValue applies the value-transforming modifiers (base64,
// base64offset, windash) and returns the values to match instead.
func expandValue(val string, mods modSet) []string {
	vals := []string{val}
	if mods.windash {
		var out []string
		for _, v := range vals {
			out = append(out, v)
			if strings.Contains(v, "-") {
				for _, d := range []string{"/", "\u2013", "\u2014", "\u2015"} {
					out = append(out, strings.ReplaceAll(v, "-", d))
				}
			}
		}
		vals = out
	}
	if mods.base64 {
		for i, v := range vals {
			vals[i] = base64.StdEncoding.EncodeToString([]byte(v))
		}
	}
	if mods.base64offset {
		var out []string
		for _, v := range vals {
			for shift := 0; shift < 3; shift++ {
				enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), v...))
				start := []int{0, 2, 3}[shift]
				end := len(enc) - []int{0, 3, 2}[(len(v)+shift)%3]
				if start < end {
					out = append(out, enc[start:end])
				}
			}
		}
		vals = out
	}
	return vals
}
