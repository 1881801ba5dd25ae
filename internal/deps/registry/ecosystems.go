package registry

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// errNoLatest means an answer parsed but named no latest release.
var errNoLatest = errors.New("registry names no latest release")

// goModule asks the module proxy as the go command does: the latest
// release is the highest release in @v/list (the highest prerelease when
// there is no release), its time comes from @v/<version>.info; @latest, an
// endpoint proxies may leave out, is asked only when the list is empty (a
// module with no tags, whose latest is a pseudo-version).
func (c *Client) goModule(ctx context.Context, name string) (Info, error) {
	if c.Endpoints.GoProxy == "" {
		return Info{}, fmt.Errorf("%w Go: no module proxy (GOPROXY is off or direct)", ErrUnsupported)
	}
	esc, err := module.EscapePath(name)
	if err != nil {
		return Info{}, fmt.Errorf("module path: %w", err)
	}
	base := c.Endpoints.GoProxy + "/" + esc
	list, err := c.get(ctx, base+"/@v/list", "")
	if err != nil {
		return Info{}, err
	}
	releases := parseGoList(list)
	if len(releases) == 0 {
		body, err := c.get(ctx, base+"/@latest", "")
		if err != nil {
			return Info{}, err
		}
		info, err := parseGoLatest(body)
		if err != nil {
			return Info{}, fmt.Errorf("%s/@latest: %w", base, err)
		}
		return info, nil
	}
	info := Info{Latest: goLatest(releases), Releases: releases}
	escVersion, err := module.EscapeVersion("v" + info.Latest)
	if err != nil {
		return Info{}, fmt.Errorf("version %s: %w", info.Latest, err)
	}
	body, err := c.get(ctx, base+"/@v/"+escVersion+".info", "")
	if err != nil {
		return Info{}, err
	}
	at, err := parseGoLatest(body)
	if err != nil {
		return Info{}, fmt.Errorf("%s/@v/%s.info: %w", base, escVersion, err)
	}
	info.LatestPublished = at.LatestPublished
	for i := range info.Releases {
		if info.Releases[i].Version == info.Latest {
			info.Releases[i].Published = at.LatestPublished
		}
	}
	return info, nil
}

// goLatest picks the highest release, or the highest prerelease when the
// module has no release, as the go command's "latest" query does.
func goLatest(releases []Release) string {
	best, bestPre := "", ""
	for _, r := range releases {
		if Prerelease("Go", r.Version) {
			if bestPre == "" || Compare("Go", r.Version, bestPre) > 0 {
				bestPre = r.Version
			}
		} else if best == "" || Compare("Go", r.Version, best) > 0 {
			best = r.Version
		}
	}
	if best == "" {
		return bestPre
	}
	return best
}

// parseGoLatest reads the proxy's {"Version": ..., "Time": ...} answer to
// @latest or @v/<version>.info; the version is returned without its leading "v".
func parseGoLatest(body []byte) (Info, error) {
	var doc struct {
		Version string
		Time    time.Time
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	if doc.Version == "" {
		return Info{}, errNoLatest
	}
	return Info{Latest: strings.TrimPrefix(doc.Version, "v"), LatestPublished: doc.Time}, nil
}

// parseGoList reads the proxy's version list, one valid semantic version a
// line. Versions are returned without the leading "v", as OSV and
// palisade's extraction write them.
func parseGoList(body []byte) []Release {
	var out []Release
	seen := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		v := strings.TrimSpace(line)
		if !semver.IsValid(v) || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, Release{Version: strings.TrimPrefix(v, "v")})
	}
	return out
}

// npm asks for the package document; a scoped name keeps its "@" and has
// its "/" escaped, as the registry expects.
func (c *Client) npm(ctx context.Context, name string) (Info, error) {
	body, err := c.get(ctx, c.Endpoints.Npm+"/"+url.PathEscape(name), "application/json")
	if err != nil {
		return Info{}, err
	}
	return parseNpm(body)
}

