package sigma

import (
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// Hit is one match of a detection rule that a correlation references; the
// engine keeps these small records instead of the events.
type Hit struct {
	Rule    *Rule
	Time    time.Time
	EventID string
	// Group is the group-by key; Value the value_count field's value.
	Group string
	Value string
	// Seq is the arrival order, to break ties between equal times.
	Seq int
}

// NewHit records that base rule r matched ev, for correlation c.
func (c *Correlation) NewHit(r *Rule, ev *event.Event, seq int) Hit {
	h := Hit{Rule: r, Time: ev.Time, EventID: ev.ID, Seq: seq}
	if len(c.GroupBy) > 0 {
		parts := make([]string, len(c.GroupBy))
		for i, f := range c.GroupBy {
			parts[i] = ev.Field(f).Str()
		}
		h.Group = strings.Join(parts, "\x1f")
	}
	if c.Field != "" {
		h.Value = ev.Field(c.Field).Str()
	}
	return h
}

// GroupValues splits a Hit's Group back into the group-by values.
func (c *Correlation) GroupValues(group string) map[string]string {
	out := map[string]string{}
	if len(c.GroupBy) == 0 {
		return out
	}
	for i, v := range strings.Split(group, "\x1f") {
		if i < len(c.GroupBy) {
			out[c.GroupBy[i]] = v
		}
	}
	return out
}

// Evaluate returns each set of hits that satisfies the correlation, in time
// order. Hits may come in any order. A set that fires is consumed: the next
// set starts after it, so one burst raises one result.
func (c *Correlation) Evaluate(hits []Hit) [][]Hit {
	hs := append([]Hit(nil), hits...)
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].Group != hs[j].Group {
			return hs[i].Group < hs[j].Group
		}
		if !hs[i].Time.Equal(hs[j].Time) {
			return hs[i].Time.Before(hs[j].Time)
		}
		return hs[i].Seq < hs[j].Seq
	})
	var out [][]Hit
	for start := 0; start < len(hs); {
		end := start
		for end < len(hs) && hs[end].Group == hs[start].Group {
			end++
		}
		out = append(out, c.evalGroup(hs[start:end])...)
		start = end
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0].Time.Before(out[j][0].Time) })
	return out
}

func (c *Correlation) compare(n int) bool {
	switch c.Op {
	case "gt":
		return n > c.Count
	case "gte":
		return n >= c.Count
	case "lt":
		return n < c.Count
	case "lte":
		return n <= c.Count
	}
	return n == c.Count
}

func (c *Correlation) evalGroup(hs []Hit) [][]Hit {
	switch c.Type {
	case "temporal_ordered":
		return c.ordered(hs)
	case "temporal":
		return c.sliding(hs, func(win []Hit) bool {
			seen := map[*Rule]bool{}
			for _, h := range win {
				seen[h.Rule] = true
			}
			return len(seen) == len(c.Rules)
		})
	}
	metric := func(win []Hit) int {
		if c.Type == "event_count" {
			return len(win)
		}
		vals := map[string]bool{}
		for _, h := range win {
			vals[h.Value] = true
		}
		return len(vals)
	}
	if c.Op == "lt" || c.Op == "lte" {
		// "fewer than": judged over whole windows that start at a hit.
		var out [][]Hit
		for i := 0; i < len(hs); {
			j := i
			for j < len(hs) && hs[j].Time.Sub(hs[i].Time) <= c.Timespan {
				j++
			}
			if c.compare(metric(hs[i:j])) {
				out = append(out, hs[i:j])
			}
			i = j
		}
		return out
	}
	return c.sliding(hs, func(win []Hit) bool { return c.compare(metric(win)) })
}

// sliding moves a timespan-wide window over time-ordered hits and returns
// the windows for which ok holds, consuming each one that fires.
func (c *Correlation) sliding(hs []Hit, ok func([]Hit) bool) [][]Hit {
	var out [][]Hit
	lo := 0
	for hi := 0; hi < len(hs); hi++ {
		for hs[hi].Time.Sub(hs[lo].Time) > c.Timespan {
			lo++
		}
		if ok(hs[lo : hi+1]) {
			out = append(out, hs[lo:hi+1])
			lo = hi + 1
		}
	}
	return out
}

// ordered finds the referenced rules matching in order within the timespan.
// CloudTrail times have one-second resolution, so hits with equal times may
// be taken in either order.
func (c *Correlation) ordered(hs []Hit) [][]Hit {
	var out [][]Hit
	used := make([]bool, len(hs))
	for i := range hs {
		if used[i] || hs[i].Rule != c.Rules[0] {
			continue
		}
		seq := []int{i}
		prev := hs[i].Time
		for next := 1; next < len(c.Rules); next++ {
			found := -1
			for j := range hs {
				if used[j] || j == i || hs[j].Rule != c.Rules[next] || hs[j].Time.Before(prev) || containsInt(seq, j) {
					continue
				}
				if hs[j].Time.Sub(hs[i].Time) > c.Timespan {
					break
				}
				found = j
				break
			}
			if found < 0 {
				seq = nil
				break
			}
			seq = append(seq, found)
			prev = hs[found].Time
		}
		if seq == nil {
			continue
		}
		set := make([]Hit, len(seq))
		for k, j := range seq {
			used[j] = true
			set[k] = hs[j]
		}
		out = append(out, set)
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
