package secrets

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// GitSource says which changes of a repository to scan. Only added lines are
// scanned: a secret removed by a commit was added by an earlier one.
type GitSource struct {
	// Repo is the repository's work tree (or any folder inside it).
	Repo string
	// Mode is one of GitHistory, GitStaged or GitDiffBase.
	Mode string
	// Range limits history to a revision range ("v1.0..HEAD"); empty means
	// all refs (--all).
	Range string
	// Since scans history from this commit (exclusive) to HEAD.
	Since string
	// Base is the ref GitDiffBase compares the work tree against, from
	// their merge base.
	Base string
}

// Git source modes.
const (
	GitHistory  = "history"
	GitStaged   = "staged"
	GitDiffBase = "diff-base"
)

// maxDiffLine caps one line of a diff; longer lines are cut, so a 1 GB
// one-line file in history costs bounded memory.
const maxDiffLine = 1 << 20

// flushBytes bounds the added text buffered for one file before it is scanned.
const flushBytes = 8 << 20

// ErrNotGitRepo reports a path outside any git work tree.
var ErrNotGitRepo = errors.New("not a git repository")

// ScanGit scans the added lines of a repository's history, staged changes or
// changes since a base, streaming `git log -p` / `git diff` so memory stays
// bounded whatever the history's size.
func (e *Engine) ScanGit(ctx context.Context, src GitSource, skip Filter, sink Sink) (Stats, error) {
	var args []string
	switch src.Mode {
	case GitHistory:
		args = []string{"log", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--full-history", "--format=%x00%H"}
		switch {
		case src.Range != "":
			args = append(args, src.Range)
		case src.Since != "":
			args = append(args, src.Since+"..HEAD")
		default:
			args = append(args, "--all")
		}
	case GitStaged:
		args = []string{"diff", "--cached", "-U0", "--no-color", "--no-ext-diff", "--no-renames"}
	case GitDiffBase:
		args = []string{"diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--merge-base", src.Base}
	default:
		return Stats{}, fmt.Errorf("unknown git source mode %q", src.Mode)
	}
	if strings.HasPrefix(src.Range, "-") || strings.HasPrefix(src.Since, "-") || strings.HasPrefix(src.Base, "-") {
		return Stats{}, fmt.Errorf("git revision must not start with '-'")
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", src.Repo, "-c", "core.quotePath=false"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Stats{}, err
	}
	if err := cmd.Start(); err != nil {
		return Stats{}, fmt.Errorf("start git: %w", err)
	}
	st, parseErr := e.scanDiff(out, "", skip, sink)
	// Drain so git never blocks on a full pipe, then collect its status.
	_, _ = io.Copy(io.Discard, out)
	waitErr := cmd.Wait()
	if parseErr != nil {
		return st, parseErr
	}
	if waitErr != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return st, fmt.Errorf("%s: %w", src.Repo, ErrNotGitRepo)
		}
		err := fmt.Errorf("git %s: %v: %s", args[0], waitErr, firstLine(msg))
		if st.Files == 0 && st.Skipped == 0 {
			return st, err // nothing was read: a bad revision or repository
		}
		// Part of the history was read before git stopped (a corrupt
		// object): keep what was found and report what was not scanned.
		sink.Problem(src.Repo, err)
	}
	return st, nil
}

// diffFile accumulates the added lines of one file in one commit.
type diffFile struct {
	path    string
	text    bytes.Buffer
	lineMap []int // line i+1 of text is line lineMap[i] of the file
}

// scanDiff reads a unified diff (optionally with "\x00<sha>" commit
// headers) and scans each file's added lines.
func (e *Engine) scanDiff(r io.Reader, commit string, skip Filter, sink Sink) (Stats, error) {
	var st Stats
	sc := e.newScratch()
	br := bufio.NewReaderSize(r, 64<<10)
	var cur *diffFile
	newLine := 0
	inHunk := false
	flush := func() {
		if cur == nil || cur.text.Len() == 0 {
			return
		}
		data := cur.text.Bytes()
		st.Files++
		st.Bytes += int64(len(data))
		lock := lockFiles[baseName(cur.path)]
		e.scanText(sc, data, func(h Hit) {
			if lock && (e.isGeneric(h.Detector.ID) || h.Detector.NameOnly) {
				return
			}
			if h.Ignored {
				st.Suppressed++
				return
			}
			line := h.Line
			if line-1 < len(cur.lineMap) {
				line = cur.lineMap[line-1]
			}
			st.Findings++
			sink.Emit(e.Finding(h, cur.path, commit, line-h.Line))
		})
		cur.text.Reset()
		cur.lineMap = cur.lineMap[:0]
	}
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			switch {
			case len(line) > 0 && line[0] == 0:
				flush()
				cur, inHunk = nil, false
				commit = string(line[1:])
			case bytes.HasPrefix(line, []byte("diff --git ")):
				flush()
				cur, inHunk = nil, false
			case !inHunk && bytes.HasPrefix(line, []byte("+++ ")):
				p := string(line[4:])
				if p == "/dev/null" {
					cur = nil
					break
				}
				p = unquoteGitPath(p)
				p = strings.TrimPrefix(p, "b/")
				if skip != nil && skip(p, false) || binaryExt[strings.ToLower(extOf(p))] {
					st.Skipped++
					cur = nil
					break
				}
				cur = &diffFile{path: p}
			case bytes.HasPrefix(line, []byte("@@ ")):
				inHunk = true
				newLine = hunkNewStart(line)
			case inHunk && len(line) > 0 && line[0] == '+':
				if cur != nil {
					cur.text.Write(line[1:])
					cur.text.WriteByte('\n')
					cur.lineMap = append(cur.lineMap, newLine)
					if cur.text.Len() > flushBytes {
						flush()
					}
				}
				newLine++
			case inHunk && len(line) > 0 && line[0] == ' ':
				newLine++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("read git output: %w", err)
		}
	}
	flush()
	return st, nil
}

// readLine returns the next line without its newline, cut to maxDiffLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= maxDiffLine {
			line = append(line, chunk...)
		} else if len(line) < maxDiffLine {
			line = append(line, chunk[:maxDiffLine-len(line)]...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		return line, err
	}
}

// hunkNewStart reads c from "@@ -a,b +c,d @@".
func hunkNewStart(line []byte) int {
	i := bytes.Index(line, []byte(" +"))
	if i < 0 {
		return 1
	}
	rest := line[i+2:]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil {
		return 1
	}
	return n
}

// unquoteGitPath undoes git's C-style quoting of unusual file names.
func unquoteGitPath(p string) string {
	if strings.HasPrefix(p, `"`) {
		if u, err := strconv.Unquote(p); err == nil {
			return u
		}
	}
	return strings.TrimRight(p, "\t")
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func extOf(p string) string {
	b := baseName(p)
	if i := strings.LastIndexByte(b, '.'); i >= 0 {
		return b[i:]
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
