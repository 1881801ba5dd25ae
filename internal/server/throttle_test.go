package server

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	th := newThrottle()
	user, addr := "user:ana", "addr:192.0.2.7"
	for i := 1; i <= maxUserFailures; i++ {
		ok, last := th.attempt(now, user, addr)
		if !ok || last != (i == maxUserFailures) {
			t.Fatalf("attempt %d: ok %v last %v", i, ok, last)
		}
	}
	if ok, _ := th.attempt(now, user, addr); ok {
		t.Error("a sixth attempt passed the user limit")
	}
	if ok, _ := th.attempt(now.Add(lockout+time.Second), user, addr); !ok {
		t.Error("still locked after the lockout")
	}

	// Attempts whose password was never checked are taken back.
	th = newThrottle()
	for range 10 {
		th.attempt(now, user, addr)
		th.undo(user, addr)
	}
	if ok, _ := th.attempt(now, user, addr); !ok {
		t.Error("undone attempts locked the user")
	}

	// A success clears the user's count but lowers the address's by one.
	th = newThrottle()
	for i := range 40 {
		name := fmt.Sprintf("user:u%d", i%10)
		ok, _ := th.attempt(now, name, addr)
		if i%16 == 15 {
			th.succeed(name, addr) // the sprayer's own account
		}
		if i >= maxAddrFailures+3 && ok {
			t.Fatalf("guess %d from one address passed its limit", i)
		}
	}

	// IPv6 addresses share a key per /64; IPv4 addresses have their own.
	key := func(remote string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		return addrKey(r)
	}
	if key("[2001:db8:1:2::1]:5000") != key("[2001:db8:1:2:ffff::9]:6000") || key("[2001:db8:1:2::1]:5000") == key("[2001:db8:1:3::1]:5000") {
		t.Errorf("IPv6 keys: %s %s %s", key("[2001:db8:1:2::1]:5000"), key("[2001:db8:1:2:ffff::9]:6000"), key("[2001:db8:1:3::1]:5000"))
	}
	if key("192.0.2.1:80") == key("192.0.2.2:80") {
		t.Error("two IPv4 addresses share a key")
	}

	// Eviction keeps active lockouts and users still counting.
	th = newThrottle()
	for range maxUserFailures {
		th.attempt(now, "user:victim")
	}
	th.attempt(now, "user:counting")
	for i := range maxThrottleKeys {
		th.attempt(now, fmt.Sprintf("addr:198.51.%d.%d", i/256, i%256))
	}
	th.attempt(now.Add(time.Minute), "addr:203.0.113.1")
	if f := th.fails["user:victim"]; f == nil || !now.Before(f.until) {
		t.Error("eviction dropped an active lockout")
	}
	if th.fails["user:counting"] == nil {
		t.Error("eviction dropped a user's count before cheap address keys")
	}
}
