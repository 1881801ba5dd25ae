package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRegistries serves one small answer per registry, as the real ones
// shape them, under path prefixes /go, /npm, /pypi, /crates, /gems, /maven.
var fakeRegistries = map[string]string{
	"/go/github.com/!burnt!sushi/toml/@v/v1.4.0.info": `{"Version":"v1.4.0","Time":"2024-06-10T00:00:00Z"}`,
	"/go/github.com/!burnt!sushi/toml/@v/list":        "v1.2.0\nv1.3.0\nv1.3.1\nv1.4.0\nv1.5.0-rc.1\nnot-a-version\n",
	"/go/example.com/untagged/@v/list":                "",
	"/go/example.com/untagged/@latest":                `{"Version":"v0.0.0-20240101000000-abcdefabcdef","Time":"2024-01-01T00:00:00Z"}`,
	"/go/example.com/pre/@v/list":                     "v2.0.0-beta.1\nv2.0.0-alpha.1\n",
	"/go/example.com/pre/@v/v2.0.0-beta.1.info":       `{"Version":"v2.0.0-beta.1","Time":"2024-02-02T00:00:00Z"}`,
	"/npm/@babel%2Fcore": `{"name":"@babel/core","dist-tags":{"latest":"7.3.0","next":"8.0.0-beta.1"},
		"versions":{"7.0.0":{},"7.1.0":{},"7.2.0":{},"7.3.0":{},"8.0.0-beta.1":{}},
		"time":{"created":"2018-01-01T00:00:00Z","7.0.0":"2018-08-27T00:00:00.000Z","7.1.0":"2018-09-17T00:00:00.000Z",
		"7.2.0":"2018-12-03T00:00:00.000Z","7.3.0":"2019-02-13T10:00:00.000Z","8.0.0-beta.1":"2024-01-01T00:00:00.000Z"}}`,
	"/pypi/pypi/requests/json": `{"info":{"name":"requests","version":"2.32.0"},"releases":{
		"2.30.0":[{"upload_time_iso_8601":"2023-05-22T15:12:44.175Z","yanked":false}],
		"2.31.0":[{"upload_time_iso_8601":"2023-05-22T16:00:00.000Z","yanked":false}],
		"2.32.0rc1":[{"upload_time_iso_8601":"2024-05-01T00:00:00Z","yanked":false}],
		"2.32.0":[{"upload_time_iso_8601":"2024-05-20T17:00:00.000Z","yanked":false},{"upload_time_iso_8601":"2024-05-20T16:00:00.000Z","yanked":false}],
		"2.31.1":[{"upload_time_iso_8601":"2024-01-01T00:00:00Z","yanked":true}],
		"2.29.9":[]}}`,
	"/crates/api/v1/crates/serde": `{"crate":{"name":"serde","max_version":"2.0.0-alpha.1","max_stable_version":"1.0.200"},
		"versions":[{"num":"2.0.0-alpha.1","created_at":"2024-05-01T00:00:00+00:00","yanked":false},
		{"num":"1.0.200","created_at":"2024-04-30T12:00:00+00:00","yanked":false},
		{"num":"1.0.199","created_at":"2024-04-20T00:00:00+00:00","yanked":true},
		{"num":"1.0.198","created_at":"2024-04-10T00:00:00+00:00","yanked":false}]}`,
	"/gems/api/v1/versions/rails.json": `[{"number":"7.2.0.beta1","created_at":"2024-05-29T00:00:00Z","prerelease":true},
		{"number":"7.1.3","created_at":"2024-01-16T00:00:00Z","prerelease":false,"platform":"ruby"},
		{"number":"7.1.3","created_at":"2024-01-15T00:00:00Z","prerelease":false,"platform":"java"},
		{"number":"7.1.2","created_at":"2023-11-10T00:00:00Z","prerelease":false},
		{"number":"7.0.8","created_at":"2023-09-09T00:00:00Z","prerelease":false}]`,
	"/maven/com/google/guava/guava/maven-metadata.xml": `<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>com.google.guava</groupId><artifactId>guava</artifactId><versioning>
<latest>33.2.0-jre</latest><release>33.2.0-jre</release>
<versions><version>32.1.3-jre</version><version>33.0.0-jre</version><version>33.1.0-jre</version><version>33.2.0-rc1-jre</version><version>33.2.0-jre</version></versions>
<lastUpdated>20240501093000</lastUpdated></versioning></metadata>`,
}

// registryServer serves fakeRegistries and counts requests by path.
type registryServer struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int
}

