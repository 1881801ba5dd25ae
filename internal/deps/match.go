package deps

import (
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/palisade-sec/palisade/internal/deps/osvdb"
)

// versionOf parses a version in an ecosystem's own ordering (osv-scalibr's
// semantic package, the comparator osv-scanner uses); nil when it cannot.
func versionOf(ecosystem, v string) semantic.Version {
	parsed, err := semantic.Parse(v, ecosystem)
	if err != nil {
		return nil
	}
	return parsed
}

// cmp compares v with the version string s; ok is false when s cannot be
// parsed in v's ecosystem.
func cmp(v semantic.Version, s string) (int, bool) {
	c, err := v.CompareStr(s)
	if err != nil {
		return 0, false
	}
	return c, true
}

// entryAffects reports whether an affected entry covers the version raw
// (parsed as v): listed in its versions, or inside one of its ranges.
func entryAffects(ecosystem string, v semantic.Version, raw string, a osvdb.Affected) bool {
	for _, listed := range a.Versions {
		if listed == raw {
			return true
		}
	}
	for _, r := range a.Ranges {
		if rangeAffects(ecosystem, v, r) {
			return true
		}
	}
	return false
}

// rangeAffects evaluates one SEMVER or ECOSYSTEM range as the OSV schema
// specifies: walk the events in version order; an introduced at or below v
// makes v affected, a fixed at or below v or a last_affected below v makes it
// unaffected. Limit events bound the range from above: with any present, v
// must be below one of them. Events whose version does not parse are ignored.
func rangeAffects(ecosystem string, v semantic.Version, r osvdb.Range) bool {
	type ev struct {
		kind osvdb.EventKind
		ver  semantic.Version
		zero bool // introduced "0": before every version
		raw  string
	}
	events := make([]ev, 0, len(r.Events))
	var limits []string
	for _, e := range r.Events {
		if e.Kind == osvdb.Limit {
			limits = append(limits, e.Version)
			continue
		}
		if e.Kind == osvdb.Introduced && e.Version == "0" {
			events = append(events, ev{kind: e.Kind, zero: true, raw: e.Version})
			continue
		}
		parsed := versionOf(ecosystem, e.Version)
		if parsed == nil {
			continue
		}
		events = append(events, ev{kind: e.Kind, ver: parsed, raw: e.Version})
	}
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.zero || b.zero {
			return a.zero && !b.zero
		}
		c, err := a.ver.Compare(b.ver)
		return err == nil && c < 0
	})
	affected := false
	for _, e := range events {
		if e.zero {
			affected = true
			continue
		}
		c, err := v.Compare(e.ver)
		if err != nil {
			continue
		}
		switch e.kind {
		case osvdb.Introduced:
			if c >= 0 {
				affected = true
			}
		case osvdb.Fixed:
			if c >= 0 {
				affected = false
			}
		case osvdb.LastAffected:
			if c > 0 {
				affected = false
			}
		}
	}
	if affected && len(limits) > 0 {
		below := false
		for _, l := range limits {
			if l == "*" {
				below = true
				break
			}
			if c, ok := cmp(v, l); ok && c < 0 {
				below = true
				break
			}
		}
		affected = below
	}
	return affected
}

// fixedAbove returns the fixed versions of entries newer than v, sorted
// ascending and without duplicates.
func fixedAbove(ecosystem string, v semantic.Version, entries []osvdb.Affected) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range entries {
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				if e.Kind != osvdb.Fixed || seen[e.Version] {
					continue
				}
				if c, ok := cmp(v, e.Version); ok && c < 0 {
					seen[e.Version] = true
					out = append(out, e.Version)
				}
			}
		}
	}
	sortVersions(ecosystem, out)
	return out
}

// sortVersions sorts version strings in the ecosystem's order.
func sortVersions(ecosystem string, vs []string) {
	parsed := make(map[string]semantic.Version, len(vs))
	for _, s := range vs {
		parsed[s] = versionOf(ecosystem, s)
	}
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := parsed[vs[i]], parsed[vs[j]]
		if a == nil || b == nil {
			return vs[i] < vs[j]
		}
		c, err := a.Compare(b)
		if err != nil {
			return vs[i] < vs[j]
		}
		return c < 0
	})
}

// smallestFix returns the lowest version above the current one that none of
// the given entries affects, chosen among their fixed versions; "" when no
// fixed version clears them all (for example, one advisory has no fix).
func smallestFix(ecosystem string, v semantic.Version, entries []osvdb.Affected) string {
	for _, cand := range fixedAbove(ecosystem, v, entries) {
		cv := versionOf(ecosystem, cand)
		if cv == nil {
			continue
		}
		clear := true
		for _, a := range entries {
			if entryAffects(ecosystem, cv, cand, a) {
				clear = false
				break
			}
		}
		if clear {
			return cand
		}
	}
	return ""
}

// idRank orders candidate canonical ids of an alias group: a database's own
// ids (GO-, PYSEC-, RUSTSEC-, ...) before GHSA- before CVE-.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 2
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	}
	return 0
}

// groupAliases partitions advisories (numbered as in advs) into groups that
// share an id or alias, each sorted with its canonical record first.
func groupAliases(advs map[int]osvdb.Advisory, members []int) [][]int {
	parent := make(map[int]int, len(members))
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	owner := map[string]int{}
	for _, m := range members {
		parent[m] = m
	}
	for _, m := range members {
		names := append([]string{advs[m].ID}, advs[m].Aliases...)
		for _, n := range names {
			if o, ok := owner[n]; ok {
				parent[find(m)] = find(o)
			} else {
				owner[n] = m
			}
		}
	}
	groups := map[int][]int{}
	for _, m := range members {
		r := find(m)
		groups[r] = append(groups[r], m)
	}
	out := make([][]int, 0, len(groups))
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool {
			a, b := advs[g[i]].ID, advs[g[j]].ID
			if idRank(a) != idRank(b) {
				return idRank(a) < idRank(b)
			}
			return a < b
		})
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return advs[out[i][0]].ID < advs[out[j][0]].ID })
	return out
}
