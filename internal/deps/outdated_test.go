package deps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/deps/registry"
	"github.com/palisade-sec/palisade/internal/finding"
)

// outdatedNow is the clock of the freshness tests.
var outdatedNow = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)

// outdatedRegistry answers as the Go proxy (/go), npm (/npm) and PyPI
// (/pypi) would for the packages of outdatedTree, and records every path asked.
func outdatedRegistry(t *testing.T) (*registry.Client, func() []string) {
	t.Helper()
	answers := map[string]string{
		"/go/golang.org/x/text/@v/v0.16.0.info":     `{"Version":"v0.16.0","Time":"2024-06-05T00:00:00Z"}`,
		"/go/golang.org/x/text/@v/list":             "v0.14.0\nv0.15.0\nv0.16.0\n",
		"/go/github.com/spf13/cobra/@v/v1.8.1.info": `{"Version":"v1.8.1","Time":"2024-06-01T00:00:00Z"}`,
		"/go/github.com/spf13/cobra/@v/list":        "v1.8.0\nv1.8.1\n",
		"/npm/express": `{"dist-tags":{"latest":"4.19.2"},"versions":{"4.18.2":{},"4.18.3":{},"4.19.0":{},"4.19.1":{},"4.19.2":{},"5.0.0-beta.3":{}},
			"time":{"4.19.2":"2024-03-25T00:00:00.000Z"}}`,
		"/npm/jest":          `{"dist-tags":{"latest":"29.7.0"},"versions":{"29.7.0":{}},"time":{"29.7.0":"2023-09-12T00:00:00.000Z"}}`,
		"/npm/@babel%2Fcore": `{"dist-tags":{"latest":"7.24.7"},"versions":{"7.0.0":{},"7.24.7":{}},"time":{"7.24.7":"2024-06-05T00:00:00.000Z"}}`,
		"/pypi/pypi/requests/json": `{"info":{"version":"2.32.3"},"releases":{"2.31.0":[{"upload_time_iso_8601":"2023-05-22T00:00:00Z"}],
			"2.32.0":[{"upload_time_iso_8601":"2024-05-20T00:00:00Z","yanked":true}],"2.32.3":[{"upload_time_iso_8601":"2024-05-29T00:00:00Z"}]}}`,
	}
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.EscapedPath())
		mu.Unlock()
		body, ok := answers[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	ep := registry.Endpoints{GoProxy: srv.URL + "/go", Npm: srv.URL + "/npm", PyPI: srv.URL + "/pypi", Crates: srv.URL + "/crates", RubyGems: srv.URL + "/gems", Maven: srv.URL + "/maven"}
	return registry.New(ep, srv.Client(), 4), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), asked...)
	}
}

// outdatedTree is a project with go.mod, a package-lock.json v3 and a
// poetry.lock, each with direct and transitive dependencies.
var outdatedTree = map[string]string{
	"go.mod": "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/spf13/cobra v1.8.1\n\tgolang.org/x/text v0.14.0\n\tgithub.com/inconshreveable/mousetrap v1.1.0 // indirect\n)\n",
	"web/package-lock.json": `{"name":"web","lockfileVersion":3,"packages":{
		"":{"name":"web","dependencies":{"express":"^4.18.0","@babel/core":"^7.0.0","left-pad":"^1.0.0"},"devDependencies":{"jest":"^29.0.0"}},
		"node_modules/express":{"version":"4.18.2"},"node_modules/@babel/core":{"version":"7.0.0"},
		"node_modules/left-pad":{"version":"1.3.0"},"node_modules/jest":{"version":"29.7.0"},"node_modules/accepts":{"version":"1.3.8"}}}`,
	"py/poetry.lock": "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.7\"\n\n" +
		"[[package]]\nname = \"urllib3\"\nversion = \"2.0.7\"\ndescription = \"\"\noptional = false\npython-versions = \">=3.7\"\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"0\"\n",
	"py/pyproject.toml": "[tool.poetry.dependencies]\npython = \"^3.9\"\nrequests = \"^2.31\"\n",
}

