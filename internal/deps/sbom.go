package deps

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SBOMInfo describes the document WriteCycloneDX produces.
type SBOMInfo struct {
	// Subject names what was scanned (a repository or directory name).
	Subject string
	// ToolVersion is palisade's version, recorded as the producing tool.
	ToolVersion string
	// Timestamp is the document time; zero leaves it out (reproducible output).
	Timestamp time.Time
	// SerialNumber is an optional "urn:uuid:..." identifier of the document.
	SerialNumber string
}

// WriteCycloneDX writes a CycloneDX 1.5 JSON SBOM of the packages in res,
// one component per distinct PURL (with the files it was found in as
// properties), and the vulnerabilities matched to them with their ratings,
// CWEs, advisory links and recommended upgrade.
func WriteCycloneDX(w io.Writer, res *Result, info SBOMInfo) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = info.SerialNumber
	meta := &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "palisade", Version: info.ToolVersion,
		}}},
	}
	if info.Subject != "" {
		meta.Component = &cdx.Component{Type: cdx.ComponentTypeApplication, Name: info.Subject, BOMRef: "subject"}
	}
	if !info.Timestamp.IsZero() {
		meta.Timestamp = info.Timestamp.UTC().Format(time.RFC3339)
	}
	bom.Metadata = meta

	refs := map[string]int{} // bom-ref -> index in components
	var components []cdx.Component
	for _, p := range res.Packages {
		ref := componentRef(p)
		loc := p.Path
		if p.Line > 0 {
			loc += ":" + strconv.Itoa(p.Line)
		}
		if i, ok := refs[ref]; ok {
			props := append(*components[i].Properties, cdx.Property{Name: "palisade:location", Value: loc})
			components[i].Properties = &props
			continue
		}
		props := []cdx.Property{{Name: "palisade:ecosystem", Value: p.Ecosystem}, {Name: "palisade:location", Value: loc}}
		if p.Relation != RelationUnknown {
			props = append(props, cdx.Property{Name: "palisade:relation", Value: string(p.Relation)})
		}
		if p.Unpinned {
			props = append(props, cdx.Property{Name: "palisade:unpinned", Value: "true"})
		}
		refs[ref] = len(components)
		components = append(components, cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version,
			PackageURL: p.PURL, Properties: &props,
		})
	}
	bom.Components = &components

	byID := map[string]*cdx.Vulnerability{}
	var ids []string
	affected := map[string]map[string]bool{}
	for _, v := range res.Vulnerabilities {
		ref := componentRef(v.Package)
		if cv, ok := byID[v.ID]; ok {
			if !affected[v.ID][ref] {
				affected[v.ID][ref] = true
				aff := append(*cv.Affects, cdx.Affects{Ref: ref})
				cv.Affects = &aff
			}
			continue
		}
		cv := &cdx.Vulnerability{
			BOMRef:      "vuln:" + v.ID,
			ID:          v.ID,
			Source:      &cdx.Source{Name: "OSV", URL: v.URL},
			Description: v.Summary,
			Affects:     &[]cdx.Affects{{Ref: ref}},
		}
		if len(v.Aliases) > 0 {
			var vr []cdx.VulnerabilityReference
			for _, a := range v.Aliases {
				vr = append(vr, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{URL: "https://osv.dev/vulnerability/" + a}})
			}
			cv.References = &vr
		}
		if v.Rated {
			r := cdx.VulnerabilityRating{Severity: cdx.Severity(v.Severity.String()), Vector: v.Vector, Source: &cdx.Source{Name: "OSV"}}
			if v.Score > 0 {
				score := v.Score
				r.Score = &score
				r.Method = scoringMethod(v.Vector)
			}
			cv.Ratings = &[]cdx.VulnerabilityRating{r}
		}
		var cwes []int
		for _, c := range v.CWEs {
			if n, err := strconv.Atoi(strings.TrimPrefix(c, "CWE-")); err == nil {
				cwes = append(cwes, n)
			}
		}
		if len(cwes) > 0 {
			cv.CWEs = &cwes
		}
		if v.Upgrade != "" {
			cv.Recommendation = fmt.Sprintf("upgrade %s to %s", v.Package.Name, v.Upgrade)
		}
		if !v.Published.IsZero() {
			cv.Published = v.Published.Format(time.RFC3339)
		}
		byID[v.ID] = cv
		affected[v.ID] = map[string]bool{ref: true}
		ids = append(ids, v.ID)
	}
	sort.Strings(ids)
	vulns := make([]cdx.Vulnerability, 0, len(ids))
	for _, id := range ids {
		vulns = append(vulns, *byID[id])
	}
	bom.Vulnerabilities = &vulns

	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	return nil
}

// componentRef is a component's bom-ref: its PURL, or ecosystem/name@version without one.
func componentRef(p Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return p.Ecosystem + "/" + p.Name + "@" + p.Version
}

// scoringMethod names the CVSS version of a vector for CycloneDX.
func scoringMethod(vector string) cdx.ScoringMethod {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		return cdx.ScoringMethodCVSSv4
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		return cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		return cdx.ScoringMethodCVSSv3
	}
	return cdx.ScoringMethodOther
}
