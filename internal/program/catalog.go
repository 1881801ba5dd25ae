package program

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/finding"
)

// CatalogFile is the service catalog palisade reads by default.
const CatalogFile = "services.yaml"

// Data classifications, least to most sensitive.
const (
	DataPublic       = "public"
	DataInternal     = "internal"
	DataConfidential = "confidential"
	DataRestricted   = "restricted"
)

// Catalog is the company's list of services: who owns each, what data it
// touches, and which scan targets and cloud resources make it up.
type Catalog struct {
	Version  int       `yaml:"version"`
	Services []Service `yaml:"services"`
}

// Service is one entry of the catalog.
type Service struct {
	Name        string `yaml:"name"`
	Owner       string `yaml:"owner"`
	Description string `yaml:"description"`
	// Data is the most sensitive class of data the service stores or
	// handles: public, internal, confidential or restricted.
	Data string `yaml:"data"`
	// InternetFacing declares exposure; findings can also prove it.
	InternetFacing *bool `yaml:"internet_facing"`
	// Targets are scan targets (a repository path or URL) that belong to
	// the service; a trailing "*" matches a prefix.
	Targets []string `yaml:"targets"`
	// Resources are patterns over a finding's resource (an ARN or a
	// Terraform address) in path.Match syntax, where "*" also crosses ":"
	// ("arn:aws:rds:*:*:db:orders-*", "module.orders.*").
	Resources []string `yaml:"resources"`
	// Line is where the service starts in the file.
	Line int `yaml:"-"`
}

// serviceName is what a service may be called: it appears in reports and
// commands, so plain words only.
var serviceName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

var catalogLineErr = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Limits on the catalog and its fields: it is typed by people, and its text
// reaches terminals and reports.
const (
	maxCatalog     = 16 << 20
	maxOwner       = 200
	maxDescription = 2000
	maxPattern     = 500
)

// matchesEverything is a pattern of wildcards and separators only ("*",
// "**", "*:*", "*/*"), which would claim every finding.
var matchesEverything = regexp.MustCompile(`^[*?:/]*$`)

// ParseCatalog reads a catalog; name prefixes error messages
// ("services.yaml:7: ..."). Unknown keys, a service without a name or an
// owner, a duplicate name, an unknown data class and an empty or malformed
// pattern are errors.
func ParseCatalog(r io.Reader, name string) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCatalog+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxCatalog {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxCatalog>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty catalog (list the services under \"services\")", name)
		}
		msg := err.Error()
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		if m := catalogLineErr.FindStringSubmatch(msg); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", name, m[1], Clean(strings.Replace(m[2], "not found in type program.", "unknown in ", 1)))
		}
		return nil, fmt.Errorf("%s: %s", name, Clean(msg))
	}
	// A second pass over the node tree finds where each service starts, so
	// validation errors name a line too.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "services" && root.Content[i+1].Kind == yaml.SequenceNode {
				for j, item := range root.Content[i+1].Content {
					if j < len(c.Services) {
						c.Services[j].Line = item.Line
					}
				}
			}
		}
	}
	if c.Version != 0 && c.Version != 1 {
		return nil, fmt.Errorf("%s: version %d: this palisade reads version 1", name, c.Version)
	}
	if len(c.Services) == 0 {
		return nil, fmt.Errorf("%s: no services listed", name)
	}
	seen := map[string]int{}
	for i := range c.Services {
		s := &c.Services[i]
		at := fmt.Sprintf("%s:%d", name, s.Line)
		s.Name, s.Owner, s.Data = strings.TrimSpace(s.Name), strings.TrimSpace(s.Owner), strings.TrimSpace(s.Data)
		switch {
		case !serviceName.MatchString(s.Name):
			return nil, fmt.Errorf("%s: service name %q: use lower-case letters, digits, '.', '_' and '-'", at, s.Name)
		case seen[s.Name] != 0:
			return nil, fmt.Errorf("%s: service %q is already listed at line %d", at, s.Name, seen[s.Name])
		case s.Owner == "":
			return nil, fmt.Errorf("%s: service %q has no owner: every service needs one", at, s.Name)
		}
		seen[s.Name] = max(s.Line, 1)
		if err := validText(s.Owner, maxOwner); err != nil {
			return nil, fmt.Errorf("%s: service %q: owner %w", at, s.Name, err)
		}
		if err := validText(s.Description, maxDescription); err != nil {
			return nil, fmt.Errorf("%s: service %q: description %w", at, s.Name, err)
		}
		switch s.Data {
		case "", DataPublic, DataInternal, DataConfidential, DataRestricted:
		default:
			return nil, fmt.Errorf("%s: service %q: data %q: want public, internal, confidential or restricted", at, s.Name, s.Data)
		}
		for _, p := range append(append([]string(nil), s.Targets...), s.Resources...) {
			if matchesEverything.MatchString(strings.TrimSpace(p)) {
				return nil, fmt.Errorf("%s: service %q: pattern %q would match everything", at, s.Name, p)
			}
			if err := validText(p, maxPattern); err != nil {
				return nil, fmt.Errorf("%s: service %q: pattern %w", at, s.Name, err)
			}
		}
		for _, p := range s.Resources {
			if _, err := path.Match(resourcePattern(p), ""); err != nil {
				return nil, fmt.Errorf("%s: service %q: resource pattern %q: %v", at, s.Name, p, err)
			}
		}
	}
	return &c, nil
}

