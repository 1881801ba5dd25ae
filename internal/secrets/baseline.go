package secrets

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Baseline is a set of keyed secret hashes a team has reviewed and accepted.
// Its file holds one hash a line with the rule and path for a reviewer, and
// nothing that changes between runs (no line numbers, no timestamps), sorted,
// so two branches that each add secrets merge without conflicts.
type Baseline struct {
	entries map[string]baselineEntry
}

type baselineEntry struct{ rule, path string }

const baselineHeader = "# palisade secrets baseline v1: keyed hashes of reviewed secrets (never the secrets), sorted.\n"

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline { return &Baseline{entries: map[string]baselineEntry{}} }

// Has reports whether the baseline holds the hash.
func (b *Baseline) Has(hash string) bool {
	_, ok := b.entries[hash]
	return ok
}

// Add records a hash with the rule and path it was found by and in.
func (b *Baseline) Add(hash, rule, path string) {
	if _, ok := b.entries[hash]; !ok {
		b.entries[hash] = baselineEntry{rule: rule, path: path}
	}
}

// Len is the number of hashes held.
func (b *Baseline) Len() int { return len(b.entries) }

// ReadBaseline parses a baseline file. name is used in error messages.
func ReadBaseline(r io.Reader, name string) (*Baseline, error) {
	b := NewBaseline()
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if !isHash(f[0]) {
			return nil, fmt.Errorf("%s:%d: baseline entry must start with a 32-character hex hash", name, n)
		}
		e := baselineEntry{}
		if len(f) > 1 {
			e.rule = f[1]
		}
		if len(f) > 2 {
			e.path = strings.Join(f[2:], " ")
		}
		b.entries[f[0]] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read baseline: %w", name, err)
	}
	return b, nil
}

// Write writes the baseline in its stable, sorted form.
func (b *Baseline) Write(w io.Writer) error {
	hashes := make([]string, 0, len(b.entries))
	for h := range b.entries {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	bw := bufio.NewWriter(w)
	bw.WriteString(baselineHeader)
	for _, h := range hashes {
		e := b.entries[h]
		fmt.Fprintf(bw, "%s %s %s\n", h, e.rule, e.path)
	}
	return bw.Flush()
}

func isHash(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex[s[i]] || (s[i] >= 'A' && s[i] <= 'F') {
			return false
		}
	}
	return true
}
