// Command views fills a store with a realistic history of findings, to
// measure the program views (roadmap, metrics, services) on large stores.
//
//	go run ./bench/views -db /tmp/views-300k.db -findings 300000 -catalog /tmp/views-services.yaml
//
// It records, through store.RecordScan like the scanners do, the scans of
// many repositories (IaC, dependency and secret findings), AWS accounts and
// an Organization (live posture findings) and daily detection runs, spread
// over the last 180 days: findings appear, get fixed by a later complete
// scan and sometimes come back, so first_seen and fixed_at are spread the way
// a running program spreads them. Then it triages some by hand (accepted with
// an expiry, some already lapsed; false positives; detection alerts closed)
// and writes a service catalog that claims most targets and resources. The
// -db flag takes a SQLite path or a postgres:// URL, like --db.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/audit"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/posture"
	"github.com/palisade-sec/palisade/internal/store"
)

// history is how far back the first scans go.
const history = 180 * 24 * time.Hour

// scansPerTarget is how many complete scans each repository and account gets.
const scansPerTarget = 10

// services is how many services the catalog lists.
const services = 40

// rule is what a generated finding takes from a rule.
type rule struct {
	id, title, checklist string
	severity             finding.Severity
}

// pooled is one finding a target may report, and when.
type pooled struct {
	f finding.Finding
	// born and died are scan indexes: reported from scan born up to, not
	// including, scan died; back again from scan reborn when it is > 0.
	born, died, reborn int
}

type gen struct {
	rnd        *rand.Rand
	s          store.Store
	now        time.Time
	iacRules   []rule
	awsRules   []rule
	recorded   int
	emitted    int
	lastReport time.Time
}

func main() {
	dsn := flag.String("db", "", "store to fill: a new SQLite path or a postgres:// URL (required)")
	n := flag.Int("findings", 30000, "distinct findings to generate, about")
	catalog := flag.String("catalog", "", "write a service catalog (YAML) claiming most targets and resources here")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *dsn == "" {
		fmt.Fprintln(os.Stderr, "views: -db is required")
		os.Exit(2)
	}
	if err := run(*dsn, *n, *catalog, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "views:", err)
		os.Exit(1)
	}
}

func run(dsn string, n int, catalog string, seed uint64) error {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), s: s, now: time.Now().UTC(), lastReport: time.Now()}
	for _, r := range posture.Rules() {
		g.iacRules = append(g.iacRules, rule{r.ID, r.Title, r.Refs.Checklist, r.Severity})
	}
	g.awsRules = append(g.awsRules, g.iacRules...)
	for _, r := range audit.AccountRules() {
		g.awsRules = append(g.awsRules, rule{r.ID, r.Title, r.Checklist, r.Severity})
	}
	start := time.Now()
	// 55% of the findings in repositories (150 each), 40% in AWS accounts
	// (500 each, one of them the Organization), 5% detection alerts.
	repos := max(1, n*55/100/150)
	accounts := max(1, n*40/100/500)
	for i := range repos {
		if err := g.target(ctx, fmt.Sprintf("/src/acme/svc-%02d/repo-%04d", i%services, i), []string{"secrets", "deps", "iac"}, g.repoPool(i, 150)); err != nil {
			return err
		}
	}
	for i := range accounts {
		target, scanners := fmt.Sprintf("aws:%012d", 100000000000+i), []string{"aws"}
		if i == 0 {
			target, scanners = "aws-org:o-bench0000", []string{"aws", "drift"}
		}
		if err := g.target(ctx, target, scanners, g.accountPool(i, 500)); err != nil {
			return err
		}
	}
	if err := g.detections(ctx, max(1, n*5/100)); err != nil {
		return err
	}
	if err := g.triage(ctx); err != nil {
		return err
	}
	if catalog != "" {
		if err := writeCatalog(catalog); err != nil {
			return err
		}
	}
	fmt.Printf("recorded %d scans, %d findings reported, in %s\n", g.recorded, g.emitted, time.Since(start).Round(time.Second))
	return nil
}

// lifecycle picks when a pooled finding is reported among scans scans.
func (g *gen) lifecycle(scans int) (born, died, reborn int) {
	if g.rnd.IntN(2) == 0 {
		born = g.rnd.IntN(scans)
	}
	died = scans
	if g.rnd.IntN(100) < 45 && born+1 < scans {
		died = born + 1 + g.rnd.IntN(scans-born-1)
		if g.rnd.IntN(100) < 8 && died+1 < scans {
			reborn = died + 1 + g.rnd.IntN(scans-died-1)
		}
	}
	return born, died, reborn
}

func text(words int, seed string) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString([]string{"the", "resource", "does", "not", "enforce", "encryption", "access", "policy", "public", "logging", "set", "configure", seed}[i%13])
	}
	return b.String()
}

