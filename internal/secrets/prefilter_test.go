package secrets

import (
	"bytes"
	"math/rand"
	"sort"
	"testing"
)

func TestPrefilterFindsEveryOccurrenceIgnoringCase(t *testing.T) {
	kws := []string{"he", "she", "his", "hers", "ghp_", "akia", "a"}
	p := newPrefilter(kws)
	text := []byte("uShers GHP_x AKIAhis A")
	var got []string
	p.find(text, func(kw int32, start int) {
		got = append(got, kws[kw]+"@"+itoa(start))
	})
	var want []string
	low := bytes.ToLower(text)
	for _, k := range kws {
		for off := 0; ; {
			i := bytes.Index(low[off:], []byte(k))
			if i < 0 {
				break
			}
			want = append(want, k+"@"+itoa(off+i))
			off += i + 1
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestPrefilterAgreesWithNaiveSearch(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	alphabet := "abAB_-x"
	for round := 0; round < 200; round++ {
		var kws []string
		for i := 0; i < 1+r.Intn(6); i++ {
			kws = append(kws, randString(r, "ab_-x", 1+r.Intn(4)))
		}
		text := []byte(randString(r, alphabet, r.Intn(60)))
		p := newPrefilter(kws)
		n := 0
		p.find(text, func(int32, int) { n++ })
		want := 0
		low := bytes.ToLower(text)
		for _, k := range kws {
			for i := 0; i+len(k) <= len(low); i++ {
				if string(low[i:i+len(k)]) == k {
					want++
				}
			}
		}
		if n != want {
			t.Fatalf("keywords %q text %q: %d hits, want %d", kws, text, n, want)
		}
	}
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

func itoa(n int) string {
	return string(appendInt(nil, n))
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
