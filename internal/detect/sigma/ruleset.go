package sigma

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/regular"
)

// RuleSet is a compiled, indexed set of Sigma rules.
type RuleSet struct {
	// Rules are the detection rules; Correlations the correlation rules.
	Rules        []*Rule
	Correlations []*Rule
	// Skipped lists folders Load did not read (names starting with "_",
	// such as SigmaHQ's _unsupported and _placeholder).
	Skipped []string

	byName   map[string][]*Rule
	bySource map[string][]*Rule
	always   []*Rule
	// feeds maps a detection rule to the correlations that reference it.
	feeds map[*Rule][]*Rule
}

// Load reads every .yml/.yaml file under dirs (files may be named directly)
// and builds a RuleSet. Folders whose name starts with "_" are skipped and
// listed in Skipped. A broken rule is reported with its file and line; the
// others load.
func Load(dirs []string) (*RuleSet, []error) {
	var rules []*Rule
	var errs []error
	var skipped []string
	for _, dir := range dirs {
		var files []string
		werr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("load rules: %w", err))
				return nil
			}
			if d.IsDir() {
				if p != dir && strings.HasPrefix(d.Name(), "_") {
					skipped = append(skipped, p)
					return filepath.SkipDir
				}
				return nil
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".yml" || ext == ".yaml" {
				files = append(files, p)
			}
			return nil
		})
		if werr != nil {
			errs = append(errs, werr)
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := regular.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("load rules: %w", err))
				continue
			}
			rs, perrs := Parse(f, data)
			rules = append(rules, rs...)
			errs = append(errs, perrs...)
		}
	}
	set, berrs := NewRuleSet(rules)
	set.Skipped = skipped
	return set, append(errs, berrs...)
}

// NewRuleSet indexes rules and resolves correlation references (by name,
// id or title). A correlation whose references do not resolve is dropped
// and reported.
func NewRuleSet(rules []*Rule) (*RuleSet, []error) {
	rs := &RuleSet{
		byName:   map[string][]*Rule{},
		bySource: map[string][]*Rule{},
		feeds:    map[*Rule][]*Rule{},
	}
	var errs []error
	ref := map[string]*Rule{}
	for _, r := range rules {
		if r.Correlation != nil {
			continue
		}
		for _, k := range []string{r.Title, r.ID, r.Name} {
			if k != "" {
				ref[k] = r
			}
		}
	}
	for _, r := range rules {
		if r.Correlation == nil {
			rs.Rules = append(rs.Rules, r)
			continue
		}
		c := r.Correlation
		c.Rules = nil
		ok := true
		for _, name := range c.RuleRefs {
			base, found := ref[name]
			if !found {
				errs = append(errs, fmt.Errorf("%s:%d: correlation %q references unknown rule %q", r.File, r.Line, r.Title, name))
				ok = false
				break
			}
			c.Rules = append(c.Rules, base)
		}
		if !ok {
			continue
		}
		rs.Correlations = append(rs.Correlations, r)
		for _, base := range c.Rules {
			rs.feeds[base] = append(rs.feeds[base], r)
			if !c.Generate {
				base.Silent = true
			}
		}
	}
	for _, r := range rs.Rules {
		switch {
		case len(r.names) > 0:
			for _, n := range r.names {
				rs.byName[n] = append(rs.byName[n], r)
			}
		case len(r.sources) > 0:
			for _, s := range r.sources {
				rs.bySource[s] = append(rs.bySource[s], r)
			}
		default:
			rs.always = append(rs.always, r)
		}
	}
	return rs, errs
}

// Unindexed returns the detection rules every event must run (no
// eventName or eventSource requirement could be derived).
func (rs *RuleSet) Unindexed() []*Rule { return rs.always }

// Feeds returns the correlation rules that reference the detection rule r.
func (rs *RuleSet) Feeds(r *Rule) []*Rule { return rs.feeds[r] }

// Match calls fn for each detection rule that matches ev, running only the
// rules the index says can match.
func (rs *RuleSet) Match(ev *event.Event, fn func(*Rule)) {
	name := lowerASCII(ev.Name)
	for _, r := range rs.byName[name] {
		if r.match(ev) {
			fn(r)
		}
	}
	if len(rs.bySource) > 0 {
		for _, r := range rs.bySource[lowerASCII(ev.Source)] {
			if r.match(ev) {
				fn(r)
			}
		}
	}
	for _, r := range rs.always {
		if r.match(ev) {
			fn(r)
		}
	}
}

// lowerASCII lower-cases s, allocating only when s has upper-case letters.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
