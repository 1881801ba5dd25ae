// Package secrets finds credentials in files, git history, staged changes and
// standard input. One Aho-Corasick pass over each text finds every detector
// keyword; a detector's regular expression then runs only on the lines around
// its keywords. A secret never leaves this package in clear: findings carry a
// redacted preview and a keyed hash.
package secrets

import (
	"bytes"
	"sort"
	"strings"
	"sync"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/secrets/detectors"
)

// ChecklistStep is the checklist step secret findings serve.
const ChecklistStep = "AppSec: Never store secrets in code or config"

// ScannerName is the name findings carry in their Scanner field.
const ScannerName = "secrets"

// Version is the secret scanner's version, recorded with each scan.
const Version = "0.1.0"

// maxSpan bounds how far from a keyword a pattern may look.
const maxSpan = detectors.MaxSpan

// DefaultMaxFileSize is the largest file scanned unless configured otherwise.
const DefaultMaxFileSize = 50 << 20

// Options configure an Engine.
type Options struct {
	// HashKey keys the secret hash (HMAC-SHA256). The same key must be used
	// wherever hashes are compared: the store, baselines, CI.
	HashKey []byte
	// Detectors to run; nil means detectors.All().
	Detectors []*detectors.Detector
	// DisabledRules are detector ids not to run.
	DisabledRules []string
	// MaxFileSize skips larger files (reported, not scanned). Zero means
	// DefaultMaxFileSize.
	MaxFileSize int64
	// DecodeDepth is how many layers of base64, hex or percent-encoding are
	// decoded and rescanned. Zero disables decoding.
	DecodeDepth int
	// Baseline holds hashes of known secrets that are not reported.
	Baseline *Baseline
	// Verify, when set, asks a provider whether a credential works. It sees
	// the secret in clear inside the engine; only its answer (Verified,
	// Unverified or Unknown) leaves. kind is "aws" with parts (key id,
	// secret key).
	Verify func(kind string, parts []string) string
}

// Verification results.
const (
	Verified   = "verified"   // the provider accepted the credential
	Unverified = "unverified" // the provider rejected it (revoked, wrong pair)
	Unknown    = "unknown"    // not checked: no verifier, no pair, or no answer
)

// Engine scans texts for secrets. It is safe for concurrent use.
type Engine struct {
	verified sync.Map // keyed hash of a credential pair → verification result
	opts     Options
	dets     []*detectors.Detector
	generic  []bool        // dets[i] is a catch-all detector, outranked by any other
	kwDets   [][]kwBinding // keyword id → the detectors using it
	pf       *prefilter
	hashKey  []byte
	maxBytes int64
}

// New builds an engine from options.
func New(opts Options) *Engine {
	dets := opts.Detectors
	if dets == nil {
		dets = detectors.All()
	}
	if len(opts.DisabledRules) > 0 {
		off := map[string]bool{}
		for _, id := range opts.DisabledRules {
			off[id] = true
		}
		var kept []*detectors.Detector
		for _, d := range dets {
			if !off[d.ID] {
				kept = append(kept, d)
			}
		}
		dets = kept
	}
	e := &Engine{opts: opts, dets: dets, hashKey: opts.HashKey, maxBytes: opts.MaxFileSize}
	if e.maxBytes <= 0 {
		e.maxBytes = DefaultMaxFileSize
	}
	kwIndex := map[string]int32{}
	var keywords []string
	bind := func(k string, b kwBinding) {
		id, ok := kwIndex[k]
		if !ok {
			id = int32(len(keywords))
			kwIndex[k] = id
			keywords = append(keywords, k)
			e.kwDets = append(e.kwDets, nil)
		}
		e.kwDets[id] = append(e.kwDets[id], b)
	}
	for i, d := range dets {
		e.generic = append(e.generic, strings.HasPrefix(d.ID, "generic"))
		for _, k := range d.Keywords {
			bind(k, kwBinding{det: int32(i)})
		}
		for _, k := range d.CaseKeywords {
			bind(strings.ToLower(k), kwBinding{det: int32(i), exact: k})
		}
	}
	e.pf = newPrefilter(keywords)
	return e
}

// kwBinding ties a prefilter keyword to a detector; exact, when set, is the
// case the bytes must have (a CaseKeywords entry).
type kwBinding struct {
	det   int32
	exact string
}

// Detectors returns the detectors the engine runs.
func (e *Engine) Detectors() []*detectors.Detector { return e.dets }

// Hit is one secret found in a text, located but already reduced to what
// may be shown: a preview and a keyed hash.
type Hit struct {
	Detector  *detectors.Detector
	Line      int // 1-based line of the secret's first byte
	Column    int // 1-based byte column
	EndLine   int
	EndColumn int
	Preview   string // finding.Redact of the secret
	Hash      string // finding.HashSecret of the secret
	// Encoding names the decoding that revealed the secret ("base64"), if any.
	Encoding string
	// Ignored is set when an inline comment or the baseline suppresses it.
	Ignored bool
	// Verification is set when Options.Verify is: Verified, Unverified or Unknown.
	Verification string
}

