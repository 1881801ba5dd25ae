package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-sec/palisade/internal/finding"
)

const plantedKey = "AKIAZ2ADPRQ7LOKKEBV4"

type collector struct {
	findings []finding.Finding
	problems map[string]error
}

func (c *collector) sink() Sink {
	c.problems = map[string]error{}
	return Sink{
		Emit:    func(f finding.Finding) { c.findings = append(c.findings, f) },
		Problem: func(p string, err error) { c.problems[p] = err },
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanDirReportsBadFilesAndGoesOn(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "config", "prod.env"), "A=1\nAWS_ACCESS_KEY_ID="+plantedKey+"\n")
	write(t, filepath.Join(dir, "bin", "blob.dat"), "\x00\x01AWS_ACCESS_KEY_ID="+plantedKey)
	write(t, filepath.Join(dir, "big.txt"), strings.Repeat("x", 2048))
	write(t, filepath.Join(dir, "bad-utf8.txt"), "\xff\xfe id="+plantedKey+"\n")
	write(t, filepath.Join(dir, "ignored", "x.env"), "id="+plantedKey)
	if err := os.Symlink(dir, filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "secret.pem")
	write(t, unreadable, "x")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	e := New(Options{HashKey: testKey, MaxFileSize: 1024})
	var c collector
	skip := func(rel string, isDir bool) bool { return rel == "ignored" }
	st, err := e.ScanDir(context.Background(), dir, skip, c.sink())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range c.findings {
		paths = append(paths, f.Location.Path)
		if strings.Contains(f.Message+f.Evidence, plantedKey) {
			t.Errorf("finding leaks the secret: %+v", f)
		}
	}
	if strings.Join(paths, ",") != "bad-utf8.txt,config/prod.env" && strings.Join(paths, ",") != "config/prod.env,bad-utf8.txt" {
		t.Errorf("findings in %v, want bad-utf8.txt and config/prod.env", paths)
	}
	if !errors.Is(c.problems["big.txt"], ErrTooLarge) {
		t.Errorf("big.txt problem %v, want ErrTooLarge", c.problems["big.txt"])
	}
	if os.Geteuid() != 0 && c.problems["secret.pem"] == nil {
		t.Errorf("unreadable file not reported")
	}
	if st.Skipped < 2 {
		t.Errorf("skipped %d, want the binary and the symlink", st.Skipped)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestScanGitHistoryStagedAndDiffBase(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "app.py"), "import os\n\n\nKEY = 'none'\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "first")
	base := git(t, dir, "rev-parse", "HEAD")
	write(t, filepath.Join(dir, "app.py"), "import os\n\n\nKEY = 'none'\nAWS_ID = '"+plantedKey+"'\n")
	git(t, dir, "commit", "-qam", "add key")
	leak := git(t, dir, "rev-parse", "HEAD")
	write(t, filepath.Join(dir, "app.py"), "import os\n")
	git(t, dir, "commit", "-qam", "remove key")

	e := New(Options{HashKey: testKey})
	var c collector
	if _, err := e.ScanGit(context.Background(), GitSource{Repo: dir, Mode: GitHistory}, nil, c.sink()); err != nil {
		t.Fatal(err)
	}
	if len(c.findings) != 1 {
		t.Fatalf("history: %d findings, want 1", len(c.findings))
	}
	loc := c.findings[0].Location
	if loc.Path != "app.py" || loc.StartLine != 5 || loc.Commit != leak {
		t.Errorf("history finding at %+v, want app.py:5 in %s", loc, leak)
	}

	c = collector{}
	if _, err := e.ScanGit(context.Background(), GitSource{Repo: dir, Mode: GitHistory, Range: base + ".." + base}, nil, c.sink()); err != nil || len(c.findings) != 0 {
		t.Errorf("empty range: %d findings, err %v", len(c.findings), err)
	}

	write(t, filepath.Join(dir, "deploy.sh"), "#!/bin/sh\nexport AWS_ACCESS_KEY_ID="+plantedKey+"\n")
	git(t, dir, "add", "deploy.sh")
	c = collector{}
	if _, err := e.ScanGit(context.Background(), GitSource{Repo: dir, Mode: GitStaged}, nil, c.sink()); err != nil {
		t.Fatal(err)
	}
	if len(c.findings) != 1 || c.findings[0].Location.Path != "deploy.sh" || c.findings[0].Location.StartLine != 2 {
		t.Errorf("staged: %+v, want one finding at deploy.sh:2", c.findings)
	}

	c = collector{}
	if _, err := e.ScanGit(context.Background(), GitSource{Repo: dir, Mode: GitDiffBase, Base: base}, nil, c.sink()); err != nil {
		t.Fatal(err)
	}
	if len(c.findings) != 1 || c.findings[0].Location.Path != "deploy.sh" {
		t.Errorf("diff-base: %+v, want only the staged deploy.sh finding", c.findings)
	}

	if _, err := e.ScanGit(context.Background(), GitSource{Repo: t.TempDir(), Mode: GitHistory}, nil, c.sink()); !errors.Is(err, ErrNotGitRepo) {
		t.Errorf("non-repo error %v, want ErrNotGitRepo", err)
	}
}

func TestScanDiffBoundsHugeLines(t *testing.T) {
	huge := "diff --git a/x b/x\n+++ b/x\n@@ -0,0 +1 @@\n+" + strings.Repeat("a", 3*maxDiffLine) + " id=" + plantedKey + "\n+ok " + plantedKey + "\n"
	e := New(Options{HashKey: testKey})
	var c collector
	if _, err := e.scanDiff(strings.NewReader(huge), "", nil, c.sink()); err != nil {
		t.Fatal(err)
	}
	if len(c.findings) != 1 || c.findings[0].Location.StartLine != 2 {
		t.Fatalf("findings %+v, want only the one on line 2 (line 1 is cut)", c.findings)
	}
}

func FuzzScanDiff(f *testing.F) {
	f.Add("diff --git a/x b/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+id=" + plantedKey + "\n")
	f.Add("\x00abc\ndiff --git a/\"q\\tx\" b/\"q\\tx\"\n+++ \"b/q\\tx\"\n@@ -1 +1 @@\n-a\n+b\n")
	e := New(Options{HashKey: testKey})
	f.Fuzz(func(t *testing.T, s string) {
		var c collector
		if _, err := e.scanDiff(strings.NewReader(s), "", nil, c.sink()); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzScanText(f *testing.F) {
	f.Add("AWS_ACCESS_KEY_ID=" + plantedKey)
	f.Add("YXdzX2FjY2Vzc19rZXlfaWQgPSBBS0lBWjJBRFBSUTdMT0tLRUJWNA==")
	f.Add("%41%4B%49%41")
	e := New(Options{HashKey: testKey, DecodeDepth: 3})
	f.Fuzz(func(t *testing.T, s string) {
		e.ScanText([]byte(s), func(h Hit) {
			if h.Line < 1 || h.Column < 1 || h.EndLine < h.Line {
				t.Fatalf("bad position %+v", h)
			}
		})
	})
}

// TestCorruptGitObjectIsReportedAndScanGoesOn corrupts the blob of the
// newest commit: git log stops there, the secrets of older commits are still
// reported, and the corruption is reported as a problem.
func TestCorruptGitObjectIsReportedAndScanGoesOn(t *testing.T) {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "old.env"), "AWS_ACCESS_KEY_ID="+plantedKey+"\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "old")
	write(t, filepath.Join(dir, "new.txt"), "fresh content that will be corrupted\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "new")
	blob := git(t, dir, "rev-parse", "HEAD:new.txt")
	obj := filepath.Join(dir, ".git", "objects", blob[:2], blob[2:])
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("not a zlib stream"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(Options{HashKey: testKey})
	var c collector
	_, err := e.ScanGit(context.Background(), GitSource{Repo: dir, Mode: GitHistory}, nil, c.sink())
	if err != nil {
		// git may refuse the history from the first commit it prints; then
		// the error must name the problem.
		if !strings.Contains(err.Error(), "git log") {
			t.Fatalf("error %v, want one naming git log", err)
		}
		return
	}
	if len(c.problems) != 1 {
		t.Errorf("problems %v, want the corrupt object reported", c.problems)
	}
	if len(c.findings) != 1 || c.findings[0].Location.Path != "old.env" {
		t.Errorf("findings %+v, want the older commit's secret", c.findings)
	}
}

func TestHugeFileIsSkippedWithoutReading(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.log"))
	if err != nil {
		t.Fatal(err)
	}
	// A 1 GB single-line text file (sparse after its first 8 KB): skipped
	// by size, only its head read to tell text from binary.
	if _, err := f.Write(bytes.Repeat([]byte("a"), 8192)); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A binary over the limit is skipped like a small one, not a problem.
	bin, err := os.Create(filepath.Join(dir, "build-output"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bin.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	bin.Close()
	write(t, filepath.Join(dir, "ok.env"), "AWS_ACCESS_KEY_ID="+plantedKey+"\n")
	e := New(Options{HashKey: testKey})
	var c collector
	st, err := e.ScanDir(context.Background(), dir, nil, c.sink())
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(c.problems["huge.log"], ErrTooLarge) || len(c.findings) != 1 {
		t.Errorf("problems %v findings %d: want huge.log skipped as too large and ok.env scanned", c.problems, len(c.findings))
	}
	if _, ok := c.problems["build-output"]; ok || st.Skipped != 1 {
		t.Errorf("problems %v, %d skipped: want the large binary skipped quietly", c.problems, st.Skipped)
	}
}

func FuzzReadBaseline(f *testing.F) {
	f.Add("# header\n0123456789abcdef0123456789abcdef rule path/x\n")
	f.Add("zz\n")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ReadBaseline(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		var out strings.Builder
		if err := b.Write(&out); err != nil {
			t.Fatal(err)
		}
		again, err := ReadBaseline(strings.NewReader(out.String()), "again")
		if err != nil || again.Len() != b.Len() {
			t.Fatalf("round trip: %v, %d vs %d entries", err, again.Len(), b.Len())
		}
	})
}

// TestLockFilesSkipNameOnlyDetectors: go.sum names a module after a
// provider right before its hash, which a detector that looks for any value
// near a provider's name would report; lock files are not searched with
// those, while the same text elsewhere still is.
func TestLockFilesSkipNameOnlyDetectors(t *testing.T) {
	dir := t.TempDir()
	line := "github.com/RoaringBitmap/roaring v0.4.7 h1:eGUudvFzvF7Kxh7JjYvXfI1f7l22/2duFby7r5+d4oc=\n"
	write(t, filepath.Join(dir, "go.sum"), line)
	write(t, filepath.Join(dir, "notes.txt"), line)
	e := New(Options{HashKey: testKey})
	var c collector
	if _, err := e.ScanDir(context.Background(), dir, nil, c.sink()); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.findings {
		if f.Location.Path == "go.sum" {
			t.Errorf("go.sum: %s reported", f.RuleID)
		}
	}
	if len(c.findings) == 0 {
		t.Error("notes.txt: the same line is no longer reported, so this test checks nothing")
	}
}
