package detectors

import (
	"regexp"
	"strings"
)

// Pattern pieces shared by the keyword-anchored detectors of this package.
// A keyword-anchored pattern reads: a key name that contains a provider or
// secret word, an assignment in any common syntax, and the value.
const (
	// keyTail is the rest of a key name after its keyword ("_api_token",
	// "Token", ".login").
	keyTail = `[\w.\-]{0,40}?`
	// assign is everything between a key name and its value: an optional
	// closing quote or bracket, an operator of some language or format
	// (=, :=, ::=, ?=, .=, =>, :, an XML element's >, a call's ", "), and
	// an optional opening quote. A type between name and operator
	// ("var token string =", "token: string =") is allowed.
	assign = `["'\x60\]]?(?:\s+string|\s*:\s*string)?\s*(?:=|:=|::=|:::=|\?=|\.=|\|\|=|=>|:|>|,)\s*["'\x60]?\s*`
	// valueEnd is what may follow a value: a quote, space, separator,
	// an escaped newline's backslash, or the end of a line.
	valueEnd = `(?:[\s"'\x60;,)<\]}&\\]|$)`
)

// keyed builds a keyword-anchored pattern: a key name containing key (an
// RE2 fragment, matched ignoring case), an assignment, and a value matching
// value (matched with case), which becomes the secret.
func keyed(key, value string) string {
	return `(?im)(?:` + key + `)` + keyTail + assign + `(?P<secret>(?-i:` + value + `))` + valueEnd
}

// secretWord is a part of a key name that says its value is a credential.
const secretWord = `(?:token|secret|key|pass|pwd|pat\b|auth|login|credential|cred)`

// named is a key-name pattern for a provider's credential: the provider's
// name, then within a few characters a word that says "credential"
// ("GITHUB_API_TOKEN", "travisToken", "linear.clientSecret").
func named(provider string) string {
	return `(?:` + provider + `)[\w.\-]{0,24}?` + secretWord
}

// lettersAndDigits is a Check for random alphanumeric tokens without a
// prefix: they almost always mix letters and digits, while words, names and
// identifiers of that length rarely contain a digit.
func lettersAndDigits(s string) bool {
	return strings.ContainsAny(s, "0123456789") && strings.IndexFunc(s, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}) >= 0
}

// notPlaceholder is a Check for formats with a distinctive prefix that still
// see documentation stand-ins ("ghp_xxxx...", "EXAMPLE").
func notPlaceholder(s string) bool {
	return !IsPlaceholder(s)
}

// notFiller is a Check for exact-format values found next to a key name. It
// rejects templates, variable references, runs of one character and
// "example" values, but keeps sequential fakes such as "abcd1234abcd...":
// a value of the provider's exact shape next to the provider's key name is
// reported even when it looks made up.
func notFiller(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"example", "placeholder", "xxxx", "0000", "****", "${", "{{", "<", ">", "%(", "$(",
		"your_", "your-", "changeme", "insert", "redacted", "dummy"} {
		if strings.Contains(l, w) {
			return false
		}
	}
	if strings.HasPrefix(l, "$") || strings.HasPrefix(l, "%") {
		return false
	}
	return Entropy(s) >= 2.5
}

// genericWords are the parts of a key name that mark its value as a secret.
const genericWords = `(?:api[_.\-]?key|apikey|api[_.\-]?token|access[_.\-]?key|access[_.\-]?token|auth[_.\-]?token|` +
	`secret|token|passwd|password|passphrase|pwd|credentials?|creds|private[_.\-]?key|client[_.\-]?secret)`

// genericValue is the shape of a value the generic detector considers: at
// least 12 token characters, no spaces.
const genericValue = `[A-Za-z0-9_\-+/=.~!@#%^*]{12,200}`

var (
	uuidRe       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexRe        = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	identRe      = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(?:[.\-][A-Za-z_$][A-Za-z0-9_$]*)*(?:\(\)?)?$`)
	versionRe    = regexp.MustCompile(`^v?\d+(?:\.\d+){1,3}(?:[-+.][0-9A-Za-z.\-]+)?$`)
	pathRe       = regexp.MustCompile(`^(?:\.{0,2}/|~/|[A-Za-z]:\\)|[/\\][\w.\-]+\.(?:pem|key|p12|pfx|crt|json|ya?ml|txt|jks|keystore|env|cer)$|\.(?:pem|key|p12|pfx|crt|json|ya?ml|txt|jks|keystore|env|cer|keytab)$`)
	lowerWordsRe = regexp.MustCompile(`^[a-z]+(?:[_\-.][a-z]+)*$`)
	upperWordsRe = regexp.MustCompile(`^[A-Z]+(?:[_\-.][A-Z0-9]+)*$`)
)

// genericAccept decides whether a value next to a secret-like key name is a
// credential rather than code, configuration or a stand-in. It is the noise
// filter of the generic detector: it keeps values that look random and
// rejects UUIDs, bare hex digests, identifiers, paths, versions, word lists
// and placeholders.
func genericAccept(s string) bool {
	if len(s) < 12 || IsPlaceholder(s) {
		return false
	}
	l := strings.ToLower(s)
	for _, w := range []string{"true", "false", "null", "none", "undefined", "password", "secret", "token", "http", "localhost",
		"test", "fake", "todo", "foo", "bar", "\\n", "...", "xxx", "encrypted", "enc[", "vault:", "arn:aws"} {
		if strings.Contains(l, w) {
			return false
		}
	}
	switch {
	case uuidRe.MatchString(s),
		identRe.MatchString(s) && !hasDigitAndMixedCase(s),
		versionRe.MatchString(s),
		pathRe.MatchString(s),
		lowerWordsRe.MatchString(s),
		upperWordsRe.MatchString(s):
		return false
	}
	if strings.ContainsAny(s[:1], ".-/") || strings.HasSuffix(s, ".") {
		return false
	}
	// A bare hex string is a digest, id or commit far more often than a
	// credential; keep only the long random-looking ones with key context.
	if hexRe.MatchString(s) {
		return len(s) >= 32 && Entropy(s) >= 3.5 && !digestLength(len(s))
	}
	if Entropy(s) < 3.5 {
		return false
	}
	return charClasses(s) >= 2
}

// digestLength reports whether n is the hex length of a common hash (MD5,
// SHA-1, SHA-256, SHA-512), which bare hex values next to "key" or "token"
// usually are.
func digestLength(n int) bool {
	return n == 32 || n == 40 || n == 64 || n == 128
}

// hasDigitAndMixedCase reports whether s mixes upper case, lower case and
// digits, which code identifiers rarely do and random tokens usually do.
func hasDigitAndMixedCase(s string) bool {
	var up, low, dig bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			low = true
		case c >= '0' && c <= '9':
			dig = true
		}
	}
	return up && low && dig
}

// charClasses counts which of upper case, lower case, digits and symbols s
// contains.
func charClasses(s string) int {
	var up, low, dig, sym int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			up = 1
		case c >= 'a' && c <= 'z':
			low = 1
		case c >= '0' && c <= '9':
			dig = 1
		default:
			sym = 1
		}
	}
	return up + low + dig + sym
}

func genericDetectors() []Detector {
	return []Detector{}
}
