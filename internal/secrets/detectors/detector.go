// Package detectors holds palisade's secret detectors: each one is a
// provider's documented token format written as a keyword list (for the
// engine's prefilter), a regular expression, optional validation, and its own
// true and false examples. All returns them in one explicit list.
package detectors

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/palisade-sec/palisade/internal/finding"
)

// Detector finds one kind of secret.
type Detector struct {
	// ID is the stable rule id, lower-case with dashes ("github-pat").
	ID string
	// Provider is the service the secret belongs to ("GitHub").
	Provider string
	// Title is a short human description ("GitHub personal access token").
	Title string
	// Severity of a hit; encrypted or public-by-design material is rated lower.
	Severity finding.Severity
	// Keywords are lower-case literals. The engine runs Pattern only near a
	// place where one of them occurs (case-insensitively), so every true
	// example must contain at least one. Prefer the token's own prefix
	// ("ghp_") over words that appear everywhere in code ("key").
	Keywords []string
	// CaseKeywords are keywords that count only in exactly the case written
	// (the "SK" of a Twilio key, not "sk" in "task"). The prefilter finds
	// them ignoring case; the engine then compares the bytes.
	CaseKeywords []string
	// TokenStart makes every keyword count only where a token or word
	// starts: the byte before it is not a letter, digit or underscore, or
	// it begins a camelCase part (an upper-case letter after a lower-case
	// one). Prefixes of tokens use it so "pat" in "path" does not wake the
	// pattern, and provider names so "hive" in "archive" does not.
	TokenStart bool
	// Pattern is an RE2 expression. The secret is the submatch named
	// "secret", else submatch 1, else the whole match.
	Pattern string
	// Lines is how many lines after a keyword's line the pattern may reach,
	// for secrets whose keyword and value sit on different lines (a JSON key
	// above its value, a PEM body). Zero means the keyword's line only.
	Lines int
	// LinesBefore is how many lines before a keyword's line the pattern may
	// start, for formats whose keyword follows the secret.
	LinesBefore int
	// KeyAnchored matches Pattern only from the start of the key name that
	// holds a keyword (the run of letters, digits, "_", "." and "-" before
	// it), not anywhere in the lines around it. Patterns of the form
	// key = value use it: one anchored attempt per key name is many times
	// cheaper than searching whole lines.
	KeyAnchored bool
	// RejectKeyWords drops a KeyAnchored match whose key name contains one
	// of these lower-case words: a csrf_token or a public_key holds a value
	// that is random but not secret.
	RejectKeyWords []string
	// MinEntropy is the least Shannon entropy, in bits per character, the
	// secret must have; zero disables the check. Use it for formats without
	// a distinctive prefix, where low-entropy values are placeholders.
	MinEntropy float64
	// Placeholders rejects values that look like documentation placeholders
	// (xxxx, changeme, ${VAR}, {{ x }}, <token>, example) or read as words
	// (additionalProperties). Set it on formats without a distinctive prefix.
	Placeholders bool
	// Check is an optional extra test of the secret (a checksum, a structure).
	Check func(secret string) bool
	// NameOnly marks a detector whose format has nothing distinctive: it
	// matches a value of some length near a provider's name. Lock files,
	// where names of packages sit next to their hashes, are not searched
	// with it.
	NameOnly bool
	// Remediation tells the user how to rotate and remove this secret.
	Remediation string
	// References are extra references (CWE-798 and the checklist step are
	// added to every secret finding by the engine).
	References []finding.Reference

	// TruePositives are texts that must yield a finding; FalsePositives must
	// not. Tests run both against the detector and through the engine.
	TruePositives  []string
	FalsePositives []string

	prog *program
	// lazy, when set, compiles the pattern once on first use, safely from
	// the engine's concurrent workers. The compiled program lives in it, so
	// copies of the detector share one compilation.
	lazy *lazyCompile
}

// program is a detector's compiled pattern.
type program struct {
	re       *regexp.Regexp
	anchored *regexp.Regexp // for KeyAnchored: the pattern tied to the text's start
	group    int            // the submatch holding the secret
}

// lazyCompile guards a detector's first compilation.
type lazyCompile struct {
	once sync.Once
	prog *program
}

// program returns the compiled pattern, compiling it on first use; nil when
// the pattern does not compile (TestEveryPatternCompiles keeps that out of
// the built-in detectors).
func (d *Detector) program() *program {
	if d.lazy != nil {
		d.lazy.once.Do(func() { d.lazy.prog, _ = compileProgram(d) })
		return d.lazy.prog
	}
	if d.prog == nil {
		d.prog, _ = compileProgram(d)
	}
	return d.prog
}

