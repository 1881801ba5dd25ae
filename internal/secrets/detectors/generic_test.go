package detectors

import (
	"regexp"
	"testing"
)

func TestGenericAccept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  bool
	}{
		{"random base62 token is kept", "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB", true},
		{"random token with symbols is kept", "lidkqPMvVQV17yMKBJf90DoqcYf=y7", true},
		{"long hex secret is kept", "6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde", true},
		{"UUID is skipped", "dafa7817-e246-48f3-91a7-e87653d587b8", false},
		{"member access is skipped", "user.password", false},
		{"code identifier is skipped", "tokenFromHeader", false},
		{"dotted constant is skipped", "X25519.secret_length", false},
		{"upper-case words are skipped", "NEXUS-GPT4-API-KEY", false},
		{"lower-case words are skipped", "google-oauth2-provider", false},
		{"file path is skipped", "/var/run/secrets/kubernetes.io/serviceaccount/token", false},
		{"key file name is skipped", "s_rsa1024_priv.pem", false},
		{"version string is skipped", "rc0.15.0_20231217", false},
		{"host name is skipped", "project-one-12345.hasura.app", false},
		{"template is skipped", "${{secrets.DEPLOY_KEY}}", false},
		{"placeholder is skipped", "your_api_key_here", false},
		{"sequential fake is skipped", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6", false},
		{"token pasted twice is skipped", "W5zbfUkzlXedo7qD42W5zbfUkzlXedo7qD42", false},
		{"runs of repeated letters are skipped", "5Aep861eN26AAAABBBBCCCCjcNqfo5kVBplkp", false},
		{"short value without digits and cases is skipped", "abcdefghjkmnpq", false},
		{"short lower-case value with digits is skipped", "3ieymnhnol3k2n4r", false},
		{"environment lookup is skipped", "os.environ.get", false},
		{"too short is skipped", "Ab1", false},
		// A provider's prefix hands the value to that provider's detector.
		{"truncated Cloudflare token is left to its detector", "cfut_ZE4CrcFhEIDXk9vL2sTLe", false},
		{"Adafruit prefix with a wrong length is left to its detector", "aio_VxEqGaqgMgZej3DceezbBy03eWyWa", false},
		{"Harness prefix is left to its detector", "pat.4oXWHvYFRNOGLVpFTZGGTA.6807c5bed9599c324f6368ce.usCT2fzvADwSoXzXc", false},
		{"a common word before a dash claims no format", "key-Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := genericAccept(tc.value); got != tc.want {
				t.Errorf("genericAccept(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestPasswordAccept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  bool
	}{
		{"mixed password with digits is kept", "thisIsDog11", true},
		{"password with symbols is kept", "Summer#2024!", true},
		{"single lower-case word is skipped", "rootpasswd", false},
		{"the word password is skipped", "password123", false},
		{"variable reference is skipped", "${DB_PASSWORD}", false},
		{"masked value is skipped", "********", false},
		{"changeme is skipped", "changeme", false},
		{"hash prefix is skipped", "sha256:9f86d081884c7d65", false},
		{"function call is skipped", "getPassword()", false},
		{"short value is skipped", "Ab1!", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := passwordAccept(tc.value); got != tc.want {
				t.Errorf("passwordAccept(%q) = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestNotFiller(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"abcd1234abcd1234abcd1234abcd1234", true}, // exact-format fakes are still reported
		{"1234567890abcdef1234567890abcdef", true},
		{"xxxxxxxxxxxxxxxx", false},
		{"EXAMPLEKEY123456", false},
		{"${API_TOKEN}", false},
		{"<your-token>", false},
		{"%TOKEN%", false},
		{"0000000000000000", false},
	} {
		if got := notFiller(tc.value); got != tc.want {
			t.Errorf("notFiller(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
}

func TestKeyedPatternForms(t *testing.T) {
	re := regexp.MustCompile(keyed(named(`acme`), `[0-9A-Za-z]{24}`))
	const secret = "Xq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1"
	for _, text := range []string{
		`ACME_TOKEN=` + secret,
		`acme_token: "` + secret + `"`,
		`"acmeToken": "` + secret + `",`,
		`acmeToken := "` + secret + `"`,
		`var acmeToken string = "` + secret + `"`,
		`$acmeToken .= "` + secret + `";`,
		`ACME_TOKEN ?= ` + secret,
		`ACME_TOKEN ::= "` + secret + `"`,
		`"acmeToken" => "` + secret + `",`,
		`System.setProperty("ACME_TOKEN", "` + secret + `")`,
		"<acmeToken>\n    " + secret + "\n</acmeToken>",
		`{"config.ini": "ACME_TOKEN=` + secret + `\nDEBUG=true"}`,
		`acme token = '` + secret + `'`,
	} {
		m := re.FindStringSubmatch(text)
		if m == nil || m[re.SubexpIndex("secret")] != secret {
			t.Errorf("keyed pattern missed the value in %q (got %q)", text, m)
		}
	}
	for _, text := range []string{
		`ACME_REGION=` + secret,                   // no credential word in the key name
		`ACME_TOKEN=` + secret + `X`,              // 25 characters
		`acme_token = "` + secret[:20] + `"`,      // 20 characters
		`acme_token = tokenFor("` + secret + `")`, // a call, not a value
	} {
		if m := re.FindStringSubmatch(text); m != nil {
			t.Errorf("keyed pattern matched %q in %q", m[re.SubexpIndex("secret")], text)
		}
	}
}

func TestRepeatHeuristics(t *testing.T) {
	if !repeatsChunk("abcdefgh-abcdefgh", 8) {
		t.Error("repeatsChunk missed a repeated 8-byte chunk")
	}
	if repeatsChunk("Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB", 8) {
		t.Error("repeatsChunk flagged a random token")
	}
	if got := identicalRuns("AAAABBBBxCCC", 4); got != 2 {
		t.Errorf("identicalRuns = %d, want 2", got)
	}
	if got := identicalRuns("", 4); got != 0 {
		t.Errorf("identicalRuns(empty) = %d, want 0", got)
	}
}

func TestLettersAndDigits(t *testing.T) {
	if !lettersAndDigits("bo7nwl8d2jsr53oyaq0q3ad6") {
		t.Error("random alphanumeric rejected")
	}
	if lettersAndDigits("PLATFORMENGINEERINGTEAMS") || lettersAndDigits("123456789012") {
		t.Error("letters-only or digits-only value accepted")
	}
}
