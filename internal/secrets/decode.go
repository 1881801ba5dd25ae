package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"unicode/utf8"
)

// Decoding finds secrets hidden behind one or more layers of base64, hex or
// percent-encoding (a Kubernetes Secret's data, a token inside a base64 JSON
// blob). Each candidate run is decoded; only results that are mostly
// printable text are rescanned, and the total decoded per text is capped so
// a file of random base64 cannot blow up memory or time.

const (
	minBase64Run   = 24
	minHexRun      = 32
	maxDecodedText = 4 << 20
)

var (
	isB64 = byteSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
	isHex = byteSet("0123456789abcdefABCDEF")
)

func byteSet(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

func (e *Engine) decodeAndCollect(sc *scratch, text []byte, depth int) {
	budget := maxDecodedText
	e.decodeLayer(sc, text, 0, len(text), depth, "", &budget)
}

// decodeLayer looks for encoded runs in text[from:to]; hits inside decoded
// runs are attributed to the run's span in the outermost text, [outerFrom,
// outerTo) when inside a deeper layer.
func (e *Engine) decodeLayer(sc *scratch, text []byte, outerFrom, outerTo, depth int, chain string, budget *int) {
	if depth == 0 || *budget <= 0 {
		return
	}
	nested := chain != ""
	for i := 0; i < len(text); {
		c := text[i]
		if c == '%' && i+2 < len(text) && isHex[text[i+1]] && isHex[text[i+2]] {
			s, en := percentRun(text, i)
			if dec, err := url.PathUnescape(string(text[s:en])); err == nil && dec != string(text[s:en]) {
				e.rescan(sc, []byte(dec), spanOf(nested, outerFrom, outerTo, s, en), depth, join(chain, "percent"), budget)
			}
			i = en
			continue
		}
		if !isB64[c] {
			i++
			continue
		}
		j := i
		for j < len(text) && isB64[text[j]] {
			j++
		}
		end := j
		for end < len(text) && end-j < 2 && text[end] == '=' {
			end++
		}
		run := text[i:end]
		if len(run) >= minHexRun && allHex(text[i:j]) && (j-i)%2 == 0 {
			if dec, err := hex.DecodeString(string(text[i:j])); err == nil && printable(dec) {
				e.rescan(sc, dec, spanOf(nested, outerFrom, outerTo, i, j), depth, join(chain, "hex"), budget)
			}
		} else if len(run) >= minBase64Run {
			if dec := decodeBase64(run); dec != nil && printable(dec) {
				e.rescan(sc, dec, spanOf(nested, outerFrom, outerTo, i, end), depth, join(chain, "base64"), budget)
			}
		}
		i = end
	}
}

func (e *Engine) rescan(sc *scratch, dec []byte, span [2]int, depth int, chain string, budget *int) {
	*budget -= len(dec)
	if *budget < 0 {
		return
	}
	e.collectIn(sc, dec, func(r rawHit) {
		r.start, r.end, r.encoding = span[0], span[1], chain
		sc.raw = append(sc.raw, r)
	})
	e.decodeLayer(sc, dec, span[0], span[1], depth-1, chain, budget)
}

func spanOf(nested bool, outerFrom, outerTo, s, e int) [2]int {
	if nested {
		return [2]int{outerFrom, outerTo}
	}
	return [2]int{s, e}
}

func join(chain, enc string) string {
	if chain == "" {
		return enc
	}
	return chain + "+" + enc
}

func percentRun(text []byte, i int) (int, int) {
	s := i
	for s > 0 && isURLByte(text[s-1]) {
		s--
	}
	e := i
	for e < len(text) && (isURLByte(text[e]) || text[e] == '%') {
		e++
	}
	return s, e
}

func isURLByte(c byte) bool {
	return isB64[c] || c == '.' || c == '~' || c == '%' || c == '+' || c == '='
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex[c] {
			return false
		}
	}
	return true
}

func decodeBase64(run []byte) []byte {
	s := string(run)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if dec, err := enc.DecodeString(s); err == nil {
			return dec
		}
	}
	return nil
}

// printable reports whether decoded bytes look like text worth rescanning:
// valid UTF-8 with almost no control characters.
func printable(b []byte) bool {
	if len(b) < 8 || !utf8.Valid(b) {
		return false
	}
	bad := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			bad++
		}
	}
	return bad*20 <= len(b)
}
