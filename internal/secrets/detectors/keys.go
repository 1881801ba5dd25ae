package detectors

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"strings"
)

// pemBlock matches a PEM or PGP armored private key: BEGIN line, a body
// without "-----" (base64, armor headers such as Proc-Type, and the escaped
// "\n" of keys embedded in JSON), and the END line.
const pemBlock = `-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-{1,4}[^-])+?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----`

var (
	pemHeaderRe  = regexp.MustCompile(`-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY`)
	base64RunRe  = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)
	k8sValueRe   = regexp.MustCompile(`[A-Za-z0-9+/]{8,}={0,2}`)
	jwtInsideRe  = regexp.MustCompile(`eyJ[0-9A-Za-z_\-]+\.e[wy][0-9A-Za-z_\-]+\.?[0-9A-Za-z_\-]*`)
	weakPassword = map[string]bool{
		"password": true, "passwd": true, "pass": true, "pwd": true, "secret": true, "token": true, "test": true,
		"user": true, "username": true, "changeme": true, "admin": true, "root": true, "example": true, "foo": true,
		"bar": true, "apikey": true, "api_key": true, "key": true, "mypassword": true, "yourpassword": true,
		"passw0rd": true, "letmein": true, "guest": true, "demo": true, "sample": true, "default": true,
		"my_password": true, "mypass": true, "your_password": true,
		// Stand-ins of tutorials and API documentation.
		"xyz": true, "abc": true, "baz": true, "qux": true, "hunter2": true, "p@ssword": true, "p@ssw0rd": true,
		"pa$$word": true, "s3cret": true, "s3cr3t": true, "topsecret": true, "supersecret": true, "mysecret": true,
		"secret123": true, "password123": true,
	}
)

// pemBody returns the base64 characters of a PEM block's body, without its
// BEGIN and END lines, armor headers, whitespace and escaped newlines.
func pemBody(block string) string {
	block = strings.ReplaceAll(block, `\n`, "\n")
	block = strings.ReplaceAll(block, `\r`, "\n")
	var b strings.Builder
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") || strings.Contains(line, ":") || strings.HasPrefix(line, "=") {
			continue // BEGIN/END, armor headers, PGP checksum
		}
		b.WriteString(line)
	}
	return b.String()
}

// pemEncrypted reports whether a private key block is protected by a
// passphrase: PKCS#8 "ENCRYPTED PRIVATE KEY", a legacy PEM "Proc-Type:
// 4,ENCRYPTED" header, or an OpenSSH key whose cipher is not "none".
func pemEncrypted(block string) bool {
	m := pemHeaderRe.FindStringSubmatch(block)
	kind := ""
	if m != nil {
		kind = m[1]
	}
	if strings.Contains(kind, "ENCRYPTED") || strings.Contains(block, "Proc-Type: 4,ENCRYPTED") {
		return true
	}
	if kind == "OPENSSH " {
		return opensshCipher(pemBody(block)) != "none"
	}
	return false
}

// opensshCipher reads the cipher name of an "openssh-key-v1" key from its
// base64 body; it returns "none" for unencrypted keys and "" when the body
// cannot be read.
func opensshCipher(body string) string {
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(body, "="))
		if err != nil && len(raw) == 0 {
			return ""
		}
	}
	const magic = "openssh-key-v1\x00"
	if !bytes.HasPrefix(raw, []byte(magic)) || len(raw) < len(magic)+4 {
		return ""
	}
	rest := raw[len(magic):]
	n := binary.BigEndian.Uint32(rest[:4])
	if int(n) > len(rest)-4 || n > 64 {
		return ""
	}
	return string(rest[4 : 4+n])
}

// pemHasKeyMaterial reports whether a block's body holds enough base64 to
// be a key rather than a documentation stub ("...", "anything").
func pemHasKeyMaterial(block string) bool {
	body := pemBody(block)
	return len(body) >= 64 && len(base64RunRe.FindString(body)) >= 32 && !IsPlaceholder(body)
}

