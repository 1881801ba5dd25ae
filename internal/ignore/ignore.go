// Package ignore matches paths against gitignore-style patterns, as used by
// .palisadeignore files and the path allowlists in palisade.yaml.
package ignore

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Matcher decides whether a slash-separated path relative to the scan root is
// ignored. The last pattern that matches wins, so a later "!keep.txt"
// re-includes what an earlier "*.txt" excluded.
type Matcher struct {
	rules []rule
}

type rule struct {
	re     *regexp.Regexp
	negate bool
}

// New compiles patterns. Each pattern follows .gitignore syntax: "#" starts a
// comment, "!" negates, a trailing "/" matches directories only, a "/" at the
// start or middle anchors the pattern to the root, "*" and "?" match within a
// path segment, "**" across segments. source names the patterns' origin in
// errors.
func New(source string, patterns []string) (*Matcher, error) {
	m := &Matcher{}
	for i, p := range patterns {
		if err := m.add(p); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, i+1, err)
		}
	}
	return m, nil
}

// Parse reads patterns from a .palisadeignore file.
func Parse(r io.Reader, source string) (*Matcher, error) {
	m := &Matcher{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		if err := m.add(sc.Text()); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return m, nil
}

// Merge returns a matcher applying m's patterns, then other's.
func (m *Matcher) Merge(other *Matcher) *Matcher {
	if other == nil {
		return m
	}
	if m == nil {
		return other
	}
	return &Matcher{rules: append(append([]rule{}, m.rules...), other.rules...)}
}

func (m *Matcher) add(p string) error {
	p = strings.TrimRight(p, " \t\r")
	if p == "" || strings.HasPrefix(p, "#") {
		return nil
	}
	r := rule{}
	if strings.HasPrefix(p, "!") {
		r.negate = true
		p = p[1:]
	}
	dirOnly := strings.HasSuffix(p, "/")
	p = strings.TrimSuffix(p, "/")
	anchored := strings.Contains(p, "/")
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return fmt.Errorf("empty pattern")
	}
	var b strings.Builder
	b.WriteString("^")
	if !anchored {
		b.WriteString("(?:.*/)?")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' && strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case c == '*' && strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return fmt.Errorf("pattern %q: unclosed [", p)
			}
			class := p[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteString(regexp.QuoteMeta(string(p[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if dirOnly {
		b.WriteString("/.*$")
	} else {
		b.WriteString("(?:/.*)?$")
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return fmt.Errorf("pattern %q: %w", p, err)
	}
	r.re = re
	m.rules = append(m.rules, r)
	return nil
}

// Match reports whether rel (slash-separated, relative to the root) is
// ignored. For a directory, pass isDir so "dir/" patterns apply to it.
func (m *Matcher) Match(rel string, isDir bool) bool {
	if m == nil {
		return false
	}
	if isDir {
		rel += "/"
	}
	ignored := false
	for _, r := range m.rules {
		if r.re.MatchString(rel) {
			ignored = !r.negate
		}
	}
	return ignored
}
