package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/regular"
)

// ErrTooLarge reports a file over the size limit; it is skipped, not scanned.
var ErrTooLarge = errors.New("file larger than the size limit")

// Stats counts what a scan covered.
type Stats struct {
	Files      int
	Bytes      int64
	Skipped    int // binaries, symlinks, ignored paths
	Suppressed int // hits silenced by an inline comment or the baseline
	Findings   int
}

// Sink receives a scan's results. Emit gets findings; Problem gets files that
// could not be scanned (the scan goes on). Both are called from one goroutine
// at a time.
type Sink struct {
	Emit    func(finding.Finding)
	Problem func(path string, err error)
}

// Filter decides which paths a source skips, given a slash path relative to
// the scan root. Nil skips nothing.
type Filter func(rel string, isDir bool) bool

// binaryExt lists extensions skipped without opening the file.
var binaryExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".ico": true, ".webp": true,
	".tif": true, ".tiff": true, ".psd": true, ".mp3": true, ".mp4": true, ".mov": true, ".avi": true,
	".wav": true, ".flac": true, ".ogg": true, ".webm": true, ".woff": true, ".woff2": true, ".ttf": true,
	".otf": true, ".eot": true, ".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true,
	".zst": true, ".7z": true, ".rar": true, ".jar": true, ".war": true, ".class": true, ".so": true,
	".dylib": true, ".dll": true, ".exe": true, ".o": true, ".a": true, ".pyc": true, ".wasm": true,
	".pdf": true, ".iso": true, ".dmg": true, ".bin": true, ".db": true, ".sqlite": true,
}

// lockFiles hold integrity hashes and resolved URLs, never credentials a
// person wrote; the catch-all detectors and those that only look for a value
// near a provider's name skip them (go.sum names github.com/RoaringBitmap/
// roaring right before its hash).
var lockFiles = map[string]bool{
	"go.sum": true, "package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true,
	"bun.lock": true, "Cargo.lock": true, "poetry.lock": true, "Pipfile.lock": true, "uv.lock": true,
	"composer.lock": true, "Gemfile.lock": true, "pubspec.lock": true, "mix.lock": true,
	"packages.lock.json": true, "gradle.lockfile": true, "pdm.lock": true, "npm-shrinkwrap.json": true,
}

// ScanDir scans every regular file under root in parallel, one file per
// worker at a time. Symbolic links are not followed, so link loops cannot
// trap the walk. Errors about single files go to sink.Problem; ScanDir
// returns an error only when root itself cannot be walked or ctx ends.
func (e *Engine) ScanDir(ctx context.Context, root string, skip Filter, sink Sink) (Stats, error) {
	info, err := os.Stat(root)
	if err != nil {
		return Stats{}, fmt.Errorf("scan %s: %w", root, err)
	}
	if !info.IsDir() {
		return e.scanFiles(ctx, []string{root}, filepath.Dir(root), sink)
	}
	type job struct{ path, rel string }
	jobs := make(chan job, 256)
	var mu sync.Mutex
	var st Stats
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := e.newScratch()
			for j := range jobs {
				e.scanOneFile(sc, j.path, j.rel, &mu, &st, sink)
			}
		}()
	}
	walkErr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if err != nil {
			if path == root {
				return err
			}
			mu.Lock()
			sink.Problem(rel, err)
			mu.Unlock()
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != root && (d.Name() == ".git" || (skip != nil && skip(rel, true))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || (skip != nil && skip(rel, false)) || binaryExt[strings.ToLower(filepath.Ext(path))] {
			mu.Lock()
			st.Skipped++
			mu.Unlock()
			return nil
		}
		jobs <- job{path, rel}
		return nil
	})
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return st, fmt.Errorf("scan %s: %w", root, walkErr)
	}
	return st, nil
}

func (e *Engine) scanFiles(ctx context.Context, paths []string, root string, sink Sink) (Stats, error) {
	var mu sync.Mutex
	var st Stats
	sc := e.newScratch()
	for _, p := range paths {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		rel, _ := filepath.Rel(root, p)
		e.scanOneFile(sc, p, filepath.ToSlash(rel), &mu, &st, sink)
	}
	return st, nil
}

func (e *Engine) scanOneFile(sc *scratch, path, rel string, mu *sync.Mutex, st *Stats, sink Sink) {
	defer sc.releaseBuffer()
	data, err := e.readFile(sc, path)
	if errors.Is(err, errBinary) {
		mu.Lock()
		st.Skipped++
		mu.Unlock()
		return
	}
	if err != nil {
		mu.Lock()
		sink.Problem(rel, err)
		mu.Unlock()
		return
	}
	if isBinary(data) {
		mu.Lock()
		st.Skipped++
		mu.Unlock()
		return
	}
	var found []finding.Finding
	suppressed := 0
	lock := lockFiles[filepath.Base(path)]
	e.scanText(sc, data, func(h Hit) {
		if lock && (e.isGeneric(h.Detector.ID) || h.Detector.NameOnly) {
			return
		}
		if h.Ignored {
			suppressed++
			return
		}
		found = append(found, e.Finding(h, rel, "", 0))
	})
	mu.Lock()
	st.Files++
	st.Bytes += int64(len(data))
	st.Suppressed += suppressed
	st.Findings += len(found)
	for _, f := range found {
		sink.Emit(f)
	}
	mu.Unlock()
}