// jwtParts decodes a JWT's header and payload. It returns the header's
// fields and whether the token is well formed: a JSON object header with
// "alg" and a JSON object payload.
func jwtParts(tok string) (map[string]any, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, false
	}
	var header, payload map[string]any
	if !decodeJSONSegment(parts[0], &header) || !decodeJSONSegment(parts[1], &payload) {
		return nil, false
	}
	if _, ok := header["alg"].(string); !ok {
		return nil, false
	}
	return header, true
}

// decodeJSONSegment decodes one base64url JWT segment into v.
func decodeJSONSegment(seg string, v any) bool {
	seg = strings.TrimRight(seg, "=")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// jwtSigned reports whether a well-formed JWT names a signing algorithm
// and carries a signature.
func jwtSigned(tok string) bool {
	h, ok := jwtParts(tok)
	if !ok {
		return false
	}
	alg, _ := h["alg"].(string)
	parts := strings.Split(tok, ".")
	return !strings.EqualFold(alg, "none") && len(parts) == 3 && len(parts[2]) >= 16
}

// jwtUnsigned reports whether a well-formed JWT has alg "none" or no
// signature: still a credential for services that accept it, but weaker.
func jwtUnsigned(tok string) bool {
	_, ok := jwtParts(tok)
	return ok && !jwtSigned(tok)
}

// jwtInBase64 reports whether s is the base64 encoding of text holding a
// JWT whose header and payload are JSON objects.
func jwtInBase64(s string) bool {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil && len(raw) < 20 {
			return false
		}
	}
	tok := jwtInsideRe.Find(raw)
	if tok == nil {
		return false
	}
	parts := strings.Split(string(tok), ".")
	var header, payload map[string]any
	return decodeJSONSegment(parts[0], &header) && decodeJSONSegment(parts[1], &payload)
}

// urlPasswordOK rejects the stand-ins documentation puts in a URL's
// password position.
func urlPasswordOK(pw string) bool {
	l := strings.ToLower(pw)
	if weakPassword[l] || len(pw) < 3 {
		return false
	}
	if strings.HasPrefix(pw, "$") || strings.HasPrefix(pw, "%") || strings.HasPrefix(pw, "{") || strings.HasPrefix(pw, "[") {
		return false
	}
	for _, w := range []string{"${", "{{", "$(", "<", ">", "****", "xxx", "...", "example", "placeholder", "your", "changeme", "redacted"} {
		if strings.Contains(l, w) {
			return false
		}
	}
	return true
}

// curlCredentialOK checks curl's "-u user:password" argument: it needs a
// colon, and the password (or, for API keys passed as the user name with an
// empty password, the user) must not be a variable or stand-in.
func curlCredentialOK(cred string) bool {
	user, pw, ok := strings.Cut(cred, ":")
	pw = strings.Trim(pw, `"'`)
	if !ok {
		return false
	}
	for _, part := range []string{user, pw} {
		if strings.HasPrefix(part, "$") || strings.Contains(part, "${") || strings.Contains(part, "$(") ||
			strings.ContainsAny(part, "<>[]{}") {
			return false
		}
	}
	secret := pw
	if secret == "" {
		secret = user
	}
	return len(secret) >= 6 && urlPasswordOK(secret) && !weakPassword[strings.ToLower(user)+":"+strings.ToLower(pw)]
}

// dockerAuthOK checks a Docker config "auth" value: base64 of
// "user:password" with a password that is not a stand-in.
func dockerAuthOK(v string) bool {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return false
	}
	_, pw, ok := strings.Cut(string(raw), ":")
	return ok && urlPasswordOK(pw)
}

// headerValueOK checks a credential taken from an HTTP header in a curl
// command.
func headerValueOK(v string) bool {
	if len(v) < 8 || strings.HasPrefix(v, "$") || strings.ContainsAny(v, "<>{}()") {
		return false
	}
	return notFiller(v) && !strings.Contains(v, "...")
}

// k8sDataOK checks the data block of a Kubernetes Secret: at least one
// value must be base64 of five or more bytes that is not a template. Only
// values count (the text after "key:", or a block scalar's lines): a key
// name such as "decodingStrategy" is valid base64 too.
func k8sDataOK(block string) bool {
	for _, line := range strings.Split(block, "\n") {
		v := strings.TrimSpace(line)
		if strings.HasPrefix(v, "#") {
			continue
		}
		if _, after, ok := strings.Cut(v, ":"); ok {
			v = strings.TrimSpace(after)
		}
		v = strings.Trim(v, `"'`)
		if !k8sValueRe.MatchString(v) || k8sValueRe.FindString(v) != v {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) < 5 {
			continue
		}
		if !IsPlaceholder(string(raw)) || len(raw) >= 16 {
			return true
		}
	}
	return false
}

