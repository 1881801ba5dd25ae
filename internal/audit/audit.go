// Package audit turns a live AWS collection into findings. It runs the
// posture rules (the same ones the IaC scanner runs) on each account's
// state, and adds the account- and organization-level rules that only live
// evidence can answer: the credential report, role last use, GuardDuty,
// CloudTrail and Access Analyzer in every region, SCP content, delegated
// administrators, instances in public subnets. It also compares live state
// with IaC (drift) and plans remediations.
package audit

import (
	"fmt"
	"sort"
	"time"

	"github.com/palisade-sec/palisade/internal/cloud/aws"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
)

// Scanner is the scanner name audit findings carry.
const Scanner = "aws"

// Config holds the organisation's thresholds and allowlists.
type Config struct {
	// Posture configures the shared posture rules (owner tag key, AMI owners).
	Posture posture.Config
	// KeyMaxAge is the oldest an active access key may be (CIS 2.12: 90 days).
	KeyMaxAge time.Duration
	// CredentialUnused is how long a credential may go unused (CIS 2.11: 45 days).
	CredentialUnused time.Duration
	// RoleUnused is how long a role may go unused before it is reported.
	RoleUnused time.Duration
	// Now is the time the audit judges ages against.
	Now time.Time

	// orgIdentityCenter is set by Run when an account of the audited
	// organization has an IAM Identity Center instance: member accounts
	// do not see the organization's instance, so they must not be told
	// it is missing.
	orgIdentityCenter bool
}

// DefaultConfig returns CIS thresholds and a 90-day role window.
func DefaultConfig(now time.Time) Config {
	return Config{
		Posture:          posture.DefaultConfig(),
		KeyMaxAge:        90 * 24 * time.Hour,
		CredentialUnused: 45 * 24 * time.Hour,
		RoleUnused:       90 * 24 * time.Hour,
		Now:              now,
	}
}

// Run evaluates every rule over res and returns the findings, in a stable
// order, and the collection errors as lines for the report.
func Run(res *aws.Result, cfg Config) ([]finding.Finding, []string) {
	var out []finding.Finding
	var rules []posture.Rule
	for _, r := range posture.RulesFor(cfg.Posture) {
		if !iacOnly[r.ID] {
			rules = append(rules, r)
		}
	}
	if res.Org != nil {
		for _, acct := range res.Accounts {
			cfg.orgIdentityCenter = cfg.orgIdentityCenter || len(acct.Evidence.IdentityCenter) > 0
		}
	}
	for _, acct := range res.Accounts {
		posture.Evaluate(acct.State, rules, func(r posture.Result) {
			f := r.Finding(Scanner, finding.Posture)
			if f.Resource == "" {
				f.Resource = r.Resource.Address
			}
			f.Location = finding.Location{Path: f.Resource}
			out = append(out, f)
		})
		for _, rule := range AccountRules() {
			rule.Check(acct, cfg, func(resource, msg string) {
				out = append(out, rule.finding(resource, msg))
			})
		}
	}
	if res.Org != nil {
		for _, rule := range OrgRules() {
			rule.CheckOrg(res, cfg, func(resource, msg string) {
				out = append(out, rule.finding(resource, msg))
			})
		}
	}
	for i := range out {
		finding.SetFingerprint(&out[i])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RuleID != out[j].RuleID {
			return out[i].RuleID < out[j].RuleID
		}
		return out[i].Resource < out[j].Resource
	})
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	return out, errs
}

// iacOnly are posture rules about how code is written, which say nothing
// about a live account (every account has a default VPC; only code should
// not manage it).
var iacOnly = map[string]bool{"AWS-VPC-014": true}

// Rule is an account- or organization-level check over live evidence.
type Rule struct {
	ID          string
	Title       string
	Severity    finding.Severity
	Remediation string
	// CIS are CIS AWS Foundations v7.0 ids; Checklist is the roadmap step.
	CIS       []string
	Checklist string
	// Check runs per account; CheckOrg once per Organization.
	Check    func(a *aws.Account, cfg Config, report func(resource, msg string))
	CheckOrg func(res *aws.Result, cfg Config, report func(resource, msg string))
}

func (r Rule) finding(resource, msg string) finding.Finding {
	f := finding.Finding{
		RuleID:      r.ID,
		Scanner:     Scanner,
		Category:    finding.Posture,
		Severity:    r.Severity,
		Title:       r.Title,
		Message:     msg,
		Location:    finding.Location{Path: resource},
		Resource:    resource,
		Remediation: r.Remediation,
	}
	for _, id := range r.CIS {
		f.References = append(f.References, finding.Reference{Type: finding.RefCIS, ID: id})
	}
	if r.Checklist != "" {
		f.References = append(f.References, finding.Reference{Type: finding.RefChecklist, ID: r.Checklist})
	}
	return f
}

// accountARN is the ARN findings about a whole account carry.
func accountARN(id string) string { return "arn:aws:iam::" + id + ":root" }

// regionARN is the ARN findings about a service in one region carry.
func regionARN(service, region, account string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:", service, region, account)
}
