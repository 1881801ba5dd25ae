package program

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// fillProgram records three months of scans of repositories, AWS accounts,
// an Organization and detection runs, with findings of the rules, checklist
// steps and categories the controls read, at times with nanoseconds the
// store drops; then triages some (accepted for good, until a day that
// passes or not, false positives, fixed by hand).
func fillProgram(t *testing.T, s store.Store, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, 11))
	base := time.Date(2026, 8, 3, 9, 30, 0, 987654321, time.UTC)
	day := 24 * time.Hour
	sevs := []finding.Severity{finding.Info, finding.Low, finding.Medium, finding.High, finding.Critical}
	awsRules := []string{"AWS-ACCT-001", "AWS-ACCT-021", "AWS-IAM-002", "AWS-IAM-001", "AWS-S3-006", "AWS-S3-007", "AWS-ELB-001",
		"AWS-VPC-004", "AWS-TAG-001", "AWS-DRIFT-001", "AWS-EC2-006", "AWS-BAK-001", "AWS-ORG-001"}
	steps := []string{stepInventory, stepBackups, stepVisibility, stepS3Block, stepDetection, stepIAM, stepSurface, stepOwnership, stepNetwork, stepIncident}
	type target struct {
		name     string
		scanners []string
		partial  bool
		make     func(i int) finding.Finding
	}
	repo := func(i int) finding.Finding {
		switch i % 3 {
		case 0:
			f := finding.Finding{RuleID: fmt.Sprintf("GHSA-%d", rnd.IntN(6)), Scanner: "deps", Category: finding.Vulnerability,
				References: []finding.Reference{{Type: finding.RefChecklist, ID: stepDeps}}}
			if rnd.IntN(2) == 0 {
				f.FixedVersions = []string{"2.0.0"}
			}
			return f
		case 1:
			return finding.Finding{RuleID: "aws-access-key-id", Scanner: "secrets", Category: finding.Secret,
				References: []finding.Reference{{Type: finding.RefCWE, ID: "CWE-798"}, {Type: finding.RefChecklist, ID: stepSecrets}}}
		}
		return finding.Finding{RuleID: awsRules[rnd.IntN(len(awsRules))], Scanner: "iac", Category: finding.Misconfiguration,
			References: []finding.Reference{{Type: finding.RefChecklist, ID: steps[rnd.IntN(len(steps))]}}}
	}
	live := func(i int) finding.Finding {
		f := finding.Finding{RuleID: awsRules[rnd.IntN(len(awsRules))], Scanner: "aws", Category: finding.Posture}
		switch rnd.IntN(3) {
		case 0:
			f.References = []finding.Reference{{Type: finding.RefChecklist, ID: steps[rnd.IntN(len(steps))]}}
		case 1:
			f.References = []finding.Reference{{Type: finding.RefChecklist, ID: steps[rnd.IntN(len(steps))]}, {Type: finding.RefChecklist, ID: stepIAM}}
		}
		return f
	}
	alert := func(i int) finding.Finding {
		return finding.Finding{RuleID: fmt.Sprintf("PAL-CT-00%d", rnd.IntN(3)), Scanner: "detect", Category: finding.Detection,
			References: []finding.Reference{{Type: finding.RefChecklist, ID: stepDetection}}}
	}
	targets := []target{
		{"/src/orders", []string{"secrets", "deps", "iac"}, false, repo},
		{"github.com/acme/website.git", []string{"secrets", "deps", "iac"}, false, repo},
		{"/src/unlisted", []string{"secrets", "deps", "iac"}, false, repo},
		{"aws:111111111111", []string{"aws"}, false, live},
		{"aws-org:o-abc", []string{"aws", "drift"}, false, live},
		{"aws-detections", []string{"detect"}, true, alert},
	}
	resources := []string{"arn:aws:rds:us-east-1:1:db:orders-main", "arn:aws:iam::1:role/batch-etl", "arn:aws:s3:::unlisted",
		"arn:aws:iam::1:user/bob#0123456789abcdef0123456789abcdef", "module.orders.aws_s3_bucket.b", ""}
	for ti, tg := range targets {
		pool := make([]finding.Finding, 16)
		for i := range pool {
			f := tg.make(i)
			f.Severity, f.Title, f.Message = sevs[rnd.IntN(len(sevs))], "t", "m"
			f.Location = finding.Location{Path: "p" + strconv.Itoa(i), StartLine: i + 1}
			f.Resource = resources[rnd.IntN(len(resources))]
			pool[i] = f
		}
		versions := map[string]string{}
		for _, n := range tg.scanners {
			versions[n] = "1"
		}
		for round := range 12 {
			at := base.Add(time.Duration(round*8)*day + time.Duration(ti)*time.Hour + time.Duration(rnd.IntN(86400))*time.Second + time.Duration(rnd.IntN(1000)))
			var fs []finding.Finding
			for i, f := range pool {
				if tg.partial && i%12 != round%12 && rnd.IntN(4) > 0 {
					continue // a detection run brings a few new alerts
				}
				if rnd.IntN(4) > 0 {
					fs = append(fs, f)
				}
			}
			status := store.ScanCompleted
			if tg.partial || rnd.IntN(8) == 0 {
				status = store.ScanPartial
			}
			if _, err := s.RecordScan(ctx, store.Scan{Target: tg.name, Scanners: versions, StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: status}, fs); err != nil {
				t.Fatal(err)
			}
		}
	}
	open, err := s.Findings(ctx, store.Filter{Statuses: []finding.Status{finding.StatusOpen}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range open {
		at := r.LastSeen.Add(time.Duration(1+i%5) * time.Hour)
		tr := store.Triage{ID: strconv.FormatInt(r.ID, 10), Actor: "test", At: at}
		switch i % 7 {
		case 0:
			tr.Status, tr.Reason = finding.StatusAccepted, "for good"
		case 1, 2:
			exp := at.Add(time.Duration(1+rnd.IntN(40))*day + time.Duration(rnd.IntN(1000)))
			tr.Status, tr.Reason, tr.Expires = finding.StatusAccepted, "for a while", &exp
		case 3:
			tr.Status, tr.Reason = finding.StatusFalsePositive, "test data"
		case 4:
			tr.Status, tr.Reason = finding.StatusFixed, "fixed by hand"
		default:
			continue
		}
		if _, err := s.Triage(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
}

// TestViewsFromCountsMatchViewsFromRecords computes the metrics, the
// roadmap and the service ranking from the store's counts, and as they were
// computed before, from every stored finding (reference_test.go), on
// SQLite and PostgreSQL, at times on and next to every boundary the views
// compare stored times with: the results must be identical.
func TestViewsFromCountsMatchViewsFromRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		fillProgram(t, s, 1)
		all, err := s.Findings(ctx, store.Filter{Statuses: finding.Statuses})
		if err != nil {
			t.Fatal(err)
		}
		scans, err := s.Scans(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var open []store.Record
		for _, r := range all {
			if r.Status == finding.StatusOpen || r.Status == finding.StatusAccepted {
				open = append(open, r)
			}
		}
		catalog := mustCatalog(t, catalogYAML)
		controls := Controls()

		// Evaluation times: on each boundary a stored time can meet (the
		// window and its weeks, the SLAs, the triage window, an expiry, 30
		// days before one), and a nanosecond and a microsecond either side.
		day := 24 * time.Hour
		var stored []time.Time
		for _, r := range all {
			stored = append(stored, r.FirstSeen)
			if r.FixedAt != nil {
				stored = append(stored, *r.FixedAt)
			}
			if r.StatusExpires != nil {
				stored = append(stored, *r.StatusExpires)
			}
		}
		rnd := rand.New(rand.NewPCG(3, 5))
		offsets := []time.Duration{0, 3 * day, 7 * day, 14 * day, 30 * day, 90 * day, 91 * day, 180 * day, -30 * day}
		jitters := []time.Duration{0, time.Nanosecond, -time.Nanosecond, time.Microsecond, -time.Microsecond}
		nows := []time.Time{stored[0].Add(365 * day)}
		for range 60 {
			nows = append(nows, stored[rnd.IntN(len(stored))].Add(offsets[rnd.IntN(len(offsets))]+jitters[rnd.IntN(len(jitters))]))
		}
		windows := []time.Duration{90 * day, 91 * day, 30 * day, 7 * day, day, 365 * day}
		var checked struct{ overSLA, untriaged, expired, expiring, fixed, pending int }
		for i, now := range nows {
			window := windows[i%len(windows)]
			want := refCompute(all, scans, now, window, nil)
			got, err := Measure(ctx, s, scans, now, window, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("metrics at %s over %s differ:\ngot  %+v\nwant %+v", now.Format(time.RFC3339Nano), window, got, want)
			}
			checked.overSLA += len(want.OverSLA)
			checked.untriaged += want.DetectionsUntriaged
			checked.expired += want.AcceptExpired
			checked.expiring += want.AcceptExpiring
			checked.fixed += want.FixedInWindow

			for _, cat := range []*Catalog{nil, catalog} {
				ref := refEvidence{Evidence: Evidence{Scans: scans, Catalog: cat, Now: now}, Open: open}
				wantRes := refEvaluate(controls, ref)
				ev := Evidence{Scans: scans, Catalog: cat, Now: now}
				if err := ev.Gather(ctx, s, controls); err != nil {
					t.Fatal(err)
				}
				gotRes := Evaluate(controls, ev)
				if g, w := Views(gotRes), Views(wantRes); !reflect.DeepEqual(g, w) {
					for j := range g {
						if g[j] != w[j] {
							t.Errorf("roadmap at %s: control %s\ngot  %+v\nwant %+v", now.Format(time.RFC3339Nano), g[j].ID, g[j], w[j])
						}
					}
					t.FailNow()
				}
				for _, r := range wantRes {
					if r.Control.ID == "aws-4-siem" && r.State == Met && r.Detail != "" {
						checked.pending++
					}
				}
			}
			gotRank, err := RankServices(ctx, s, catalog, now)
			if err != nil {
				t.Fatal(err)
			}
			if wantRank := refRank(catalog, open, now); !reflect.DeepEqual(gotRank, wantRank) {
				t.Fatalf("ranking at %s differs:\ngot  %+v\nwant %+v", now.Format(time.RFC3339Nano), gotRank, wantRank)
			}
		}
		t.Logf("checked %+v", checked)
		// The store and the times must reach what is compared.
		if checked.overSLA == 0 || checked.untriaged == 0 || checked.expired == 0 || checked.expiring == 0 || checked.fixed == 0 || checked.pending == 0 {
			t.Errorf("the test store does not exercise every metric: %+v", checked)
		}
	})
}
