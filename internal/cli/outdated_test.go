package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRegistry serves npm and Go proxy answers for the outdated tests; no
// test of `deps outdated` reaches a real registry.
func fakeRegistry(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	answers := map[string]string{
		"/npm/express":                          `{"dist-tags":{"latest":"4.19.2"},"versions":{"4.18.2":{},"4.18.3":{},"4.19.2":{}},"time":{"4.19.2":"2024-03-25T00:00:00.000Z"}}`,
		"/npm/jest":                             `{"dist-tags":{"latest":"29.7.0"},"versions":{"29.7.0":{}},"time":{"29.7.0":"2023-09-12T00:00:00.000Z"}}`,
		"/npm/accepts":                          `{"dist-tags":{"latest":"1.3.8"},"versions":{"1.3.8":{}},"time":{"1.3.8":"2022-02-02T00:00:00.000Z"}}`,
		"/go/golang.org/x/text/@v/v0.16.0.info": `{"Version":"v0.16.0","Time":"2024-06-05T00:00:00Z"}`,
		"/go/golang.org/x/text/@v/list":         "v0.14.0\nv0.15.0\nv0.16.0\n",
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, ok := answers[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// registryArgs points every ecosystem at the fake registry.
func registryArgs(url string) []string {
	var args []string
	for _, e := range []string{"Go=/go", "npm=/npm", "PyPI=/pypi", "crates.io=/crates", "RubyGems=/gems", "Maven=/maven"} {
		eco, path, _ := strings.Cut(e, "=")
		args = append(args, "--registry", eco+"="+url+path)
	}
	return args
}

func outdatedProject(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.14.0\n")
	writeFile(t, filepath.Join(dir, "web", "package-lock.json"), `{"name":"web","lockfileVersion":3,"packages":{
		"":{"name":"web","dependencies":{"express":"^4.18.0"},"devDependencies":{"jest":"^29.0.0"}},
		"node_modules/express":{"version":"4.18.2"},"node_modules/jest":{"version":"29.7.0"},"node_modules/accepts":{"version":"1.3.7"}}}`)
	return dir
}

// runOutdatedApp runs palisade with an App the test prepared (clock set).
func runOutdatedApp(t *testing.T, a *App, args ...string) run {
	t.Helper()
	code := a.Run(context.Background(), args)
	return run{code, a.Stdout.(*bytes.Buffer).String(), a.Stderr.(*bytes.Buffer).String()}
}

func fixedNow() time.Time { return time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC) }

func TestDepsOutdatedTable(t *testing.T) {
	srv, _ := fakeRegistry(t)
	dir := outdatedProject(t)
	a := testApp(dir, nil)
	a.Now = fixedNow
	r := runOutdatedApp(t, a, append([]string{"deps", "outdated"}, registryArgs(srv.URL)...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "" +
		"PACKAGE            ECOSYSTEM  CURRENT  LATEST  BEHIND  LATEST AGE  FILE\n" +
		"golang.org/x/text  Go         0.14.0   0.16.0  2       26d         go.mod:5\n" +
		"express            npm        4.18.2   4.19.2  2       98d         web/package-lock.json:3\n"
	if r.stdout != want {
		t.Errorf("table:\n%s\nwant:\n%s", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "3 direct dependencies checked, 2 behind, 0 lookups failed, 1 transitive or unknown skipped") {
		t.Errorf("summary on stderr: %q", r.stderr)
	}
}

func TestDepsOutdatedJSONWithAll(t *testing.T) {
	srv, _ := fakeRegistry(t)
	dir := outdatedProject(t)
	a := testApp(dir, nil)
	a.Now = fixedNow
	r := runOutdatedApp(t, a, append([]string{"deps", "outdated", "--all", "--format", "json", "web"}, registryArgs(srv.URL)...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Summary struct{ Checked, Outdated int }
		Lags    []struct {
			Package struct{ Name, Relation string }
			Latest  string
			Behind  int
		} `json:"dependencies"`
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Category string
			Severity string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if doc.Summary.Checked != 3 || doc.Summary.Outdated != 2 || len(doc.Lags) != 3 {
		t.Errorf("summary %+v with %d dependencies, want 3 checked (accepts included), 2 behind", doc.Summary, len(doc.Lags))
	}
	if len(doc.Findings) != 2 || doc.Findings[0].RuleID != "deps/outdated" || doc.Findings[0].Category != "code" || doc.Findings[0].Severity != "info" {
		t.Errorf("findings %+v, want two info deps/outdated code findings", doc.Findings)
	}
}

func TestDepsOutdatedErrors(t *testing.T) {
	srv, hits := fakeRegistry(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package-lock.json"), `{"lockfileVersion":3,"packages":{"":{"dependencies":{"nope":"1"}},"node_modules/nope":{"version":"1.0.0"}}}`)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown ecosystem in --registry", []string{"--registry", "NuGet=http://127.0.0.1:1"}, 2, "unknown ecosystem"},
		{"registry URL without a host", []string{"--registry", "npm=http://"}, 2, "http or https"},
		{"registry URL that is not http", []string{"--registry", "npm=file:///etc"}, 2, "http or https"},
		{"bad format", []string{"--format", "sarif"}, 2, "want table or json"},
		{"too many workers", []string{"--workers", "1000"}, 2, "1 to 64"},
		{"every lookup failing is an error", registryArgs(srv.URL), 2, "no registry answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := palisade(t, dir, nil, append([]string{"deps", "outdated"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want %d with %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	if hits.Load() != 1 {
		t.Errorf("registry asked %d times, want once (only the last case reaches it)", hits.Load())
	}
}

func TestRegistryEndpointsFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name, goproxy, want string
	}{
		{"first entry of a list", "https://proxy.example/a,direct", "https://proxy.example/a"},
		{"pipe separator and trailing slash", "http://127.0.0.1:9/|https://proxy.golang.org", "http://127.0.0.1:9"},
		{"off disables Go lookups", "off", ""},
		{"direct disables Go lookups", "direct", ""},
		{"a file proxy disables Go lookups", "file:///srv/goproxy", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testApp(t.TempDir(), map[string]string{"GOPROXY": tc.goproxy, "npm_config_registry": "http://127.0.0.1:8/npm/"})
			ep, err := registryEndpoints(a, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ep.GoProxy != tc.want || ep.Npm != "http://127.0.0.1:8/npm" {
				t.Errorf("GoProxy %q npm %q, want %q and the npm_config_registry", ep.GoProxy, ep.Npm, tc.want)
			}
		})
	}
}

func TestCleanCellKeepsOneLine(t *testing.T) {
	if got := cleanCell("evil\x1b[31m\tname\n"); got != "evil?[31m?name?" {
		t.Errorf("cleanCell = %q", got)
	}
}
