package deps

import (
	"testing"

	"github.com/palisade-sec/palisade/internal/deps/osvdb"
)

func rng(events ...osvdb.Event) osvdb.Range {
	return osvdb.Range{Type: osvdb.RangeEcosystem, Events: events}
}
func intro(v string) osvdb.Event { return osvdb.Event{Kind: osvdb.Introduced, Version: v} }
func fixed(v string) osvdb.Event { return osvdb.Event{Kind: osvdb.Fixed, Version: v} }
func last(v string) osvdb.Event  { return osvdb.Event{Kind: osvdb.LastAffected, Version: v} }
func limit(v string) osvdb.Event { return osvdb.Event{Kind: osvdb.Limit, Version: v} }

func TestEntryAffects(t *testing.T) {
	tests := []struct {
		name      string
		ecosystem string
		version   string
		entry     osvdb.Affected
		want      bool
	}{
		{"version below fixed is affected", "PyPI", "1.1", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2"))}}, true},
		{"fixed version is not affected", "PyPI", "1.2", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2"))}}, false},
		{"PEP 440 ordering: 1.2rc1 is before 1.2", "PyPI", "1.2rc1", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2"))}}, true},
		{"version before introduced is not affected", "Go", "1.0.0", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("1.1.0"), fixed("1.2.0"))}}, false},
		{"last_affected is inclusive", "Go", "1.5.0", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("1.0.0"), last("1.5.0"))}}, true},
		{"after last_affected is not affected", "Go", "1.5.1", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("1.0.0"), last("1.5.0"))}}, false},
		{"second introduced reopens the range", "Go", "1.15.3", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.14.12"), intro("1.15.0-0"), fixed("1.15.5"))}}, true},
		{"between two ranges is not affected", "Go", "1.14.99", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.14.12"), intro("1.15.0-0"), fixed("1.15.5"))}}, false},
		{"events out of order are sorted", "Go", "1.3.0", osvdb.Affected{Ranges: []osvdb.Range{rng(fixed("2.0.0"), intro("1.0.0"))}}, true},
		{"explicit versions list matches exactly", "crates.io", "0.3.1", osvdb.Affected{Versions: []string{"0.3.0", "0.3.1"}}, true},
		{"explicit versions list is not a range", "crates.io", "0.3.2", osvdb.Affected{Versions: []string{"0.3.0", "0.3.1"}}, false},
		{"limit caps the range", "Go", "3.0.0", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), limit("2.0.0"))}}, false},
		{"below limit is affected", "Go", "1.0.0", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), limit("2.0.0"))}}, true},
		{"Go pseudo-version below fixed is affected", "Go", "0.0.0-20201016220609-9e8e0b390897", osvdb.Affected{Ranges: []osvdb.Range{rng(intro("0"), fixed("0.0.0-20201216223049-8b5274cf687f"))}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := versionOf(tc.ecosystem, tc.version)
			if v == nil {
				t.Fatalf("cannot parse %s", tc.version)
			}
			if got := entryAffects(tc.ecosystem, v, tc.version, tc.entry); got != tc.want {
				t.Errorf("entryAffects = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSmallestFix(t *testing.T) {
	tests := []struct {
		name    string
		version string
		entries []osvdb.Affected
		want    string
	}{
		{"one advisory: its fix", "1.0.0", []osvdb.Affected{{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2.0"))}}}, "1.2.0"},
		{"two advisories: the fix that clears both", "1.0.0", []osvdb.Affected{
			{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2.0"))}},
			{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.5.0"))}},
		}, "1.5.0"},
		{"a fix inside another advisory's range is skipped", "1.0.0", []osvdb.Affected{
			{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2.0"))}},
			{Ranges: []osvdb.Range{rng(intro("1.1.0"), fixed("1.3.0"))}},
		}, "1.3.0"},
		{"no fix when one advisory has none", "1.0.0", []osvdb.Affected{
			{Ranges: []osvdb.Range{rng(intro("0"), fixed("1.2.0"))}},
			{Ranges: []osvdb.Range{rng(intro("0"))}},
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := smallestFix("Go", versionOf("Go", tc.version), tc.entries); got != tc.want {
				t.Errorf("smallestFix = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGroupAliases(t *testing.T) {
	advs := map[int]osvdb.Advisory{
		0: {ID: "GHSA-aaaa", Aliases: []string{"CVE-1"}},
		1: {ID: "PYSEC-1", Aliases: []string{"CVE-1"}},
		2: {ID: "PYSEC-2", Aliases: []string{"CVE-2"}},
	}
	groups := groupAliases(advs, []int{0, 1, 2})
	if len(groups) != 2 {
		t.Fatalf("groups = %v, want 2", groups)
	}
	if advs[groups[0][0]].ID != "PYSEC-1" || len(groups[0]) != 2 {
		t.Errorf("first group = %v, want PYSEC-1 canonical with its GHSA alias", groups[0])
	}
}

func TestNormalizePyPIName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Django", "django"},
		{"django_celery_results", "django-celery-results"},
		{"Foo.._-Bar", "foo-bar"},
		{"zope.interface", "zope-interface"},
		{"trailing_", "trailing-"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := NormalizePyPIName(tc.in); got != tc.want {
				t.Errorf("NormalizePyPIName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