func newRegistryServer(t *testing.T, handler http.HandlerFunc) *registryServer {
	t.Helper()
	s := &registryServer{count: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.count[r.URL.EscapedPath()]++
		s.mu.Unlock()
		if r.Header.Get("User-Agent") == "" {
			http.Error(w, "crates.io refuses requests without a User-Agent", http.StatusForbidden)
			return
		}
		if handler != nil {
			handler(w, r)
			return
		}
		body, ok := fakeRegistries[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *registryServer) endpoints() Endpoints {
	return Endpoints{GoProxy: s.URL + "/go", Npm: s.URL + "/npm", PyPI: s.URL + "/pypi", Crates: s.URL + "/crates", RubyGems: s.URL + "/gems", Maven: s.URL + "/maven"}
}

func (s *registryServer) requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[path]
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLookupReadsEachRegistry(t *testing.T) {
	srv := newRegistryServer(t, nil)
	c := New(srv.endpoints(), srv.Client(), 4)
	for _, tc := range []struct {
		name                 string
		ecosystem, pkg       string
		current              string
		wantLatest           string
		wantPublished        time.Time
		wantBehind, releases int
	}{
		{"go module path with capitals is escaped; v prefix dropped; newer prerelease not latest", "Go", "github.com/BurntSushi/toml", "1.2.0", "1.4.0", ts("2024-06-10T00:00:00Z"), 3, 5},
		{"go module without tags falls back to @latest", "Go", "example.com/untagged", "0.0.0-20230101000000-abcdefabcdef", "0.0.0-20240101000000-abcdefabcdef", ts("2024-01-01T00:00:00Z"), -1, 0},
		{"go module with only prereleases: highest prerelease", "Go", "example.com/pre", "2.0.0-alpha.1", "2.0.0-beta.1", ts("2024-02-02T00:00:00Z"), 1, 2},
		{"npm scoped name; next tag and betas ignored", "npm", "@babel/core", "7.0.0", "7.3.0", ts("2019-02-13T10:00:00Z"), 3, 5},
		{"pypi: yanked, prerelease and file-less releases do not count", "PyPI", "requests", "2.30.0", "2.32.0", ts("2024-05-20T16:00:00Z"), 2, 5},
		{"crates.io: max stable version, yanked skipped", "crates.io", "serde", "1.0.198", "1.0.200", ts("2024-04-30T12:00:00Z"), 1, 4},
		{"rubygems: platforms merged, earliest time kept", "RubyGems", "rails", "7.0.8", "7.1.3", ts("2024-01-15T00:00:00Z"), 2, 4},
		{"maven: release and lastUpdated", "Maven", "com.google.guava:guava", "32.1.3-jre", "33.2.0-jre", ts("2024-05-01T09:30:00Z"), 3, 5},
		{"up to date is zero behind", "npm", "@babel/core", "7.3.0", "7.3.0", ts("2019-02-13T10:00:00Z"), 0, 5},
		{"ahead of latest is zero behind", "crates.io", "serde", "2.0.0-alpha.1", "1.0.200", ts("2024-04-30T12:00:00Z"), 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := c.Lookup(context.Background(), tc.ecosystem, tc.pkg)
			if err != nil {
				t.Fatal(err)
			}
			if info.Latest != tc.wantLatest || !info.LatestPublished.Equal(tc.wantPublished) {
				t.Errorf("latest %s at %s, want %s at %s", info.Latest, info.LatestPublished, tc.wantLatest, tc.wantPublished)
			}
			if len(info.Releases) != tc.releases {
				t.Errorf("%d releases %+v, want %d", len(info.Releases), info.Releases, tc.releases)
			}
			if got := info.Behind(tc.ecosystem, tc.current); got != tc.wantBehind {
				t.Errorf("behind %d, want %d", got, tc.wantBehind)
			}
			if info.Ecosystem != tc.ecosystem || info.Name != tc.pkg {
				t.Errorf("info names %s/%s", info.Ecosystem, info.Name)
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	srv := newRegistryServer(t, nil)
	c := New(srv.endpoints(), srv.Client(), 2)
	ctx := context.Background()
	if _, err := c.Lookup(ctx, "npm", "no-such-package"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown npm package: %v, want ErrNotFound", err)
	}
	if _, err := c.Lookup(ctx, "NuGet", "Newtonsoft.Json"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NuGet: %v, want ErrUnsupported", err)
	}
	off := New(Endpoints{}, srv.Client(), 1)
	if _, err := off.Lookup(ctx, "Go", "golang.org/x/mod"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Go without a proxy: %v, want ErrUnsupported", err)
	}
	for _, name := range []string{"guava", "com.google:../../etc", "a:b:c", ":x"} {
		if _, err := c.Lookup(ctx, "Maven", name); err == nil {
			t.Errorf("Maven name %q accepted", name)
		}
	}
}

func TestLookupRejectsBadAnswers(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"not json", "<html>maintenance</html>"},
		{"no latest", `{"dist-tags":{},"versions":{"1.0.0":{}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRegistryServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tc.body)) })
			_, err := New(srv.endpoints(), srv.Client(), 1).Lookup(context.Background(), "npm", "left-pad")
			if err == nil || !strings.Contains(err.Error(), "left-pad") {
				t.Errorf("error %v, want one naming the package", err)
			}
		})
	}
	t.Run("server error", func(t *testing.T) {
		srv := newRegistryServer(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) })
		_, err := New(srv.endpoints(), srv.Client(), 1).Lookup(context.Background(), "PyPI", "requests")
		if err == nil || !strings.Contains(err.Error(), "HTTP 503") || errors.Is(err, ErrNotFound) {
			t.Errorf("error %v, want HTTP 503", err)
		}
	})
	t.Run("oversized answer", func(t *testing.T) {
		srv := newRegistryServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(strings.Repeat(" ", 2048) + "{}")) })
		c := New(srv.endpoints(), srv.Client(), 1)
		c.MaxBody = 1024
		if _, err := c.Lookup(context.Background(), "npm", "left-pad"); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Errorf("error %v, want the size limit", err)
		}
	})
}

func TestLookupCachesAnswersAndFailures(t *testing.T) {
	srv := newRegistryServer(t, nil)
	c := New(srv.endpoints(), srv.Client(), 4)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			c.Lookup(context.Background(), "PyPI", "requests")
			c.Lookup(context.Background(), "PyPI", "missing")
		})
	}
	wg.Wait()
	if n := srv.requests("/pypi/pypi/requests/json"); n != 1 {
		t.Errorf("requests asked %d times, want once", n)
	}
	if n := srv.requests("/pypi/pypi/missing/json"); n != 1 {
		t.Errorf("a missing package asked %d times, want once", n)
	}
}

func TestLookupBoundsConcurrencyAndTime(t *testing.T) {
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	srv := newRegistryServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write([]byte(`{"dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{}}}`))
	})
	c := New(srv.endpoints(), srv.Client(), 3)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() { c.Lookup(context.Background(), "npm", "pkg"+string(rune('a'+i))) })
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if m := most.Load(); m > 3 || m == 0 {
		t.Errorf("%d requests in flight at once, want at most 3", m)
	}

	stuck := newRegistryServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	slow := New(stuck.endpoints(), stuck.Client(), 1)
	slow.Timeout = 50 * time.Millisecond
	start := time.Now()
	if _, err := slow.Lookup(context.Background(), "crates.io", "serde"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stuck registry: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %s", d)
	}
}

func TestPrerelease(t *testing.T) {
	for _, tc := range []struct {
		ecosystem, version string
		want               bool
	}{
		{"npm", "1.0.0-beta.1", true},
		{"npm", "1.0.0+build.5", false},
		{"Go", "0.0.0-20240101000000-abcdefabcdef", true},
		{"crates.io", "1.0.0", false},
		{"PyPI", "2.0rc1", true},
		{"PyPI", "2.0.dev3", true},
		{"PyPI", "2.0.post1", false},
		{"PyPI", "2.0+ubuntu1", false},
		{"RubyGems", "7.2.0.beta1", true},
		{"RubyGems", "7.1.3", false},
		{"Maven", "33.2.0-jre", false},
		{"Maven", "2.0.0-M1", true},
		{"Maven", "5.3.0.RELEASE", false},
		{"Maven", "1.0-SNAPSHOT", true},
		{"Maven", "3.0.0-rc1-jre", true},
	} {
		if got := Prerelease(tc.ecosystem, tc.version); got != tc.want {
			t.Errorf("Prerelease(%s, %s) = %v, want %v", tc.ecosystem, tc.version, got, tc.want)
		}
	}
}

func TestBehindUnknownWithoutReleaseList(t *testing.T) {
	info := Info{Latest: "2.0.0"}
	if got := info.Behind("npm", "1.0.0"); got != -1 {
		t.Errorf("no release list: behind %d, want -1", got)
	}
	info.Releases = []Release{{Version: "2.0.0"}}
	if got := info.Behind("Go", "not-a-version"); got != -1 {
		t.Errorf("unparsable current version: behind %d, want -1", got)
	}
}
