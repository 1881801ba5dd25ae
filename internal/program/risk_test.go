package program

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

const catalogYAML = `version: 1
services:
  - name: orders
    owner: team-orders@acme.example
    data: restricted
    targets: ["/src/orders"]
    resources: ["arn:aws:rds:*:*:db:orders*", "arn:aws:elasticloadbalancing:*:loadbalancer/app/orders/*"]
  - name: website
    owner: web@acme.example
    data: public
    internet_facing: true
    targets: ["github.com/acme/website*"]
  - name: batch
    owner: data@acme.example
    internet_facing: false
    resources: ["arn:aws:iam::*:role/batch-*"]
`

func mustCatalog(t *testing.T, text string) *Catalog {
	t.Helper()
	c, err := ParseCatalog(strings.NewReader(text), "services.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rec(target, resource, rule string, sev finding.Severity) store.Record {
	r := store.Record{Target: target}
	r.RuleID, r.Resource, r.Severity, r.Status, r.Category = rule, resource, sev, finding.StatusOpen, finding.Posture
	return r
}

func TestRankExplainsEveryTerm(t *testing.T) {
	c := mustCatalog(t, catalogYAML)
	vuln := rec("/src/orders", "", "GHSA-xxxx", finding.High)
	vuln.Category, vuln.FixedVersions = finding.Vulnerability, []string{"1.2.3"}
	open := []store.Record{
		rec("aws:1", "arn:aws:rds:us-east-1:1:db:orders-main", "AWS-RDS-003", finding.High),
		rec("aws:1", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/orders/50dc6c495c0c9188", "AWS-ELB-001", finding.Low),
		vuln,
		rec("/src/orders", "", "generic-api-key", finding.Medium),
		rec("github.com/acme/website.git", "", "AWS-S3-007", finding.Info),
		rec("aws:1", "arn:aws:iam::1:role/batch-etl", "AWS-IAM-001", finding.Critical),
		rec("aws:1", "arn:aws:s3:::unlisted-bucket", "AWS-S3-009", finding.Medium),
		func() store.Record {
			r := rec("/src/orders", "", "private-key", finding.Critical)
			r.Status = finding.StatusFixed
			return r
		}(),
	}
	got := Rank(c, counted(open, RankQuery()), now)
	if len(got.Services) != 3 {
		t.Fatalf("ranked %d services", len(got.Services))
	}
	byName := map[string]Ranked{}
	for _, r := range got.Services {
		byName[r.Service.Name] = r
	}
	for _, tc := range []struct {
		service string
		score   int
		terms   [4]string // a fragment of each term's reason
		points  [4]int
	}{
		// Weaknesses: high 5 + high vulnerability with a fix 7.5 + medium 2 + low 1 = 15.5.
		{"orders", 30 + 30 + 16 + 0, [4]string{"internet-facing load balancer (AWS-ELB-001", "restricted", "2 high, 1 medium, 1 low; 1 with a published fix", "no identity"}, [4]int{30, 30, 16, 0}},
		{"website", 30 + 0 + 0 + 0, [4]string{"declared internet-facing", "public", "1 info", "no identity"}, [4]int{30, 0, 0, 0}},
		{"batch", 0 + 20 + 10 + 20, [4]string{"declared internal", "not classified: counted as confidential", "1 critical", "full administrative policy (AWS-IAM-001 on arn:aws:iam::1:role/batch-etl)"}, [4]int{0, 20, 10, 20}},
	} {
		r := byName[tc.service]
		if r.Score != tc.score {
			t.Errorf("%s: score %d, want %d (%+v)", tc.service, r.Score, tc.score, r.Terms)
		}
		for i, term := range r.Terms {
			frag := tc.terms[i]
			if term.Points != tc.points[i] || !strings.Contains(term.Why, frag) {
				t.Errorf("%s %s: %d (%s), want %d containing %q", tc.service, term.Name, term.Points, term.Why, tc.points[i], frag)
			}
		}
	}
	if got.Services[0].Service.Name != "orders" || got.Services[1].Service.Name != "batch" || got.Services[2].Service.Name != "website" {
		t.Errorf("order %s, %s, %s; want orders, batch, website", got.Services[0].Service.Name, got.Services[1].Service.Name, got.Services[2].Service.Name)
	}
	if len(got.Unassigned) != 1 || got.Unassigned["aws:1"] != 1 {
		t.Errorf("unassigned %v, want the unlisted bucket's finding", got.Unassigned)
	}
}

func TestRankCapsWeaknesses(t *testing.T) {
	c := mustCatalog(t, "services:\n  - name: legacy\n    owner: ops\n    data: internal\n    targets: [/src/legacy]\n")
	var open []store.Record
	for range 9 {
		open = append(open, rec("/src/legacy", "", "GHSA-1", finding.Critical))
	}
	r := Rank(c, counted(open, RankQuery()), now).Services[0]
	if r.Terms[2].Points != 40 || !strings.Contains(r.Terms[2].Why, "9 critical (90 points, capped)") || r.Score != 50 {
		t.Errorf("terms %+v score %d, want weaknesses capped at 40 and a score of 50", r.Terms, r.Score)
	}
}

func TestParseCatalogErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", "empty catalog"},
		{"no services", "version: 1\nservices: []\n", "no services listed"},
		{"unknown key", "services:\n  - name: a\n    owner: b\n    ownr: c\n", "services.yaml:4: field ownr unknown in Service"},
		{"missing owner", "services:\n  - name: a\n    owner: b\n  - name: c\n    data: public\n", `services.yaml:4: service "c" has no owner`},
		{"duplicate", "services:\n  - name: a\n    owner: b\n  - name: a\n    owner: c\n", `services.yaml:4: service "a" is already listed at line 2`},
		{"bad name", "services:\n  - name: Orders API\n    owner: b\n", `services.yaml:2: service name "Orders API"`},
		{"bad data class", "services:\n  - name: a\n    owner: b\n    data: secret\n", `data "secret": want public`},
		{"match everything", "services:\n  - name: a\n    owner: b\n    resources: ['*']\n", "would match everything"},
		{"bad pattern", "services:\n  - name: a\n    owner: b\n    resources: ['arn:[']\n", "resource pattern"},
		{"bad yaml", "services:\n  - name: a\n   owner: b\n", "services.yaml:1: did not find expected '-' indicator"},
		{"wrong type", "services:\n  - name: a\n    owner: b\n    internet_facing: sometimes\n", "services.yaml:4:"},
		{"future version", "version: 2\nservices:\n  - name: a\n    owner: b\n", "version 2"},
		{"double star matches everything", "services:\n  - name: a\n    owner: b\n    targets: ['**']\n", "would match everything"},
		{"wildcards and colons match everything", "services:\n  - name: a\n    owner: b\n    resources: ['*:*']\n", "would match everything"},
		{"terminal escape in the owner", "services:\n  - name: a\n    owner: \"x\\e]0;pwn\\a\"\n", "owner contains a control character"},
		{"terminal escape in a YAML error", "services:\n  - name: a\n    owner: b\n    internet_facing: \"\\e]0;pwn\\a\"\n", "services.yaml:4: cannot unmarshal !!str `?]0;pwn?`"},
		{"owner too long", "services:\n  - name: a\n    owner: " + strings.Repeat("o", 201) + "\n", "owner is longer than 200 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog(strings.NewReader(tc.text), "services.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestServiceMatching(t *testing.T) {
	c := mustCatalog(t, catalogYAML)
	orders, website := &c.Services[0], &c.Services[1]
	bot := &Service{Name: "bot", Resources: []string{"arn:aws:iam::1:user/deploy-bot"}}
	for _, tc := range []struct {
		s        *Service
		target   string
		resource string
		want     bool
	}{
		{orders, "/src/orders", "", true},
		{orders, "/src/orders-legacy", "", false}, // exact target without "*"
		{website, "github.com/acme/website-v2", "", true},
		{orders, "x", "arn:aws:rds:eu-west-1:123:db:orders-replica", true},
		{orders, "x", "arn:aws:rds:eu-west-1:123:db:payments", false},
		{orders, "x", "arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/app/orders/abc", true},
		{orders, "x", "", false},
		// A detection alert's resource is its principal with the alert id
		// as a fragment: the principal's pattern claims it.
		{bot, "aws-detections", "arn:aws:iam::1:user/deploy-bot#9f2c0d1e9f2c0d1e9f2c0d1e9f2c0d1e", true},
		{bot, "aws-detections", "arn:aws:iam::1:user/deploy-bot-2#9f2c0d1e9f2c0d1e9f2c0d1e9f2c0d1e", false},
		{bot, "x", "arn:aws:iam::1:user/deploy-bot#not-an-alert-id", false},
		{bot, "x", "arn:aws:iam::1:user/deploy-bot", true},
	} {
		if got := tc.s.ownsTarget(tc.target) || tc.s.ownsResource(tc.resource); got != tc.want {
			t.Errorf("%s owns (%q, %q) = %v, want %v", tc.s.Name, tc.target, tc.resource, got, tc.want)
		}
	}
}

func FuzzParseCatalog(f *testing.F) {
	f.Add([]byte(catalogYAML))
	f.Add([]byte("services:\n  - name: a\n    owner: b\n    resources: ['arn:[']\n"))
	f.Add([]byte("services: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalog(strings.NewReader(string(data)), "services.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "services.yaml") || Clean(err.Error()) != err.Error() {
				t.Fatalf("error %q does not name the file or carries control characters", err)
			}
			return
		}
		for _, s := range c.Services {
			if s.Owner == "" || !serviceName.MatchString(s.Name) || Clean(s.Owner) != s.Owner || Clean(s.Description) != s.Description {
				t.Fatalf("accepted a service without owner, with a bad name or with control characters: %+v", s)
			}
		}
		Rank(c, counted([]store.Record{rec("t", "arn:aws:s3:::b", "AWS-S3-006", finding.High)}, RankQuery()), now)
	})
}

func TestCatalogControls(t *testing.T) {
	c := mustCatalog(t, catalogYAML)
	day := 24 * time.Hour
	inv := Control{ID: "appsec-inventory", Catalog: &CatalogEvidence{Check: everyFindingOwned}}
	rank := Control{ID: "appsec-risk-ranking", Catalog: &CatalogEvidence{Check: everyServiceRanked}}
	for _, tc := range []struct {
		name    string
		control Control
		ev      withOpen
		want    State
		detail  string
	}{
		{"no catalog", inv, withOpen{}, NoEvidence, "no service catalog"},
		{"nothing scanned proves nothing", inv, withOpen{Catalog: c}, NotMet, "no complete scan in the last 30 days"},
		{"every finding owned", inv, withOpen{Catalog: c, Scans: []store.Scan{scanOf("/src/orders", "secrets", day, store.ScanCompleted)},
			Open: []store.Record{rec("/src/orders", "", "r", finding.Low)}}, Met, "3 services with owners"},
		{"a finding nobody owns", inv, withOpen{Catalog: c, Scans: []store.Scan{scanOf("/src/orders", "secrets", day, store.ScanCompleted)},
			Open: []store.Record{rec("/src/orders", "", "r", finding.Low), rec("/src/new-thing", "", "r", finding.Low)}},
			NotMet, "1 open finding(s) belong to no service: /src/new-thing"},
		{"unclassified and unscanned services", rank, withOpen{Catalog: c, Scans: []store.Scan{scanOf("/src/orders", "secrets", day, store.ScanCompleted)}},
			NotMet, "website (no recent scan of its targets), batch (data not classified)"},
		{"everything ranked", rank, withOpen{Catalog: mustCatalog(t, strings.Replace(catalogYAML, "internet_facing: false", "internet_facing: false\n    data: internal", 1)),
			Scans: []store.Scan{scanOf("/src/orders", "secrets", day, store.ScanCompleted), scanOf("github.com/acme/website.git", "deps", day, store.ScanCompleted),
				scanOf("aws:1", "aws", day, store.ScanCompleted)}},
			Met, "3 services ranked"},
		{"scans too old", rank, withOpen{Catalog: c, Scans: []store.Scan{scanOf("/src/orders", "secrets", 40*day, store.ScanCompleted)}},
			NotMet, "orders (no recent scan of its targets)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ev.Now = now
			got := Evaluate([]Control{tc.control}, gather([]Control{tc.control}, tc.ev))[0]
			if got.State != tc.want || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s (%s), want %s containing %q", got.State, got.Detail, tc.want, tc.detail)
			}
		})
	}
}

