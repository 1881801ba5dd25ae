package osvdb

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// MaxRecordSize caps one decompressed record; a bigger zip entry is skipped
// and reported, so a hostile database cannot exhaust memory.
const MaxRecordSize = 16 << 20

// MaxZipSize caps the all.zip file read into memory.
const MaxZipSize = 2 << 30

// EventKind is the kind of an OSV range event.
type EventKind uint8

// Event kinds.
const (
	Introduced EventKind = iota + 1
	Fixed
	LastAffected
	Limit
)

// Event is one range event: a kind and a version.
type Event struct {
	Kind    EventKind
	Version string
}

// Range is one SEMVER or ECOSYSTEM range of an affected package; GIT ranges
// are dropped when the index is built, as osv-scanner ignores them for packages.
type Range struct {
	Type   string
	Events []Event
}

// Affected is one affected-package entry of an advisory.
type Affected struct {
	Advisory int // number of the advisory, for Index.Advisory
	Ranges   []Range
	Versions []string
}

// Advisory is what a finding needs from an OSV record, without its ranges.
type Advisory struct {
	ID        string
	Aliases   []string
	Summary   string
	Published int64 // Unix seconds; 0 when the record has no valid date
	// Severity is "critical", "high", "medium", "low" or "" when the record
	// gives no score; Score is the CVSS base score (0 when none), Vector the
	// CVSS vector it was computed from.
	Severity string
	Score    float64
	Vector   string
	CWEs     []string
	// URL is the advisory's page: database_specific.url, else the first
	// ADVISORY reference, else its osv.dev page.
	URL string
	// Entry is the zip entry the record came from.
	Entry string
}

// Key identifies the all.zip an index was built from.
type Key struct {
	Size   int64
	MTime  int64 // Unix nanoseconds
	SHA256 [32]byte
}

// Index is the compact form of one ecosystem's all.zip: advisories and, for
// each package name (PEP 503 normalised for PyPI), its affected entries.
//
// An index built from a zip holds everything decoded. An index read from a
// cache file holds the file and decodes a package's entries, or an
// advisory, only when asked, so a scan pays for the packages it looks up.
// An Index is not safe for concurrent use.
type Index struct {
	Ecosystem string
	Key       Key
	// Errors lists entries that could not be used (oversized, malformed,
	// conflicting); when non-empty, results from this index are partial.
	Errors []string
	// CacheErr is set when the index was built but could not be cached.
	CacheErr error

	advisories []Advisory // built: every advisory
	packages   map[string][]Affected

	data      string // loaded: the index file, and where each block is in it
	advSpans  []span
	pkgSpans  map[string]span
	names     []string // loaded: package names in file order (sorted)
	decodeErr error
}

// NumAdvisories returns the number of advisories in the index.
func (ix *Index) NumAdvisories() int {
	if ix.advSpans != nil {
		return len(ix.advSpans)
	}
	return len(ix.advisories)
}

// Advisory returns advisory number i (0 <= i < NumAdvisories).
func (ix *Index) Advisory(i int) Advisory {
	if ix.advSpans == nil {
		return ix.advisories[i]
	}
	a, err := decodeAdvisory(ix.data, ix.advSpans[i])
	if err != nil && ix.decodeErr == nil {
		ix.decodeErr = err
	}
	return a
}

// Lookup returns the affected entries for a package name (normalised by the caller).
func (ix *Index) Lookup(name string) []Affected {
	if ix.pkgSpans == nil {
		return ix.packages[name]
	}
	sp, ok := ix.pkgSpans[name]
	if !ok {
		return nil
	}
	entries, err := decodeEntries(ix.data, sp, len(ix.advSpans))
	if err != nil {
		if ix.decodeErr == nil {
			ix.decodeErr = err
		}
		return nil
	}
	return entries
}

// Packages returns the number of distinct package names in the index.
func (ix *Index) Packages() int {
	if ix.pkgSpans != nil {
		return len(ix.pkgSpans)
	}
	return len(ix.packages)
}

