package program

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// The risk formula. A service's score is the sum of four terms, each shown
// to the reader with the evidence behind it:
//
//	exposure   30 when the service is reachable from the internet (declared
//	           in the catalog, or shown by an open exposure finding), else 0
//	data       public 0, internal 10, confidential 20, restricted 30; a
//	           service whose data is not classified counts as confidential
//	weaknesses the open findings' severity points (critical 10, high 5,
//	           medium 2, low 1; a vulnerability with a published fix counts
//	           half again, since the fix also publishes the flaw), at most 40
//	privilege  20 when one of its identities holds administrative or
//	           wildcard privileges (an open privilege finding), else 0
//
// The maximum is 120. Terms are points, not probabilities: the formula is
// meant to be read and argued with, and every number in it is here.
const (
	exposurePoints  = 30
	privilegePoints = 20
	weaknessCap     = 40
	unclassified    = DataConfidential
)

var dataPoints = map[string]int{DataPublic: 0, DataInternal: 10, DataConfidential: 20, DataRestricted: 30}

var severityPoints = map[finding.Severity]float64{
	finding.Critical: 10, finding.High: 5, finding.Medium: 2, finding.Low: 1, finding.Info: 0,
}

// exposureRules are the rules whose open findings show that a resource is
// reachable from the internet.
var exposureRules = map[string]string{
	"AWS-ELB-001": "internet-facing load balancer", "AWS-RDS-003": "publicly accessible database",
	"AWS-RS-002": "publicly accessible Redshift", "AWS-S3-006": "public bucket ACL", "AWS-S3-011": "public bucket policy",
	"AWS-VPC-001": "SSH or RDP open to the internet", "AWS-VPC-002": "database port open to the internet",
	"AWS-VPC-003": "all ports open to the internet", "AWS-ACCT-015": "SMB open to the internet",
	"AWS-EC2-006": "instance with a public IP", "AWS-LMB-004": "function URL without authentication",
	"AWS-LMB-002": "function anyone may invoke", "AWS-APIGW-002": "API method without authorization",
	"AWS-ES-007": "public OpenSearch endpoint", "AWS-EKS-003": "public EKS API endpoint", "AWS-S3-016": "static website",
	"AWS-CF-001": "CloudFront distribution serving plain HTTP",
}

// privilegeRules are the rules whose open findings show an identity with
// administrative or wildcard privileges.
var privilegeRules = map[string]string{
	"AWS-IAM-001": "full administrative policy", "AWS-IAM-005": "every action of a service on all resources",
	"AWS-IAM-009": "AdministratorAccess attached", "AWS-IAM-012": "iam:PassRole on every role",
	"AWS-IAM-014": "Allow with NotAction", "AWS-IAM-006": "role any principal can assume",
}

// Term is one part of a service's score and why it has that value.
type Term struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
	Why    string `json:"why"`
}

// Ranked is a service with its score and the open findings tied to it.
type Ranked struct {
	Service Service `json:"-"`
	Score   int     `json:"score"`
	Terms   []Term  `json:"terms"`
	// Findings counts its open findings by severity name.
	Findings map[string]int `json:"findings"`
	// Targets are the scan targets and resources its findings came from.
	Targets []string `json:"targets,omitempty"`
}

// Ranking is every service, highest risk first, and what no service claims.
type Ranking struct {
	Services []Ranked `json:"services"`
	// Unassigned counts open findings that no service in the catalog
	// claims, by target: the parts of the estate nobody has listed.
	Unassigned map[string]int `json:"unassigned,omitempty"`
}

