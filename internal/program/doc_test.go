package program

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/roadmap.md")

var roadmapDocIntro = `# The roadmap

Generated from ` + "`internal/program`" + ` by ` + "`go test ./internal/program -update`" + `; do not edit.

` + "`palisade roadmap`" + ` evaluates every step of the checklist (../shared/seed) as a control, from
evidence, so maturity is computed, never typed in:

- **findings**: a complete scan by the named scanner within the maximum age (30 days, ` + "`--max-age`" + `; 7 days
  where the step says "regular" or "after every deployment"), and no open finding of the listed
  rules, or of the rules that reference the step and no other control lists. A scan that is missing,
  partial (stopped early, some regions, a diff) or too old gives "no evidence", never "met". An
  accepted finding whose acceptance has expired counts as open. Detection runs (` + "`palisade detect`" + `,
  ` + "`palisade events ingest`" + `) read only the logs they are given, so they are partial by nature and
  count as runs; a detection alert fails its control only once it has stayed open (untriaged)
  longer than the triage window of ` + fmt.Sprint(int(DetectionTriageWindow.Hours()/24)) + ` days.
- **repository**: the files of the repository given with ` + "`--repo`" + ` (pre-commit hooks, CI
  configuration, Dependabot or Renovate, Terraform or CloudFormation). A malformed file is reported
  with its name and line.
- **service catalog**: ` + "`services.yaml`" + ` (or ` + "`--catalog`" + `, [services.md](services.md)): every open
  finding belongs to a listed service, and every service has classified data and a recent scan.
- **attestation**: a step no machine can see (training, threat modeling, a tabletop exercise) is
  met while a person's attestation has not expired:
  ` + "`palisade roadmap attest CONTROL --by NAME --note TEXT --expires YYYY-MM-DD`" + ` (the last day it
  holds, at most two years ahead; a new attestation supersedes the last, and every one is kept).

Each step quotes the checklist. What palisade adds to make a step checkable, and the controls it adds
for rules the checklist groups under a stage title, are marked "(palisade: ...)".

States: ` + "`met`, `not_met`, `expired`, `no_evidence`" + `. The AWS maturity level is the highest stage N of
the AWS roadmap such that every control of stages 1 to N is met (stage 8, which the checklist leaves
empty, does not hold the climb back). ` + "`--format table|json|markdown`" + `; the JSON form lists every control
with its state and the reason.
`

func TestRoadmapDocMatchesControls(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(roadmapDocIntro)
	section := ""
	for _, c := range Controls() {
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(&b, "\n## %s\n\n| control | evidence | step |\n|---|---|---|\n", section)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.ID, evidenceDoc(c), c.Step)
	}
	path := filepath.Join("..", "..", "docs", "roadmap.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/program -update)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("docs/roadmap.md is stale; run go test ./internal/program -update")
	}
}

// evidenceDoc describes a control's evidence for the documentation.
func evidenceDoc(c Control) string {
	switch c.EvidenceKind() {
	case "attestation", "repository":
		return c.EvidenceKind()
	case "catalog":
		return "service catalog"
	}
	f := c.Findings
	s := "`" + f.Scan + "` scan"
	if f.PartialRuns {
		s = "`" + f.Scan + "` run (partial runs count)"
	}
	if f.TargetPrefix != "" {
		s += " of `" + f.TargetPrefix + "…`"
	}
	if f.MaxAge != 0 {
		s += fmt.Sprintf(" within %d days", int(f.MaxAge.Hours()/24))
	}
	switch {
	case len(f.Rules) > 0:
		s += "; open " + strings.Join(f.Rules, ", ")
	case f.Checklist != "":
		s += "; open findings that reference the step (rules listed elsewhere excepted)"
	case f.Category != "":
		s += "; open " + string(f.Category) + " findings"
	}
	if f.TriageWithin > 0 {
		s += fmt.Sprintf(" untriaged for more than %d days", int(f.TriageWithin.Hours()/24))
	}
	if f.MinSeverity > 0 {
		s += fmt.Sprintf(" (%s and above)", f.MinSeverity)
	}
	return s
}