// Err reports the first problem met while decoding a loaded index lazily
// (a cache file that passed its checksum but holds an invalid block).
func (ix *Index) Err() error { return ix.decodeErr }

// NormalizeName returns the form of a package name the index is keyed by:
// PEP 503 normalisation for PyPI, the name unchanged elsewhere.
func NormalizeName(ecosystem, name string) string {
	if ecosystem != "PyPI" {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// Build reads an all.zip held in memory and indexes the records whose
// affected packages belong to ecosystem. A zip that cannot be opened is an
// error; bad entries are skipped and listed in Index.Errors.
func Build(ctx context.Context, zipName string, data []byte, ecosystem string, key Key) (*Index, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: open zip: %w", zipName, err)
	}
	ix := &Index{Ecosystem: ecosystem, Key: key, packages: map[string][]Affected{}}
	type kept struct {
		rec   *Record
		entry string
	}
	byID := map[string]kept{}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if f.FileInfo().IsDir() || !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		rec, err := readEntry(f)
		if err != nil {
			ix.Errors = append(ix.Errors, fmt.Sprintf("%s: entry %s: %v", zipName, f.Name, err))
			continue
		}
		if rec.Withdrawn != "" {
			continue
		}
		if prev, dup := byID[rec.ID]; dup {
			// Two records claim one id: keep the newer, say which were in conflict.
			ix.Errors = append(ix.Errors, fmt.Sprintf("%s: entries %s and %s both hold record %s; kept the one modified last", zipName, prev.entry, f.Name, rec.ID))
			if parseTime(rec.Modified).Before(parseTime(prev.rec.Modified)) {
				continue
			}
		}
		byID[rec.ID] = kept{rec: rec, entry: f.Name}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		k := byID[id]
		ix.add(k.rec, k.entry)
	}
	return ix, nil
}