// Rank scores every service of the catalog on the findings open at now
// (IsOpen), counted as RankQuery counts them. A finding belongs to
// every service that lists its target or matches its resource.
func Rank(c *Catalog, open Counts, now time.Time) Ranking {
	type acc struct {
		weak               float64
		counts             map[string]int
		fixable            int
		exposed, privilege map[string]bool
		targets            map[string]bool
	}
	accs := make([]acc, len(c.Services))
	for i := range accs {
		accs[i] = acc{counts: map[string]int{}, exposed: map[string]bool{}, privilege: map[string]bool{}, targets: map[string]bool{}}
	}
	unassigned := map[string]int{}
	cl := c.claimer()
	var owners []int
	for _, t := range open.Rows {
		if !tallyOpen(t, now) {
			continue
		}
		owners = cl.owners(owners[:0], t.Target, t.Resource)
		for _, i := range owners {
			a := &accs[i]
			// Points are multiples of a half, so the sums are exact in any order.
			pts := severityPoints[t.Severity]
			if t.Category == finding.Vulnerability && t.Fixable {
				pts *= 1.5
				a.fixable += t.Count
			}
			a.weak += pts * float64(t.Count)
			a.counts[t.Severity.String()] += t.Count
			a.targets[t.Target] = true
			if why, ok := exposureRules[t.RuleID]; ok {
				a.exposed[why+" ("+t.RuleID+" on "+short(t.Resource)+")"] = true
			}
			if why, ok := privilegeRules[t.RuleID]; ok {
				a.privilege[why+" ("+t.RuleID+" on "+short(t.Resource)+")"] = true
			}
		}
		if len(owners) == 0 {
			unassigned[t.Target] += t.Count
		}
	}
	var out Ranking
	for i, s := range c.Services {
		a := accs[i]
		r := Ranked{Service: s, Findings: a.counts}
		// Exposure.
		exp := Term{Name: "exposure"}
		switch {
		case len(a.exposed) > 0:
			exp.Points, exp.Why = exposurePoints, "shown by "+firstOf(a.exposed)
		case s.InternetFacing != nil && *s.InternetFacing:
			exp.Points, exp.Why = exposurePoints, "declared internet-facing"
		case s.InternetFacing != nil:
			exp.Why = "declared internal, and no finding shows exposure"
		default:
			exp.Why = "not declared, and no finding shows exposure"
		}
		// Data.
		data := Term{Name: "data"}
		if s.Data == "" {
			data.Points, data.Why = dataPoints[unclassified], "not classified: counted as confidential"
		} else {
			data.Points, data.Why = dataPoints[s.Data], s.Data
		}
		// Weaknesses.
		weak := Term{Name: "weaknesses", Points: min(int(a.weak+0.5), weaknessCap)}
		if len(a.counts) == 0 {
			weak.Why = "no open finding"
		} else {
			weak.Why = severitySummary(a.counts)
			if a.fixable > 0 {
				weak.Why += fmt.Sprintf("; %d with a published fix", a.fixable)
			}
			if int(a.weak+0.5) > weaknessCap {
				weak.Why += fmt.Sprintf(" (%d points, capped)", int(a.weak+0.5))
			}
		}
		// Privilege.
		priv := Term{Name: "privilege", Why: "no identity with administrative or wildcard privileges found"}
		if len(a.privilege) > 0 {
			priv.Points, priv.Why = privilegePoints, firstOf(a.privilege)
		}
		r.Terms = []Term{exp, data, weak, priv}
		for _, t := range r.Terms {
			r.Score += t.Points
		}
		for t := range a.targets {
			r.Targets = append(r.Targets, t)
		}
		sort.Strings(r.Targets)
		out.Services = append(out.Services, r)
	}
	sort.SliceStable(out.Services, func(i, j int) bool { return out.Services[i].Score > out.Services[j].Score })
	if len(unassigned) > 0 {
		out.Unassigned = unassigned
	}
	return out
}

// claimer tells which services claim a finding: those that list its
// target or match its resource. It is made once for many findings.
type claimer struct {
	services []Service
	patterns [][]pattern
	// targets remembers which services list each target seen.
	targets map[string][]bool
}

func (c *Catalog) claimer() *claimer {
	cl := &claimer{services: c.Services, patterns: make([][]pattern, len(c.Services)), targets: map[string][]bool{}}
	for i := range c.Services {
		cl.patterns[i] = compilePatterns(c.Services[i].Resources)
	}
	return cl
}

// listing returns, per service, whether it lists the target.
func (cl *claimer) listing(target string) []bool {
	l, ok := cl.targets[target]
	if !ok {
		l = make([]bool, len(cl.services))
		for i := range cl.services {
			l[i] = cl.services[i].ownsTarget(target)
		}
		cl.targets[target] = l
	}
	return l
}

