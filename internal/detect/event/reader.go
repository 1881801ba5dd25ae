package event

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/regular"
)

// DefaultMaxRecordBytes caps one record's size; larger records are reported
// and skipped without being held in memory.
const DefaultMaxRecordBytes = 1 << 20

// ErrRecordTooLarge is wrapped by the error reported for a skipped record.
var ErrRecordTooLarge = errors.New("record too large")

// Options tunes Read.
type Options struct {
	// MaxRecordBytes caps one record (DefaultMaxRecordBytes when zero).
	MaxRecordBytes int
	// Now stamps each event's Ingested time (time.Now when nil).
	Now func() time.Time
}

// Stats counts what Read saw.
type Stats struct {
	Files      int `json:"files"`
	Records    int `json:"records"`
	Events     int `json:"events"`
	Duplicates int `json:"duplicates"`
	Skipped    int `json:"skipped"`
}

// Reader reads events from files and folders and drops events whose
// eventID it has already delivered. One Reader may read many paths; the
// dedup set lives as long as the Reader.
type Reader struct {
	opt  Options
	seen map[string]struct{}
	// buffers reused across files
	br  *bufio.Reader
	gz  *gzip.Reader
	buf []byte
	// Stats accumulates counts over every Read call.
	Stats Stats
}

// NewReader returns a Reader with an empty dedup set.
func NewReader(opt Options) *Reader {
	if opt.MaxRecordBytes <= 0 {
		opt.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Reader{opt: opt, seen: make(map[string]struct{})}
}

// eventFile reports whether a file found while walking a folder looks like
// event data.
func eventFile(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// Read delivers every new event under paths (files, or folders walked
// recursively in name order) to fn. Problems with one file or record are
// returned in the error list and reading goes on; an error from fn or a
// cancelled ctx stops the read.
func (r *Reader) Read(ctx context.Context, paths []string, fn func(*Event) error) []error {
	var errs []error
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("read events: %w", err))
			continue
		}
		var files []string
		if info.IsDir() {
			werr := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					errs = append(errs, fmt.Errorf("read events: %w", err))
					return nil
				}
				if !d.IsDir() && eventFile(d.Name()) {
					files = append(files, path)
				}
				return nil
			})
			if werr != nil {
				errs = append(errs, werr)
			}
			sort.Strings(files)
		} else {
			files = []string{p}
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return append(errs, err)
			}
			ferrs, stop := r.readFile(f, fn)
			errs = append(errs, ferrs...)
			if stop != nil {
				return append(errs, stop)
			}
		}
	}
	return errs
}

func (r *Reader) readFile(path string, fn func(*Event) error) (errs []error, stop error) {
	f, err := regular.Open(path)
	if err != nil {
		return []error{fmt.Errorf("read events: %w", err)}, nil
	}
	defer f.Close()
	r.Stats.Files++
	errs, stop = r.ReadStream(path, f, fn)
	return errs, stop
}

// ReadStream reads events from one stream (gzip-compressed or not) named
// name in errors. It returns per-record problems, and separately the error
// from fn that stopped it, if any.
func (r *Reader) ReadStream(name string, in io.Reader, fn func(*Event) error) (errs []error, stop error) {
	if r.br == nil {
		r.br = bufio.NewReaderSize(in, 64<<10)
		r.buf = make([]byte, 64<<10)
	} else {
		r.br.Reset(in)
	}
	var src io.Reader = r.br
	if magic, _ := r.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if r.gz == nil {
			r.gz, err = gzip.NewReader(r.br)
		} else {
			err = r.gz.Reset(r.br)
		}
		if err != nil {
			return []error{fmt.Errorf("%s: gzip: %w", name, err)}, nil
		}
		src = r.gz
	}
	notEvents := 0
	sp := splitter{max: r.opt.MaxRecordBytes, line: 1}
	emit := func(rec []byte, off int64, line int, tooBig bool) error {
		r.Stats.Records++
		if tooBig {
			r.Stats.Skipped++
			errs = append(errs, fmt.Errorf("%s:%d (byte %d): %w (over %d bytes), skipped", name, line, off, ErrRecordTooLarge, r.opt.MaxRecordBytes))
			return nil
		}
		ev, err := Decode(string(rec))
		if errors.Is(err, ErrNotEvent) {
			notEvents++
			r.Stats.Skipped++
			return nil
		}
		if err != nil {
			r.Stats.Skipped++
			errs = append(errs, fmt.Errorf("%s:%d (byte %d): %w", name, line, off, err))
			return nil
		}
		if ev.ID != "" {
			if _, dup := r.seen[ev.ID]; dup {
				r.Stats.Duplicates++
				return nil
			}
			r.seen[ev.ID] = struct{}{}
		}
		ev.File = name
		ev.Offset = off
		ev.Ingested = r.opt.Now()
		r.Stats.Events++
		return fn(ev)
	}
	buf := r.buf
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			serrs, stop := sp.feed(buf[:n], emit)
			for _, e := range serrs {
				errs = append(errs, fmt.Errorf("%s: %w", name, e))
			}
			if stop != nil {
				return errs, stop
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			errs = append(errs, fmt.Errorf("%s: after byte %d: %w", name, sp.off, rerr))
			return errs, nil
		}
	}
	if sp.depth > 0 || sp.inStr {
		errs = append(errs, fmt.Errorf("%s:%d (byte %d): %w: unexpected end of file inside a record", name, sp.recLine, sp.recOff, errSyntax))
	}
	if notEvents > 0 {
		errs = append(errs, fmt.Errorf("%s: %d JSON objects were not CloudTrail records or GuardDuty findings: %w", name, notEvents, ErrNotEvent))
	}
	return errs, nil
}

