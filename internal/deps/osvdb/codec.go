package osvdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
)

// The index file is:
//
//	magic
//	ecosystem, key (size, mtime, sha256), errors
//	advisory count, then each advisory as a length-prefixed block
//	package count, then each package (sorted by name) as its name and a
//	length-prefixed block of affected entries
//	CRC-32 (IEEE) of everything before it, little-endian
//
// Numbers are uvarints (minimal encoding only), strings and blocks are a
// uvarint length and bytes. Loading reads the header and the block
// positions; blocks are decoded when a package or advisory is asked for.
const indexMagic = "PALOSVX3"

// ErrBadIndex is wrapped by Unmarshal for data that is not a valid index file.
var ErrBadIndex = errors.New("bad index file")

// span is where a block sits in the index data.
type span struct{ off, end int }

type encoder struct{ b []byte }

func (e *encoder) uint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func encodeAdvisory(a Advisory) string {
	e := &encoder{}
	e.str(a.ID)
	e.strs(a.Aliases)
	e.str(a.Summary)
	e.uint(uint64(a.Published))
	e.str(a.Severity)
	e.uint(math.Float64bits(a.Score))
	e.str(a.Vector)
	e.strs(a.CWEs)
	e.str(a.URL)
	e.str(a.Entry)
	return string(e.b)
}

func encodeEntries(entries []Affected) string {
	e := &encoder{}
	e.uint(uint64(len(entries)))
	for _, a := range entries {
		e.uint(uint64(a.Advisory))
		e.uint(uint64(len(a.Ranges)))
		for _, r := range a.Ranges {
			e.str(r.Type)
			e.uint(uint64(len(r.Events)))
			for _, ev := range r.Events {
				e.uint(uint64(ev.Kind))
				e.str(ev.Version)
			}
		}
		e.strs(a.Versions)
	}
	return string(e.b)
}

// Marshal encodes an index in palisade's binary index format.
func Marshal(ix *Index) []byte {
	e := &encoder{b: []byte(indexMagic)}
	e.str(ix.Ecosystem)
	e.uint(uint64(ix.Key.Size))
	e.uint(uint64(ix.Key.MTime))
	e.str(string(ix.Key.SHA256[:]))
	e.strs(ix.Errors)
	n := ix.NumAdvisories()
	e.uint(uint64(n))
	for i := range n {
		e.str(encodeAdvisory(ix.Advisory(i)))
	}
	names := ix.names
	if ix.pkgSpans == nil {
		names = make([]string, 0, len(ix.packages))
		for name := range ix.packages {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	e.uint(uint64(len(names)))
	for _, name := range names {
		e.str(name)
		e.str(encodeEntries(ix.Lookup(name)))
	}
	return binary.LittleEndian.AppendUint32(e.b, crc32.ChecksumIEEE(e.b))
}

type decoder struct {
	s   string
	off int
	end int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrBadIndex, what, d.off)
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= d.end {
			d.fail("truncated number")
			return 0
		}
		c := d.s[d.off]
		d.off++
		if c < 0x80 {
			if c == 0 && i > 0 {
				d.fail("non-minimal number")
				return 0
			}
			if i == binary.MaxVarintLen64-1 && c > 1 {
				d.fail("number overflows")
				return 0
			}
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.fail("number too long")
	return 0
}

// count reads a length that must fit in the bytes left (each item takes at least one).
func (d *decoder) count() int {
	n := d.uint()
	if d.err == nil && n > uint64(d.end-d.off) {
		d.fail("count larger than the data")
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := d.s[d.off : d.off+n]
	d.off += n
	return s
}

// block reads a length-prefixed block and returns where it is.
func (d *decoder) block() span {
	n := d.count()
	if d.err != nil {
		return span{}
	}
	sp := span{d.off, d.off + n}
	d.off += n
	return sp
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 || d.err != nil {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// done fails unless the decoder consumed its data exactly.
func (d *decoder) done() {
	if d.err == nil && d.off != d.end {
		d.fail("trailing data")
	}
}

func decodeAdvisory(data string, sp span) (Advisory, error) {
	d := &decoder{s: data, off: sp.off, end: sp.end}
	var a Advisory
	a.ID = d.str()
	a.Aliases = d.strs()
	a.Summary = d.str()
	a.Published = int64(d.uint())
	a.Severity = d.str()
	a.Score = math.Float64frombits(d.uint())
	a.Vector = d.str()
	a.CWEs = d.strs()
	a.URL = d.str()
	a.Entry = d.str()
	d.done()
	if d.err != nil {
		return Advisory{}, d.err
	}
	return a, nil
}

func decodeEntries(data string, sp span, numAdvisories int) ([]Affected, error) {
	d := &decoder{s: data, off: sp.off, end: sp.end}
	ne := d.count()
	entries := make([]Affected, 0, ne)
	for j := 0; j < ne && d.err == nil; j++ {
		var a Affected
		adv := d.uint()
		if d.err == nil && adv >= uint64(numAdvisories) {
			d.fail("advisory reference out of range")
			break
		}
		a.Advisory = int(adv)
		nr := d.count()
		for k := 0; k < nr && d.err == nil; k++ {
			r := Range{Type: d.str()}
			nev := d.count()
			for m := 0; m < nev && d.err == nil; m++ {
				kind := EventKind(d.uint())
				if d.err == nil && (kind < Introduced || kind > Limit) {
					d.fail("unknown event kind")
				}
				r.Events = append(r.Events, Event{Kind: kind, Version: d.str()})
			}
			a.Ranges = append(a.Ranges, r)
		}
		a.Versions = d.strs()
		entries = append(entries, a)
	}
	d.done()
	if d.err != nil {
		return nil, d.err
	}
	return entries, nil
}

// Unmarshal reads an index file written by Marshal: it checks the checksum
// and the layout, and keeps the data so that blocks are decoded on demand
// (a block that turns out invalid is reported by Index.Err).
func Unmarshal(data []byte) (*Index, error) {
	if len(data) < len(indexMagic)+4 || string(data[:len(indexMagic)]) != indexMagic {
		return nil, fmt.Errorf("%w: no index header", ErrBadIndex)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadIndex)
	}
	d := &decoder{s: string(body), off: len(indexMagic), end: len(body)}
	ix := &Index{data: d.s}
	ix.Ecosystem = d.str()
	ix.Key.Size = int64(d.uint())
	ix.Key.MTime = int64(d.uint())
	if h := d.str(); len(h) == len(ix.Key.SHA256) {
		copy(ix.Key.SHA256[:], h)
	} else {
		d.fail("bad hash")
	}
	ix.Errors = d.strs()
	n := d.count()
	ix.advSpans = make([]span, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ix.advSpans = append(ix.advSpans, d.block())
	}
	np := d.count()
	ix.pkgSpans = make(map[string]span, np)
	ix.names = make([]string, 0, np)
	for i := 0; i < np && d.err == nil; i++ {
		name := d.str()
		if i > 0 && name <= ix.names[i-1] {
			d.fail("package names not in strictly ascending order")
			break
		}
		ix.names = append(ix.names, name)
		ix.pkgSpans[name] = d.block()
	}
	d.done()
	if d.err != nil {
		return nil, d.err
	}
	return ix, nil
}
