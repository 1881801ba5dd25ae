package program

import (
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/audit"
	"github.com/palisade-sec/palisade/internal/deps"
	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
	"github.com/palisade-sec/palisade/internal/secrets"
)

// knownRules maps every built-in posture and audit rule id to the checklist
// step it serves.
func knownRules() map[string]string {
	rules := map[string]string{}
	for _, r := range posture.Rules() {
		rules[r.ID] = r.Refs.Checklist
	}
	for _, r := range append(audit.AccountRules(), audit.OrgRules()...) {
		rules[r.ID] = r.Checklist
	}
	rules["AWS-DRIFT-001"], rules["AWS-DRIFT-002"] = stepOwnership, stepOwnership
	return rules
}

func TestControlsAreWellFormed(t *testing.T) {
	idRe := regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	stageRe := regexp.MustCompile(`^AWS (\d+): `)
	rules := knownRules()
	seen := map[string]bool{}
	listedBy := map[string]string{}
	for _, c := range Controls() {
		if !idRe.MatchString(c.ID) || seen[c.ID] {
			t.Errorf("%q: ids are unique lower-case words joined by dashes", c.ID)
		}
		seen[c.ID] = true
		kinds := 0
		for _, set := range []bool{c.Findings != nil, c.Repo != nil, c.Catalog != nil, c.Attest} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			t.Errorf("%s: %d kinds of evidence, want exactly one", c.ID, kinds)
		}
		if c.Step == "" || c.Section == "" {
			t.Errorf("%s: needs a step and a section", c.ID)
		}
		if m := stageRe.FindStringSubmatch(c.Section); m != nil {
			if want := "aws-" + m[1] + "-"; !strings.HasPrefix(c.ID, want) || c.Stage == 0 {
				t.Errorf("%s: in %q, want an id starting %q and stage %s", c.ID, c.Section, want, m[1])
			}
		} else if c.Stage != 0 {
			t.Errorf("%s: an AppSec control has no AWS stage", c.ID)
		}
		if f := c.Findings; f != nil {
			if f.Scan == "" {
				t.Errorf("%s: findings evidence needs the scanner whose scans count", c.ID)
			}
			if (len(f.Rules) > 0 || f.Checklist != "") && f.FromScanner == "" {
				t.Errorf("%s: counts findings but names no scanner they come from", c.ID)
			}
			for _, r := range f.Rules {
				if _, ok := rules[r]; !ok {
					t.Errorf("%s: unknown rule %s", c.ID, r)
				}
				if other, dup := listedBy[r]; dup {
					t.Errorf("%s: rule %s is already listed by %s; a finding counts once", c.ID, r, other)
				}
				listedBy[r] = c.ID
			}
		}
	}
}

// TestEveryRuleCountsSomewhere keeps the roadmap in step with the rules: a
// rule's open findings must fail some control, either by id or through a
// control on the checklist step the rule serves.
func TestEveryRuleCountsSomewhere(t *testing.T) {
	listed := map[string]bool{}
	steps := map[string]bool{}
	for _, c := range Controls() {
		if c.Findings == nil {
			continue
		}
		for _, r := range c.Findings.Rules {
			listed[r] = true
		}
		if c.Findings.Checklist != "" {
			steps[c.Findings.Checklist] = true
		}
	}
	for id, step := range knownRules() {
		if !listed[id] && !steps[step] {
			t.Errorf("rule %s (step %q) fails no roadmap control", id, step)
		}
	}
	if deps.ChecklistStep != stepDeps {
		t.Errorf("deps findings reference %q, the roadmap expects %q", deps.ChecklistStep, stepDeps)
	}
	if secrets.ChecklistStep != stepSecrets {
		t.Errorf("secret findings reference %q, the roadmap expects %q", secrets.ChecklistStep, stepSecrets)
	}
	// IaC findings of every posture rule count too, through the category.
	templates, _ := ControlByID("appsec-secure-templates")
	if f := templates.Findings; f == nil || f.FromScanner != "iac" || f.Category != "misconfiguration" {
		t.Errorf("appsec-secure-templates does not count IaC findings: %+v", f)
	}
	// Detection alerts count through their category, from the runs of the
	// scanner palisade detect and events ingest record.
	siem, _ := ControlByID("aws-4-siem")
	if f := siem.Findings; f == nil || f.Scan != detect.ScannerName || f.FromScanner != detect.ScannerName ||
		f.Category != finding.Detection || !f.PartialRuns || f.TriageWithin == 0 {
		t.Errorf("aws-4-siem does not count detection alerts: %+v", f)
	}
}
