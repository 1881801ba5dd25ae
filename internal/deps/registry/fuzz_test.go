package registry

import "testing"

// FuzzParse feeds arbitrary bytes to every registry answer parser: none may
// panic, and an answer that parses always names a latest release.
func FuzzParse(f *testing.F) {
	for _, body := range fakeRegistries {
		f.Add([]byte(body))
	}
	f.Add([]byte(`{"time":{"1.0.0":{"unpublished":true}},"dist-tags":{"latest":"1.0.0"}}`))
	f.Add([]byte(`[{"number":"1","prerelease":true}]`))
	parsers := map[string]func([]byte) (Info, error){
		"npm": parseNpm, "pypi": parsePyPI, "crates": parseCrate, "gems": parseGem, "maven": parseMaven, "go": parseGoLatest,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for name, parse := range parsers {
			info, err := parse(body)
			if err == nil && info.Latest == "" {
				t.Errorf("%s: parsed without a latest release", name)
			}
			if err == nil {
				info.Behind("npm", "1.0.0")
			}
		}
		goLatest(parseGoList(body))
	})
}
