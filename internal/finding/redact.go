package finding

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// Redact returns the only form of a secret palisade ever shows: at most its
// first four characters (fewer for short secrets, none under 8) and its length.
// Four characters identify a token type (ghp_, AKIA, xoxb) without giving away
// any of the random part that matters.
func Redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	show := 4
	switch {
	case n < 8:
		show = 0
	case n < 16:
		show = 2
	}
	prefix := make([]rune, 0, show)
	for _, r := range secret {
		if len(prefix) == show {
			break
		}
		prefix = append(prefix, r)
	}
	return fmt.Sprintf("%s… (%d chars)", string(prefix), n)
}

// HashSecret is the keyed hash used to recognise a secret again (dedup,
// baselines, fingerprints) without keeping it. HMAC-SHA256 with a key means a
// leaked store or baseline cannot be brute-forced for short secrets without
// the key too. The result is 32 hex characters.
func HashSecret(key []byte, secret []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(secret)
	return hex.EncodeToString(m.Sum(nil))[:32]
}