// scratch is per-goroutine working memory reused across texts.
type scratch struct {
	wins    [][][2]int
	lastKey []int // per detector: the key name last tried by a KeyAnchored one
	touched []int32
	raw     []rawHit
	buf     []byte // file contents, reused from file to file (readFile)
}

type rawHit struct {
	det        int32
	start, end int
	secret     string
	encoding   string
}

func (e *Engine) newScratch() *scratch {
	return &scratch{wins: make([][][2]int, len(e.dets)), lastKey: make([]int, len(e.dets))}
}

// ScanText finds the secrets in one text and calls fn for each, in order of
// position. Suppressed hits are passed with Ignored set so callers can count
// them.
func (e *Engine) ScanText(text []byte, fn func(Hit)) {
	e.scanText(e.newScratch(), text, fn)
}

func (e *Engine) scanText(sc *scratch, text []byte, fn func(Hit)) {
	sc.raw = sc.raw[:0]
	e.collect(sc, text, 0, len(text), "")
	if e.opts.DecodeDepth > 0 {
		e.decodeAndCollect(sc, text, e.opts.DecodeDepth)
	}
	if len(sc.raw) == 0 {
		return
	}
	hits := e.resolve(sc.raw)
	var verdicts []string
	if e.opts.Verify != nil {
		verdicts = e.verify(hits)
	}
	line, lineStart, pos := 1, 0, 0
	for i, h := range hits {
		// Advance the line counter incrementally: hits are sorted by start.
		for {
			i := bytes.IndexByte(text[pos:h.start], '\n')
			if i < 0 {
				break
			}
			line++
			pos += i + 1
			lineStart = pos
		}
		pos = h.start
		endLine := line + bytes.Count(text[h.start:h.end], []byte{'\n'})
		endCol := h.end - lineStart
		if endLine != line {
			endCol = h.end - (bytes.LastIndexByte(text[:h.end], '\n') + 1)
		}
		hit := Hit{
			Detector:  e.dets[h.det],
			Line:      line,
			Column:    h.start - lineStart + 1,
			EndLine:   endLine,
			EndColumn: endCol,
			Preview:   finding.Redact(h.secret),
			Hash:      finding.HashSecret(e.hashKey, []byte(h.secret)),
			Encoding:  h.encoding,
		}
		hit.Ignored = inlineIgnored(text, h.start, h.end, hit.Detector.ID) ||
			(e.opts.Baseline != nil && e.opts.Baseline.Has(hit.Hash))
		if verdicts != nil {
			hit.Verification = verdicts[i]
		}
		fn(hit)
	}
}

// collect runs the prefilter over text[from:to] and each hit detector's
// pattern over its windows, appending raw hits with offsets in text. When
// encoding is set, every hit is attributed to the span [from,to) instead:
// the secret sits inside a decoded copy, not in text itself.
func (e *Engine) collect(sc *scratch, text []byte, from, to int, encoding string) {
	e.collectIn(sc, text[from:to], func(r rawHit) {
		if encoding != "" {
			r.start, r.end, r.encoding = from, to, encoding
		} else {
			r.start += from
			r.end += from
		}
		sc.raw = append(sc.raw, r)
	})
}

func (e *Engine) collectIn(sc *scratch, text []byte, add func(rawHit)) {
	sc.touched = sc.touched[:0]
	for i := range sc.lastKey {
		sc.lastKey[i] = -1
	}
	e.pf.find(text, func(kw int32, pos int) {
		for _, b := range e.kwDets[kw] {
			di := b.det
			d := e.dets[di]
			if b.exact != "" && string(text[pos:pos+len(b.exact)]) != b.exact {
				continue
			}
			if d.TokenStart && !detectors.WordStart(text, pos) {
				continue
			}
			if d.KeyAnchored {
				// One attempt per key name, right where it starts.
				key := detectors.KeyStart(text, pos)
				if key == sc.lastKey[di] {
					continue
				}
				sc.lastKey[di] = key
				if m, ok := d.FindAt(text, key, detectors.LineEnd(text, pos, d.Lines)); ok {
					add(rawHit{det: di, start: m.Start, end: m.End, secret: m.Secret})
				}
				continue
			}
			ws := sc.wins[di]
			if len(ws) == 0 {
				sc.touched = append(sc.touched, di)
			} else if d.Lines == 0 && d.LinesBefore == 0 {
				// The same line again: its window is already there.
				if last := ws[len(ws)-1]; pos >= last[0] && pos < last[1] {
					continue
				}
			}
			sc.wins[di] = append(ws, window(text, pos, d.LinesBefore, d.Lines))
		}
	})
	for _, di := range sc.touched {
		d := e.dets[di]
		ws := detectors.MergeWindows(sc.wins[di])
		var lastStart, lastEnd = -1, -1
		for _, w := range ws {
			for _, m := range d.Find(text[w[0]:w[1]]) {
				s, en := m.Start+w[0], m.End+w[0]
				if s == lastStart && en == lastEnd {
					continue
				}
				lastStart, lastEnd = s, en
				add(rawHit{det: di, start: s, end: en, secret: m.Secret})
			}
		}
		sc.wins[di] = sc.wins[di][:0]
	}
}

