package detectors

import (
	"bytes"
	"sort"
)

// Hit is a secret found by ScanReference.
type Hit struct {
	Detector *Detector
	Match
}

// ScanReference is the plain, slow statement of what the engine computes: for
// every detector and every place one of its keywords occurs (ignoring case),
// run the pattern over the keyword's line widened by LinesBefore and Lines,
// and keep each distinct secret position once per detector. The engine in
// package secrets must return the same hits faster; a test checks that.
func ScanReference(dets []*Detector, text []byte) []Hit {
	lower := bytes.ToLower(text)
	lineStarts := []int{0}
	for i, c := range text {
		if c == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	lineOf := func(off int) int {
		return sort.Search(len(lineStarts), func(i int) bool { return lineStarts[i] > off }) - 1
	}
	var out []Hit
	for _, d := range dets {
		seen := map[[2]int]bool{}
		if d.KeyAnchored {
			for _, m := range d.Find(text) {
				out = append(out, Hit{Detector: d, Match: m})
			}
			continue
		}
		for _, w := range Windows(d, text, lower, lineStarts, lineOf) {
			for _, m := range d.Find(text[w[0]:w[1]]) {
				m.Start += w[0]
				m.End += w[0]
				k := [2]int{m.Start, m.End}
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, Hit{Detector: d, Match: m})
			}
		}
	}
	return out
}

// Windows returns the merged byte ranges of text a detector's pattern runs
// over, given the text, its lower-cased copy and its line starts.
func Windows(d *Detector, text, lower []byte, lineStarts []int, lineOf func(int) int) [][2]int {
	var ws [][2]int
	for _, pos := range keywordPositions(d, text, lower) {
		ws = append(ws, LineWindow(d, pos, len(lower), lineStarts, lineOf))
	}
	return MergeWindows(ws)
}

// MaxSpan bounds how far from a keyword a pattern may look, so a keyword in
// a megabyte-long minified line costs kilobytes of regex work.
const MaxSpan = 16 << 10

// LineWindow is the byte range around a keyword at pos: from the start of
// the line LinesBefore above it to the end of the line Lines below it,
// clamped to MaxSpan bytes on each side of pos.
func LineWindow(d *Detector, pos, n int, lineStarts []int, lineOf func(int) int) [2]int {
	l := lineOf(pos)
	first := max(l-d.LinesBefore, 0)
	last := l + d.Lines + 1
	end := n
	if last < len(lineStarts) {
		end = lineStarts[last]
	}
	return [2]int{max(lineStarts[first], pos-MaxSpan), min(end, pos+MaxSpan)}
}

// MergeWindows sorts ranges and joins overlapping or touching ones.
func MergeWindows(ws [][2]int) [][2]int {
	if len(ws) < 2 {
		return ws
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i][0] < ws[j][0] })
	out := ws[:1]
	for _, w := range ws[1:] {
		last := &out[len(out)-1]
		if w[0] <= last[1] {
			last[1] = max(last[1], w[1])
			continue
		}
		out = append(out, w)
	}
	return out
}
