// Package posture holds palisade's AWS posture rules. Each rule is code with
// metadata (id, title, severity, rationale, remediation for Terraform and
// CloudFormation, CIS AWS Foundations and checklist references) and runs on
// the cloud model, so the same rule checks IaC before merge and live state
// after deploy. Rules act only on known values: an unknown value never
// produces a finding on its own.
package posture

import (
	"github.com/palisade-sec/palisade/internal/cloud"
	"github.com/palisade-sec/palisade/internal/finding"
)

// Refs ties a rule to benchmarks and to the checklist palisade implements.
type Refs struct {
	// CIS are CIS AWS Foundations Benchmark v7.0.0 recommendation ids.
	CIS []string
	// Checklist names the checklist step the rule serves.
	Checklist string
	// CWE are weakness ids such as "CWE-311", where one applies.
	CWE []string
	// URLs point at further reading (custom rules use them).
	URLs []string
}

// Remediation says how to fix a finding, in prose and as snippets.
type Remediation struct {
	Text           string
	Terraform      string
	CloudFormation string
}

// Reporter receives one violation: the resource, where the offending value
// was written (or the resource when it is missing), and a message.
type Reporter func(r cloud.Resource, at cloud.Source, msg string)

// Rule is one posture check.
type Rule struct {
	ID          string
	Title       string
	Severity    finding.Severity
	Rationale   string
	Remediation Remediation
	Refs        Refs
	// NoCloudFormation, when set, says why the rule has no CloudFormation
	// equivalent (CloudFormation has no resource for the setting, such as
	// the account-level S3 Block Public Access); its examples are then
	// Terraform only.
	NoCloudFormation string
	Check            func(s *cloud.State, report Reporter)
}

// Result is one violation of one rule.
type Result struct {
	Rule     *Rule
	Resource *cloud.Meta
	At       cloud.Source
	Message  string
}

// Evaluate runs rules over s and reports each violation that the resource's
// author did not suppress with a palisade:ignore comment.
func Evaluate(s *cloud.State, rules []Rule, report func(Result)) {
	for i := range rules {
		r := &rules[i]
		r.Check(s, func(res cloud.Resource, at cloud.Source, msg string) {
			m := res.Base()
			if m.Ignored(r.ID) {
				return
			}
			if at.IsZero() {
				at = m.Src
			}
			report(Result{Rule: r, Resource: m, At: at, Message: msg})
		})
	}
}

// Finding converts a result into a finding for the given scanner and
// category; the caller sets the location path (relative to its scan root).
func (res Result) Finding(scanner string, category finding.Category) finding.Finding {
	r := res.Rule
	f := finding.Finding{
		RuleID:      r.ID,
		Scanner:     scanner,
		Category:    category,
		Severity:    r.Severity,
		Title:       r.Title,
		Message:     res.Message,
		Location:    finding.Location{Path: res.At.File, StartLine: res.At.Line, EndLine: res.At.Line},
		Resource:    res.Resource.Address,
		Remediation: r.Remediation.Text,
	}
	if res.At.File == "" && res.At.ARN != "" {
		f.Resource = res.At.ARN
	}
	for _, id := range r.Refs.CIS {
		f.References = append(f.References, finding.Reference{Type: finding.RefCIS, ID: id})
	}
	if r.Refs.Checklist != "" {
		f.References = append(f.References, finding.Reference{Type: finding.RefChecklist, ID: r.Refs.Checklist})
	}
	for _, id := range r.Refs.CWE {
		f.References = append(f.References, finding.Reference{Type: finding.RefCWE, ID: id})
	}
	for _, u := range r.Refs.URLs {
		f.References = append(f.References, finding.Reference{Type: finding.RefURL, ID: u, URL: u})
	}
	return f
}

// Checklist steps of the AWS roadmap the rules serve.
const (
	stepInventory  = "AWS 1: Inventory"
	stepBackups    = "AWS 2: Have Backups"
	stepVisibility = "AWS 3: Visibility and Initial Remediation"
	stepS3Block    = "AWS 3: Turn on S3 Block Public Access"
	stepDetection  = "AWS 4: Detection"
	stepIAM        = "AWS 5: Secure IAM Access"
	stepSurface    = "AWS 6: Reduce attack surface and mitigate compromises"
	stepOwnership  = "AWS 7: Reproducibility and ownership"
	stepRefine     = "AWS 9: Auto remediation and privilege refinement"
	stepNetwork    = "AWS 10: Secure Network Communication"
	stepIncident   = "AWS 11: Incident preparation"
)

// Config holds the settings some rules take from the organisation.
type Config struct {
	// OwnerTag is the tag key every resource must carry (AWS-TAG-001).
	OwnerTag string
	// ApprovedAMIOwners are the AMI owners (account ids or aliases such as
	// "amazon" and "self") instances may take images from (AWS-EC2-008).
	ApprovedAMIOwners []string
}

// DefaultConfig is the configuration Rules uses: an "owner" tag and images
// from Amazon or the organisation's own accounts.
func DefaultConfig() Config {
	return Config{OwnerTag: "owner", ApprovedAMIOwners: []string{"amazon", "self"}}
}

// Rules returns every built-in rule with the default configuration.
func Rules() []Rule { return RulesFor(DefaultConfig()) }

// RulesFor returns every built-in rule configured by cfg.
func RulesFor(cfg Config) []Rule {
	var out []Rule
	out = append(out, s3Rules()...)
	out = append(out, iamRules()...)
	out = append(out, networkRules()...)
	out = append(out, computeRules()...)
	out = append(out, databaseRules()...)
	out = append(out, loggingRules()...)
	out = append(out, serviceRules()...)
	out = append(out, moreRules(cfg)...)
	return out
}