// parseNpm reads dist-tags.latest, the versions and their times from an npm
// package document. Version objects are not decoded.
func parseNpm(body []byte) (Info, error) {
	var doc struct {
		DistTags map[string]string          `json:"dist-tags"`
		Versions map[string]json.RawMessage `json:"versions"`
		Time     map[string]json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	info := Info{Latest: doc.DistTags["latest"]}
	if info.Latest == "" {
		return Info{}, errNoLatest
	}
	for v := range doc.Versions {
		r := Release{Version: v}
		var s string
		if raw, ok := doc.Time[v]; ok && json.Unmarshal(raw, &s) == nil {
			r.Published, _ = time.Parse(time.RFC3339, s)
		}
		if v == info.Latest {
			info.LatestPublished = r.Published
		}
		info.Releases = append(info.Releases, r)
	}
	return info, nil
}

// pypi asks the JSON API for the project.
func (c *Client) pypi(ctx context.Context, name string) (Info, error) {
	body, err := c.get(ctx, c.Endpoints.PyPI+"/pypi/"+url.PathEscape(name)+"/json", "application/json")
	if err != nil {
		return Info{}, err
	}
	return parsePyPI(body)
}

// parsePyPI reads info.version and the releases with their files. A release
// is published when its first file was uploaded and yanked when every file
// is; a release without files is left out (nothing can install it).
func parsePyPI(body []byte) (Info, error) {
	type file struct {
		Uploaded time.Time `json:"upload_time_iso_8601"`
		Yanked   bool      `json:"yanked"`
	}
	var doc struct {
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
		Releases map[string][]file `json:"releases"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	info := Info{Latest: doc.Info.Version}
	if info.Latest == "" {
		return Info{}, errNoLatest
	}
	for v, files := range doc.Releases {
		if len(files) == 0 {
			continue
		}
		r := Release{Version: v, Yanked: true}
		for _, f := range files {
			if !f.Uploaded.IsZero() && (r.Published.IsZero() || f.Uploaded.Before(r.Published)) {
				r.Published = f.Uploaded
			}
			r.Yanked = r.Yanked && f.Yanked
		}
		if v == info.Latest {
			info.LatestPublished = r.Published
		}
		info.Releases = append(info.Releases, r)
	}
	return info, nil
}

// crate asks the crates.io API for the crate and its versions.
func (c *Client) crate(ctx context.Context, name string) (Info, error) {
	body, err := c.get(ctx, c.Endpoints.Crates+"/api/v1/crates/"+url.PathEscape(name), "application/json")
	if err != nil {
		return Info{}, err
	}
	return parseCrate(body)
}

// parseCrate reads crate.max_stable_version (max_version when the crate has
// no stable release) and the versions with their creation times.
func parseCrate(body []byte) (Info, error) {
	var doc struct {
		Crate struct {
			MaxStable string `json:"max_stable_version"`
			Max       string `json:"max_version"`
		} `json:"crate"`
		Versions []struct {
			Num     string    `json:"num"`
			Created time.Time `json:"created_at"`
			Yanked  bool      `json:"yanked"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	info := Info{Latest: doc.Crate.MaxStable}
	if info.Latest == "" {
		info.Latest = doc.Crate.Max
	}
	if info.Latest == "" {
		return Info{}, errNoLatest
	}
	for _, v := range doc.Versions {
		if v.Num == "" {
			continue
		}
		if v.Num == info.Latest {
			info.LatestPublished = v.Created
		}
		info.Releases = append(info.Releases, Release{Version: v.Num, Published: v.Created, Yanked: v.Yanked})
	}
	return info, nil
}

// gem asks RubyGems for the gem's version list.
func (c *Client) gem(ctx context.Context, name string) (Info, error) {
	body, err := c.get(ctx, c.Endpoints.RubyGems+"/api/v1/versions/"+url.PathEscape(name)+".json", "application/json")
	if err != nil {
		return Info{}, err
	}
	return parseGem(body)
}

// parseGem reads the RubyGems version list: one entry per version and
// platform. Latest is the highest release that is not a prerelease, in
// RubyGems' own version order.
func parseGem(body []byte) (Info, error) {
	var doc []struct {
		Number     string    `json:"number"`
		Created    time.Time `json:"created_at"`
		Prerelease bool      `json:"prerelease"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	var info Info
	at := map[string]int{}
	for _, v := range doc {
		if v.Number == "" {
			continue
		}
		if i, ok := at[v.Number]; ok {
			if !v.Created.IsZero() && v.Created.Before(info.Releases[i].Published) {
				info.Releases[i].Published = v.Created
			}
			continue
		}
		at[v.Number] = len(info.Releases)
		info.Releases = append(info.Releases, Release{Version: v.Number, Published: v.Created})
		if !v.Prerelease && (info.Latest == "" || Compare("RubyGems", v.Number, info.Latest) > 0) {
			info.Latest = v.Number
		}
	}
	if info.Latest == "" {
		return Info{}, errNoLatest
	}
	info.LatestPublished = info.Releases[at[info.Latest]].Published
	return info, nil
}

// maven asks Maven Central for the artifact's maven-metadata.xml; name is
// "group:artifact".
func (c *Client) maven(ctx context.Context, name string) (Info, error) {
	group, artifact, ok := strings.Cut(name, ":")
	if !ok || group == "" || artifact == "" || strings.Contains(artifact, ":") {
		return Info{}, fmt.Errorf("maven name %q is not group:artifact", name)
	}
	for _, part := range append(strings.Split(group, "."), artifact) {
		if part == "" || part == ".." || strings.ContainsAny(part, "/\\") {
			return Info{}, fmt.Errorf("maven name %q has an invalid part", name)
		}
	}
	u := c.Endpoints.Maven + "/" + strings.ReplaceAll(group, ".", "/") + "/" + url.PathEscape(artifact) + "/maven-metadata.xml"
	body, err := c.get(ctx, u, "")
	if err != nil {
		return Info{}, err
	}
	return parseMaven(body)
}

// parseMaven reads <release> (else <latest>), the version list and
// <lastUpdated> (yyyyMMddHHmmss, UTC), which stands for the latest release's
// time: Maven metadata has no per-version times.
func parseMaven(body []byte) (Info, error) {
	var doc struct {
		Versioning struct {
			Latest      string   `xml:"latest"`
			Release     string   `xml:"release"`
			Versions    []string `xml:"versions>version"`
			LastUpdated string   `xml:"lastUpdated"`
		} `xml:"versioning"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return Info{}, fmt.Errorf("parse: %w", err)
	}
	v := doc.Versioning
	info := Info{Latest: strings.TrimSpace(v.Release)}
	if info.Latest == "" {
		info.Latest = strings.TrimSpace(v.Latest)
	}
	if info.Latest == "" {
		return Info{}, errNoLatest
	}
	info.LatestPublished, _ = time.Parse("20060102150405", strings.TrimSpace(v.LastUpdated))
	for _, s := range v.Versions {
		if s = strings.TrimSpace(s); s != "" {
			info.Releases = append(info.Releases, Release{Version: s})
		}
	}
	return info, nil
}