func keyDetectors() []Detector {
	return []Detector{
		{
			ID: "private-key", Provider: "Cryptographic key", Title: "Private key (unencrypted)", Severity: critical,
			// RSA, EC, DSA, OpenSSH, PGP and PKCS#8 private keys in PEM or
			// armor; the secret is the whole block. Keys protected by a
			// passphrase are reported by private-key-encrypted instead.
			Keywords: []string{"private key"},
			Lines:    200,
			Pattern:  `(` + pemBlock + `)`,
			Check:    func(s string) bool { return pemHasKeyMaterial(s) && !pemEncrypted(s) },
			Remediation: "Treat the key as compromised: revoke or replace it wherever it is trusted (authorized_keys, " +
				"certificates, signing), remove it from history, and keep keys in a secrets manager or KMS.",
			TruePositives: []string{
				"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=\n-----END PRIVATE KEY-----",
				"-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\nyxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=\n-----END RSA PRIVATE KEY-----\n",
				"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACB0sJdE0mE8xq3c9cEo6qF1Yb8p0n7O2wPq8S0xY1Kz1wAAAJj7Qm0r+0Jt\n-----END OPENSSH PRIVATE KEY-----\n",
				"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQWGBGSVV4YBDAClvRnxezIRy2Yv7SFlzC0iFiRF/O/jePSw+XYhvcrTaqSYTGic\n=8xQN\n-----END PGP PRIVATE KEY BLOCK-----",
				"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIKlL5Gv9mQ0x3bVnYpZt2RkE7s1Xw8uJc4aH6dF0qToAoGCCqGSM49\nAwEHoUQDQgAE5w2c8Yh3Zk1Qx0vLp9Rt4Nb7Mw6Jc2Hs5Kd8Gf1Ae3Io0Uy2Wq7\n-----END EC PRIVATE KEY-----",
			},
			FalsePositives: []string{
				"-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
				"-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----",
				"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
				"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIb2YgdGhlIGtleQICCAAw\nDAYIKoZIhvcNAgkFADAUBggqhkiG9w0DBwQIqF1Yb8p0n7O2wPq8S0xY1Kz1w\n-----END ENCRYPTED PRIVATE KEY-----",
				"-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
			},
		},
		{
			ID: "private-key-encrypted", Provider: "Cryptographic key", Title: "Private key protected by a passphrase", Severity: medium,
			// PKCS#8 ENCRYPTED PRIVATE KEY, legacy PEM with Proc-Type:
			// 4,ENCRYPTED, or OpenSSH with a cipher: useless without the
			// passphrase, which is often stored nearby.
			Keywords: []string{"private key"},
			Lines:    200,
			Pattern:  `(` + pemBlock + `)`,
			Check:    func(s string) bool { return pemHasKeyMaterial(s) && pemEncrypted(s) },
			Remediation: "Replace the key if its passphrase may be known (check the same repository and CI variables), " +
				"and keep keys out of source control.",
			TruePositives: []string{
				"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIb2YgdGhlIGtleQICCAAw\nDAYIKoZIhvcNAgkFADAUBggqhkiG9w0DBwQIqF1Yb8p0n7O2wPq8S0xY1Kz1w\n-----END ENCRYPTED PRIVATE KEY-----",
				"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F2A9C1B5D8E4A6C0E9B2D5F8A1C3E7B\n\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\nyxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=\n-----END RSA PRIVATE KEY-----",
				"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBZ8mQx0v\nLp9Rt4Nb7Mw6JcAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIHSwl0TSYTzGrdz1\n-----END OPENSSH PRIVATE KEY-----",
			},
			FalsePositives: []string{
				"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=\n-----END PRIVATE KEY-----",
				"-----BEGIN ENCRYPTED PRIVATE KEY-----\n<your key here>\n-----END ENCRYPTED PRIVATE KEY-----",
			},
		},
		{
			ID: "putty-private-key", Provider: "Cryptographic key", Title: "PuTTY private key (unencrypted)", Severity: critical,
			// PuTTY .ppk files (versions 2 and 3): "Encryption: none" keys;
			// the secret is the Private-Lines base64.
			Keywords: []string{"putty-user-key-file-"},
			Lines:    80,
			Pattern:  `(?s)PuTTY-User-Key-File-[23]:\s*\S+\s+Encryption:\s*none\s.*?Private-Lines:\s*\d+\s+(?P<secret>[A-Za-z0-9+/=\r\n]{40,}?)\s*Private-MAC:`,
			Remediation: "Remove the public key from every authorized_keys it was added to, generate a new key pair, " +
				"and protect it with a passphrase.",
			TruePositives: []string{
				"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@ci\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIHSwl0TSYTzGrdz1wSjqoXVhvynSfs7bA+rxLTFjUrPX\nAAAAAAAAAA==\nPrivate-Lines: 1\nAAAAIEJmQx0vLp9Rt4Nb7Mw6JcXq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1Hf6J\nPrivate-MAC: 3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a2c5e8b1d3f9c2a7e1b5d8f4a\n",
			},
			FalsePositives: []string{
				"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: deploy@ci\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAIHSwl0TSYTzGrdz1wSjqoXVhvynSfs7bA+rxLTFjUrPX\nPrivate-Lines: 1\nAAAAIEJmQx0vLp9Rt4Nb7Mw6JcXq3Lm9Rt0Vb7Nw2Ky4Zc8Pd1Hf6J\nPrivate-MAC: 3f9c2a7e1b5d8f4a\n",
			},
		},
		{
			ID: "putty-private-key-encrypted", Provider: "Cryptographic key", Title: "PuTTY private key protected by a passphrase", Severity: medium,
			Keywords:    []string{"putty-user-key-file-"},
			Lines:       80,
			Pattern:     `(?s)PuTTY-User-Key-File-[23]:\s*\S+\s+Encryption:\s*(?:aes|[a-z0-9\-]*cbc)[a-z0-9\-]*\s.*?Private-Lines:\s*\d+\s+(?P<secret>[A-Za-z0-9+/=\r\n]{40,}?)\s*Private-MAC:`,
			Remediation: "Replace the key if its passphrase may be known, and keep keys out of source control.",
			TruePositives: []string{
				"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: aes256-cbc\nComment: rsa-key\nPublic-Lines: 1\nAAAAB3NzaC1yc2EAAAABJQAAAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f\nPrivate-Lines: 1\nAAABAQCk3Lm9Rt0Vb7Nw2Ky4Zc8Pd1Hf6Jg5Ts3Ua9Ie0Oy2WqL5Gv9mQ0x3bVnYpZt\nPrivate-MAC: 3f9c2a7e1b5d8f4a6c0e9b2d5f8a1c3e7b4d6f9a\n",
			},
			FalsePositives: []string{"PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\n"},
		},
		{
			ID: "age-secret-key", Provider: "age", Title: "age encryption secret key", Severity: critical,
			// "AGE-SECRET-KEY-1" and 58 characters of the Bech32 alphabet.
			Keywords: []string{"age-secret-key-1"},
			Pattern:  `\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b`,
			Remediation: "Generate a new age identity, re-encrypt every file encrypted to the old recipient, " +
				"and remove the old key.",
			TruePositives: []string{
				`age_token: "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"`,
				"# created: 2024-05-01T10:00:00Z\n# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\nAGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n",
			},
			FalsePositives: []string{
				`AGE-SECRET-KEY-1QQQQQQQQ`,
				`AGE-SECRET-KEY-1BQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ`, // B is not Bech32
			},
		},
		{
			ID: "jwt", Provider: "JSON Web Token", Title: "Signed JSON Web Token", Severity: medium,
			// header.payload.signature, each base64url; the header must
			// decode to a JSON object naming "alg", the payload to a JSON object.
			Keywords: []string{"eyj"},
			Pattern:  `(?:^|[^0-9A-Za-z_\-])(?P<secret>eyJ[0-9A-Za-z_\-]{8,}={0,2}\.e[wy][0-9A-Za-z_\-]{4,}={0,2}\.[0-9A-Za-z_\-+/]*={0,2})(?:[^0-9A-Za-z_\-+/=.]|$)`,
			Check:    jwtSigned,
			Remediation: "A bearer token grants access until it expires: check its exp claim, revoke the session or " +
				"rotate the signing key if it is long-lived, and keep tokens out of code and logs.",
			TruePositives: []string{
				`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
				`"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VybmFtZTpib2IifQ.HcfCW67Uda-0gz54ZWTqmtgJnZeNem0Q757eTa9EZuw"`,
			},
			FalsePositives: []string{
				`{"alg":"HS256","typ":"JWT"}.{"name":"Jon Doe"}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
				`eyJhbasdGciOiJIUaddasdasfsasdasdzI1NiIasdsInR5cCI6IkpXVCasdJasd9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
				`eyJBB.eyJCC.eyJDDDD`,
				`eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.`, // unsigned: reported by jwt-unsigned
			},
		},
		{
			ID: "jwt-unsigned", Provider: "JSON Web Token", Title: "Unsigned JSON Web Token (alg none or no signature)", Severity: low,
			Keywords:    []string{"eyj"},
			Pattern:     `(?:^|[^0-9A-Za-z_\-])(?P<secret>eyJ[0-9A-Za-z_\-]{8,}={0,2}\.e[wy][0-9A-Za-z_\-]{4,}={0,2}\.?[0-9A-Za-z_\-+/]*={0,2})(?:[^0-9A-Za-z_\-+/=.]|$)`,
			Check:       jwtUnsigned,
			Remediation: "Check that no service accepts alg \"none\" tokens, and remove the token from the file.",
			TruePositives: []string{
				`String tokenWithNoneAlg = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.";`,
				`eyJ0eXAiOiJKV1QiLA0KImFsZyI6IkhTMjU2In0.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ`,
			},
			FalsePositives: []string{
				`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9`,
				`eyJAAAA.eyJBBB`,
				`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
			},
		},
		{
			ID: "jwt-base64", Provider: "JSON Web Token", Title: "Base64-encoded JSON Web Token", Severity: medium,
			// base64 of "eyJ..." begins "ZXlK"; decoded, it must hold a JWT
			// whose header and payload are JSON objects.
			Keywords: []string{"zxlk"},
			Pattern:  `(?:^|[^0-9A-Za-z+/])(?P<secret>ZXlK[0-9A-Za-z+/]{40,}={0,2})(?:[^0-9A-Za-z+/=]|$)`,
			Check:    jwtInBase64,
			Remediation: "Decode the value to see the token, then treat it as a JWT: revoke or let it expire, and " +
				"remove it from the file.",
			TruePositives: []string{
				`token: ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5LmV5SnpkV0lpT2lJeE1qTTBOVFkzT0Rrd0luMC5kb3pqZ05yeVA0SjNqVm1OSGwwdzVOX1hnTDBuM0k5UFVsU0pzQUZZRkhF`,
			},
			FalsePositives: []string{
				`ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5`, // a header alone
				`ZXlKdW90IGEgdG9rZW4gYXQgYWxsLCBqdXN0IHRleHQgdGhhdCBzdGFydHMgbGlrZSBvbmU=`,
			},
		},
		{
			ID: "database-url-password", Provider: "Database or message broker", Title: "Password in a database or broker connection URL", Severity: high,
			// scheme://user:password@host for PostgreSQL, MySQL, MongoDB,
			// Redis, AMQP, SQL Server and similar; the secret is the password.
			Keywords: []string{"postgres", "mysql", "mariadb", "mongodb", "redis", "amqp", "mssql", "sqlserver", "clickhouse", "cockroach", "couchdb", "neo4j", "rabbitmq"},
			Pattern: `(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|couchdb|neo4j(?:\+s)?|bolt)(?:\+[a-z0-9]+)?://` +
				`[^\s:@/"'<>]{0,64}:(?P<secret>[^\s@/"'<>]{1,128})@[\w\-.\[\]]+`,
			Check: urlPasswordOK,
			Remediation: "Change the database user's password, read connection strings from a secrets manager or " +
				"environment, and prefer IAM database authentication where the engine supports it.",
			TruePositives: []string{
				`DATABASE_URL=postgres://app:Xq3Lm9Rt0Vb7@db.internal:5432/app`,
				`mongodb+srv://admin:pL2k9Qm0Vr7X@cluster0.ab1cd.mongodb.net/prod?retryWrites=true`,
				`REDIS_URL: "rediss://default:k8Jd2Lq0Vm3Xr7Nb@cache.acme.io:6380/0"`,
				`amqp://guest:S3cr3tBr0ker@rabbitmq:5672/`,
			},
			FalsePositives: []string{
				`postgres://user:password@localhost:5432/db`,
				`postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app`,
				`mysql://root:<password>@127.0.0.1/app`,
				`mongodb://admin:****@host/db`,
				`redis://localhost:6379/0`,
				`postgresql://app:changeme@db/app`,
			},
		},
		{
			ID: "jdbc-password", Provider: "Database or message broker", Title: "Password in a JDBC connection string", Severity: high,
			Keywords:    []string{"jdbc:"},
			Pattern:     `(?i)jdbc:(?:oracle:thin:[\w$#]+/|[a-z0-9]+:[^\s"'<>]{0,300}?[;?&:]password=)(?P<secret>[^@;&\s"'<>]{1,128})`,
			Check:       urlPasswordOK,
			Remediation: "Change the database password and read it from a secrets manager or environment variable.",
			TruePositives: []string{
				`spring.datasource.url=jdbc:sqlserver://db.acme.io:1433;databaseName=orders;user=app;password=Xq3Lm9Rt0Vb7`,
				`jdbc:postgresql://db:5432/app?user=app&password=pL2k9Qm0Vr7X&ssl=true`,
				`jdbc:oracle:thin:scott/Tb3Nw9Yc1Kd5@db.acme.io:1521:orcl`,
			},
			FalsePositives: []string{
				`jdbc:sqlserver://db:1433;databaseName=orders;user=app;password=${DB_PASSWORD}`,
				`jdbc:postgresql://db:5432/app?user=app&password=password`,
				`jdbc:oracle:thin:scott/${DB_PASS}@db:1521:orcl`,
			},
		},
		{
			ID: "connection-string-password", Provider: "Database or message broker", Title: "Password in a key=value connection string", Severity: high,
			// ADO.NET, ODBC and libpq style: "Server=...;User ID=...;Password=...".
			Keywords: []string{"password=", "pwd="},
			Pattern: `(?i)\b(?:server|data source|host|hostaddr|address|addr|dsn)\s*=\s*[^;"'\n]{1,200};[^"'\n]{0,300}?` +
				`\b(?:password|pwd)\s*=\s*(?P<secret>[^;"'\s]{1,128})`,
			Check:       urlPasswordOK,
			Remediation: "Change the database password, and read the connection string from a secrets manager, or use integrated or managed-identity authentication.",
			TruePositives: []string{
				`optionsBuilder.UseSqlServer("Server=db.acme.io;Initial Catalog=orders;User ID=sa;Password=Xq3Lm9Rt0Vb7;")`,
				`"ConnectionStrings": { "Default": "Data Source=sql01;Initial Catalog=app;User Id=app;Pwd=pL2k9Qm0Vr7X" }`,
			},
			FalsePositives: []string{
				`Server=db;Database=app;User Id=app;Password=${DB_PASSWORD};`,
				`Server=db;Database=app;User Id=app;Password=<password>;`,
			},
		},
		{
			ID: "docker-config-auth", Provider: "Docker", Title: "Registry credentials in a Docker config (auths)", Severity: high,
			// ~/.docker/config.json and DOCKER_AUTH_CONFIG: "auths" maps
			// registries to {"auth": base64("user:password")}.
			Keywords: []string{"auths"},
			Lines:    20,
			Pattern:  `\\*"auth\\*"\s*:\s*\\*"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})\\*"`,
			Check:    dockerAuthOK,
			Remediation: "Change the registry password or revoke the access token, then log in with a credential helper " +
				"(credsStore) so config.json holds no secrets.",
			TruePositives: []string{
				"{\n  \"auths\": {\n    \"https://index.docker.io/v1/\": {\n      \"auth\": \"Y29uZXhwOkZUQUBDTkNGMG5AenVyZTM=\"\n    }\n  }\n}",
				`DOCKER_AUTH_CONFIG={\"auths\":{\"registry.acme.io\":{\"auth\":\"Y2k6cEwyazlRbTBWcjdY\"}}}`,
			},
			FalsePositives: []string{
				`{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjo="}}}`,
				`{"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcm5hbWU6cGFzc3dvcmQ="}}}`,
			},
		},
		{
			ID: "url-basic-auth", Provider: "HTTP", Title: "Password in a URL (basic authentication)", Severity: medium,
			// http(s), ftp, ssh, git and similar URLs with user:password@host.
			Keywords: []string{"://"},
			Pattern:  `(?i)\b(?:https?|ftps?|sftp|ssh|git|svn|smtps?|ldaps?|wss?|nats)://[^\s:@/"'<>]{1,64}:(?P<secret>[^\s@/"'<>]{1,128})@[\w\-]+(?:\.[\w\-]+)*(?::\d+)?(?:[/?#\s"'<>]|$)`,
			Check: func(s string) bool {
				// "host:port@" is not a password: URLs without a user
				// name come through as "https://host:8080@...".
				return urlPasswordOK(s) && strings.Trim(s, "0123456789") != ""
			},
			Remediation: "Change the password, and pass credentials through a credential helper, .netrc or " +
				"environment rather than in the URL.",
			TruePositives: []string{
				`git clone https://deploy:Zq8Lr2Vm0Px7@git.acme.io/platform/infra.git`,
				`pip install --index-url https://ci:pL2k9Qm0Vr7X@pypi.acme.io/simple pkg`,
				`ftp://backup:Tb3Nw9Yc1Kd5@files.acme.io/dumps/`,
			},
			FalsePositives: []string{
				`https://username:password@yelp.com`,
				`http://localhost:5000/<%= @variable %>`,
				`"https://url:8000";@something else`,
				`https://url:8000 @something else`,
				`https://url:8000/ @something else`,
				`https://user:${TOKEN}@github.com/acme/app.git`,
				`new URL('https://abc:xyz@example.com')`,
			},
		},
		{
			ID: "curl-basic-auth", Provider: "HTTP", Title: "Credentials in a curl command (-u user:password)", Severity: medium,
			// curl -u/--user user:password, possibly on a continuation line;
			// the secret is the user:password argument.
			Keywords: []string{"curl"},
			Lines:    8,
			Pattern:  `(?s)\bcurl\b(?:[^\n]|\\?\r?\n[ \t]*){0,600}?\s(?:-u|--user)[=\s]\s*["']?(?P<secret>[^\s"']*:["']?[^\s"']*|[^\s"':]+:)["']?(?:\s|$)`,
			Check:    curlCredentialOK,
			Remediation: "Change the password or API key, and pass credentials with --netrc-file or a config file " +
				"kept out of source control.",
			TruePositives: []string{
				`curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200`,
				"curl -k -X POST https://infinispan:11222/rest/v2/caches/default/hello \\\n  -H 'Content-type: text/plain' \\\n  -d 'world' \\\n  -u developer:yqDVtkqPECriaLRi",
				`curl -u ":d2LkV78zLx!t" https://localhost:9200`,
				`curl https://api.stripe.com/v1/charges -u "d2LkV78zLx!t:"`,
			},
			FalsePositives: []string{
				`curl -i -u 'test:test'`,
				`curl -sL --user "$1:$2" "$3" > "$4"`,
				`curl -u <user:password> https://test.com/endpoint`,
				`curl --user neo4j:[PASSWORD] http://[IP]:7474/db/data/`,
				`curl -u "myusername" http://localhost:15130/api/check_user/`,
				`curl -u username:token`,
				`curl -u "${_username}:${_password}"`,
				`curl -k -X POST -I -u "SRVC_JENKINS:${APPID}"`,
				`curl -u ":" https://localhost:9200`,
				`curl --user "xxx:yyy"`,
				`curl -X POST --user "$(cat ./login.txt):$(cat ./password.txt)"`,
				`curl http://127.0.0.1:5000/file --user user:pass --digest`,
				`curl -X GET --insecure --user "username:password" \`,
			},
		},
		{
			ID: "curl-auth-header", Provider: "HTTP", Title: "Credential in a curl command header", Severity: medium,
			// curl -H/--header "Authorization: <scheme> <credential>" and
			// common API key headers.
			Keywords: []string{"curl"},
			Lines:    8,
			Pattern: `(?is)\bcurl\b(?:[^\n]|\\?\r?\n[ \t]*){0,600}?\s(?:-H|--header)[=\s]\s*["']` +
				`(?:authorization|token|[\w\-]*(?:api-?key|api-?token|auth-?token|access-?token|private-token|secret))\s*:\s*(?:[A-Za-z\-]+\s+)?(?P<secret>[^\s"']+)["']`,
			Check: headerValueOK,
			Remediation: "Revoke the token or change the password it encodes, and pass it from an environment " +
				"variable ($TOKEN) in scripts and documentation.",
			TruePositives: []string{
				`curl --header  'Authorization:  5eb4223e-5008-46e5-be67-c7b8f2732305'`,
				`curl -H 'Authorization: Basic YnJvd3Nlcjo=' \`,
				"curl -X POST -H \"Content-Type: application/json\" \\\n -H \"Authorization: Bearer Zq8Lr2Vm0Px7Tb3Nw9Yc1Kd5Hs4J6Gf8\" \\\n https://api.acme.io/v1/jobs",
			},
			FalsePositives: []string{
				`curl https://example.com/micropub -d h=entry -H "Authorization: Bearer XXXXXXXXXXXX"`,
				`curl -X POST https://accounts.spotify.com/api/token --header "Authorization: Basic ..."`,
				`curl -H "Authorization: Bearer <Openverse API token>" "https://api.openverse.org/v1/audio/?q=test"`,
				`curl -H "Authorization: Token **********" -d '{}'`,
				`curl -H "Authorization: Bearer $API_KEY" http://localhost:8000`,
				`curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x.googleapis.com`,
				`curl -H "apikey: $API_KEY" "$API_URL/rest/v1/stats"`,
			},
		},
		{
			ID: "kubernetes-secret-yaml", Provider: "Kubernetes", Title: "Kubernetes Secret manifest with data", Severity: high,
			// A "kind: Secret" manifest's data: block holds base64 values;
			// the secret is the block. Empty values and templates are not reported.
			Keywords:    []string{"kind: secret", "kind: 'secret'", `kind: "secret"`},
			Lines:       40,
			LinesBefore: 40,
			Pattern: `(?m)^[ \t]*data:[ \t]*\r?\n(?P<secret>(?:[ \t]+(?:#[^\n]*|[\w.\-]+:[ \t]*(?:[|>][+-]?[ \t]*\r?\n[ \t]+)?` +
				`["']?[A-Za-z0-9+/]+={0,2}["']?[ \t]*)(?:\r?\n|$))+)`,
			Check: k8sDataOK,
			Remediation: "Rotate every credential in the Secret, remove the manifest from source control, and " +
				"manage it with External Secrets, Sealed Secrets or SOPS.",
			TruePositives: []string{
				"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-user-pass\ntype: Opaque\ndata:\n  password: UyFCXCpkJHpEc2I9\n  username: YWRtaW4=\n",
				"apiVersion: v1\ndata:\n  .dockercfg: |\n    eyJhdXRocyI6eyJodHRwczovL2V4YW1wbGUvdjEvIjp7ImF1dGgiOiJvcGVuc2VzYW1lIn19fQo=\nmetadata:\n  name: secret-dockercfg\nkind: Secret\n",
			},
			FalsePositives: []string{
				"apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-auth-data\ntype: Opaque\ndata:\n  htpasswd: \"\"\n",
				"apiVersion: v1\nkind: secret\ndata:\n\textra: YmFyCg==\nmetadata:\n\tname: secret-sa-sample\n",
				"apiVersion: v1\n data:\n \tpassword: {{ .Values.Password }}\n kind: secret\n",
				// The data block of a ConfigMap next to a Secret: plain words, not base64.
				"kind: Secret\nmetadata:\n  name: s\n---\nkind: ConfigMap\ndata:\n  decodingStrategy: None\n  key: secret/mysecret\n",
			},
		},
	}
}
