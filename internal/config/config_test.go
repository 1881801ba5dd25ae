package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

func TestParseFullConfig(t *testing.T) {
	c, err := Parse(strings.NewReader(`
version: 1
scan:
  scanners: [secrets]
  fail_on: high
  exclude: ["vendor/"]
secrets:
  decode_depth: 1
  max_file_size: 10MB
  baseline: .palisade-baseline
  disabled_rules: [generic-api-key]
  allowlist:
    - rules: [aws-access-key-id]
      paths: ["testdata/**"]
      reason: fixtures with revoked keys
severity_overrides:
  generic-api-key: low
iac:
  rules_dir: policies
  owner_tag: team
  approved_ami_owners: [amazon]
deps:
  ignore:
    - id: GO-2024-0001
      reason: not reachable
      expires: 2027-01-31
`), "palisade.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Secrets.MaxFileSize != 10<<20 || *c.Secrets.DecodeDepth != 1 || finding.Severity(c.SeverityOverrides["generic-api-key"]) != finding.Low {
		t.Errorf("parsed %+v", c)
	}
	if c.IaC.OwnerTag != "team" || c.IaC.RulesDir != "policies" || len(c.IaC.ApprovedAMIOwners) != 1 {
		t.Errorf("iac section %+v", c.IaC)
	}
	if c.Deps.Ignore[0].Expires.Year() != 2027 {
		t.Errorf("expires %v", c.Deps.Ignore[0].Expires)
	}
}

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		unknown        bool
	}{
		{"unknown top-level key", "version: 1\nscaners: [secrets]\n", `palisade.yaml:2: unknown key "scaners"`, true},
		{"unknown nested key", "secrets:\n  baseline: x\n  decode: 2\n", `palisade.yaml:3: unknown key "decode"`, true},
		{"bad severity", "severity_overrides:\n  x: urgent\n", "palisade.yaml:2", false},
		{"bad size", "secrets:\n  max_file_size: lots\n", "palisade.yaml:2", false},
		{"allowlist without reason", "secrets:\n  allowlist:\n    - paths: [x]\n", "a reason is required", false},
		{"invalid yaml", "scan: [\n", "palisade.yaml:", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "palisade.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, ErrUnknownKey) != tc.unknown {
				t.Errorf("errors.Is(err, ErrUnknownKey) = %v", !tc.unknown)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("version: 1\nscan:\n  fail_on: high\n")
	f.Add("secrets:\n  allowlist:\n    - reason: x\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(strings.NewReader(s), "fuzz.yaml")
	})
}
