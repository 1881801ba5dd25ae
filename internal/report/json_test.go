package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

func TestJSONShape(t *testing.T) {
	tests := []struct {
		name   string
		report *Report
		want   []string
	}{
		{"zero report has version and empty lists", &Report{}, []string{`"version": 1`, `"findings": []`, `"scanners": []`}},
		{"version is the format's, not the caller's", &Report{Version: 9}, []string{`"version": 1`}},
		{"empty report keeps its scan", emptyReport(), []string{`"findings": []`, `"target": "/src/shop"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write("json", &buf, tt.report, Options{}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("output lacks %s:\n%s", w, buf.String())
				}
			}
			if strings.Contains(buf.String(), "null") {
				t.Errorf("output contains null:\n%s", buf.String())
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
				t.Fatal(err)
			}
			if len(top) != 3 {
				t.Errorf("top level has %d keys, want version, scan, findings", len(top))
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := fixtureReport()
	var buf bytes.Buffer
	if err := Write("json", &buf, in, Options{}); err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Findings, Sorted(in.Findings)) {
		t.Error("decoded findings differ from the sorted input: a field was lost or changed")
	}
	if !reflect.DeepEqual(out.Scan, in.Scan) {
		t.Errorf("decoded scan = %+v, want %+v", out.Scan, in.Scan)
	}
}

// TestJSONFieldsDocumented keeps docs/report-json.md in step with the structs:
// every JSON field name must appear there as a table row.
func TestJSONFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "report-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	types := []reflect.Type{
		reflect.TypeFor[Report](), reflect.TypeFor[Scan](), reflect.TypeFor[finding.Finding](),
		reflect.TypeFor[finding.Location](), reflect.TypeFor[finding.Reference](), reflect.TypeFor[finding.Package](),
	}
	for _, typ := range types {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !bytes.Contains(doc, []byte("| `"+name+"` |")) {
				t.Errorf("%s field %q is not documented in docs/report-json.md", typ.Name(), name)
			}
		}
	}
}
