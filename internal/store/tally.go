package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/palisade-sec/palisade/internal/finding"
)

// A Field is a property of findings Tally can group them by.
type Field int

// The fields Tally groups by.
const (
	ByTarget Field = iota + 1
	ByResource
	ByScanner
	ByRuleID
	ByCategory
	BySeverity
	ByStatus
	// ByChecklist groups by the checklist steps a finding references.
	ByChecklist
	// ByFixable groups by whether a finding names versions that fix it.
	ByFixable
	// ByFirstSeen, ByFixedAt and ByExpires group by the exact time a
	// finding was first seen, fixed, and until when it is accepted.
	ByFirstSeen
	ByFixedAt
	ByExpires
)

// fieldColumns are the columns of the fields: the only names Tally puts in
// its SQL besides its own.
var fieldColumns = map[Field]string{
	ByTarget: "target", ByResource: "resource", ByScanner: "scanner", ByRuleID: "rule_id",
	ByCategory: "category", BySeverity: "severity_level", ByStatus: "status", ByChecklist: "checklist",
	ByFixable: "fixable", ByFirstSeen: "first_seen", ByFixedAt: "fixed_at", ByExpires: "status_expires",
}

// TallyQuery says which findings Tally counts and how it groups them.
type TallyQuery struct {
	// Statuses selects findings by status; empty selects every finding.
	Statuses []finding.Status
	// FirstSeenSince and FixedSince, unless zero, select only findings
	// first seen, or fixed, at or after them.
	FirstSeenSince, FixedSince time.Time
	// By lists the fields findings are grouped by. Grouping by fields in
	// the order of an index (00007_tally.sql) lets SQLite count without
	// sorting.
	By []Field
	// TargetPrefixes also groups findings by the longest of these prefixes
	// their target starts with (Tally.TargetPrefix, "" for none): a group's
	// targets start with one of these prefixes exactly when its
	// TargetPrefix does. They are compared by characters, so they must be
	// valid UTF-8.
	TargetPrefixes []string
	// SeenSince asks, for each of these times, how many findings of each
	// group were first seen at or after it (Tally.SeenSince), as Go
	// compares the stored times.
	SeenSince []time.Time
	// Earliest asks for each group's earliest first_seen.
	Earliest bool
}

// Tally is one group of findings: the values of the fields grouped by (zero
// for the others) and how many findings share them. Checklist slices are
// shared between groups: do not change them.
type Tally struct {
	Target    string
	Resource  string
	Scanner   string
	RuleID    string
	Category  finding.Category
	Severity  finding.Severity
	Status    finding.Status
	Checklist []string
	Fixable   bool
	FirstSeen time.Time
	FixedAt   *time.Time
	Expires   *time.Time

	TargetPrefix string
	SeenSince    []int

	// Count is how many findings the group holds; EarliestFirstSeen the
	// earliest first_seen among them, when asked for.
	Count             int
	EarliestFirstSeen time.Time
}

