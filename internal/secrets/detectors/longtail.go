package detectors

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/palisade-sec/palisade/internal/finding"
)

// longTail is one row of the long-tail table: a provider whose API key has
// no distinctive prefix (or a prefix no other detector claims) and is
// recognised by the provider's name appearing within a few lines of a token
// of the documented shape. Each row becomes one Detector (see toDetector).
type longTail struct {
	// id is the detector id ("adzuna-api-key").
	id string
	// provider is the service's display name.
	provider string
	// keywords are space-separated lower-case words, usually the provider's
	// name; the token must sit on a keyword's line or within lines below.
	keywords string
	// token is the RE2 expression of the token alone; toDetector adds the
	// boundaries, so a longer run of token characters never matches.
	token string
	// lines is how many lines below a keyword's line the token may sit.
	lines int
	// severity of a hit.
	severity finding.Severity
	// ok must be detected, bad must not; both are synthetic values.
	ok, bad string
}

// Token shapes shared by many rows.
func hex(n int) string    { return fmt.Sprintf("[a-f0-9]{%d}", n) }
func alnum(n int) string  { return fmt.Sprintf("[a-zA-Z0-9]{%d}", n) }
func lower(n int) string  { return fmt.Sprintf("[a-z0-9]{%d}", n) }
func upper(n int) string  { return fmt.Sprintf("[A-Z0-9]{%d}", n) }
func digits(n int) string { return fmt.Sprintf("[0-9]{%d}", n) }

// uuidLower is a UUID-shaped token of lower-case letters and digits, the
// shape several providers use for keys that are not real (hex) UUIDs.
const uuidLower = `[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}`

// uuidHex is a UUID in canonical hex form, either case.
const uuidHex = `[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}`

// quotes are the characters that open a quoted value. A token right after
// a quote and "=" ('=abc...') is glued to the "=": the quoted value is
// "=abc...", one character off the documented shape, not a key.
const quotes = "'\"`"

// keywordReach is how many characters may separate the end of a keyword
// from the token ("adzuna_api_key = '", "Adzuna API\n  KEY=", "<id>adzuna</id>
// <secret>"). Farther than this the name and the value are unrelated.
const keywordReach = 40

// tokenEdges returns what may stand right before a token (edge, or an "="
// when ahead of it is not a quote) and right after it. Neither may be a
// character that could continue the token: letters, digits, _ + -, the
// characters that only occur inside mangled values (? $ %) and the
// punctuation of the token's own character classes ("/" and "=" of a
// base64 key), so a longer or differently-built value is never cut down to
// the documented length. A dot may end a sentence after a token but not
// start one; an "=" starts a value (KEY=value) unless a quote opens the
// value right before it.
func tokenEdges(token string) (edge, right string) {
	extra := tokenPunct(token)
	edge = fmt.Sprintf(`[^A-Za-z0-9_+\-?$%%.=%s]`, extra)
	// A dot ends a sentence after a token, but a dot followed by a letter
	// or digit continues a host name (170c...bb.mediatailor.us-west-2...).
	right = fmt.Sprintf(`(?:$|[^A-Za-z0-9_+\-?$%%.%s]|\.(?:$|[^A-Za-z0-9]))`, extra)
	return edge, right
}

// tokenPunct lists, escaped for a character class, the ASCII punctuation
// other than . _ + - that the token's expression can match.
func tokenPunct(token string) string {
	re, err := syntax.Parse(token, syntax.Perl)
	if err != nil {
		return ""
	}
	seen := map[rune]bool{}
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpCharClass:
			for i := 0; i+1 < len(r.Rune); i += 2 {
				for c := r.Rune[i]; c <= r.Rune[i+1] && c < 128; c++ {
					seen[c] = true
				}
			}
		case syntax.OpLiteral:
			for _, c := range r.Rune {
				seen[c] = true
			}
		}
		for _, s := range r.Sub {
			walk(s)
		}
	}
	walk(re)
	var b strings.Builder
	for _, c := range `/=:~!@#&*,;|^` {
		if seen[c] {
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// longTailPattern builds a row's expression: a keyword (any case), at most
// keywordReach characters of anything, then the token between edges. When
// the token starts with a literal prefix listed among the keywords ("gsk_",
// "xai-"), the token names its provider by itself and stands alone.
func longTailPattern(keywords, token string) string {
	words := strings.Fields(keywords)
	edge, right := tokenEdges(token)
	if ownPrefix(words, token) {
		return fmt.Sprintf(`(?:^|%s|(?:^|[^%s])=)(?P<secret>%s)%s`, edge, quotes, token, right)
	}
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	// Either an edge character, or an "=" right after the keyword or after
	// anything that does not end in a quote.
	return fmt.Sprintf(`(?i:%s)(?:(?s:.{0,%d}?)%s|(?:(?s:.{0,%d}?)[^%s])?=)(?P<secret>%s)%s`,
		strings.Join(words, "|"), keywordReach, edge, keywordReach-1, quotes, token, right)
}

// ownPrefix reports whether the token's literal start is one of the
// keywords, at least four characters long and ending in _ or -.
func ownPrefix(words []string, token string) bool {
	lit := token
	if i := strings.IndexAny(token, `[(\{.?*+|`); i >= 0 {
		lit = token[:i]
	}
	lit = strings.ToLower(lit)
	for _, w := range words {
		if len(w) >= 4 && (strings.HasSuffix(w, "_") || strings.HasSuffix(w, "-")) {
			if strings.HasPrefix(lit, w) {
				return true
			}
		}
	}
	return false
}

// toDetector turns a table row into a Detector: the pattern is the token
// between edges, the window is the keyword's line and row.lines below it,
// and entropy and placeholder filters reject stand-in values.
func (r longTail) toDetector() Detector {
	return Detector{
		ID:       r.id,
		Provider: r.provider,
		Title:    r.provider + " API credential",
		Severity: r.severity,
		Keywords: strings.Fields(r.keywords),
		// A provider's name counts where a word starts ("HIVE_KEY",
		// "hiveKey", "myHiveKey"), not inside another word ("archive").
		TokenStart: true,
		Pattern:    longTailPattern(r.keywords, r.token),
		Lines:      r.lines,
		// A random token of n characters has about log2(n) bits per
		// character at most; ask for two thirds of that, capped at 3 bits,
		// which every random key clears and repeated or counting strings do not.
		MinEntropy:   longTailMinEntropy(r.token),
		Placeholders: true,
		NameOnly:     !ownPrefix(strings.Fields(r.keywords), r.token),
		Remediation: "Revoke the key in " + r.provider + "'s dashboard, issue a new one, store it in a secret " +
			"manager or the CI secret store instead of the repository, and check the provider's logs for use of the old key.",
		TruePositives:  []string{r.ok},
		FalsePositives: []string{r.bad},
	}
}

// longTailMinEntropy is the entropy floor for a token pattern, from the
// shortest length its first repetition count allows.
func longTailMinEntropy(token string) float64 {
	n := 16
	if i := strings.LastIndex(token, "{"); i >= 0 {
		var lo int
		if _, err := fmt.Sscanf(token[i+1:], "%d", &lo); err == nil && lo > 0 {
			n = lo
		}
	}
	if n < 8 {
		n = 8
	}
	return math.Min(3.0, 0.65*math.Log2(float64(n)))
}

// longTailDetectors returns the long-tail table as detectors.
func longTailDetectors() []Detector {
	rows := longTailRows()
	out := make([]Detector, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.toDetector())
	}
	return out
}