// readEntry decompresses one zip entry under the size cap and decodes it.
func readEntry(f *zip.File) (*Record, error) {
	if f.UncompressedSize64 > MaxRecordSize {
		return nil, fmt.Errorf("%d bytes, over the %d byte record limit", f.UncompressedSize64, MaxRecordSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("over the %d byte record limit", MaxRecordSize)
	}
	return DecodeRecord(b)
}

// add indexes one record's affected entries for the index's ecosystem.
func (ix *Index) add(r *Record, entry string) {
	adv := Advisory{
		ID:      r.ID,
		Aliases: r.Aliases,
		Summary: r.Summary,
		CWEs:    specificStrings(r.DatabaseSpecific, "cwe_ids"),
		Entry:   entry,
	}
	if t := parseTime(r.Published); !t.IsZero() {
		adv.Published = t.Unix()
	}
	if adv.Summary == "" {
		adv.Summary = firstLine(r.Details)
	}
	adv.Severity, adv.Score, adv.Vector = recordSeverity(r)
	adv.URL = advisoryURL(r)
	idx := -1
	for _, a := range r.Affected {
		eco, _, _ := strings.Cut(a.Package.Ecosystem, ":")
		if eco != ix.Ecosystem || a.Package.Name == "" {
			continue
		}
		entry := Affected{Versions: a.Versions}
		for _, rg := range a.Ranges {
			if rg.Type != RangeSemver && rg.Type != RangeEcosystem {
				continue
			}
			out := Range{Type: rg.Type}
			for _, e := range rg.Events {
				switch {
				case e.Introduced != "":
					out.Events = append(out.Events, Event{Introduced, e.Introduced})
				case e.Fixed != "":
					out.Events = append(out.Events, Event{Fixed, e.Fixed})
				case e.LastAffected != "":
					out.Events = append(out.Events, Event{LastAffected, e.LastAffected})
				case e.Limit != "":
					out.Events = append(out.Events, Event{Limit, e.Limit})
				}
			}
			entry.Ranges = append(entry.Ranges, out)
		}
		if len(entry.Ranges) == 0 && len(entry.Versions) == 0 {
			continue
		}
		if idx < 0 {
			idx = len(ix.advisories)
			ix.advisories = append(ix.advisories, adv)
		}
		entry.Advisory = idx
		name := NormalizeName(ix.Ecosystem, a.Package.Name)
		ix.packages[name] = append(ix.packages[name], entry)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// advisoryURL picks the page a person should read about the record.
func advisoryURL(r *Record) string {
	if u := specificString(r.DatabaseSpecific, "url"); strings.HasPrefix(u, "https://") {
		return u
	}
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" && strings.HasPrefix(ref.URL, "https://") {
			return ref.URL
		}
	}
	return "https://osv.dev/vulnerability/" + r.ID
}

// Open returns the index for one ecosystem of the database in dbDir
// (dbDir/<ecosystem>/all.zip), using a cached index in cacheDir when it was
// built from the same zip. The validity key is the zip's size, modification
// time and SHA-256: when size and time match, the cache is used without
// reading the zip (a warm scan reads neither the zip nor any JSON); when only
// the time differs, the zip is hashed and an unchanged hash keeps the cache.
// Otherwise the index is built and the cache rewritten atomically. An empty
// cacheDir disables caching. A failure to write the cache leaves a usable
// index with CacheErr set.
func Open(ctx context.Context, dbDir, cacheDir, ecosystem string) (*Index, error) {
	zipPath := filepath.Join(dbDir, ecosystem, "all.zip")
	st, err := os.Stat(zipPath)
	if err != nil {
		return nil, fmt.Errorf("open advisory database: %w", err)
	}
	if st.Size() > MaxZipSize {
		return nil, fmt.Errorf("%s: %d bytes, over the %d byte database limit", zipPath, st.Size(), MaxZipSize)
	}
	var cached *Index
	cachePath := ""
	if cacheDir != "" {
		cachePath = filepath.Join(cacheDir, cacheFileName(ecosystem))
		if b, err := os.ReadFile(cachePath); err == nil {
			if ix, err := Unmarshal(b); err == nil && ix.Ecosystem == ecosystem && ix.Key.Size == st.Size() {
				if ix.Key.MTime == st.ModTime().UnixNano() {
					return ix, nil
				}
				cached = ix
			}
		}
	}
	data, err := readFile(zipPath, st.Size())
	if err != nil {
		return nil, err
	}
	key := Key{Size: int64(len(data)), MTime: st.ModTime().UnixNano(), SHA256: sha256.Sum256(data)}
	if cached != nil && cached.Key.SHA256 == key.SHA256 && cached.Key.Size == key.Size {
		cached.Key = key
		cached.CacheErr = writeAtomic(cachePath, Marshal(cached))
		return cached, nil
	}
	ix, err := Build(ctx, zipPath, data, ecosystem, key)
	if err != nil {
		return nil, err
	}
	if cachePath != "" {
		ix.CacheErr = writeAtomic(cachePath, Marshal(ix))
	}
	return ix, nil
}

// readFile reads a file expected to be size bytes, refusing more than MaxZipSize.
func readFile(p string, size int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open advisory database: %w", err)
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxZipSize+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if buf.Len() > MaxZipSize {
		return nil, fmt.Errorf("%s: over the %d byte database limit", p, MaxZipSize)
	}
	return buf.Bytes(), nil
}

// cacheFileName is the index file name for an ecosystem, safe on any file system.
func cacheFileName(ecosystem string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, ecosystem)
	return "osv-" + safe + ".idx"
}

// writeAtomic writes data to a temporary file beside p and renames it over p.
func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write index cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), path.Base(p)+".tmp*")
	if err != nil {
		return fmt.Errorf("write index cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write index cache %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write index cache %s: %w", p, err)
	}
	return nil
}

// Ecosystems lists the ecosystems that have an all.zip in dbDir, sorted.
func Ecosystems(dbDir string) ([]string, error) {
	entries, err := os.ReadDir(dbDir)
	if err != nil {
		return nil, fmt.Errorf("read advisory database directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if st, err := os.Stat(filepath.Join(dbDir, e.Name(), "all.zip")); err == nil && st.Mode().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