// Match is one secret a detector found in a text.
type Match struct {
	// Start and End are byte offsets of the secret within the scanned text.
	Start, End int
	// Secret is the secret itself. It never leaves the engine: callers turn
	// it into a redacted preview and a keyed hash.
	Secret string
}

// Compile prepares the detector's regular expression and reports a pattern
// that does not compile. Detectors compile on first use anyway; tests call
// Compile so a broken pattern fails them, not a user's scan.
func (d *Detector) Compile() error {
	p, err := compileProgram(d)
	if err != nil {
		return err
	}
	d.prog = p
	return nil
}

func compileProgram(d *Detector) (*program, error) {
	re, err := regexp.Compile(d.Pattern)
	if err != nil {
		return nil, fmt.Errorf("detector %s: %w", d.ID, err)
	}
	p := &program{re: re}
	if d.KeyAnchored {
		p.anchored = regexp.MustCompile(`\A(?:` + d.Pattern + `)`)
	}
	if i := re.SubexpIndex("secret"); i > 0 {
		p.group = i
	} else if re.NumSubexp() >= 1 {
		p.group = 1
	}
	return p, nil
}

// Find returns the secrets the detector's pattern finds in text, after
// entropy, placeholder and Check filters. A windowed detector does not look
// at Keywords (the engine has used them to choose text); a KeyAnchored one
// tries its pattern at the key name of each keyword in text.
func (d *Detector) Find(text []byte) []Match {
	p := d.program()
	if p == nil {
		return nil
	}
	if d.KeyAnchored {
		return d.findKeyed(text)
	}
	var out []Match
	for _, loc := range p.re.FindAllSubmatchIndex(text, -1) {
		s, e := loc[2*p.group], loc[2*p.group+1]
		if s < 0 || e <= s {
			continue
		}
		secret := string(text[s:e])
		if !d.Accept(secret) {
			continue
		}
		out = append(out, Match{Start: s, End: e, Secret: secret})
	}
	return out
}

func (d *Detector) findKeyed(text []byte) []Match {
	lower := bytes.ToLower(text)
	var out []Match
	lastKey := -1
	for _, pos := range keywordPositions(d, text, lower) {
		key := KeyStart(text, pos)
		if key == lastKey {
			continue
		}
		lastKey = key
		end := lineEnd(text, pos, d.Lines)
		if m, ok := d.FindAt(text, key, end); ok {
			out = append(out, m)
		}
	}
	return out
}

// keywordPositions lists, in order, the offsets where a keyword counts:
// Keywords ignoring case (lower is the lower-cased text), CaseKeywords
// exactly, and with TokenStart only at the start of a token.
func keywordPositions(d *Detector, text, lower []byte) []int {
	var ps []int
	find := func(hay []byte, k string) {
		kb := []byte(k)
		for off := 0; ; {
			i := bytes.Index(hay[off:], kb)
			if i < 0 {
				break
			}
			if d.KeywordAt(text, off+i) {
				ps = append(ps, off+i)
			}
			off += i + 1
		}
	}
	for _, k := range d.Keywords {
		find(lower, k)
	}
	for _, k := range d.CaseKeywords {
		find(text, k)
	}
	sort.Ints(ps)
	return ps
}

// KeywordAt applies TokenStart to a keyword found at pos.
func (d *Detector) KeywordAt(text []byte, pos int) bool {
	return !d.TokenStart || WordStart(text, pos)
}