func (e *Engine) isGeneric(id string) bool { return strings.HasPrefix(id, "generic") }

// readFile reads a whole file up to the size limit into the worker's
// buffer, which the next file reuses: growing a fresh buffer for every file
// (io.ReadAll) allocated about twice the bytes of the tree scanned. The
// returned slice is valid until the next call with the same scratch.
func (e *Engine) readFile(sc *scratch, path string) ([]byte, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > e.maxBytes {
		// A large binary (a build output, an archive without its
		// extension) is skipped like any binary, not reported as a problem.
		head := make([]byte, 8000)
		n, _ := io.ReadFull(f, head)
		if isBinary(head[:n]) {
			return nil, errBinary
		}
		return nil, fmt.Errorf("%w (%d bytes > %d)", ErrTooLarge, info.Size(), e.maxBytes)
	}
	// One byte more than the size shows a file that grew while read.
	if want := int(info.Size()) + 1; cap(sc.buf) < want {
		sc.buf = make([]byte, max(want, 64<<10))
	}
	buf := sc.buf[:cap(sc.buf)]
	n := 0
	for {
		if n == len(buf) {
			if int64(n) > e.maxBytes {
				return nil, fmt.Errorf("%w (grew past %d bytes while read)", ErrTooLarge, e.maxBytes)
			}
			grown := make([]byte, 2*len(buf))
			copy(grown, buf[:n])
			buf, sc.buf = grown, grown
		}
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(n) > e.maxBytes {
		return nil, fmt.Errorf("%w (grew past %d bytes while read)", ErrTooLarge, e.maxBytes)
	}
	return buf[:n], nil
}

// releaseBuffer drops a worker's read buffer after an unusually large file,
// so one big file does not hold its size in memory for the rest of a scan.
func (sc *scratch) releaseBuffer() {
	if cap(sc.buf) > 4<<20 {
		sc.buf = nil
	}
}

// errBinary is readFile's answer for a file over the size limit that is a
// binary: the caller skips it as it skips smaller binaries.
var errBinary = errors.New("binary file")

// isBinary treats a NUL byte in the first 8 KB as the mark of a binary file,
// as git does.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// ScanReader scans one stream (standard input) as a file named name.
func (e *Engine) ScanReader(r io.Reader, name string, sink Sink) (Stats, error) {
	data, err := io.ReadAll(io.LimitReader(r, e.maxBytes+1))
	if err != nil {
		return Stats{}, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > e.maxBytes {
		return Stats{}, fmt.Errorf("read %s: %w", name, ErrTooLarge)
	}
	st := Stats{Files: 1, Bytes: int64(len(data))}
	e.ScanText(data, func(h Hit) {
		if h.Ignored {
			st.Suppressed++
			return
		}
		st.Findings++
		sink.Emit(e.Finding(h, name, "", 0))
	})
	return st, nil
}

// Finding turns a hit into a finding at path (and commit, for history).
// lineOffset is added to the hit's lines, for texts that start partway
// through a file.
func (e *Engine) Finding(h Hit, path, commit string, lineOffset int) finding.Finding {
	d := h.Detector
	evidence := h.Preview
	if h.Encoding != "" {
		evidence += " [" + h.Encoding + "-encoded]"
	}
	f := finding.Finding{
		RuleID:       d.ID,
		Scanner:      ScannerName,
		Category:     finding.Secret,
		Severity:     d.Severity,
		Title:        d.Title,
		Message:      fmt.Sprintf("%s found in %s", evidence, path),
		Location:     finding.Location{Path: path, StartLine: h.Line + lineOffset, EndLine: h.EndLine + lineOffset, StartColumn: h.Column, EndColumn: h.EndColumn, Commit: commit},
		Evidence:     evidence,
		Remediation:  d.Remediation,
		SecretHash:   h.Hash,
		Verification: h.Verification,
		References: append([]finding.Reference{
			{Type: finding.RefCWE, ID: "CWE-798", URL: "https://cwe.mitre.org/data/definitions/798.html"},
			{Type: finding.RefChecklist, ID: ChecklistStep},
		}, d.References...),
	}
	if h.Verification == Verified {
		// A credential the provider accepts right now is an open door.
		f.Severity = finding.Critical
		f.Message += " (verified: the provider accepts it)"
	}
	if f.Remediation == "" {
		f.Remediation = fmt.Sprintf("Revoke this %s at %s, issue a new one, store it in a vault (AWS Secrets Manager, KMS-encrypted parameters or HashiCorp Vault) and remove it from the code and its history.", d.Title, d.Provider)
	}
	finding.SetFingerprint(&f)
	return f
}
