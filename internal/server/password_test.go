package server

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	cheap := Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	h, err := HashPassword("correct horse battery staple", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "horse") {
		t.Errorf("hash %q is not an Argon2id PHC string with the default parameters", h)
	}
	h2, _ := HashPassword("correct horse battery staple", DefaultArgon2)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name       string
		pw         string
		want       Argon2Params
		ok, rehash bool
	}{
		{"right password", "correct horse battery staple", DefaultArgon2, true, false},
		{"wrong password", "correct horse battery stapler", DefaultArgon2, false, false},
		{"empty password", "", DefaultArgon2, false, false},
		{"right password, parameters changed since", "correct horse battery staple", cheap, true, true},
	} {
		ok, rehash, err := VerifyPassword(h, tc.pw, tc.want)
		if err != nil || ok != tc.ok || rehash != tc.rehash {
			t.Errorf("%s: ok %v rehash %v err %v; want %v %v", tc.name, ok, rehash, err, tc.ok, tc.rehash)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=999999999,t=2,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA"} {
		if _, _, err := VerifyPassword(bad, "x", DefaultArgon2); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, user, pw string
		ok             bool
	}{
		{"long passphrase", "ana", "violet kettle marches north", true},
		{"too short", "ana", "Sh0rt!pw", false},
		{"the user name", "anabel", "anabel-anabel-1", false},
		{"one character", "ana", strings.Repeat("a", 20), false},
		{"one accented character", "ana", strings.Repeat("é", 14), false},
		{"too long", "ana", strings.Repeat("ab", 65), false},
	} {
		err := CheckPassword(tc.user, tc.pw)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrWeakPassword)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	h, _ := HashPassword("a long enough password", Argon2Params{Memory: 64, Time: 1, Threads: 1})
	f.Add(h, "a long enough password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "x")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		if strings.Contains(phc, "m=") && !strings.Contains(phc, "m=64,") {
			return // keep each run cheap: only tiny memory costs
		}
		ok, _, err := VerifyPassword(phc, pw, DefaultArgon2)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
	})
}
