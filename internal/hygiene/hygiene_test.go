package hygiene

import (
	"bytes"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels up from this package.
var repoRoot = filepath.Join("..", "..")

// goFiles lists the repository's Go files, skipping build output.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "out" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGofmt(t *testing.T) {
	for _, p := range goFiles(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		formatted, err := format.Source(src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(src, formatted) {
			t.Errorf("%s is not gofmt-formatted", p)
		}
	}
}

func TestEveryPackageHasADocComment(t *testing.T) {
	documented := map[string]bool{}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, p := range goFiles(t) {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(p)
		seen[dir] = true
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			documented[dir] = true
		}
	}
	for dir := range seen {
		if !documented[dir] {
			t.Errorf("package in %s has no doc comment", dir)
		}
	}
}

var todo = regexp.MustCompile(`\b(TODO|FIXME)\b`)
var todoWithIssue = regexp.MustCompile(`\b(TODO|FIXME)\(#\d+\)`)

func TestTODOsNameAnIssue(t *testing.T) {
	for _, p := range goFiles(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if !strings.Contains(line, "//") {
				continue
			}
			comment := line[strings.Index(line, "//"):]
			if todo.MatchString(comment) && !todoWithIssue.MatchString(comment) {
				t.Errorf("%s:%d: a TODO must name its issue, as TODO(#12)", p, i+1)
			}
		}
	}
}

// TestBinaryKeepsLinkerMethodPruning guards the binary's size and start-up
// memory. A function that calls reflect's Method or MethodByName with a
// name known only at run time (text/template's executor, reached through
// html/template, which gRPC's x/net/trace uses) makes the Go linker keep
// every exported method of every type. osv-scalibr's Maven client brought
// gRPC in: the binary was 184 MB and a scan started at 80 to 90 MB of
// memory; without it, 76 MB and under 60 MB.
func TestBinaryKeepsLinkerMethodPruning(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/palisade").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	for _, bad := range []string{"html/template", "google.golang.org/grpc", "golang.org/x/net/trace"} {
		if deps[bad] {
			t.Errorf("cmd/palisade depends on %s; see this test's comment", bad)
		}
	}
}

// TestNoEagerAWSSchemas guards start-up memory. From late 2026 each AWS SDK
// service module carries a generated schemas package whose package-level
// variables describe every shape of the API and are built when the program
// starts, used or not: the 19 clients palisade audits with allocated 10 MB at
// init, which every scan paid. go.mod pins those clients to their last
// releases before schemas (the wire format is the same). STS, SSO, SSO-OIDC
// and Signin stay new: aws-sdk-go-v2/config needs them, they are small
// (250 KB), and the older STS cannot read moto's error responses.
func TestNoEagerAWSSchemas(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/palisade").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"sts": true, "sso": true, "ssooidc": true, "signin": true}
	for _, p := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/")
		if !ok {
			continue
		}
		svc, tail, _ := strings.Cut(rest, "/")
		if tail == "schemas" && !allowed[svc] {
			t.Errorf("cmd/palisade links %s, built eagerly at start-up; pin github.com/aws/aws-sdk-go-v2/service/%s to its last release without it (see this test's comment)", p, svc)
		}
	}
}

// TestStartupAllocations guards what every command pays before it does
// anything: the heap that package initialization allocates. It was 15 MB
// when the AWS SDK's schemas packages were linked and 5.2 MB after; an
// Argon2 hash computed in a package variable once added 19 MB more.
func TestStartupAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "palisade")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/palisade").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("palisade version: %v\n%s", err, out)
	}
	// Lines read: "init PKG @0.1 ms, 0.2 ms clock, 1234 bytes, 5 allocs".
	var total int64
	var biggest string
	var most int64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			continue
		}
		total += n
		if n > most {
			most, biggest = n, f[1]
		}
	}
	const limit = 8 << 20
	if total == 0 {
		t.Fatalf("no init trace read from:\n%.500s", out)
	}
	if total > limit {
		t.Errorf("package initialization allocates %d bytes (limit %d); the largest is %s with %d", total, limit, biggest, most)
	}
}
