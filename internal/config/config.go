// Package config reads palisade.yaml, the per-repository configuration.
// Every key is documented in docs/config.md; an unknown key is an error that
// names the key and its line, so a typo never silently disables a rule.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/regular"
)

// FileName is the configuration file palisade looks for in the scan root.
const FileName = "palisade.yaml"

// ErrUnknownKey marks a configuration key palisade does not know.
var ErrUnknownKey = errors.New("unknown key")

// Config is the whole of palisade.yaml.
type Config struct {
	// Version of the file format; 1 today.
	Version int `yaml:"version"`
	// Scan holds settings shared by every scanner.
	Scan Scan `yaml:"scan"`
	// Secrets configures the secret scanner.
	Secrets Secrets `yaml:"secrets"`
	// Deps configures the dependency scanner.
	Deps Deps `yaml:"deps"`
	// IaC configures the Terraform and CloudFormation scanner.
	IaC IaC `yaml:"iac"`
	// SeverityOverrides maps a rule id to the severity to report instead.
	SeverityOverrides map[string]Level `yaml:"severity_overrides"`
}

// Level is a severity name in the file; it reports its line when invalid.
type Level finding.Severity

// UnmarshalYAML reads a severity name.
func (l *Level) UnmarshalYAML(n *yaml.Node) error {
	s, err := finding.ParseSeverity(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*l = Level(s)
	return nil
}

// Scan holds settings shared by every scanner.
type Scan struct {
	// Scanners to run when --scanners is not given.
	Scanners []string `yaml:"scanners"`
	// FailOn is the default --fail-on severity.
	FailOn string `yaml:"fail_on"`
	// Exclude lists gitignore-style path patterns no scanner reads, added to
	// those in .palisadeignore.
	Exclude []string `yaml:"exclude"`
}

// Secrets configures the secret scanner.
type Secrets struct {
	// DecodeDepth is how many layers of base64/hex/percent-encoding to
	// decode; unset means 2, 0 turns decoding off.
	DecodeDepth *int `yaml:"decode_depth"`
	// MaxFileSize skips larger files ("50MB", "1GB", or bytes).
	MaxFileSize ByteSize `yaml:"max_file_size"`
	// Baseline is the path of a baseline file of accepted secret hashes.
	Baseline string `yaml:"baseline"`
	// DisabledRules lists detector ids not to run.
	DisabledRules []string `yaml:"disabled_rules"`
	// Allowlist suppresses findings of some rules (or all) in some paths.
	Allowlist []Allow `yaml:"allowlist"`
}

// Allow suppresses findings by rule and path.
type Allow struct {
	// Rules the entry applies to; empty means every rule.
	Rules []string `yaml:"rules"`
	// Paths are gitignore-style patterns; empty means every path.
	Paths []string `yaml:"paths"`
	// Reason is required: why these findings are acceptable.
	Reason string `yaml:"reason"`
}

// Deps configures the dependency scanner.
type Deps struct {
	// VulnDB is a directory of OSV exports (<Ecosystem>/all.zip).
	VulnDB string `yaml:"vuln_db"`
	// IncludeGoStdlib also checks the Go standard library version from go.mod.
	IncludeGoStdlib bool `yaml:"include_go_stdlib"`
	// Ignore lists advisories accepted for a time, with a reason.
	Ignore []IgnoreVuln `yaml:"ignore"`
}

// IaC configures the Terraform and CloudFormation scanner.
type IaC struct {
	// RulesDir is a folder of custom rules (YAML with CEL conditions,
	// docs/policy.md), run with the built-in rules.
	RulesDir string `yaml:"rules_dir"`
	// OwnerTag is the tag key every resource must carry (default "owner").
	OwnerTag string `yaml:"owner_tag"`
	// ApprovedAMIOwners are the AMI owners instances may use (default
	// "amazon" and "self").
	ApprovedAMIOwners []string `yaml:"approved_ami_owners"`
	// VarFiles are extra .tfvars files, relative to the configuration.
	VarFiles []string `yaml:"var_files"`
}

// IgnoreVuln accepts one advisory until it expires.
type IgnoreVuln struct {
	ID      string `yaml:"id"`
	Reason  string `yaml:"reason"`
	Expires Date   `yaml:"expires"`
}

// Date is a calendar day written as YYYY-MM-DD.
type Date struct{ time.Time }

// UnmarshalYAML reads YYYY-MM-DD.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("2006-01-02", n.Value)
	if err != nil {
		return fmt.Errorf("line %d: date %q: want YYYY-MM-DD", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

// ByteSize is a size in bytes written as a number or with a unit (KB, MB, GB).
type ByteSize int64

// UnmarshalYAML reads "50MB", "1GB", "4096".
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize reads a size such as "50MB" (units are powers of 1024).
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional KB, MB or GB", s)
	}
	return ByteSize(n * mult), nil
}

// Load reads path; a missing file yields the zero Config and no error when
// optional is true.
func Load(path string, optional bool) (*Config, error) {
	data, err := regular.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(bytes.NewReader(data), path)
}

// fieldNotFound and lineErr read yaml.v3's messages, which carry the line.
var fieldNotFound = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
var lineErr = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse reads a configuration; name prefixes error messages ("palisade.yaml:7: ...").
func Parse(r io.Reader, name string) (*Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{}, nil
		}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			first := te.Errors[0]
			if m := fieldNotFound.FindStringSubmatch(first); m != nil {
				return nil, fmt.Errorf("%s:%s: %w %q", name, m[1], ErrUnknownKey, m[2])
			}
			if m := lineErr.FindStringSubmatch(first); m != nil {
				return nil, fmt.Errorf("%s:%s: %s", name, m[1], m[2])
			}
			return nil, fmt.Errorf("%s: %s", name, first)
		}
		if m := lineErr.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

func (c *Config) validate() error {
	if c.Version != 0 && c.Version != 1 {
		return fmt.Errorf("version %d: this palisade reads version 1", c.Version)
	}
	if c.Scan.FailOn != "" {
		if _, err := finding.ParseSeverity(c.Scan.FailOn); err != nil {
			return fmt.Errorf("scan.fail_on: %w", err)
		}
	}
	for i, a := range c.Secrets.Allowlist {
		if strings.TrimSpace(a.Reason) == "" {
			return fmt.Errorf("secrets.allowlist[%d]: a reason is required", i)
		}
	}
	for i, v := range c.Deps.Ignore {
		if v.ID == "" || strings.TrimSpace(v.Reason) == "" {
			return fmt.Errorf("deps.ignore[%d]: id and reason are required", i)
		}
	}
	return nil
}
