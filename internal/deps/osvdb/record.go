// Package osvdb reads OSV advisory databases laid out like the OSV bucket
// (DIR/<Ecosystem>/all.zip, a flat zip of OSV JSON records), builds a compact
// binary index of them once per zip so a warm scan never parses JSON, and
// downloads fresh copies with resume and integrity checks.
package osvdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OSV range types and event kinds, as the OSV schema spells them.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Record is the part of an OSV JSON record palisade uses.
type Record struct {
	ID               string                     `json:"id"`
	Modified         string                     `json:"modified"`
	Published        string                     `json:"published"`
	Withdrawn        string                     `json:"withdrawn"`
	Aliases          []string                   `json:"aliases"`
	Summary          string                     `json:"summary"`
	Details          string                     `json:"details"`
	Severity         []RecordSeverity           `json:"severity"`
	Affected         []RecordAffected           `json:"affected"`
	References       []RecordReference          `json:"references"`
	DatabaseSpecific map[string]json.RawMessage `json:"database_specific"`
}

// RecordSeverity is one severity score of a record or affected package.
type RecordSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// RecordAffected is one affected package with its ranges and versions.
type RecordAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Severity         []RecordSeverity           `json:"severity"`
	Ranges           []RecordRange              `json:"ranges"`
	Versions         []string                   `json:"versions"`
	DatabaseSpecific map[string]json.RawMessage `json:"database_specific"`
}

// RecordRange is one OSV range: a type and its events.
type RecordRange struct {
	Type   string        `json:"type"`
	Repo   string        `json:"repo"`
	Events []RecordEvent `json:"events"`
}

// RecordEvent is one range event; exactly one field is set.
type RecordEvent struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// RecordReference is one link of a record.
type RecordReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ErrMalformedRecord is wrapped by DecodeRecord for JSON that is not a usable OSV record.
var ErrMalformedRecord = errors.New("malformed OSV record")

// DecodeRecord parses one OSV JSON record and checks the fields matching relies on.
func DecodeRecord(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedRecord, err)
	}
	if strings.TrimSpace(r.ID) == "" {
		return nil, fmt.Errorf("%w: no id", ErrMalformedRecord)
	}
	for i, a := range r.Affected {
		for j, rg := range a.Ranges {
			for k, e := range rg.Events {
				n := 0
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if v != "" {
						n++
					}
				}
				if n != 1 {
					return nil, fmt.Errorf("%w: %s: affected[%d].ranges[%d].events[%d] has %d event kinds, want 1", ErrMalformedRecord, r.ID, i, j, k, n)
				}
			}
		}
	}
	return &r, nil
}

// specificString returns a string field of a database_specific object, or "".
func specificString(m map[string]json.RawMessage, key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// specificStrings returns a string-list field of a database_specific object.
func specificStrings(m map[string]json.RawMessage, key string) []string {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	var s []string
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return s
}

// parseTime reads an RFC 3339 timestamp; zero when absent or invalid.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