// TestPatternsMatchAsPathMatch holds the literal-prefix shortcut of
// resource matching to path.Match on patterns whose special characters
// come early, late or escaped, and on malformed ones.
func TestPatternsMatchAsPathMatch(t *testing.T) {
	patterns := []string{"*", "arn:aws:s3:::logs-*", "arn:aws:s3:::logs/*", "*:db:orders*", "arn:aws:iam::?:role/x",
		"arn:aws:iam::[0-9]*:role/*", `arn:aws:s3:::a\*b`, `arn:aws:s3:::a\`, "arn:aws:s3:::[", "module.orders.*", "exact"}
	names := []string{"", "arn:aws:s3:::logs-1", "arn:aws:s3:::logs/2024/x", "arn:aws:rds:us-east-1:1:db:orders-main",
		"arn:aws:iam::1:role/x", "arn:aws:iam::12:role/x", "arn:aws:s3:::a*b", "arn:aws:s3:::ab", "arn:aws:s3:::a\\",
		"arn:aws:s3:::[", "module.orders.aws_s3_bucket.b", "exact", "exactly", "arn:aws:iam::1:user/bob#0123456789abcdef0123456789abcdef"}
	for _, p := range patterns {
		s := &Service{Name: "s", Resources: []string{p}}
		for _, n := range names {
			if got, want := s.ownsResource(n), refOwnsResource(s, n); got != want {
				t.Errorf("pattern %q, resource %q: %v, path.Match says %v", p, n, got, want)
			}
		}
	}
}
