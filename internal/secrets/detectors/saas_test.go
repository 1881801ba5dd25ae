package detectors

import (
	"regexp"
	"strings"
	"testing"
)

// TestSaaSNearPattern pins down which name-to-value bindings the SaaS
// keyword detectors accept: the assignment forms of common languages and
// configuration files, and not prose or names inside other words.
func TestSaaSNearPattern(t *testing.T) {
	const value = "q8Zr2LmP0vXk4TnW7aYc"
	re := regexp.MustCompile(saasNear(`[a-zA-Z0-9]{20}`, "acme"))
	word := regexp.MustCompile(saasNearWord(`[a-zA-Z0-9]{20}`, "acme"))
	for _, tc := range []struct {
		name string
		re   *regexp.Regexp
		text string
		want bool
	}{
		{"env assignment", re, "ACME_TOKEN=" + value, true},
		{"yaml key", re, "acme_token: '" + value + "'", true},
		{"json key", re, `{"acmeToken": "` + value + `"}`, true},
		{"go short declaration", re, "acmeToken := `" + value + "`", true},
		{"go typed var", re, `var acmeToken string = "` + value + `"`, true},
		{"php append", re, `$acmeToken .= "` + value + `"`, true},
		{"ruby hash rocket", re, `"acmeToken" => "` + value + `"`, true},
		{"java setProperty", re, `System.setProperty("ACME_TOKEN", "` + value + `")`, true},
		{"make conditional", re, `acme_TOKEN ?= "` + value + `"`, true},
		{"xml element on next line", re, "<acmeToken>\n    " + value + "\n</acmeToken>", true},
		{"escaped newline in a json string", re, `{"env": "ACME_TOKEN=` + value + `\nDEBUG=1"}`, true},
		{"camel case inside a name", re, `const myAcmeKey = "` + value + `"`, true},
		{"noun between name and value", re, "acme token = '" + value + "'", true},
		{"dash separator with blanks", re, "acme token - '" + value + "'", true},
		{"name then value", re, "acme '" + value + "'", true},
		{"prose between name and value", re, "acme keyword is not close to the key\n = '" + value + "'", false},
		{"name inside a lower-case word", re, `pacmeToken = "` + value + `"`, false},
		{"value too long", re, "ACME_TOKEN=" + value + "x", false},
		{"value glued to a file name", re, "acme.ico-" + value, false},
		{"word end: name then upper case", word, `acmeKey = "` + value + `"`, true},
		{"word end: name runs on", word, `acmes = "` + value + `"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.re.MatchString(tc.text); got != tc.want {
				t.Errorf("match %q = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestSaaSPrefixedBoundaries checks that a prefixed token is never cut out
// of a longer run of token characters (base64 blobs, longer identifiers).
func TestSaaSPrefixedBoundaries(t *testing.T) {
	re := regexp.MustCompile(saasPrefixed(`tok_[a-z0-9]{8}`))
	for _, tc := range []struct {
		name, text string
		want       bool
	}{
		{"after equals", "KEY=tok_a1b2c3d4", true},
		{"quoted", `"tok_a1b2c3d4"`, true},
		{"start of text", "tok_a1b2c3d4", true},
		{"inside base64", "+tok_a1b2c3d4/", false},
		{"longer body", "tok_a1b2c3d4e", false},
		{"part of a word", "xtok_a1b2c3d4", false},
		{"after a dot", "xoxe.tok_a1b2c3d4", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := re.MatchString(tc.text); got != tc.want {
				t.Errorf("match %q = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestSaaSDetectorSecretGroup checks that every SaaS detector reports the
// value, not the name it was found near: the secret of each true example
// holds no blank or quote and does not start with an assignment sign.
func TestSaaSDetectorSecretGroup(t *testing.T) {
	blankOrQuote := regexp.MustCompile(`[\s"'\x60]`)
	for _, d := range saasDetectors() {
		if err := d.Compile(); err != nil {
			t.Fatal(err)
		}
		if d.prog.re.SubexpIndex("secret") <= 0 {
			t.Errorf("%s: pattern has no secret group", d.ID)
		}
		for _, ex := range d.TruePositives {
			for _, m := range d.Find([]byte(ex)) {
				if blankOrQuote.MatchString(m.Secret) || strings.HasPrefix(m.Secret, "=") {
					t.Errorf("%s: secret %q of %q holds the assignment around it", d.ID, m.Secret, ex)
				}
			}
		}
	}
}