// owners appends the indexes of the services that claim a finding to dst,
// in the catalog's order.
func (cl *claimer) owners(dst []int, target, resource string) []int {
	listed := cl.listing(target)
	name, named := resourceName(resource)
	for i := range cl.services {
		if listed[i] || named && matchesAny(cl.patterns[i], name) {
			dst = append(dst, i)
		}
	}
	return dst
}

// claimed reports whether any service claims a finding.
func (cl *claimer) claimed(target, resource string) bool {
	if slices.Contains(cl.listing(target), true) {
		return true
	}
	name, named := resourceName(resource)
	if !named {
		return false
	}
	for _, ps := range cl.patterns {
		if matchesAny(ps, name) {
			return true
		}
	}
	return false
}

// firstOf returns the alphabetically first reason and how many more there are.
func firstOf(set map[string]bool) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 1 {
		return keys[0]
	}
	return fmt.Sprintf("%s and %d more", keys[0], len(keys)-1)
}

// severitySummary reads "2 high, 3 medium", most severe first.
func severitySummary(counts map[string]int) string {
	var parts []string
	for s := finding.Critical; s >= finding.Info; s-- {
		if n := counts[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

// short keeps the distinctive end of a long resource name.
func short(r string) string {
	if len(r) <= 60 {
		return r
	}
	return "…" + r[len(r)-59:]
}

// everyFindingOwned is met when each open finding belongs to a service of
// the catalog: nothing in the estate is unlisted.
func everyFindingOwned(c *Catalog, ev Evidence) (bool, string) {
	maxAge := ev.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	recent := false
	for _, sc := range ev.Scans {
		recent = recent || sc.Status == store.ScanCompleted && ev.Now.Sub(sc.FinishedAt) <= maxAge
	}
	if !recent {
		// No finding proves nothing when nothing was looked at.
		return false, fmt.Sprintf("no complete scan in the last %s to tie to the %d services", days(maxAge), len(c.Services))
	}
	unassigned := map[string]int{}
	cl := c.claimer()
	for _, t := range ev.Owned.Rows {
		if tallyOpen(t, ev.Now) && !cl.claimed(t.Target, t.Resource) {
			unassigned[t.Target] += t.Count
		}
	}
	if len(unassigned) == 0 {
		return true, fmt.Sprintf("%d services with owners; every open finding belongs to one", len(c.Services))
	}
	targets := make([]string, 0, len(unassigned))
	n := 0
	for t, k := range unassigned {
		targets = append(targets, t)
		n += k
	}
	sort.Strings(targets)
	if len(targets) > 3 {
		targets = append(targets[:3], fmt.Sprintf("and %d more", len(targets)-3))
	}
	return false, fmt.Sprintf("%d open finding(s) belong to no service: %s", n, strings.Join(targets, ", "))
}

// everyServiceRanked is met when every service can be ranked on evidence:
// its data is classified and one of its targets or resources was scanned
// within the maximum age.
func everyServiceRanked(c *Catalog, ev Evidence) (bool, string) {
	maxAge := ev.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	var missing []string
	for i := range c.Services {
		s := &c.Services[i]
		if s.Data == "" {
			missing = append(missing, s.Name+" (data not classified)")
			continue
		}
		scanned := false
		for _, sc := range ev.Scans {
			if ev.Now.Sub(sc.FinishedAt) > maxAge || sc.Status != store.ScanCompleted {
				continue
			}
			// A service made of cloud resources is seen by a live audit
			// or an IaC scan of any target.
			_, live := sc.Scanners["aws"]
			_, iac := sc.Scanners["iac"]
			if s.ownsTarget(sc.Target) || len(s.Resources) > 0 && (live || iac) {
				scanned = true
				break
			}
		}
		if !scanned {
			missing = append(missing, s.Name+" (no recent scan of its targets)")
		}
	}
	if len(missing) == 0 {
		return true, fmt.Sprintf("%d services ranked on classified data and recent scans (palisade services)", len(c.Services))
	}
	return false, strings.Join(missing, ", ")
}
