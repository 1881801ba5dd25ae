package detectors

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// opensshKey builds the base64 body of an "openssh-key-v1" key with the
// given cipher name, followed by varied filler bytes.
func opensshKey(cipher string) string {
	var b []byte
	b = append(b, "openssh-key-v1\x00"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(cipher)))
	b = append(b, cipher...)
	for i := 0; i < 48; i++ {
		b = append(b, byte(i*37%251))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestPemEncrypted(t *testing.T) {
	body := "MIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\n"
	for _, tc := range []struct {
		name  string
		block string
		want  bool
	}{
		{"PKCS#8 unencrypted", "-----BEGIN PRIVATE KEY-----\n" + body + "-----END PRIVATE KEY-----", false},
		{"PKCS#8 encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + body + "-----END ENCRYPTED PRIVATE KEY-----", true},
		{"legacy PEM with Proc-Type", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n" + body + "-----END RSA PRIVATE KEY-----", true},
		{"OpenSSH cipher none", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + opensshKey("none") + "\n-----END OPENSSH PRIVATE KEY-----", false},
		{"OpenSSH aes256-ctr", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + opensshKey("aes256-ctr") + "\n-----END OPENSSH PRIVATE KEY-----", true},
		{"key escaped inside JSON", `-----BEGIN PRIVATE KEY-----\n` + strings.TrimSpace(body) + `\n-----END PRIVATE KEY-----`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pemEncrypted(tc.block); got != tc.want {
				t.Errorf("pemEncrypted = %v, want %v", got, tc.want)
			}
			if !pemHasKeyMaterial(tc.block) {
				t.Errorf("pemHasKeyMaterial = false for a block with a body")
			}
		})
	}
}

func TestOpensshCipher(t *testing.T) {
	if got := opensshCipher(opensshKey("chacha20-poly1305@openssh.com")); got != "chacha20-poly1305@openssh.com" {
		t.Errorf("opensshCipher = %q", got)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("openssh-key-v1\x00\xff\xff\xff\xff"))} {
		if got := opensshCipher(bad); got != "" {
			t.Errorf("opensshCipher(%q) = %q, want empty", bad, got)
		}
	}
}

func TestJWTChecks(t *testing.T) {
	const (
		signed   = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
		algNone  = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ."
		twoParts = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0"
		noAlg    = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
		garbage  = "eyJhbasdGciOiJIUzI1NiIs.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
	)
	for _, tc := range []struct {
		tok              string
		signed, unsigned bool
	}{
		{signed, true, false},
		{algNone, false, true},
		{twoParts, false, true},
		{noAlg, false, false},
		{garbage, false, false},
	} {
		if got := jwtSigned(tc.tok); got != tc.signed {
			t.Errorf("jwtSigned(%.30s…) = %v, want %v", tc.tok, got, tc.signed)
		}
		if got := jwtUnsigned(tc.tok); got != tc.unsigned {
			t.Errorf("jwtUnsigned(%.30s…) = %v, want %v", tc.tok, got, tc.unsigned)
		}
	}
	wrapped := base64.StdEncoding.EncodeToString([]byte(signed))
	if !jwtInBase64(wrapped) {
		t.Errorf("jwtInBase64 missed a base64-wrapped JWT")
	}
	if jwtInBase64(base64.StdEncoding.EncodeToString([]byte("eyJ is how it starts but this is prose"))) {
		t.Errorf("jwtInBase64 accepted prose")
	}
}

func TestCredentialStandIns(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"URL password", urlPasswordOK, "Xq3Lm9Rt0Vb7", true},
		{"URL password word", urlPasswordOK, "password", false},
		{"URL password variable", urlPasswordOK, "${DB_PASSWORD}", false},
		{"URL password masked", urlPasswordOK, "****", false},
		{"URL password angle brackets", urlPasswordOK, "<password>", false},
		{"curl user and password", curlCredentialOK, "elastic:P@ssw0rd$1", true},
		{"curl API key as user", curlCredentialOK, "sk_live_4eC39HqLyjWD:", true},
		{"curl quoted password", curlCredentialOK, "kevin:'pRf7vG2h1L8nQkW9'", true},
		{"curl user only", curlCredentialOK, "myusername", false},
		{"curl shell variables", curlCredentialOK, "$USERNAME:$PASSWORD", false},
		{"curl command substitution", curlCredentialOK, "$(cat u):$(cat p)", false},
		{"curl documentation pair", curlCredentialOK, "username:password", false},
		{"curl short pair", curlCredentialOK, "xxx:yyy", false},
		{"header token", headerValueOK, "5eb4223e-5008-46e5-be67-c7b8f2732305", true},
		{"header placeholder", headerValueOK, "XXXXXXXXXXXX", false},
		{"header variable", headerValueOK, "$API_KEY", false},
		{"docker auth", dockerAuthOK, base64.StdEncoding.EncodeToString([]byte("ci:pL2k9Qm0Vr7X")), true},
		{"docker auth without password", dockerAuthOK, base64.StdEncoding.EncodeToString([]byte("ci:")), false},
		{"docker auth not base64", dockerAuthOK, "not-base64!", false},
		{"kubernetes data", k8sDataOK, "  password: UyFCXCpkJHpEc2I9\n", true},
		{"kubernetes short data", k8sDataOK, "  extra: YmFyCg==\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fn(tc.in); got != tc.want {
				t.Errorf("(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzKeyChecks runs the parsers behind the key, JWT and credential
// detectors on arbitrary input: they must never panic.
func FuzzKeyChecks(f *testing.F) {
	for _, d := range keyDetectors() {
		for _, ex := range d.TruePositives {
			f.Add(ex)
		}
	}
	f.Add(opensshKey("none"))
	f.Fuzz(func(t *testing.T, s string) {
		pemEncrypted(s)
		pemHasKeyMaterial(s)
		opensshCipher(s)
		jwtSigned(s)
		jwtUnsigned(s)
		jwtInBase64(s)
		curlCredentialOK(s)
		headerValueOK(s)
		dockerAuthOK(s)
		k8sDataOK(s)
		genericAccept(s)
		passwordAccept(s)
	})
}
