package detectors

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
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
// name, then within a few characters (one space allowed) a word that says
// "credential" ("GITHUB_API_TOKEN", "travisToken", "linear.clientSecret",
// "sonarcloud token").
func named(provider string) string {
	return `(?:` + provider + `)(?:[\w.\-]{0,24}?|[\w.\-]{0,24}?[ \t][\w.\-]{0,24}?)` + secretWord
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

// genericKey is a key name with a word that marks its value as a secret
// (password, secret, token, API key, access key, credentials, private key,
// client secret). After the word only a few suffixes may follow ("_KEY",
// "String", "_prod", "2"), so names such as "credentialId", "tokenizer",
// "secretName" or "keyVaultToStoreSecrets" do not count.
const genericKey = `[\w.\-]{0,40}?(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_.\-]?key|apikey|access[_.\-]?key|` +
	`auth(?:[_.\-]?(?:key|token|code))?|credentials?|creds|private[_.\-]?key)` +
	`(?:[_.\-]?(?:key|value|string|str|token|secret|data|b64|base64|hex|raw|prod|production|dev|staging|live|[0-9]+))*`

// genericAssign is the assignment after a key name for the generic
// detectors. Unlike assign it does not cross lines, except after an XML
// element's ">", so an empty "KEY=" never takes the next line's text; and
// a quoted value must start right after its quote. After a comma
// (setenv("API_KEY", "..."), a tuple) the value must be a quoted string: an
// unquoted one is the next argument of a call (sign(rsaPrivateKey,
// crypto.SHA256)) or the next item of a list.
const genericAssign = `["'\x60\]]?(?:[ \t]+string|[ \t]*:[ \t]*string)?[ \t]*(?:(?:=|:=|::=|:::=|\?=|\.=|=>|:)[ \t]*["'\x60]?|,[ \t]*["'\x60])|>\s*`

// genericValue is a candidate value: 12 to 200 token characters.
const genericValue = `[A-Za-z0-9_\-+/=.~!@#%^*&]{12,200}`

var (
	uuidRe       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hexRe        = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	identRe      = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(?:[.\-][A-Za-z_$][A-Za-z0-9_$]*)*(?:\(\)?)?$`)
	versionRe    = regexp.MustCompile(`^v?\d+(?:\.\d+){1,3}(?:[-+.][0-9A-Za-z.\-]+)?$`)
	pathRe       = regexp.MustCompile(`^(?:\.{0,2}/|~/|[A-Za-z]:\\)|[/\\][\w.\-]+\.(?:pem|key|p12|pfx|crt|json|ya?ml|txt|jks|keystore|env|cer)$|\.(?:pem|key|p12|pfx|crt|json|ya?ml|txt|jks|keystore|env|cer|keytab)$`)
	hostnameRe   = regexp.MustCompile(`^[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}$`)
	lowerWordsRe = regexp.MustCompile(`^[a-z]+(?:[_\-.][a-z]+)*$`)
	// slashPathRe is a relative path or URL path of lower-case segments
	// ("external/cwe/cwe-798", "api/v1/tokens"); base64 secrets mix cases.
	slashPathRe  = regexp.MustCompile(`^[a-z0-9_\-.]+(?:/[a-z0-9_\-.]+)+/?$`)
	upperWordsRe = regexp.MustCompile(`^[A-Z]+(?:[_\-.][A-Z0-9]+)*$`)
	// constantRe is a member access ending in an UPPER_SNAKE constant
	// (exports2.HEADER_CHARS, exports.SOCKS5_CUSTOM_AUTH_END).
	constantRe = regexp.MustCompile(`\.[A-Z][A-Z0-9]*_[A-Z0-9_]+$`)
)

// genericAccept decides whether a value next to a secret-like key name is a
// credential rather than code, configuration or a stand-in. It is the noise
// filter of generic-api-key: it keeps values that look random and rejects
// UUIDs (ids far more often than secrets), identifiers and member accesses
// (password = user.password), function calls, paths, URLs, versions, word
// lists, low-entropy strings and placeholders.
func genericAccept(s string) bool {
	if len(s) < 12 || IsPlaceholder(s) || !notFiller(s) || claimsProviderFormat(s) {
		return false
	}
	l := strings.ToLower(s)
	for _, w := range []string{"true", "false", "null", "none", "undefined", "password", "secret", "token",
		"http", "localhost", "test", "fake", "todo", "\\n", "...", "xxx", "encrypted", "enc[", "vault:",
		"arn:aws", "aws4_request", "amzn1.", "getenv", "environ", "process.env", "config.", "settings.", "params.", "request.", "self.", "this.",
		"a1b2c3", "1a2b3c", "abcd1234", "1234abcd",
		// A value that names what the key holds is code: a type or a variable
		// (private_key: x25519.X25519PrivateKey).
		"privatekey", "private_key", "apikey", "api_key", "credential"} {
		if strings.Contains(l, w) {
			return false
		}
	}
	switch {
	case uuidRe.MatchString(s),
		hostnameRe.MatchString(s),
		identRe.MatchString(s) && (!hasDigitAndMixedCase(s) || ReadsAsWords(s)),
		strings.HasPrefix(s, "__") && strings.Contains(s[2:], "__"), // __SqlServerCredentials__ stand-ins
		identRe.MatchString(s) && constantRe.MatchString(s),         // exports.HEADER_CHARS
		versionRe.MatchString(s),
		pathRe.MatchString(s),
		slashPathRe.MatchString(s),
		lowerWordsRe.MatchString(s),
		upperWordsRe.MatchString(s):
		return false
	}
	if strings.ContainsAny(s[:1], ".-/&@") || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "(") {
		return false
	}
	if strayPercent(s) {
		return false // a printf verb (%s, %c) or a mangled value: tokens only carry %XX escapes
	}
	if repeatsChunk(s, 8) || identicalRuns(s, 4) >= 2 {
		return false // "AAAABBBB...", a token pasted twice: made up
	}
	if hexRe.MatchString(s) {
		// Hex encoders write one case; a mix of both (ACE9d7E606Df...) is
		// typed or edited by hand, and a random key from a wider alphabet
		// practically never lands on hex letters alone.
		return len(s) >= 16 && Entropy(s) >= 3.0 && !mixedCaseHex(s)
	}
	if encodesMadeUpText(s) {
		return false // base64 of "secret is secure" or of the alphabet
	}
	// Short values must look machine-made: upper case, lower case and digits.
	if len(s) < 20 && !hasDigitAndMixedCase(s) {
		return false
	}
	return Entropy(s) >= 3.5 && charClasses(s) >= 2 && strings.ContainsAny(s, "0123456789")
}

// passwordAccept is the filter of generic-password: a password is allowed
// to be shorter and less random than a token, so it must instead look
// deliberately made: at least 8 characters, not a word or identifier, with
// a digit or a symbol, and not a stand-in.
func passwordAccept(s string) bool {
	if len(s) < 8 || IsPlaceholder(s) || !notFiller(s) || weakPassword[strings.ToLower(s)] || encodesMadeUpText(s) || claimsProviderFormat(s) {
		return false
	}
	l := strings.ToLower(s)
	for _, w := range []string{"password", "passwd", "secret", "true", "false", "null", "none", "test", "fake",
		"todo", "...", "xxx", "encrypted", "enc[", "vault:", "getenv", "environ", "process.env", "config.",
		"settings.", "params.", "request.", "self.", "this.", "sha", "md5", "bcrypt", "argon"} {
		if strings.Contains(l, w) {
			return false
		}
	}
	switch {
	case uuidRe.MatchString(s),
		identRe.MatchString(s) && !strings.ContainsAny(s, "0123456789"),
		versionRe.MatchString(s),
		pathRe.MatchString(s),
		lowerWordsRe.MatchString(s),
		upperWordsRe.MatchString(s):
		return false
	}
	if strings.HasPrefix(s, "$") || strings.HasPrefix(s, "%") || strings.HasSuffix(s, "(") || strings.HasSuffix(s, ")") {
		return false
	}
	return charClasses(s) >= 3 && Entropy(s) >= 2.8
}

// strayPercent reports whether s holds a "%" that does not start a
// percent-encoded byte (%2F).
func strayPercent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
			return true
		}
	}
	return false
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// mixedCaseHex reports whether a hex string uses both upper- and lower-case
// letters.
func mixedCaseHex(s string) bool {
	return strings.ContainsAny(s, "abcdef") && strings.ContainsAny(s, "ABCDEF")
}

// repeatsChunk reports whether some n-byte substring of s occurs twice,
// which random tokens practically never do and hand-made fakes often do.
func repeatsChunk(s string, n int) bool {
	seen := map[string]bool{}
	for i := 0; i+n <= len(s); i++ {
		c := s[i : i+n]
		if seen[c] {
			return true
		}
		seen[c] = true
	}
	return false
}

// identicalRuns counts the runs of at least n identical bytes in s.
func identicalRuns(s string, n int) int {
	runs, run := 0, 1
	for i := 1; i <= len(s); i++ {
		if i < len(s) && s[i] == s[i-1] {
			run++
			continue
		}
		if run >= n {
			runs++
		}
		run = 1
	}
	return runs
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
	return []Detector{
		{
			ID: "generic-api-key", Provider: "Generic", Title: "Secret assigned to a credential-named key", Severity: medium,
			// A key whose name says secret (token, password, api_key,
			// client_secret...) assigned a random-looking value in any common
			// syntax: env files, YAML, JSON, XML elements, source code.
			Keywords: []string{"pass", "pwd", "secret", "token", "api_key", "apikey", "api-key", "api.key", "access_key",
				"accesskey", "access-key", "auth", "credential", "creds", "private_key", "privatekey", "private-key"},
			Lines:       1,
			KeyAnchored: true,
			// Random values that are not secrets: anti-forgery tokens, public
			// keys and tokens, nonces, hashes and checksums.
			RejectKeyWords: []string{"csrf", "xsrf", "public", "publishable", "nonce", "checksum", "hash", "integrity", "tokenizer"},
			Pattern: `(?im)` + genericKey + `(?:` + genericAssign + `)(?P<secret>(?-i:` + genericValue + `))` +
				`(?:[\s"'\x60;,)<\]}\\]|$)`,
			Check: genericAccept,
			Remediation: "Rotate the credential with the service that issued it, remove it from the file and its " +
				"history, and load it from a secrets manager or the environment.",
			TruePositives: []string{
				`api_token = "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB"`,
				"SERVICE_SECRET=lidkqPMvVQV17yMKBJf90DoqcYf=y7\n",
				`"client_secret" : "6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde",`,
				"<apiKey>\n    kP2s9Wq0Zr7Mx3Vb8Nc1Ld4Hf6Jg5T\n</apiKey>",
				`var authToken string = "q8Zr2LmP0vXk4TnWb7Yc"`,
				`System.setProperty("PAYMENTS_TOKEN", "Xq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1")`,
				`creds = 6uiNUE98x29FPPrEfcjMPMkVmQ5Yx0`,
				`CLIENT_SECRET=623978bf095382fd80f2f50113d7a0bb`,
				`signing_secret: "Zq3Lm9Rt0Vb7%2FNw2Ky4Zc8Pd1"`,
			},
			FalsePositives: []string{
				`api_token = "dafa7817-e246-48f3-91a7-e87653d587b8"`, // UUIDs are ids far more often than secrets
				`password = user.password`,
				`token: tokenFromHeader()`,
				`secret = os.environ["APP_SECRET"]`,
				`API_KEY = process.env.API_KEY`,
				`secret_length = X25519.secret_length`,
				`LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"`,
				"GITHUB_API_KEY=\nDYNATRACE_API_KEY=",
				`access_token_url='https://github.com/login/oauth/access_token',`,
				`token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token"`,
				`api_key = "your_api_key_here"`,
				`password = "correct horse battery staple"`,
				`auth_provider = "google-oauth2-provider"`,
				`secret: ${{ secrets.DEPLOY_KEY }}`,
				// After a comma an unquoted value is the next argument or item.
				`signature, err := rsa.SignPKCS1v15(nil, rsaPrivateKey, crypto.SHA256, hashed[:])`,
				`return []any{NewPrivateKey44, NewPublicKey44}`,
				`    "AWS::ApiGateway::ApiKey": "48205d4ffd7feba3",`,
				`     "Resource":"arn:aws:secretsmanager:*:*:secret:A4BNetworkProfile*",`,
				`        private_key: x25519.X25519PrivateKey`,
				`exports2.MINOR = exports2.CONNECTION_TOKEN_CHARS = exports2.HEADER_CHARS = exports2.TOKEN`,
				`	amzCredentialKey    = v4Internal.AmzCredentialKey`,
				`			Credentials: v4aCredentialProvider,`,
				`Action=Enable&SqlServerCredentials=__SqlServerCredentials__&Version=2016-11-15`,
				"ExpSig: `AWS4-HMAC-SHA256 Credential=AKID/19700101/us-west-2/es/aws4_request, SignedHeaders=host`",
				// Base64 of a phrase or of the alphabet: documentation keys.
				`        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==`,
				`  - name: key1` + "\n" + `    secret: YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=`,
				`csrf-token=Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7+V4eUrLfpuyOuxmiW9rhROG/Whikle15syazJOkrjJa3U2AbhIvUw==`,
				`publicToken = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"`,
				`token_hash: "q8Zr2LmP0vXk4TnWb7Yc9Jd2"`,
				// Hand-typed hex, a printf format, a JWT whose header is not JSON.
				`CLIENT_SECRET=ACE9d7E606Df5B4AFD2B35f78A01DC3E`,
				`authKey := "DyVdf7%c^AXw4MH9gT1CPotU31RMl__aLKbrABRWvT7TyO"`,
				`apiKey := "eyJ0eXAiOiJKV1QiLCJhbGCiOiJIUzI1NiJ9.hdMLjiIayyb5cgbcVtjKywQwqeNKnsxZEhnJnX6wzhnblpmpjF4c2mbdVylTayE6M8ZE3h4V.fmnUM4cjvbe1JMFDuBSwWNEYQFHrDEm6p2Ir9w7K6"`,
				`tags := rules[byID["aws-access-key-id"]].Properties.Tags` + "\n" + `for _, want := range []string{"secret", "external/cwe/cwe-798"} {`,
			},
		},
		{
			ID: "generic-password", Provider: "Generic", Title: "Password assigned in configuration or code", Severity: medium,
			// A key ending in password, passwd, pwd or passphrase with a
			// quoted value that looks made by a person: shorter and less
			// random than a token, so the placeholder rules are stricter.
			Keywords:    []string{"password", "passwd", "pwd", "passphrase"},
			KeyAnchored: true,
			Pattern: `(?im)[\w.\-]{0,40}?(?:password|passwd|pwd|passphrase)["'\x60]?(?:[ \t]+string|[ \t]*:[ \t]*string)?` +
				`[ \t]*(?:=|:=|:|=>)[ \t]*["'\x60](?P<secret>(?-i:[^\s"'\x60]{8,64}))["'\x60]`,
			// Values random enough for generic-api-key are left to it, so
			// one assignment yields one finding.
			Check: func(s string) bool { return passwordAccept(s) && !genericAccept(s) },
			Remediation: "Change the password, remove it from the file and its history, and load it from a secrets " +
				"manager or the environment.",
			TruePositives: []string{
				`administrator_login_password = "thisIsDog11"`,
				`spring.datasource.password: "Summer#2024!"`,
				`DB_PASSWORD="k8#Lq2!vRt"`,
			},
			FalsePositives: []string{
				`  password: 'bm90IG15IHJlYWwgcGFzc3dvcmQ=',`, // base64 of "not my real password"
				`password = "rootpasswd"`,
				`password = "${DB_PASSWORD}"`,
				`administrator_login_password = var.db_password`,
				`password: "changeme"`,
				`password = "<your-password>"`,
				`password: "********"`,
				`password_hash = "sha256:9f86d081884c7d65"`,
				`"password": "password123"`,
			},
		},
	}
}

// encodesMadeUpText reports whether s is base64 of readable text that is a
// phrase ("secret is secure") or counts up ("abcdefghijklmnopqrstuvwxyz"):
// the example keys of documentation and test configurations. A real key in
// base64 decodes to random bytes.
func encodesMadeUpText(s string) bool {
	if len(s) < 16 || len(s)%4 != 0 {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) < 8 {
		return false
	}
	text := strings.TrimRight(string(raw), "\r\n")
	for i := 0; i < len(text); i++ {
		if text[i] < 0x20 || text[i] > 0x7e {
			return false
		}
	}
	return strings.Count(strings.TrimSpace(text), " ") >= 1 || longestAscendingRun(text) >= 8
}

// longestAscendingRun is the length of the longest run of bytes each one
// more than the last ("abcdef", "12345").
func longestAscendingRun(s string) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i] == s[i-1]+1 {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

// claimsProviderFormat reports whether s starts with a prefix that one
// provider's token format owns ("aio_", "cfut_", "gloas-", "pat."). When such
// a value reaches the generic detectors, that provider's detector has already
// looked at it and said no (a match of its own outranks theirs): the value is
// truncated, padded or otherwise not the provider's token, as in test files
// that show a broken token. The provider's documented format decides, so the
// generic detectors stay quiet rather than report it a second way.
func claimsProviderFormat(s string) bool {
	// A JWT is three base64url parts, the first a JSON header ("eyJ"); the
	// jwt detector reads the header and rejects a broken one.
	if strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2 {
		return true
	}
	for _, p := range providerPrefixes() {
		if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// providerPrefixes are the keywords of provider detectors that are a
// token's own prefix: at least four characters ending in "_", "-", "." or
// "&" (Azure's "git&").
// Words that begin many unrelated values ("api-", "key-", "live_",
// "test_", "master-", "sdk-") are left out: they claim no one format.
func providerPrefixes() []string {
	prefixOnce.Do(func() { prefixList = listProviderPrefixes() })
	return prefixList
}

var (
	prefixOnce sync.Once
	prefixList []string
)

func listProviderPrefixes() []string {
	common := map[string]bool{"api-": true, "key-": true, "live_": true, "test_": true, "master-": true,
		"sdk-": true, ".v1.": true, ".acc-": true, ".acc_": true, "ico-": true, "pul-": true, "da2-": true, "p8e-": true}
	seen := map[string]bool{}
	var out []string
	for _, d := range All() {
		if strings.HasPrefix(d.ID, "generic") {
			continue
		}
		for _, k := range append(append([]string(nil), d.Keywords...), d.CaseKeywords...) {
			if len(k) < 4 || !strings.ContainsRune("_-.&", rune(k[len(k)-1])) || common[k] || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
