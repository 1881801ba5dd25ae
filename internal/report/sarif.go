package report

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
)

// SARIF constants: the schema the output declares, where relative artifact
// URIs are rooted, and the tool's home page.
const (
	sarifSchemaURI  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion    = "2.1.0"
	sarifSrcRoot    = "%SRCROOT%"
	sarifToolName   = "palisade"
	sarifToolURI    = "https://github.com/palisade-sec/palisade"
	fingerprintKey  = "palisade/v1"
	cweTagPrefix    = "external/cwe/cwe-"
	securityTag     = "security"
	securityScoreID = "security-severity"
)

// The SARIF 2.1.0 objects palisade writes: a small subset of the standard,
// with field order fixed by these structs. Optional members are omitted when
// empty, as the schema prefers.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string             `json:"id"`
		ShortDescription     *sarifMessage      `json:"shortDescription,omitempty"`
		FullDescription      *sarifMessage      `json:"fullDescription,omitempty"`
		Help                 *sarifMessage      `json:"help,omitempty"`
		HelpURI              string             `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
		Properties           sarifRuleProps     `json:"properties"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags             []string `json:"tags"`
		SecuritySeverity string   `json:"security-severity"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifInvocation struct {
		ExecutionSuccessful        bool                `json:"executionSuccessful"`
		StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
		EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level   string       `json:"level"`
		Message sarifMessage `json:"message"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifMessage       `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          sarifResultProps   `json:"properties"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine,omitempty"`
		EndLine     int `json:"endLine,omitempty"`
		StartColumn int `json:"startColumn,omitempty"`
		EndColumn   int `json:"endColumn,omitempty"`
	}
	sarifLogicalLocation struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification,omitempty"`
	}
	sarifResultProps struct {
		Category string `json:"category"`
		Severity string `json:"severity"`
		Status   string `json:"status"`
		Commit   string `json:"commit,omitempty"`
	}
)

// writeSARIF writes one SARIF 2.1.0 run: a rule per distinct rule id, a
// result per finding, and the invocation with scan errors as notifications.
// The format is described in docs/report-sarif.md.
func writeSARIF(w io.Writer, r *Report) error {
	findings := Sorted(r.Findings)
	rules, index := sarifRules(findings)
	results := make([]sarifResult, 0, len(findings))
	for _, f := range findings {
		results = append(results, sarifResultFor(f, index[f.RuleID], r.Scan.Target))
	}
	log := sarifLog{
		Schema:  sarifSchemaURI,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           sarifToolName,
				Version:        r.Scan.Tool.Version,
				InformationURI: sarifToolURI,
				Rules:          rules,
			}},
			Invocations: []sarifInvocation{sarifInvocationFor(r.Scan)},
			Results:     results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// sarifRules builds one rule per distinct rule id, sorted by id, and the index
// of each id in that list. A rule's metadata comes from its most severe
// finding (the first in report order); its tags gather every finding's
// category and CWE references.
func sarifRules(findings []finding.Finding) ([]sarifRule, map[string]int) {
	first := map[string]finding.Finding{}
	tags := map[string]map[string]bool{}
	var ids []string
	for _, f := range findings {
		if _, ok := first[f.RuleID]; !ok {
			first[f.RuleID] = f
			tags[f.RuleID] = map[string]bool{securityTag: true}
			ids = append(ids, f.RuleID)
		}
		if f.Category != "" {
			tags[f.RuleID][string(f.Category)] = true
		}
		for _, ref := range f.References {
			if ref.Type == finding.RefCWE {
				if n, ok := cweNumber(ref.ID); ok {
					tags[f.RuleID][cweTagPrefix+n] = true
				}
			}
		}
	}
	slices.Sort(ids)
	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		f := first[id]
		index[id] = i
		rule := sarifRule{
			ID:                   id,
			HelpURI:              helpURI(f.References),
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(f.Severity)},
			Properties: sarifRuleProps{
				Tags:             sortedKeys(tags[id]),
				SecuritySeverity: strconv.FormatFloat(f.Severity.SecurityScore(), 'f', 1, 64),
			},
		}
		if f.Title != "" {
			rule.ShortDescription = &sarifMessage{Text: f.Title}
			rule.FullDescription = &sarifMessage{Text: f.Title}
		}
		if f.Remediation != "" {
			rule.Help = &sarifMessage{Text: f.Remediation}
		}
		rules = append(rules, rule)
	}
	return rules, index
}

