package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost parameters of a password hash.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 follows OWASP's Password Storage Cheat Sheet (Argon2id,
// 19 MiB, 2 iterations, 1 thread): about 30 ms here, so a login costs
// little and a stolen hash costs an attacker a great deal.
var DefaultArgon2 = Argon2Params{Memory: 19456, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Password policy: long passphrases beat composition rules (NIST SP
	// 800-63B); the upper bound keeps Argon2 inputs sane.
	minPassword = 12
	maxPassword = 128
)

// ErrWeakPassword marks a password the policy refuses.
var ErrWeakPassword = errors.New("weak password")

// CheckPassword applies the password policy: at least 12 characters and at
// most 128 bytes, not containing the user's name, not one character repeated.
func CheckPassword(name, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < minPassword:
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, minPassword)
	case len(pw) > maxPassword:
		return fmt.Errorf("%w: at most %d bytes", ErrWeakPassword, maxPassword)
	case strings.EqualFold(pw, name) || strings.Contains(strings.ToLower(pw), strings.ToLower(name)) && len(name) >= 4:
		return fmt.Errorf("%w: it contains the user name", ErrWeakPassword)
	case oneRune(pw):
		return fmt.Errorf("%w: one character repeated", ErrWeakPassword)
	}
	return nil
}

// oneRune reports whether s repeats a single character.
func oneRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// HashPassword returns an Argon2id PHC string for pw.
func HashPassword(pw string, p Argon2Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a PHC string in constant time. rehash
// is true when the hash was made with other parameters than want, so the
// caller can store a new hash while it holds the password.
func VerifyPassword(phc, pw string, want Argon2Params) (ok, rehash bool, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, errors.New("verify password: not an Argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, fmt.Errorf("verify password: unsupported version %q", parts[2])
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, false, fmt.Errorf("verify password: parameters %q: %w", parts[3], err)
	}
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 4<<20 || p.Time == 0 || p.Time > 64 || p.Threads == 0 {
		return false, false, fmt.Errorf("verify password: parameters %q out of range", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, false, fmt.Errorf("verify password: salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 || len(key) > 1024 {
		return false, false, errors.New("verify password: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != want || len(key) != keyLen, nil
}
