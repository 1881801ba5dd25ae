package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fingerprint returns the stable identity of a finding: the same weakness at
// the same place hashes the same across rescans. What it hashes depends on the
// category, chosen so that unrelated edits (lines moving, versions bumped
// within a still-vulnerable range) keep the identity:
//
//   - secret: rule, path and the keyed secret hash (never the secret). Lines
//     and commits are left out, so a secret moved down a file or seen in many
//     commits of history is one finding.
//   - vulnerability: vulnerability id, manifest path, ecosystem and package
//     name. The version is left out so an upgrade that is still vulnerable
//     keeps the finding's history.
//   - misconfiguration: rule, path and resource address (IaC address such as
//     aws_s3_bucket.logs); the line is used only when there is no resource.
//   - posture: rule and resource (an ARN).
//   - detection: rule and resource (the alert's grouping key).
//   - code and scan-error: rule, path and the evidence text with whitespace
//     collapsed, so it survives re-indentation and line shifts.
//
// The result is 32 hex characters of SHA-256 over the fields joined with NUL.
func Fingerprint(f *Finding) string {
	var parts []string
	switch f.Category {
	case Secret:
		parts = []string{f.RuleID, f.Location.Path, f.SecretHash}
	case Vulnerability:
		id := f.VulnerabilityID
		if id == "" {
			id = f.RuleID
		}
		eco, name := "", ""
		if f.Package != nil {
			eco, name = f.Package.Ecosystem, f.Package.Name
		}
		parts = []string{id, f.Location.Path, eco, name}
	case Misconfiguration:
		parts = []string{f.RuleID, f.Location.Path, f.Resource}
		if f.Resource == "" {
			parts = append(parts, itoa(f.Location.StartLine))
		}
	case Posture, Detection:
		parts = []string{f.RuleID, f.Resource}
	default:
		parts = []string{f.RuleID, f.Location.Path, strings.Join(strings.Fields(f.Evidence), " ")}
	}
	h := sha256.New()
	h.Write([]byte(f.Category))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// SetFingerprint fills f.Fingerprint when the scanner left it empty.
func SetFingerprint(f *Finding) {
	if f.Fingerprint == "" {
		f.Fingerprint = Fingerprint(f)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
