package osvdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
)

// The index file: magic, then uvarint-length strings and uvarint numbers,
// then a CRC-32 (IEEE) of everything before it. Strings of the decoded index
// share one backing string, so loading costs a handful of allocations per
// record and no JSON.
const indexMagic = "PALOSVX2"

// ErrBadIndex is wrapped by Unmarshal for data that is not a valid index file.
var ErrBadIndex = errors.New("bad index file")

type encoder struct{ b []byte }

func (e *encoder) uint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// Marshal encodes an index in palisade's binary index format.
func Marshal(ix *Index) []byte {
	e := &encoder{b: []byte(indexMagic)}
	e.str(ix.Ecosystem)
	e.uint(uint64(ix.Key.Size))
	e.uint(uint64(ix.Key.MTime))
	e.str(string(ix.Key.SHA256[:]))
	e.strs(ix.Errors)
	e.uint(uint64(len(ix.Advisories)))
	for _, a := range ix.Advisories {
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
	}
	names := make([]string, 0, len(ix.packages))
	for n := range ix.packages {
		names = append(names, n)
	}
	sort.Strings(names)
	e.uint(uint64(len(names)))
	for _, n := range names {
		e.str(n)
		entries := ix.packages[n]
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
	}
	return binary.LittleEndian.AppendUint32(e.b, crc32.ChecksumIEEE(e.b))
}

type decoder struct {
	s   string
	off int
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
		if d.off >= len(d.s) {
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
	if d.err == nil && n > uint64(len(d.s)-d.off) {
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

// Unmarshal decodes an index file written by Marshal, checking its
// checksum and every length and reference in it.
func Unmarshal(data []byte) (*Index, error) {
	if len(data) < len(indexMagic)+4 || string(data[:len(indexMagic)]) != indexMagic {
		return nil, fmt.Errorf("%w: no index header", ErrBadIndex)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadIndex)
	}
	d := &decoder{s: string(body), off: len(indexMagic)}
	ix := &Index{}
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
	if d.err == nil {
		ix.Advisories = make([]Advisory, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		a := &ix.Advisories[i]
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
	}
	np := d.count()
	ix.packages = make(map[string][]Affected, np)
	prev := ""
	for i := 0; i < np && d.err == nil; i++ {
		name := d.str()
		if i > 0 && name <= prev {
			d.fail("package names not in strictly ascending order")
			break
		}
		prev = name
		ne := d.count()
		entries := make([]Affected, 0, ne)
		for j := 0; j < ne && d.err == nil; j++ {
			var a Affected
			adv := d.uint()
			if adv >= uint64(len(ix.Advisories)) {
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
					if kind < Introduced || kind > Limit {
						d.fail("unknown event kind")
					}
					r.Events = append(r.Events, Event{Kind: kind, Version: d.str()})
				}
				a.Ranges = append(a.Ranges, r)
			}
			a.Versions = d.strs()
			entries = append(entries, a)
		}
		ix.packages[name] = entries
	}
	if d.err == nil && d.off != len(d.s) {
		d.fail("trailing data")
	}
	if d.err != nil {
		return nil, d.err
	}
	return ix, nil
}