// alertID is the form of a detection alert's id (detect.Alert.StableID).
var alertID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// resourcePattern makes "/" ordinary for path.Match, so that "*" matches
// across the slashes of ARNs ("arn:aws:s3:::logs/*").
func resourcePattern(p string) string { return strings.ReplaceAll(p, "/", "\x00") }

// ownsTarget reports whether the service lists the scan target.
func (s *Service) ownsTarget(target string) bool {
	for _, t := range s.Targets {
		if prefix, ok := strings.CutSuffix(t, "*"); ok {
			if strings.HasPrefix(target, prefix) {
				return true
			}
		} else if target == t {
			return true
		}
	}
	return false
}

// ownsResource reports whether a resource matches one of the service's
// patterns. A detection alert's resource is its principal with the alert's
// id (32 hex digits) after "#": the id is left out, so the principal's
// pattern claims the alert.
func (s *Service) ownsResource(resource string) bool {
	name, ok := resourceName(resource)
	return ok && matchesAny(compilePatterns(s.Resources), name)
}

// resourceName is what resource patterns are matched against: the resource
// without an alert id, with "/" made ordinary (resourcePattern); false for
// no resource.
func resourceName(resource string) (string, bool) {
	if i := strings.LastIndexByte(resource, '#'); i >= 0 && alertID.MatchString(resource[i+1:]) {
		resource = resource[:i]
	}
	if resource == "" {
		return "", false
	}
	return resourcePattern(resource), true
}

// pattern is a resource pattern ready to match many names.
type pattern struct {
	glob string
	// literal is the glob up to its first special character: every name
	// the glob matches starts with it, so most names are refused without
	// running path.Match.
	literal string
}

func compilePatterns(ps []string) []pattern {
	out := make([]pattern, 0, len(ps))
	for _, p := range ps {
		g := resourcePattern(p)
		lit := g
		if i := strings.IndexAny(g, `*?[\`); i >= 0 {
			lit = g[:i]
		}
		out = append(out, pattern{glob: g, literal: lit})
	}
	return out
}

// matchesAny reports whether name (from resourceName) matches a pattern.
func matchesAny(ps []pattern, name string) bool {
	for _, p := range ps {
		if !strings.HasPrefix(name, p.literal) {
			continue
		}
		if ok, _ := path.Match(p.glob, name); ok {
			return true
		}
	}
	return false
}

// validText accepts printable text of at most max bytes.
func validText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("is longer than %d bytes", max)
	}
	for _, r := range s {
		if finding.UnsafeRune(r) {
			return fmt.Errorf("contains a control character (%U)", r)
		}
	}
	return nil
}
