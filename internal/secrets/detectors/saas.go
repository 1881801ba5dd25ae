package detectors

import (
	"regexp"
	"strings"
	"unicode"
)

// saasDetectors returns the detectors for SaaS providers a company on AWS
// typically holds: chat and messaging, payments and commerce, AI APIs,
// observability and operations, and business applications.
func saasDetectors() []Detector {
	var out []Detector
	out = append(out, saasMessagingDetectors()...) // Slack, Discord, Telegram, Teams, email and SMS
	out = append(out, saasPaymentDetectors()...)   // Stripe, Square, Shopify, crypto exchanges, shipping
	out = append(out, saasAIDetectors()...)        // OpenAI, Anthropic, Hugging Face and other model APIs
	out = append(out, saasOpsDetectors()...)       // monitoring, identity, hosting and data platforms
	out = append(out, saasAppDetectors()...)       // CRM, productivity, content and social APIs
	return out
}

// The pieces of an assignment that saasNearPattern puts between a provider's
// name and a value without a prefix of its own. Together they accept the
// common ways code and configuration bind a name to a value:
//
//	stripe_key = "v"   STRIPE_KEY: v   "stripeKey" => "v"   stripeKey := `v`
//	var stripeKey string = "v"   setProperty("STRIPE_KEY", "v")   <stripeKey>\n  v
//	stripe token - 'v'   stripe 'v'
//
// and nothing else: the name must be followed by the rest of its identifier
// and an operator, or by blanks and quotes only, so "stripe keyword is not
// near the key" never binds the name to a later value.
const (
	// saasNearIdent is the rest of the identifier the provider's name starts.
	saasNearIdent = `[\w.\-]{0,40}`
	// saasNearSep is what stands between identifier and value: an optional
	// closing quote, an optional one-word type or noun ("string", "token",
	// "KEY"), an operator, then blanks, quotes or an opening brace (which
	// may include one line break, for XML and JSON values on the next
	// line); or only blanks and quotes.
	saasNearSep = `(?:["'\x60\]]{0,2}(?:[ \t]{1,3}[A-Za-z]{1,12})?[ \t]{0,3}` +
		`(?:[:?.+!]{0,3}=>?|:{1,3}|,|->|-[ \t]|>|\(|\|\|?)[\s"'\x60{(]{0,8}|[ \t"'\x60]{1,6})`
	// saasNearEnd is what may follow a value: anything that cannot continue
	// it, or an escaped line break inside a quoted string.
	saasNearEnd = `(?:[^\w\-=+/]|$)`
)

// saasNearPattern builds the expression for a value of the given shape assigned
// to a name that begins with one of words (any case). A word must start an
// identifier or a camel-case part of one ("stripeKey", "myStripeKey",
// "STRIPE_KEY"), so "setSysctl" is not read as the word "etsy". With
// wordEnd set, the word must also end there ("sumoKey" but not "sumObj").
func saasNearPattern(words []string, value string, wordEnd bool) string {
	alts := make([]string, 0, 2*len(words))
	for _, w := range words {
		q := regexp.QuoteMeta(w)
		alts = append(alts, `(?:^|[^A-Za-z])(?i:`+q+`)`)
		first := rune(w[0])
		if unicode.IsLetter(first) {
			up := string(unicode.ToUpper(first))
			alts = append(alts, `[a-z0-9]`+up+`(?i:`+regexp.QuoteMeta(w[1:])+`)`)
		}
	}
	end := ""
	if wordEnd {
		end = `(?:[^a-z]|$)`
	}
	return `(?:` + strings.Join(alts, "|") + `)` + end + saasNearIdent + saasNearSep +
		`(?P<secret>` + value + `)` + saasNearEnd
}

// saasNearText is for values that sit in free text a little after the
// provider's name (a table under a heading, a log line): the name, then up
// to 120 characters of anything, then the value standing alone.
func saasNearText(value string, words ...string) string {
	p := saasNearPattern(words, "", false)
	kw := p[:strings.Index(p, saasNearIdent)]
	return kw + `(?s:.{0,120}?)` + saasTokenStart + `(?P<secret>` + value + `)` + saasTokenEnd
}

// saasNear is saasNearPattern for names that may run on into a longer identifier.
func saasNear(value string, words ...string) string { return saasNearPattern(words, value, false) }

// saasNearWord is saasNearPattern for short names that must end where the
// identifier's next part starts.
func saasNearWord(value string, words ...string) string { return saasNearPattern(words, value, true) }

// Value shapes shared by the SaaS detectors.
const (
	saasUUID       = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	saasTokenStart = `(?:^|[^\w\-+/.])` // before a saasPrefixed token: not a character of one
	saasTokenEnd   = `(?:[^\w\-+/=]|$)` // after a saasPrefixed token
)

// saasPrefixed is the expression for a token with its own prefix: body is the
// whole token, which must not be part of a longer run of token characters.
func saasPrefixed(body string) string {
	return saasTokenStart + `(?P<secret>` + body + `)` + saasTokenEnd
}

// saasMixedCase reports whether s has both an upper- and a lower-case letter:
// real keys of mixed-case alphabets do, identifiers in one case do not.
func saasMixedCase(s string) bool {
	return strings.ContainsFunc(s, unicode.IsUpper) && strings.ContainsFunc(s, unicode.IsLower)
}

// saasDigitAndLetter reports whether s has at least one digit and one letter.
func saasDigitAndLetter(s string) bool {
	return strings.ContainsFunc(s, unicode.IsDigit) && strings.ContainsFunc(s, unicode.IsLetter)
}

// saasRotate is the remediation for a provider whose console has a place to
// revoke the credential.
func saasRotate(where string) string {
	return "Revoke it in " + where + ", create a replacement, store the new value in a secret manager " +
		"or the CI secret store (never in the repository), and review the provider's logs for use of the old one."
}
