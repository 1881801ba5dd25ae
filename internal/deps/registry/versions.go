package registry

import (
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"
)

// Compare orders two versions of one ecosystem (-1, 0, +1) with the
// comparator osv-scanner uses; ok is false when either does not parse.
// Go versions may be written with or without the leading "v".
func Compare(ecosystem, a, b string) int {
	c, _ := compare(ecosystem, a, b)
	return c
}

func compare(ecosystem, a, b string) (int, bool) {
	if ecosystem == "Go" {
		va, vb := goVersion(a), goVersion(b)
		if !semver.IsValid(va) || !semver.IsValid(vb) {
			return strings.Compare(a, b), false
		}
		return semver.Compare(va, vb), true
	}
	pa, err := semantic.Parse(a, ecosystem)
	if err != nil {
		return strings.Compare(a, b), false
	}
	c, err := pa.CompareStr(b)
	if err != nil {
		return strings.Compare(a, b), false
	}
	return c, true
}

// goVersion adds the "v" the semver package wants; OSV and palisade's
// extraction write Go versions without it.
func goVersion(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// preTokens are the letter runs that mark a prerelease in PEP 440 and Maven
// versions (a, b, rc, dev, milestone, snapshot...); "release", "final",
// "jre", "android" and the like are stable qualifiers.
var preTokens = map[string]bool{
	"a": true, "alpha": true, "b": true, "beta": true, "c": true, "rc": true, "cr": true,
	"pre": true, "preview": true, "dev": true, "m": true, "milestone": true, "snapshot": true, "ea": true,
}

// Prerelease reports whether v is a prerelease in the ecosystem's own rules:
// a "-" suffix in semantic versioning (Go, npm, crates.io), any letter in
// RubyGems, an a/b/rc/dev segment in PEP 440, a milestone, candidate or
// snapshot qualifier in Maven.
func Prerelease(ecosystem, v string) bool {
	switch ecosystem {
	case "Go", "npm", "crates.io":
		v, _, _ = strings.Cut(v, "+")
		return strings.Contains(v, "-")
	case "RubyGems":
		return strings.IndexFunc(v, isLetter) >= 0
	case "PyPI", "Maven":
		if ecosystem == "PyPI" {
			v, _, _ = strings.Cut(v, "+") // local version label
		}
		for _, tok := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return !isLetter(r) }) {
			if preTokens[tok] {
				return true
			}
		}
	}
	return false
}

func isLetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

// Behind counts the stable, not yanked releases newer than current up to
// and including the latest one: how many releases the package lags. It is
// -1 when the registry lists no releases or a version does not parse, and 0
// when current is the latest or newer.
func (info Info) Behind(ecosystem, current string) int {
	if len(info.Releases) == 0 {
		return -1
	}
	c, ok := compare(ecosystem, current, info.Latest)
	if !ok {
		return -1
	}
	if c >= 0 {
		return 0
	}
	n := 0
	for _, r := range info.Releases {
		if r.Yanked || (Prerelease(ecosystem, r.Version) && r.Version != info.Latest) {
			continue
		}
		above, ok1 := compare(ecosystem, current, r.Version)
		upTo, ok2 := compare(ecosystem, r.Version, info.Latest)
		if ok1 && ok2 && above < 0 && upTo <= 0 {
			n++
		}
	}
	return n
}
