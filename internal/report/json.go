package report

import (
	"encoding/json"
	"io"

	"github.com/palisade-sec/palisade/internal/finding"
)

// writeJSON writes {"version":1,"scan":{...},"findings":[...]}, indented, in
// report order. Lists the format promises are never null: an empty list is
// written as []. The format is described in docs/report-json.md.
func writeJSON(w io.Writer, r *Report) error {
	out := Report{
		Version:  Version,
		Scan:     r.Scan,
		Findings: Sorted(r.Findings),
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Scan.Scanners == nil {
		out.Scan.Scanners = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
