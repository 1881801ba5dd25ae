package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

// t0 is the time of the first scan in every test; later scans add hours.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// at returns t0 plus h hours.
func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

// secret builds a secret finding from the "secrets" scanner at path:line.
func secret(rule, path string, line int, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		RuleID:      rule,
		Scanner:     "secrets",
		Category:    finding.Secret,
		Severity:    sev,
		Title:       "Leaked " + rule,
		Message:     fmt.Sprintf("%s found in %s", rule, path),
		Location:    finding.Location{Path: path, StartLine: line, EndLine: line, StartColumn: 3, EndColumn: 40, Commit: "0123abcd"},
		Evidence:    finding.Redact("AKIAABCDEFGHIJKLMNOP"),
		Remediation: "Rotate the key.",
		References:  []finding.Reference{{Type: finding.RefCWE, ID: "CWE-798"}},
		SecretHash:  finding.HashSecret([]byte("k"), []byte(rule+path)),
	}
	finding.SetFingerprint(&f)
	return f
}

// vuln builds a vulnerability finding from the "deps" scanner.
func vuln(id, path, pkg string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		RuleID:          id,
		Scanner:         "deps",
		Category:        finding.Vulnerability,
		Severity:        sev,
		Title:           id + " in " + pkg,
		Location:        finding.Location{Path: path},
		Package:         &finding.Package{Name: pkg, Version: "1.0.0", Ecosystem: "npm", PURL: "pkg:npm/" + pkg + "@1.0.0"},
		VulnerabilityID: id,
		Aliases:         []string{"CVE-2026-0001"},
		FixedVersions:   []string{"1.0.1"},
	}
	finding.SetFingerprint(&f)
	return f
}

// scan describes a run of the given scanners over target finishing at h hours.
func scan(target, status string, h int, scanners ...string) store.Scan {
	if len(scanners) == 0 {
		scanners = []string{"secrets", "deps"}
	}
	m := map[string]string{}
	for _, s := range scanners {
		m[s] = "1.0.0"
	}
	return store.Scan{Target: target, Scanners: m, StartedAt: at(h).Add(-time.Minute), FinishedAt: at(h), Status: status}
}

// record calls RecordScan and fails the test on error.
func record(t *testing.T, s store.Store, sc store.Scan, fs ...finding.Finding) store.Result {
	t.Helper()
	res, err := s.RecordScan(context.Background(), sc, fs)
	if err != nil {
		t.Fatalf("RecordScan: %v", err)
	}
	return res
}

// counts is a Result without its scan id, for comparisons.
func counts(r store.Result) store.Result {
	r.ScanID = 0
	return r
}

// byFingerprint returns the stored finding with fingerprint fp.
func byFingerprint(t *testing.T, s store.Store, fp string) store.Record {
	t.Helper()
	r, err := s.Finding(context.Background(), fp)
	if err != nil {
		t.Fatalf("Finding(%s): %v", fp, err)
	}
	return r
}

// transitions lists a finding's history as "from>to" strings.
func transitions(t *testing.T, s store.Store, id int64) []string {
	t.Helper()
	evs, err := s.History(context.Background(), id)
	if err != nil {
		t.Fatalf("History(%d): %v", id, err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, string(e.From)+">"+string(e.To))
	}
	return out
}
