package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/store/storetest"
)

// TestServicesRankFromStoredFindings scans two repositories into the store,
// then ranks the catalog's services: the one with an internet-facing
// load balancer and a planted key comes first, every term carries its
// reason, and the repository no service lists is reported as unassigned.
func TestServicesRankFromStoredFindings(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		env := map[string]string{"PALISADE_DB": dsn}
		orders, billing, stray := filepath.Join(dir, "orders"), filepath.Join(dir, "billing"), filepath.Join(dir, "stray")
		writeFile(t, filepath.Join(orders, "config.py"), "AWS_ACCESS_KEY_ID = '"+planted+"'\n")
		writeFile(t, filepath.Join(orders, "lb.tf"), "resource \"aws_lb\" \"public\" {\n  name     = \"orders\"\n  internal = false\n}\n")
		writeFile(t, filepath.Join(billing, "README.md"), "nothing to see\n")
		writeFile(t, filepath.Join(stray, "id_rsa.txt"), "password = \"Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB\"\n")
		for _, d := range []string{orders, billing, stray} {
			if r := palisade(t, dir, env, "scan", "--scanners", "secrets,iac", d); r.code != 0 {
				t.Fatalf("scan %s: exit %d: %s", d, r.code, r.stderr)
			}
		}
		writeFile(t, filepath.Join(dir, "services.yaml"), `version: 1
services:
  - name: billing
    owner: billing@acme.example
    data: restricted
    targets: ["`+billing+`"]
  - name: orders
    owner: orders@acme.example
    data: confidential
    targets: ["`+orders+`"]
`)
		r := palisade(t, dir, env, "services", "--format", "json")
		if r.code != 0 {
			t.Fatalf("services: exit %d: %s", r.code, r.stderr)
		}
		var out struct {
			Services []struct {
				Rank  int    `json:"rank"`
				Name  string `json:"name"`
				Owner string `json:"owner"`
				Score int    `json:"score"`
				Terms []struct {
					Name   string `json:"name"`
					Points int    `json:"points"`
					Why    string `json:"why"`
				} `json:"terms"`
			} `json:"services"`
			Unassigned map[string]int `json:"unassigned"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if len(out.Services) != 2 || out.Services[0].Name != "orders" || out.Services[0].Rank != 1 || out.Services[1].Name != "billing" {
			t.Fatalf("ranking %+v, want orders then billing", out.Services)
		}
		o := out.Services[0]
		if o.Terms[0].Name != "exposure" || o.Terms[0].Points != 30 || !strings.Contains(o.Terms[0].Why, "internet-facing load balancer (AWS-ELB-001 on aws_lb.public)") {
			t.Errorf("orders exposure %+v", o.Terms[0])
		}
		if o.Terms[1].Points != 20 || o.Terms[2].Points == 0 || !strings.Contains(o.Terms[2].Why, "1 high") {
			t.Errorf("orders terms %+v", o.Terms)
		}
		sum := 0
		for _, term := range o.Terms {
			sum += term.Points
		}
		if sum != o.Score {
			t.Errorf("score %d is not the sum of its terms (%d)", o.Score, sum)
		}
		if b := out.Services[1]; b.Score != 30 || b.Terms[2].Why != "no open finding" {
			t.Errorf("billing %+v, want data 30 and nothing else", b)
		}
		if out.Unassigned[stray] != 1 || len(out.Unassigned) != 1 {
			t.Errorf("unassigned %v, want the stray repository's finding", out.Unassigned)
		}
		if strings.Contains(r.stdout, planted) {
			t.Error("the planted secret appears in the services report")
		}

		table := palisade(t, dir, env, "services")
		if table.code != 0 || !strings.Contains(table.stdout, "1     orders") || !strings.Contains(table.stdout, "belong to no service") {
			t.Errorf("table: exit %d\n%s%s", table.code, table.stdout, table.stderr)
		}
	})
}

func TestServicesCatalogErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PALISADE_DB": filepath.Join(t.TempDir(), "p.db")}
	if r := palisade(t, dir, env, "services"); r.code != 2 || !strings.Contains(r.stderr, "--catalog: services.yaml not found") {
		t.Errorf("no catalog: exit %d, %q", r.code, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "services.yaml"), "services:\n  - name: orders\n    data: restricted\n")
	if r := palisade(t, dir, env, "services"); r.code != 2 || strings.TrimSpace(r.stderr) != `palisade: services.yaml:2: service "orders" has no owner: every service needs one` {
		t.Errorf("no owner: exit %d, %q", r.code, r.stderr)
	}
}