// splitter cuts a byte stream into event records without holding more than
// one record: a top-level object or array element is a record, except that
// a top-level object's "Records" or "Findings" array yields its elements.
type splitter struct {
	max   int
	off   int64 // bytes consumed so far
	line  int
	depth int
	inStr bool
	esc   bool

	// recDepth is the depth at which records open: 0 for bare objects and
	// JSON lines, 1 inside a top-level array, 2 inside Records.
	recDepth  int
	recording bool
	tooBig    bool
	rec       []byte
	recOff    int64
	recLine   int

	// key tracking for the top-level object.
	key       []byte
	keyDone   bool // a depth-1 string just closed; waiting for ':'
	wantArray bool // saw "Records": ; waiting for '['
	container bool // the top-level object is an S3 delivery wrapper
	skipLine  bool // resynchronising after garbage at top level
}

func (s *splitter) feed(chunk []byte, emit func(rec []byte, off int64, line int, tooBig bool) error) (errs []error, stop error) {
	start := 0 // start of the part of chunk not yet copied into rec
	appendRec := func(end int) {
		if s.recording && !s.tooBig {
			if len(s.rec)+end-start > s.max {
				s.tooBig = true
				s.rec = s.rec[:0]
			} else {
				s.rec = append(s.rec, chunk[start:end]...)
			}
		}
		start = end
	}
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if c == '\n' {
			s.line++
			if s.skipLine {
				s.skipLine = false
				continue
			}
		}
		if s.skipLine {
			continue
		}
		if s.inStr {
			if s.esc {
				s.esc = false
			} else if c == '\\' {
				s.esc = true
			} else if c == '"' {
				s.inStr = false
				if s.depth == 1 && s.recDepth == 0 {
					s.keyDone = true
				}
			} else if s.depth == 1 && s.recDepth == 0 && len(s.key) < 16 {
				s.key = append(s.key, c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			s.inStr = true
			s.key = s.key[:0]
			s.keyDone = false
			continue
		case ':':
			if s.keyDone && s.depth == 1 && s.recDepth == 0 {
				k := string(s.key)
				s.wantArray = k == "Records" || k == "Findings"
			}
			s.keyDone = false
			continue
		case '{', '[':
			if s.depth == 0 && c == '[' && !s.recording {
				s.recDepth = 1
			} else if s.depth == 1 && s.wantArray && c == '[' {
				// The top-level object is a delivery wrapper: drop it.
				s.container = true
				s.recording = false
				s.tooBig = false
				s.rec = s.rec[:0]
				s.recDepth = 2
			} else if s.depth == s.recDepth && !s.recording {
				if c != '{' {
					errs = append(errs, fmt.Errorf("line %d (byte %d): %w: expected an object", s.line, s.off+int64(i), errSyntax))
				}
				s.recording = true
				s.tooBig = false
				s.rec = s.rec[:0]
				s.recOff = s.off + int64(i)
				s.recLine = s.line
				start = i
			}
			s.wantArray = false
			s.keyDone = false
			s.depth++
			continue
		case '}', ']':
			s.wantArray = false
			s.keyDone = false
			if s.depth == 0 {
				errs = append(errs, fmt.Errorf("line %d (byte %d): %w: unbalanced %q", s.line, s.off+int64(i), errSyntax, c))
				continue
			}
			s.depth--
			if s.recording && s.depth == s.recDepth {
				appendRec(i + 1)
				s.recording = false
				if err := emit(s.rec, s.recOff, s.recLine, s.tooBig); err != nil {
					s.off += int64(len(chunk))
					return errs, err
				}
			}
			if s.depth == 0 {
				s.recDepth = 0
				s.container = false
			}
			if s.container && s.depth == 1 {
				// The Records array closed: nothing else in the wrapper is a record.
				s.recDepth = -1
			}
			continue
		}
		if s.depth == 0 {
			errs = append(errs, fmt.Errorf("line %d (byte %d): %w: unexpected %q outside any record; skipping the line", s.line, s.off+int64(i), errSyntax, c))
			s.skipLine = true
		}
		s.keyDone = false
		s.wantArray = false
	}
	appendRec(len(chunk))
	s.off += int64(len(chunk))
	return errs, nil
}