// Tally counts the findings q selects, grouped as q says, in one query that
// reads no finding's text: what the program views (roadmap, metrics,
// services) need, without reading every finding.
func (s *sqlStore) Tally(ctx context.Context, q TallyQuery) ([]Tally, error) {
	var (
		args  []any
		where []string
		keys  []string // expressions of the inner query, selected as k0, k1, ...
		read  []func(t *Tally, v any) error
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(q.Statuses) > 0 {
		marks := make([]string, 0, len(q.Statuses))
		for _, st := range q.Statuses {
			if _, err := finding.ParseStatus(string(st)); err != nil {
				return nil, fmt.Errorf("tally findings: %w: %w", ErrInvalid, err)
			}
			marks = append(marks, arg(string(st)))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	if !q.FirstSeenSince.IsZero() {
		where = append(where, "first_seen >= "+arg(cutTime(q.FirstSeenSince)))
	}
	if !q.FixedSince.IsZero() {
		where = append(where, "fixed_at >= "+arg(cutTime(q.FixedSince)))
	}
	seen := map[Field]bool{}
	for _, f := range q.By {
		col, ok := fieldColumns[f]
		if !ok {
			return nil, fmt.Errorf("tally findings: %w: unknown field %d", ErrInvalid, int(f))
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		keys = append(keys, col)
		read = append(read, fieldReader(f))
	}
	if len(q.TargetPrefixes) > 0 {
		expr, prefixes, err := prefixExpr(q.TargetPrefixes, arg)
		if err != nil {
			return nil, fmt.Errorf("tally findings: %w", err)
		}
		keys = append(keys, expr)
		read = append(read, func(t *Tally, v any) error {
			i, err := asInt(v)
			if err == nil && i >= 0 {
				t.TargetPrefix = prefixes[i]
			}
			return err
		})
	}
	// SELECT k0, k1, ..., COUNT(*)[, MIN(fs)][, SUM(CASE WHEN fs >= $n ...)]
	// FROM (SELECT <key> AS k0, ..., first_seen AS fs FROM findings WHERE ...)
	// AS f GROUP BY k0, k1, ...
	inner := make([]string, 0, len(keys)+1)
	outer := make([]string, 0, len(keys)+2)
	for i, k := range keys {
		inner = append(inner, k+" AS k"+strconv.Itoa(i))
		outer = append(outer, "k"+strconv.Itoa(i))
	}
	groups := strings.Join(outer, ", ")
	outer = append(outer, "COUNT(*)")
	if q.Earliest || len(q.SeenSince) > 0 {
		inner = append(inner, "first_seen AS fs")
	}
	if q.Earliest {
		outer = append(outer, "MIN(fs)")
	}
	for _, t := range q.SeenSince {
		outer = append(outer, "SUM(CASE WHEN fs >= "+arg(cutTime(t))+" THEN 1 ELSE 0 END)")
	}
	if len(inner) == 0 {
		inner = append(inner, "1 AS one")
	}
	query := "SELECT " + strings.Join(inner, ", ") + " FROM findings"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query = "SELECT " + strings.Join(outer, ", ") + " FROM (" + query + ") AS f"
	if groups != "" {
		query += " GROUP BY " + groups
	}

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("tally findings: %w", err)
	}
	defer rows.Close()
	var out []Tally
	vals := make([]any, len(outer))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("tally findings: %w", err)
		}
		t := Tally{}
		n, err := asInt(vals[len(keys)])
		if err != nil {
			return nil, fmt.Errorf("tally findings: count: %w", err)
		}
		if n == 0 {
			continue // the one row of an ungrouped count of nothing
		}
		t.Count = n
		next := len(keys) + 1
		if q.Earliest {
			if t.EarliestFirstSeen, _, err = asTime(vals[next]); err != nil {
				return nil, fmt.Errorf("tally findings: first seen: %w", err)
			}
			next++
		}
		if len(q.SeenSince) > 0 {
			t.SeenSince = make([]int, len(q.SeenSince))
			for i := range t.SeenSince {
				if t.SeenSince[i], err = asInt(vals[next+i]); err != nil {
					return nil, fmt.Errorf("tally findings: first seen since: %w", err)
				}
			}
		}
		for i, r := range read {
			if err := r(&t, vals[i]); err != nil {
				return nil, fmt.Errorf("tally findings: %w", err)
			}
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tally findings: %w", err)
	}
	return out, nil
}

// fieldReader stores a field's value into a Tally.
func fieldReader(f Field) func(t *Tally, v any) error {
	text := func(dst func(*Tally) *string) func(*Tally, any) error {
		return func(t *Tally, v any) (err error) {
			*dst(t), err = asString(v)
			return err
		}
	}
	switch f {
	case ByTarget:
		return text(func(t *Tally) *string { return &t.Target })
	case ByResource:
		return text(func(t *Tally) *string { return &t.Resource })
	case ByScanner:
		return text(func(t *Tally) *string { return &t.Scanner })
	case ByRuleID:
		return text(func(t *Tally) *string { return &t.RuleID })
	case ByCategory:
		return func(t *Tally, v any) error {
			s, err := asString(v)
			t.Category = finding.Category(s)
			return err
		}
	case ByStatus:
		return func(t *Tally, v any) error {
			s, err := asString(v)
			t.Status = finding.Status(s)
			return err
		}
	case BySeverity:
		return func(t *Tally, v any) error {
			n, err := asInt(v)
			t.Severity = finding.Severity(n)
			return err
		}
	case ByFixable:
		return func(t *Tally, v any) error {
			n, err := asInt(v)
			t.Fixable = n != 0
			return err
		}
	case ByFirstSeen:
		return func(t *Tally, v any) (err error) {
			t.FirstSeen, _, err = asTime(v)
			return err
		}
	case ByFixedAt:
		return func(t *Tally, v any) error {
			at, ok, err := asTime(v)
			if ok {
				t.FixedAt = &at
			}
			return err
		}
	case ByExpires:
		return func(t *Tally, v any) error {
			at, ok, err := asTime(v)
			if ok {
				t.Expires = &at
			}
			return err
		}
	}
	// ByChecklist: each distinct list is decoded once.
	decoded := map[string][]string{}
	return func(t *Tally, v any) error {
		text, err := asString(v)
		if err != nil {
			return err
		}
		ids, ok := decoded[text]
		if !ok {
			if ids, err = decodeChecklist(text); err != nil {
				return err
			}
			decoded[text] = ids
		}
		t.Checklist = ids
		return nil
	}
}

// prefixExpr is the index, in the returned order (longest first), of the
// longest prefix the target starts with, or -1.
func prefixExpr(prefixes []string, arg func(any) string) (string, []string, error) {
	sorted := slices.Clone(prefixes)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	var b strings.Builder
	b.WriteString("CASE")
	for i, p := range sorted {
		if !utf8.ValidString(p) {
			return "", nil, fmt.Errorf("%w: target prefix %q is not valid UTF-8", ErrInvalid, p)
		}
		fmt.Fprintf(&b, " WHEN substr(target, 1, %s) = %s THEN %d", arg(utf8.RuneCountInString(p)), arg(p), i)
	}
	b.WriteString(" ELSE -1 END")
	return b.String(), sorted, nil
}

// cutTime is the first stored time at or after t. Stored times have
// microsecond precision (dbTime), so "stored >= cutTime(t)" holds exactly
// when Go's "!stored.Before(t)" does.
func cutTime(t time.Time) time.Time {
	u := dbTime(t)
	if u.Before(t) {
		u = u.Add(time.Microsecond)
	}
	return u
}

// checklistJSON is the checklist column of a finding: the ids of its
// checklist references, as a JSON array.
func checklistJSON(refs []finding.Reference) string {
	ids := []string{}
	for _, r := range refs {
		if r.Type == finding.RefChecklist {
			ids = append(ids, r.ID)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the form SQLite's json_group_array writes
	if err := enc.Encode(ids); err != nil {
		return "[]" // a []string always encodes
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// decodeChecklist reads a checklist column.
func decodeChecklist(text string) ([]string, error) {
	if text == "" || text == "[]" {
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(text), &ids); err != nil {
		return nil, fmt.Errorf("decode checklist %q: %w", text, err)
	}
	return ids, nil
}

// fixable is the fixable column of a finding.
func fixable(f *finding.Finding) int {
	if len(f.FixedVersions) > 0 {
		return 1
	}
	return 0
}

func asString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("want text, got %T", v)
}

func asInt(v any) (int, error) {
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case int32:
		return int(x), nil
	case int:
		return x, nil
	case float64:
		return int(x), nil
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

// sqliteTime is how the SQLite driver writes times (_time_format=sqlite);
// it returns them as text where a column has no declared type (MIN, a
// subquery).
const sqliteTime = "2006-01-02 15:04:05.999999999-07:00"

// asTime reads a time column; false when it is NULL.
func asTime(v any) (time.Time, bool, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return x.UTC(), true, nil
	case string, []byte:
		s, _ := asString(x)
		t, err := time.Parse(sqliteTime, s)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("read time %q: %w", s, err)
		}
		return t.UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("want a time, got %T", v)
}