// WordStart reports whether a word starts at pos: at the start of text,
// after a byte that is not a letter, digit or underscore, or at a camelCase
// boundary.
func WordStart(text []byte, pos int) bool {
	if pos == 0 || !isWordByte(text[pos-1]) {
		return true
	}
	prev, cur := text[pos-1], text[pos]
	return prev >= 'a' && prev <= 'z' && cur >= 'A' && cur <= 'Z'
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// maxKeyName bounds how far back from a keyword a key name may start.
const maxKeyName = 64

// KeyStart is where the key name holding the keyword at pos starts.
func KeyStart(text []byte, pos int) int {
	s := pos
	for s > 0 && pos-s < maxKeyName && isKeyByte(text[s-1]) {
		s--
	}
	return s
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// lineEnd is the end of the line holding pos, extended by lines more
// lines, and clamped to MaxSpan after pos.
func lineEnd(text []byte, pos, lines int) int {
	end := pos
	for n := 0; n <= lines; n++ {
		i := bytes.IndexByte(text[end:], '\n')
		if i < 0 {
			end = len(text)
			break
		}
		end += i + 1
	}
	return min(end, pos+MaxSpan)
}

// LineEnd is lineEnd for the engine.
func LineEnd(text []byte, pos, lines int) int { return lineEnd(text, pos, lines) }

// FindAt tries a KeyAnchored detector's pattern at key, the start of a key
// name, reading no further than end.
func (d *Detector) FindAt(text []byte, key, end int) (Match, bool) {
	p := d.program()
	if p == nil {
		return Match{}, false
	}
	if key >= 1 && text[key-1] == ':' {
		// A name right after a colon is a path segment or a qualified name:
		// arn:aws:secretsmanager:*:*:secret:name, AWS::ApiGateway::ApiKey,
		// Foo::SECRET. None of them is a variable being given a value.
		return Match{}, false
	}
	if len(d.RejectKeyWords) > 0 {
		ke := key
		for ke < end && isKeyByte(text[ke]) {
			ke++
		}
		name := bytes.ToLower(text[key:ke])
		for _, w := range d.RejectKeyWords {
			if bytes.Contains(name, []byte(w)) {
				return Match{}, false
			}
		}
	}
	loc := p.anchored.FindSubmatchIndex(text[key:end])
	if loc == nil {
		return Match{}, false
	}
	s, e := loc[2*p.group], loc[2*p.group+1]
	if s < 0 || e <= s {
		return Match{}, false
	}
	secret := string(text[key+s : key+e])
	if !d.Accept(secret) {
		return Match{}, false
	}
	return Match{Start: key + s, End: key + e, Secret: secret}, true
}

// Accept applies the detector's filters to a candidate secret.
func (d *Detector) Accept(secret string) bool {
	if d.MinEntropy > 0 && Entropy(secret) < d.MinEntropy {
		return false
	}
	if d.Placeholders && (IsPlaceholder(secret) || ReadsAsWords(secret)) {
		// A format with nothing distinctive also matches the names in code
		// around its provider's name (additionalProperties after PagerDuty).
		return false
	}
	if d.Check != nil && !d.Check(secret) {
		return false
	}
	return true
}

// Entropy is the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

var placeholderWords = []string{
	"example", "sample", "changeme", "change_me", "placeholder", "dummy", "your_", "your-", "yourkey",
	"insert", "redacted", "xxxxxx", "******", "000000", "123456", "abcdef", "replace", "secret_here",
	"<", ">", "${", "{{", "}}", "%(", "$(", "process.env", "os.environ", "getenv",
}

// IsPlaceholder reports whether a value is a template, variable reference or
// documentation stand-in rather than a real secret.
func IsPlaceholder(s string) bool {
	l := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	if strings.HasPrefix(l, "$") || strings.HasPrefix(l, "%") {
		return true
	}
	// One character repeated most of the value ("aaaaaaaaaaaa", "----").
	var counts [256]int
	top := 0
	for i := 0; i < len(l); i++ {
		counts[l[i]]++
		if counts[l[i]] > top {
			top = counts[l[i]]
		}
	}
	return len(l) > 0 && top*2 > len(l)
}

// wordRe is one word of a camelCase or PascalCase name.
var wordRe = regexp.MustCompile(`[A-Z]?[a-z]+`)

// ReadsAsWords reports whether s is a name made of words rather than a
// random token: two or more words of three or more letters with a vowel
// ("Credential", "Provider", "Amz"), at least one capitalized, cover at
// least 80% of it. v4aCredentialProvider and options.DisableS3ExpressSessionAuth
// do; 27 of 100,000 seeded random 16- to 40-character tokens do; random keys such as Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB split into short or
// vowel-less pieces (Zf, Mbg, Nnk, Oue, Hzn) covering a tenth of them.
// All-lower-case values are left alone: their letter runs are long anyway.
func ReadsAsWords(s string) bool {
	if len(s) < 12 || strings.ToLower(s) == s {
		return false
	}
	covered, words, capitalized := 0, 0, 0
	for _, w := range wordRe.FindAllString(s, -1) {
		if len(w) >= 3 && strings.ContainsAny(w, "aeiouyAEIOUY") {
			covered += len(w)
			words++
			if w[0] >= 'A' && w[0] <= 'Z' {
				capitalized++
			}
		}
	}
	return words >= 2 && capitalized >= 1 && covered*10 >= len(s)*8
}
