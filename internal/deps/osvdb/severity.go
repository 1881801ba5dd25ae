package osvdb

import (
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// recordSeverity returns the record's severity level, CVSS base score and
// the vector scored. A CVSS v3 vector is preferred (the most widely given),
// then v4, first on the record then on its affected entries; without a
// vector, database_specific.severity (GitHub's CRITICAL/HIGH/MODERATE/LOW) is
// used. A record with neither, such as every Go advisory, has level "".
func recordSeverity(r *Record) (level string, score float64, vector string) {
	all := append([]RecordSeverity(nil), r.Severity...)
	for _, a := range r.Affected {
		all = append(all, a.Severity...)
	}
	for _, want := range []string{"CVSS_V3", "CVSS_V4"} {
		for _, s := range all {
			if s.Type != want {
				continue
			}
			if sc, ok := CVSSBaseScore(s.Score); ok {
				return LevelForScore(sc), sc, s.Score
			}
		}
	}
	switch strings.ToUpper(specificString(r.DatabaseSpecific, "severity")) {
	case "CRITICAL":
		return "critical", 0, ""
	case "HIGH":
		return "high", 0, ""
	case "MODERATE", "MEDIUM":
		return "medium", 0, ""
	case "LOW":
		return "low", 0, ""
	}
	return "", 0, ""
}

// CVSSBaseScore computes the base score of a CVSS v3.0, v3.1 or v4.0 vector.
func CVSSBaseScore(vector string) (float64, bool) {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.BaseScore(), true
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		return v.Score(), true
	}
	return 0, false
}

// LevelForScore maps a CVSS score to the qualitative rating of the CVSS
// specification (the same bands for v3 and v4).
func LevelForScore(score float64) string {
	switch {
	case score >= 9.0:
		return "critical"
	case score >= 7.0:
		return "high"
	case score >= 4.0:
		return "medium"
	case score > 0:
		return "low"
	}
	return ""
}