// window is the byte range a detector's pattern runs over for a keyword at
// pos: whole lines from before lines above to after lines below, clamped to
// maxSpan on each side. It matches detectors.LineWindow plus the clamp.
func window(text []byte, pos, before, after int) [2]int {
	start := pos
	for n := 0; n <= before; n++ {
		i := bytes.LastIndexByte(text[:start], '\n')
		if i < 0 {
			start = 0
			break
		}
		if n == before {
			start = i + 1
			break
		}
		start = i
	}
	end := pos
	for n := 0; n <= after; n++ {
		i := bytes.IndexByte(text[end:], '\n')
		if i < 0 {
			end = len(text)
			break
		}
		end += i + 1
	}
	if start < pos-maxSpan {
		start = pos - maxSpan
	}
	if end > pos+maxSpan {
		end = pos + maxSpan
	}
	return [2]int{start, end}
}

// resolve orders hits by position and drops hits that overlap a hit of a
// more specific detector, so one secret yields one finding: a provider's
// own detector outranks the long-tail keyword detectors, which outrank the
// generic ones (detector order in detectors.All is that ranking).
func (e *Engine) resolve(raw []rawHit) []rawHit {
	sort.Slice(raw, func(i, j int) bool {
		if raw[i].det != raw[j].det {
			return raw[i].det < raw[j].det
		}
		return raw[i].start < raw[j].start
	})
	// kept stays sorted by start and free of overlaps, so one binary search
	// finds the only kept hit that could overlap a new one.
	var kept []rawHit
	for _, r := range raw {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].start >= r.end })
		if i > 0 && kept[i-1].end > r.start {
			continue
		}
		kept = append(kept, rawHit{})
		copy(kept[i+1:], kept[i:])
		kept[i] = r
	}
	return kept
}

// ignoreMarkers are inline comments that suppress a secret on their line.
// palisade's own takes an optional rule id; the others are honoured so a
// team moving from gitleaks or detect-secrets keeps its annotations.
var ignoreMarkers = []string{"palisade:ignore", "gitleaks:allow", "pragma: allowlist secret"}

// inlineIgnored reports whether the line holding [start,end) carries an
// ignore marker that applies to rule.
func inlineIgnored(text []byte, start, end int, rule string) bool {
	ls := bytes.LastIndexByte(text[:start], '\n') + 1
	le := bytes.IndexByte(text[end:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += end
	}
	line := text[ls:le]
	for _, m := range ignoreMarkers {
		i := bytes.Index(line, []byte(m))
		if i < 0 {
			continue
		}
		if m != "palisade:ignore" {
			return true
		}
		rest := strings.TrimSpace(string(line[i+len(m):]))
		// "palisade:ignore" alone ignores every rule; "palisade:ignore a,b"
		// only those rules.
		if rest == "" || strings.HasPrefix(rest, "*/") || strings.HasPrefix(rest, "-->") {
			return true
		}
		fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		for _, f := range fields {
			if f == rule {
				return true
			}
		}
		return false
	}
	return false
}

// verify pairs each AWS secret access key with the nearest access key id in
// the same text and asks the verifier about the pair once per engine; the
// id gets the pair's answer too. Every other hit is Unknown.
func (e *Engine) verify(hits []rawHit) []string {
	out := make([]string, len(hits))
	for i := range out {
		out[i] = Unknown
	}
	var ids, keys []int
	for i, h := range hits {
		switch e.dets[h.det].ID {
		case "aws-access-key-id":
			ids = append(ids, i)
		case "aws-secret-access-key":
			keys = append(keys, i)
		}
	}
	for _, k := range keys {
		best := -1
		for _, id := range ids {
			if best < 0 || absInt(hits[id].start-hits[k].start) < absInt(hits[best].start-hits[k].start) {
				best = id
			}
		}
		if best < 0 {
			continue
		}
		id, secret := hits[best].secret, hits[k].secret
		cacheKey := finding.HashSecret(e.hashKey, []byte(id+"\x00"+secret))
		v, ok := e.verified.Load(cacheKey)
		if !ok {
			v = e.opts.Verify("aws", []string{id, secret})
			e.verified.Store(cacheKey, v)
		}
		out[k] = v.(string)
		if out[best] != Verified {
			out[best] = v.(string)
		}
	}
	return out
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
