// Package registry asks package registries (the Go module proxy, npm, PyPI,
// crates.io, RubyGems and Maven Central) which releases of a package exist,
// which one is the latest and when it was published. It is online and opt-in:
// nothing else in palisade needs the network. Every base URL is configurable,
// so tests point the client at an httptest server.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Release is one published version of a package.
type Release struct {
	Version string `json:"version"`
	// Published is when the release was published; zero when the registry
	// does not say (the Go proxy's version list, Maven metadata).
	Published time.Time `json:"published,omitzero"`
	// Yanked is true for a release the registry has withdrawn.
	Yanked bool `json:"yanked,omitempty"`
}

// Info is what a registry says about one package.
type Info struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	// Latest is the registry's latest stable release (npm's "latest" tag,
	// PyPI's current version, crates.io's max stable version, the highest
	// release in the Go proxy's list, the highest RubyGems release, Maven's
	// <release>).
	Latest string `json:"latest"`
	// LatestPublished is when Latest was published; zero when unknown. For
	// Maven it is the metadata's lastUpdated, the time of the newest deploy.
	LatestPublished time.Time `json:"latest_published,omitzero"`
	// Releases lists every version the registry lists, in no given order.
	Releases []Release `json:"releases,omitempty"`
}

// Endpoints are the base URLs of the registries, without a trailing slash.
type Endpoints struct {
	GoProxy  string // serves /<module>/@v/list, /<module>/@v/<version>.info and /<module>/@latest
	Npm      string // serves /<name>
	PyPI     string // serves /pypi/<name>/json
	Crates   string // serves /api/v1/crates/<name>
	RubyGems string // serves /api/v1/versions/<name>.json
	Maven    string // serves /<group path>/<artifact>/maven-metadata.xml
}

// DefaultEndpoints are the public registries.
func DefaultEndpoints() Endpoints {
	return Endpoints{
		GoProxy:  "https://proxy.golang.org",
		Npm:      "https://registry.npmjs.org",
		PyPI:     "https://pypi.org",
		Crates:   "https://crates.io",
		RubyGems: "https://rubygems.org",
		Maven:    "https://repo1.maven.org/maven2",
	}
}

// Ecosystems lists the OSV ecosystem names Lookup supports.
var Ecosystems = []string{"Go", "npm", "PyPI", "crates.io", "RubyGems", "Maven"}

// Sentinel errors a caller can branch on.
var (
	// ErrNotFound means the registry does not know the package (HTTP 404 or 410).
	ErrNotFound = errors.New("package not found in registry")
	// ErrUnsupported means palisade has no registry client for the ecosystem
	// or the registry is switched off (GOPROXY=off or direct).
	ErrUnsupported = errors.New("no registry client for ecosystem")
)

// Defaults for Client fields left zero.
const (
	DefaultTimeout = 20 * time.Second
	// DefaultMaxBody bounds one answer; npm documents of the largest packages
	// are tens of megabytes.
	DefaultMaxBody = 64 << 20
	// DefaultWorkers bounds the requests in flight at once.
	DefaultWorkers = 8
	userAgent      = "palisade-dependency-freshness (+https://github.com/palisade-sec/palisade)"
)

// Client looks packages up and remembers each answer (and each failure) for
// its lifetime, so one run asks about a package once however many lockfiles
// name it. It is safe for concurrent use; at most Workers requests are in
// flight at once.
type Client struct {
	HTTP      *http.Client
	Endpoints Endpoints
	// Timeout bounds one lookup (all of its requests); zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBody bounds one response body; zero means DefaultMaxBody.
	MaxBody int64

	slots chan struct{}
	mu    sync.Mutex
	cache map[string]*lookup
}

// lookup is one cached answer; done is closed when info and err are set.
type lookup struct {
	done chan struct{}
	info Info
	err  error
}

// New returns a client for the given endpoints; hc nil means a default
// http.Client; workers <= 0 means DefaultWorkers.
func New(ep Endpoints, hc *http.Client, workers int) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	if workers <= 0 {
		workers = DefaultWorkers
	}
	return &Client{HTTP: hc, Endpoints: ep, slots: make(chan struct{}, workers), cache: map[string]*lookup{}}
}

// Lookup returns what the ecosystem's registry says about the package. Names
// are as palisade extracts them: Go module paths, npm names with their
// scope, PEP 503 normalised PyPI names, Maven "group:artifact".
func (c *Client) Lookup(ctx context.Context, ecosystem, name string) (Info, error) {
	key := ecosystem + "\x00" + name
	c.mu.Lock()
	if l, ok := c.cache[key]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.info, l.err
		case <-ctx.Done():
			return Info{}, ctx.Err()
		}
	}
	l := &lookup{done: make(chan struct{})}
	c.cache[key] = l
	c.mu.Unlock()

	l.info, l.err = c.fetch(ctx, ecosystem, name)
	if l.err != nil && ctx.Err() != nil {
		// A cancelled caller must not poison the cache for others.
		c.mu.Lock()
		delete(c.cache, key)
		c.mu.Unlock()
	}
	close(l.done)
	return l.info, l.err
}

// fetch takes a worker slot and asks the registry.
func (c *Client) fetch(ctx context.Context, ecosystem, name string) (Info, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return Info{}, ctx.Err()
	}
	defer func() { <-c.slots }()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var info Info
	var err error
	switch ecosystem {
	case "Go":
		info, err = c.goModule(ctx, name)
	case "npm":
		info, err = c.npm(ctx, name)
	case "PyPI":
		info, err = c.pypi(ctx, name)
	case "crates.io":
		info, err = c.crate(ctx, name)
	case "RubyGems":
		info, err = c.gem(ctx, name)
	case "Maven":
		info, err = c.maven(ctx, name)
	default:
		return Info{}, fmt.Errorf("%w %s", ErrUnsupported, ecosystem)
	}
	if err != nil {
		return Info{}, fmt.Errorf("%s %s: %w", ecosystem, name, err)
	}
	info.Ecosystem, info.Name = ecosystem, name
	return info, nil
}

// get fetches url and returns its body, at most MaxBody bytes.
func (c *Client) get(ctx context.Context, url, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("GET %s: %w", url, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: answer over the %d byte limit", url, limit)
	}
	return body, nil
}