// sarifResultFor converts one finding. target is the scanned root, used to
// make absolute paths relative.
func sarifResultFor(f finding.Finding, ruleIndex int, target string) sarifResult {
	msg := f.Message
	if msg == "" {
		msg = f.Title
	}
	if msg == "" {
		msg = f.RuleID
	}
	status := string(f.Status)
	if status == "" {
		status = string(finding.StatusOpen)
	}
	res := sarifResult{
		RuleID:    f.RuleID,
		RuleIndex: ruleIndex,
		Level:     sarifLevel(f.Severity),
		Message:   sarifMessage{Text: msg},
		Properties: sarifResultProps{
			Category: string(f.Category),
			Severity: f.Severity.String(),
			Status:   status,
			Commit:   f.Location.Commit,
		},
	}
	if loc, ok := sarifLocationFor(f, target); ok {
		res.Locations = []sarifLocation{loc}
	}
	if f.Fingerprint != "" {
		res.PartialFingerprints = map[string]string{fingerprintKey: f.Fingerprint}
	}
	if f.Status == finding.StatusAccepted || f.Status == finding.StatusFalsePositive {
		res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: string(f.Status)}}
	}
	return res
}

// sarifLocationFor gives the physical location (when the finding has a path)
// and the logical location (when it names a resource). ok is false when the
// finding has neither, and the result is written without locations.
func sarifLocationFor(f finding.Finding, target string) (sarifLocation, bool) {
	var loc sarifLocation
	if f.Location.Path != "" {
		uri, base := artifactURI(f.Location.Path, target)
		phys := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri, URIBaseID: base}}
		if l := f.Location; l.StartLine > 0 {
			reg := &sarifRegion{StartLine: l.StartLine}
			if l.EndLine >= l.StartLine {
				reg.EndLine = l.EndLine
			}
			if l.StartColumn > 0 {
				reg.StartColumn = l.StartColumn
			}
			if l.EndColumn > 0 {
				reg.EndColumn = l.EndColumn
			}
			phys.Region = reg
		}
		loc.PhysicalLocation = phys
	}
	if f.Resource != "" {
		loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: f.Resource, Kind: "resource"}}
	}
	return loc, loc.PhysicalLocation != nil || loc.LogicalLocations != nil
}

// artifactURI turns a finding path into a SARIF artifact URI: relative,
// forward slashes, percent-encoded, rooted at %SRCROOT%. An absolute path
// inside target is made relative to it; one outside stays a file:// URI with
// no base.
func artifactURI(p, target string) (uri, base string) {
	p = strings.ReplaceAll(p, `\`, "/")
	if path.IsAbs(p) && target != "" {
		if rel, err := filepath.Rel(filepath.ToSlash(target), p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			p = filepath.ToSlash(rel)
		}
	}
	if path.IsAbs(p) {
		return (&url.URL{Scheme: "file", Path: p}).String(), ""
	}
	p = strings.TrimPrefix(path.Clean(p), "./")
	return (&url.URL{Path: p}).String(), sarifSrcRoot
}

// sarifLevel maps a severity to a SARIF level: error for critical and high,
// warning for medium, note below.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
}

// sarifInvocationFor describes the run: success, times, and each scan error
// as a warning notification.
func sarifInvocationFor(s Scan) sarifInvocation {
	inv := sarifInvocation{
		ExecutionSuccessful: s.Status != ScanFailed,
		StartTimeUTC:        sarifTime(s.StartedAt),
		EndTimeUTC:          sarifTime(s.FinishedAt),
	}
	for _, e := range s.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: "warning", Message: sarifMessage{Text: e}})
	}
	return inv
}

// sarifTime formats t as the UTC date-time SARIF expects, or "" when unset.
func sarifTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// cweNumber reads a CWE reference id ("CWE-798", "cwe-798" or "798") and
// returns its number, or false when it is not one.
func cweNumber(id string) (string, bool) {
	n := strings.TrimSpace(id)
	if len(n) > 4 && strings.EqualFold(n[:4], "cwe-") {
		n = n[4:]
	}
	if n == "" {
		return "", false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return n, true
}

// helpURI is the first http(s) URL among the references: a "url" reference
// first, then any reference's URL; "" when there is none.
func helpURI(refs []finding.Reference) string {
	for _, r := range refs {
		if r.Type == finding.RefURL {
			if u := webURL(r.URL); u != "" {
				return u
			}
			if u := webURL(r.ID); u != "" {
				return u
			}
		}
	}
	for _, r := range refs {
		if u := webURL(r.URL); u != "" {
			return u
		}
	}
	return ""
}

// webURL returns s when it is an absolute http or https URL with a host.
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// sortedKeys returns the keys of set in order.
func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