func TestScanOutdatedReportsDirectDependenciesBehind(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, outdatedTree)
	client, asked := outdatedRegistry(t)
	var got []finding.Finding
	res, err := ScanOutdated(context.Background(), dir, ExtractOptions{}, client, OutdatedOptions{}, outdatedNow, func(f finding.Finding) { got = append(got, f) })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range asked() {
		for _, indirect := range []string{"mousetrap", "accepts", "urllib3"} {
			if strings.Contains(p, indirect) {
				t.Errorf("indirect dependency looked up: %s", p)
			}
		}
	}
	want := OutdatedSummary{Checked: 7, Outdated: 4, Failed: 1, Skipped: 3}
	if res.Summary != want {
		t.Errorf("summary %+v, want %+v", res.Summary, want)
	}
	byName := map[string]Lag{}
	for _, l := range res.Lags {
		byName[l.Package.Name] = l
	}
	for _, tc := range []struct {
		name, latest string
		behind       int
		outdated     bool
	}{
		{"golang.org/x/text", "0.16.0", 2, true},
		{"github.com/spf13/cobra", "1.8.1", 0, false},
		{"express", "4.19.2", 4, true},
		{"@babel/core", "7.24.7", 1, true},
		{"jest", "29.7.0", 0, false},
		{"requests", "2.32.3", 1, true},
	} {
		l := byName[tc.name]
		if l.Latest != tc.latest || l.Behind != tc.behind || l.Outdated() != tc.outdated {
			t.Errorf("%s: latest %q behind %d outdated %v, want %q %d %v", tc.name, l.Latest, l.Behind, l.Outdated(), tc.latest, tc.behind, tc.outdated)
		}
	}
	if l := byName["left-pad"]; l.Error == "" || !strings.Contains(l.Error, "not found") || l.Behind != -1 {
		t.Errorf("left-pad unknown to the registry: error %q", l.Error)
	}
	for i := range got {
		// The test server's address changes every run.
		got[i].Message = strings.ReplaceAll(got[i].Message, strings.TrimSuffix(client.Endpoints.Npm, "/npm"), "http://registry.test")
	}
	compareGolden(t, "outdated-findings.json", got)
}

func TestOutdatedFindingKeepsItsFingerprintAcrossVersions(t *testing.T) {
	p := Package{Name: "express", Version: "4.18.2", Ecosystem: "npm", Path: "package-lock.json", PURL: "pkg:npm/express@4.18.2", Relation: RelationDirect}
	a, ok := Lag{Package: p, Latest: "4.19.2", Behind: 4}.Finding(outdatedNow)
	if !ok {
		t.Fatal("an outdated package gave no finding")
	}
	p.Version = "4.19.0"
	b, _ := Lag{Package: p, Latest: "4.19.3", Behind: 2}.Finding(outdatedNow)
	if a.Fingerprint != b.Fingerprint {
		t.Errorf("fingerprint changed with the versions: %s vs %s", a.Fingerprint, b.Fingerprint)
	}
	if a.Category != finding.Code || a.Severity != finding.Info || a.RuleID != RuleOutdated {
		t.Errorf("finding %s/%s/%s, want code/info/%s", a.Category, a.Severity, a.RuleID, RuleOutdated)
	}
	p.Version = "4.19.3"
	if _, ok := (Lag{Package: p, Latest: "4.19.3", Behind: 0}).Finding(outdatedNow); ok {
		t.Error("an up-to-date package gave a finding")
	}
	if f, ok := (Lag{Package: p, Error: "registry down"}).Finding(outdatedNow); !ok || f.Category != finding.ScanError || f.RuleID != RuleRegistryError {
		t.Errorf("failed lookup: %v %+v, want a scan-error finding", ok, f)
	}
}

func TestCheckOutdatedAllIncludesIndirect(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, outdatedTree)
	pkgs, _, err := Extract(context.Background(), dir, ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client, asked := outdatedRegistry(t)
	lags, err := CheckOutdated(context.Background(), pkgs, client, OutdatedOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(lags) != 10 {
		t.Errorf("%d lags with All, want every pinned package (10)", len(lags))
	}
	found := false
	for _, p := range asked() {
		found = found || strings.Contains(p, "urllib3")
	}
	if !found {
		t.Error("All did not look up the transitive urllib3")
	}
}

func TestCheckOutdatedStopsOnCancel(t *testing.T) {
	client, _ := outdatedRegistry(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pkgs := []Package{{Name: "express", Version: "4.18.2", Ecosystem: "npm", Relation: RelationDirect}}
	if _, err := CheckOutdated(ctx, pkgs, client, OutdatedOptions{}); err == nil {
		t.Error("cancelled check returned no error")
	}
}