// repoPool makes a repository's findings: IaC misconfigurations, vulnerable
// dependencies (most with a fixed version) and secrets.
func (g *gen) repoPool(repo, size int) []pooled {
	out := make([]pooled, 0, size)
	svc := repo % services
	for i := range size {
		var f finding.Finding
		switch k := i % 20; {
		case k < 12:
			r := g.iacRules[g.rnd.IntN(len(g.iacRules))]
			f = finding.Finding{RuleID: r.id, Scanner: "iac", Category: finding.Misconfiguration, Severity: r.severity,
				Title: r.title, Message: text(12, r.id), Remediation: text(40, "terraform"),
				Location: finding.Location{Path: fmt.Sprintf("terraform/mod%d/main.tf", i%7), StartLine: i*7 + 1, EndLine: i*7 + 9},
				Resource: fmt.Sprintf("module.svc%02d.aws_resource.r%d", svc, i)}
			if r.checklist != "" {
				f.References = []finding.Reference{{Type: finding.RefChecklist, ID: r.checklist}, {Type: finding.RefCWE, ID: "CWE-311"}}
			}
		case k < 17:
			sev := []finding.Severity{finding.Critical, finding.High, finding.High, finding.Medium, finding.Medium, finding.Low}[g.rnd.IntN(6)]
			pkg := fmt.Sprintf("lib%d", g.rnd.IntN(400))
			f = finding.Finding{RuleID: fmt.Sprintf("GHSA-%04d-%04d-%04d", g.rnd.IntN(10000), g.rnd.IntN(10000), i), Scanner: "deps",
				Category: finding.Vulnerability, Severity: sev, Title: pkg + " 1.2.3 is vulnerable", Message: text(20, pkg),
				Remediation: "upgrade " + pkg, Location: finding.Location{Path: "go.sum", StartLine: i + 1, EndLine: i + 1},
				Resource: "pkg:golang/" + pkg + "@1.2.3", Package: &finding.Package{Name: pkg, Version: "1.2.3", Ecosystem: "Go", PURL: "pkg:golang/" + pkg + "@1.2.3"},
				References: []finding.Reference{{Type: finding.RefChecklist, ID: "AppSec: Test for vulns in 3rd party and open source code"}}}
			if g.rnd.IntN(10) < 7 {
				f.FixedVersions = []string{"1.2.4"}
			}
		default:
			id := []string{"aws-access-key-id", "aws-secret-access-key", "github-pat", "generic-api-key", "private-key"}[g.rnd.IntN(5)]
			f = finding.Finding{RuleID: id, Scanner: "secrets", Category: finding.Secret, Severity: finding.High,
				Title: id + " found", Message: text(8, id), Remediation: text(30, "rotate"), Evidence: "AKIA… (20 chars)",
				Location:   finding.Location{Path: fmt.Sprintf("config/app%d.env", i), StartLine: 3, EndLine: 3},
				References: []finding.Reference{{Type: finding.RefCWE, ID: "CWE-798"}, {Type: finding.RefChecklist, ID: "AppSec: Never store secrets in code or config"}},
				SecretHash: fmt.Sprintf("%032x", g.rnd.Uint64())}
		}
		b, d, rb := g.lifecycle(scansPerTarget)
		out = append(out, pooled{f: f, born: b, died: d, reborn: rb})
	}
	return out
}

// accountPool makes an account's live posture findings, on ARNs of which
// the catalog claims most.
func (g *gen) accountPool(acct, size int) []pooled {
	out := make([]pooled, 0, size)
	for i := range size {
		r := g.awsRules[g.rnd.IntN(len(g.awsRules))]
		svc := g.rnd.IntN(services + 8) // some belong to no service
		f := finding.Finding{RuleID: r.id, Scanner: "aws", Category: finding.Posture, Severity: r.severity,
			Title: r.title, Message: text(14, r.id), Remediation: text(40, "console"),
			Resource: fmt.Sprintf("arn:aws:s3:::svc-%02d-%d-%d", svc, acct, i)}
		if r.checklist != "" {
			f.References = []finding.Reference{{Type: finding.RefCIS, ID: "1.4"}, {Type: finding.RefChecklist, ID: r.checklist}}
		}
		b, d, rb := g.lifecycle(scansPerTarget)
		out = append(out, pooled{f: f, born: b, died: d, reborn: rb})
	}
	return out
}

// target records scansPerTarget complete scans of one target over the
// history, the last within the last ten days.
func (g *gen) target(ctx context.Context, target string, scanners []string, pool []pooled) error {
	versions := map[string]string{}
	for _, s := range scanners {
		versions[s] = "bench"
	}
	step := (history - 10*24*time.Hour) / scansPerTarget
	first := g.now.Add(-history).Add(time.Duration(g.rnd.Int64N(int64(step))))
	for i := range scansPerTarget {
		at := first.Add(time.Duration(i)*step + time.Duration(g.rnd.Int64N(int64(time.Hour))))
		var fs []finding.Finding
		for _, p := range pool {
			if i >= p.born && i < p.died || p.reborn > 0 && i >= p.reborn {
				fs = append(fs, p.f)
			}
		}
		if _, err := g.s.RecordScan(ctx, store.Scan{Target: target, Scanners: versions, StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: store.ScanCompleted}, fs); err != nil {
			return err
		}
		g.recorded++
		g.emitted += len(fs)
		g.progress()
	}
	return nil
}

