package ignore

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	m, err := Parse(strings.NewReader(`
# comment
*.log
/build
vendor/
docs/**/*.md
!docs/keep.md
testdata/fixtures/secret?.txt
`), ".palisadeignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"app.log", false, true},
		{"a/b/app.log", false, true},
		{"build", true, true},
		{"build/out.bin", false, true},
		{"src/build/x.go", false, false},
		{"vendor", true, true},
		{"x/vendor/lib.go", false, true},
		{"vendor", false, false},
		{"docs/a/b/readme.md", false, true},
		{"docs/readme.md", false, true},
		{"docs/keep.md", false, false},
		{"testdata/fixtures/secret1.txt", false, true},
		{"testdata/fixtures/secret12.txt", false, false},
		{"main.go", false, false},
	} {
		if got := m.Match(tc.path, tc.isDir); got != tc.want {
			t.Errorf("Match(%q, dir=%v) = %v, want %v", tc.path, tc.isDir, got, tc.want)
		}
	}
}

func TestBadPatternNamesLine(t *testing.T) {
	_, err := Parse(strings.NewReader("ok\nbad[\n"), "p.ignore")
	if err == nil || !strings.Contains(err.Error(), "p.ignore:2") {
		t.Fatalf("error %v, want one naming p.ignore:2", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("*.log\n!keep.log\n/build/\n**/x/**\n[a-z]?")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		m.Match("a/b/c.txt", false)
		m.Match("a/b", true)
	})
}
