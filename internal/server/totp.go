package server

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP uses HMAC-SHA1; authenticator apps expect it
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP (RFC 6238) as authenticator apps use it: HMAC-SHA1, 6 digits, a
// 30-second step. A code of the step before or after is accepted for clock
// drift; the store refuses a step used before, so a code works once.
const (
	totpStep    = 30 * time.Second
	totpDigits  = 6
	totpSkew    = 1
	totpKeySize = 20 // 160 bits, as RFC 4226 recommends
)

// ErrNoSecretKey marks a server started without $PALISADE_SECRET_KEY, so
// it cannot keep second-factor secrets.
var ErrNoSecretKey = errors.New("no secret key: set PALISADE_SECRET_KEY (32 random bytes, base64) for second factors")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a random secret in base32, as apps take it.
func newTOTPSecret() (string, error) {
	b := make([]byte, totpKeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("TOTP secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// totpCode is the code of a base32 secret at a time step.
func totpCode(secret string, step int64) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("TOTP secret: %w", err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1000000), nil
}

// checkTOTP returns the time step a code matches at now (within the skew),
// or false. The comparison is constant-time.
func checkTOTP(secret, code string, now time.Time) (int64, bool, error) {
	if len(code) != totpDigits {
		return 0, false, nil
	}
	if _, err := strconv.Atoi(code); err != nil {
		return 0, false, nil
	}
	step := now.Unix() / int64(totpStep/time.Second)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totpCode(secret, step+d)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true, nil
		}
	}
	return 0, false, nil
}

// otpauthURL is what an authenticator app scans to enroll.
func otpauthURL(user, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {"palisade"}, "algorithm": {"SHA1"}, "digits": {strconv.Itoa(totpDigits)},
		"period": {strconv.Itoa(int(totpStep / time.Second))}}
	return "otpauth://totp/" + url.PathEscape("palisade:"+user) + "?" + v.Encode()
}

// sealTOTP encrypts a secret for the store with AES-256-GCM, bound to the
// user (additional data), so a row copied to another user does not open.
func (s *Server) sealTOTP(userID int64, secret string) (string, error) {
	gcm, err := s.gcm()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal TOTP secret: %w", err)
	}
	ct := gcm.Seal(nonce, nonce, []byte(secret), totpAAD(userID))
	return "v1:" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// openTOTP decrypts what sealTOTP stored.
func (s *Server) openTOTP(userID int64, sealed string) (string, error) {
	gcm, err := s.gcm()
	if err != nil {
		return "", err
	}
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("open TOTP secret: unknown format")
	}
	ct, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(ct) < gcm.NonceSize() {
		return "", errors.New("open TOTP secret: malformed")
	}
	pt, err := gcm.Open(nil, ct[:gcm.NonceSize()], ct[gcm.NonceSize():], totpAAD(userID))
	if err != nil {
		return "", errors.New("open TOTP secret: wrong key or altered data")
	}
	return string(pt), nil
}

func totpAAD(userID int64) []byte { return []byte("palisade-totp:" + strconv.FormatInt(userID, 10)) }

func (s *Server) gcm() (cipher.AEAD, error) {
	if len(s.opts.SecretKey) != 32 {
		return nil, ErrNoSecretKey
	}
	block, err := aes.NewCipher(s.opts.SecretKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ParseSecretKey reads $PALISADE_SECRET_KEY: 32 bytes in standard or URL
// base64 (openssl rand -base64 32).
func ParseSecretKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(strings.TrimSpace(s)); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("PALISADE_SECRET_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
}

// CheckSecrets makes sure every stored second factor opens under the
// server's key: serve refuses to start otherwise, since those users could
// not log in (and a lost key must not look like wrong passwords).
func (s *Server) CheckSecrets(ctx context.Context) error {
	users, err := s.opts.Store.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		for _, sealed := range []string{u.TOTPSecret, u.TOTPPending} {
			if sealed == "" {
				continue
			}
			if _, err := s.openTOTP(u.ID, sealed); err != nil {
				return fmt.Errorf("user %s has a second factor this server cannot open (PALISADE_SECRET_KEY missing or changed): restore the key, or run palisade user mfa-reset %s", u.Name, u.Name)
			}
		}
	}
	return nil
}