// detections records a partial detection run every day, each adding new
// alerts; the last run is today.
func (g *gen) detections(ctx context.Context, n int) error {
	days := int(history / (24 * time.Hour))
	per := max(1, n/days)
	for d := range days {
		at := g.now.Add(-time.Duration(days-d-1) * 24 * time.Hour).Add(-time.Duration(g.rnd.Int64N(int64(time.Hour))))
		fs := make([]finding.Finding, 0, per)
		for i := range per {
			principal := fmt.Sprintf("arn:aws:iam::100000000000:role/svc-%02d-app", g.rnd.IntN(services+8))
			rule := []string{"PAL-CT-001", "PAL-CT-003", "PAL-GD-001", "sigma-aws-console-login-no-mfa"}[g.rnd.IntN(4)]
			f := finding.Finding{RuleID: rule, Scanner: "detect", Category: finding.Detection,
				Severity: []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low}[g.rnd.IntN(4)],
				Title:    rule + " by " + principal, Message: text(18, rule), Remediation: text(25, "investigate"),
				Resource:   fmt.Sprintf("%s#%032x", principal, uint64(d)<<32|uint64(i)),
				References: []finding.Reference{{Type: "attack", ID: "T1078"}, {Type: finding.RefChecklist, ID: "AWS 4: Detection"}}}
			obs := at.Add(-time.Hour)
			f.ObservedAt = &obs
			fs = append(fs, f)
		}
		if _, err := g.s.RecordScan(ctx, store.Scan{Target: "aws-detections", Scanners: map[string]string{"detect": "bench"},
			StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: store.ScanPartial}, fs); err != nil {
			return err
		}
		g.recorded++
		g.emitted += len(fs)
		g.progress()
	}
	return nil
}

// triage accepts 3% of the open findings (a third of them with an
// acceptance that has lapsed, a third expiring within 30 days), marks 2%
// false positives, and closes most detection alerts older than 3 days.
func (g *gen) triage(ctx context.Context) error {
	open, err := g.s.Findings(ctx, store.Filter{Statuses: []finding.Status{finding.StatusOpen}})
	if err != nil {
		return err
	}
	day := 24 * time.Hour
	for _, r := range open {
		id := strconv.FormatInt(r.ID, 10)
		var t store.Triage
		switch x := g.rnd.IntN(100); {
		case r.Category == finding.Detection:
			if g.now.Sub(r.FirstSeen) < 3*day || x < 15 {
				continue
			}
			st := []finding.Status{finding.StatusFalsePositive, finding.StatusFixed, finding.StatusFixed}[x%3]
			t = store.Triage{ID: id, Status: st, Reason: "looked at", At: r.FirstSeen.Add(time.Duration(1+x%3) * day)}
		case x < 3:
			at := g.now.Add(-time.Duration(20+g.rnd.IntN(60)) * day)
			exp := []time.Time{g.now.Add(-time.Duration(1+g.rnd.IntN(15)) * day), g.now.Add(time.Duration(1+g.rnd.IntN(29)) * day), g.now.Add(time.Duration(40+g.rnd.IntN(300)) * day)}[g.rnd.IntN(3)]
			t = store.Triage{ID: id, Status: finding.StatusAccepted, Reason: "compensating control", Expires: &exp, At: at}
		case x < 5:
			t = store.Triage{ID: id, Status: finding.StatusFalsePositive, Reason: "test fixture", At: g.now.Add(-time.Duration(g.rnd.IntN(90)) * day)}
		default:
			continue
		}
		t.Actor = "bench"
		if _, err := g.s.Triage(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) progress() {
	if time.Since(g.lastReport) > 10*time.Second {
		g.lastReport = time.Now()
		fmt.Fprintf(os.Stderr, "%d scans, %d findings reported\n", g.recorded, g.emitted)
	}
}

// writeCatalog lists the services: each claims its repositories by target
// prefix and its buckets and roles by ARN pattern.
func writeCatalog(path string) error {
	var b strings.Builder
	b.WriteString("version: 1\nservices:\n")
	data := []string{"public", "internal", "confidential", "restricted", ""}
	for i := range services {
		fmt.Fprintf(&b, "  - name: svc-%02d\n    owner: team-%02d@acme.example\n", i, i)
		if d := data[i%len(data)]; d != "" {
			fmt.Fprintf(&b, "    data: %s\n", d)
		}
		fmt.Fprintf(&b, "    internet_facing: %t\n    targets:\n      - /src/acme/svc-%02d/*\n    resources:\n      - \"arn:aws:s3:::svc-%02d-*\"\n      - \"arn:aws:iam::*:role/svc-%02d-*\"\n      - \"module.svc%02d.*\"\n",
			i%3 == 0, i, i, i, i)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
