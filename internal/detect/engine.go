package detect

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/sigma"
	"github.com/palisade-sec/palisade/internal/finding"
)

// DefaultDedupWindow is how long one alert keeps absorbing new matches of
// the same rule by the same principal in the same account and region.
const DefaultDedupWindow = time.Hour

// LoadRules loads Sigma rules from folders (see sigma.Load): broken rules are
// reported with file and line and the rest load.
func LoadRules(dirs []string) (*sigma.RuleSet, []error) {
	return sigma.Load(dirs)
}

// Config says what an Engine runs and how it reports.
type Config struct {
	// Rules are Sigma rules (nil for none); Builtins the Go detections.
	Rules    *sigma.RuleSet
	Builtins []Detection
	// DedupWindow merges repeats into one alert (DefaultDedupWindow if zero;
	// negative turns merging off).
	DedupWindow time.Duration
	// MinSeverity drops alerts below it (Sigma "informational" is Info).
	MinSeverity finding.Severity
	// Suppressions silence rules; expired ones are ignored.
	Suppressions []Suppression
	// Now stamps alert and ingest times (time.Now when nil).
	Now func() time.Time
	// MaxRecordBytes caps one input record (event.DefaultMaxRecordBytes if zero).
	MaxRecordBytes int
	// Carry keeps the hits of correlations and bursts that have not fired
	// across Flush calls (live ingest, where events come in batches): hits
	// older than the rule's timespan before its newest hit are evicted, and
	// at most MaxCarriedHits are kept per rule.
	Carry bool
}

// MaxCarriedHits caps the hits one correlation or burst carries between
// batches; the newest are kept.
const MaxCarriedHits = 10000

// Stats counts what a run did.
type Stats struct {
	event.Stats
	// Matches counts rule matches before deduplication.
	Matches    int `json:"matches"`
	Alerts     int `json:"alerts"`
	Suppressed int `json:"suppressed"`
}

// ruleInfo is the engine's uniform view of a built-in or Sigma rule.
type ruleInfo struct {
	id, title, source, file, checklist string
	remediation                        string
	sev                                finding.Severity
	attack                             []string
	corr                               *sigma.Correlation
}

type hitMeta struct {
	id                         string
	at, ingested               time.Time
	principal, account, region string
}

type single struct {
	rule int
	seq  int
}

// Engine runs detections over a stream of events. Observe events in any
// order, then Flush: correlations, bursts and deduplication work on event
// time, not arrival order. An Engine is not safe for concurrent use.
type Engine struct {
	cfg   Config
	rules []ruleInfo
	sigIx map[*sigma.Rule]int

	meta    []hitMeta
	lastEv  *event.Event
	singles []single
	grouped map[int][]sigma.Hit // correlation and burst hits by rule index
	touched map[int]bool        // rules with new hits since the last Flush
	dirty   map[int]bool        // rules whose carried state changed (TakeState)
	stats   Stats
}

// NewEngine prepares an engine for one run.
func NewEngine(cfg Config) *Engine {
	if cfg.DedupWindow == 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Engine{cfg: cfg, sigIx: map[*sigma.Rule]int{}, grouped: map[int][]sigma.Hit{}, touched: map[int]bool{}, dirty: map[int]bool{}}
	for _, d := range cfg.Builtins {
		ri := ruleInfo{id: d.ID, title: d.Title, source: "builtin", checklist: d.Checklist, remediation: d.Remediation, sev: d.Severity, attack: d.Attack}
		if d.Burst != nil {
			ri.corr = d.Burst.correlation()
		}
		e.rules = append(e.rules, ri)
	}
	if cfg.Rules != nil {
		for _, group := range [][]*sigma.Rule{cfg.Rules.Rules, cfg.Rules.Correlations} {
			for _, r := range group {
				id := r.ID
				if id == "" {
					id = r.Title
				}
				e.sigIx[r] = len(e.rules)
				e.rules = append(e.rules, ruleInfo{id: id, title: r.Title, source: "sigma", file: r.File, sev: levelSeverity(r.Level), attack: r.Attack(), corr: r.Correlation})
			}
		}
	}
	return e
}

// levelSeverity maps a Sigma level to a severity.
func levelSeverity(level string) finding.Severity {
	switch strings.ToLower(level) {
	case "critical":
		return finding.Critical
	case "high":
		return finding.High
	case "medium":
		return finding.Medium
	case "low":
		return finding.Low
	}
	return finding.Info
}

// Run reads events from paths (files or folders), runs every detection and
// calls emit for each alert, in first-seen order. Problems with single
// files or records are returned and the run goes on.
func (e *Engine) Run(ctx context.Context, paths []string, emit func(Alert)) (Stats, []error) {
	e.stats = Stats{}
	r := event.NewReader(event.Options{MaxRecordBytes: e.cfg.MaxRecordBytes, Now: e.cfg.Now})
	errs := r.Read(ctx, paths, func(ev *event.Event) error {
		e.Observe(ev)
		return nil
	})
	e.stats.Stats = r.Stats
	e.Flush(emit)
	return e.stats, errs
}

// seq returns the meta index of ev, recording it on first use.
func (e *Engine) seq(ev *event.Event) int {
	if e.lastEv == ev {
		return len(e.meta) - 1
	}
	e.lastEv = ev
	e.meta = append(e.meta, hitMeta{
		id:        strings.Clone(ev.ID),
		at:        ev.Time,
		ingested:  ev.Ingested,
		principal: strings.Clone(ev.Principal()),
		account:   strings.Clone(ev.Account()),
		region:    strings.Clone(ev.Region),
	})
	return len(e.meta) - 1
}

// Observe runs every detection on one event.
func (e *Engine) Observe(ev *event.Event) {
	for i := range e.cfg.Builtins {
		d := &e.cfg.Builtins[i]
		if !d.Match(ev) {
			continue
		}
		e.stats.Matches++
		if d.Burst == nil {
			if d.Severity >= e.cfg.MinSeverity {
				e.singles = append(e.singles, single{rule: i, seq: e.seq(ev)})
			}
			continue
		}
		h := sigma.Hit{Time: ev.Time, EventID: ev.ID, Group: d.Burst.Key(ev), Seq: e.seq(ev)}
		if d.Burst.Distinct != nil {
			h.Value = d.Burst.Distinct(ev)
		}
		e.grouped[i] = append(e.grouped[i], h)
		e.touched[i] = true
	}
	if e.cfg.Rules == nil {
		return
	}
	e.cfg.Rules.Match(ev, func(r *sigma.Rule) {
		e.stats.Matches++
		for _, c := range e.cfg.Rules.Feeds(r) {
			ix := e.sigIx[c]
			e.grouped[ix] = append(e.grouped[ix], c.Correlation.NewHit(r, ev, e.seq(ev)))
			e.touched[ix] = true
		}
		if !r.Silent {
			ix := e.sigIx[r]
			if e.rules[ix].sev >= e.cfg.MinSeverity {
				e.singles = append(e.singles, single{rule: ix, seq: e.seq(ev)})
			}
		}
	})
}

// Flush evaluates correlations and bursts, deduplicates, applies
// suppressions and emits the alerts in first-seen order. The engine is
// empty afterwards.
func (e *Engine) Flush(emit func(Alert)) {
	now := e.cfg.Now()
	var cands []Alert
	for _, s := range e.singles {
		cands = append(cands, e.alert(s.rule, []int{s.seq}, nil, now))
	}
	ixs := make([]int, 0, len(e.touched))
	for ix := range e.touched {
		ixs = append(ixs, ix)
	}
	sort.Ints(ixs)
	fired := map[int]map[int]bool{} // rule index -> seqs consumed by a result
	for _, ix := range ixs {
		ri := e.rules[ix]
		if ri.sev < e.cfg.MinSeverity {
			continue
		}
		fired[ix] = map[int]bool{}
		for _, set := range ri.corr.Evaluate(e.grouped[ix]) {
			seqs := make([]int, len(set))
			for i, h := range set {
				seqs[i] = h.Seq
				fired[ix][h.Seq] = true
			}
			var group map[string]string
			if ri.source == "sigma" {
				group = ri.corr.GroupValues(set[0].Group)
			}
			cands = append(cands, e.alert(ix, seqs, group, now))
		}
	}
	alerts := dedup(cands, e.cfg.DedupWindow)
	for _, a := range alerts {
		a.ID = a.StableID()
		if e.suppressed(a, now) {
			e.stats.Suppressed++
			continue
		}
		e.stats.Alerts++
		emit(a)
	}
	if e.cfg.Carry {
		e.carry(ixs, fired)
	} else {
		e.meta = nil
		e.grouped = map[int][]sigma.Hit{}
	}
	e.singles, e.lastEv = nil, nil
	e.touched = map[int]bool{}
}

// carry keeps, for the rules evaluated by Flush, the hits that did not
// fire and are within the rule's timespan of its newest hit (at most
// MaxCarriedHits, the newest), and renumbers the kept events' metadata.
func (e *Engine) carry(evaluated []int, fired map[int]map[int]bool) {
	for _, ix := range evaluated {
		hits := e.grouped[ix]
		cons := fired[ix]
		if cons == nil { // below MinSeverity: never fires, keep nothing
			delete(e.grouped, ix)
			e.dirty[ix] = true
			continue
		}
		var newest time.Time
		for _, h := range hits {
			if h.Time.After(newest) {
				newest = h.Time
			}
		}
		span := e.rules[ix].corr.Timespan
		kept := hits[:0]
		for _, h := range hits {
			if !cons[h.Seq] && newest.Sub(h.Time) <= span {
				kept = append(kept, h)
			}
		}
		if len(kept) > MaxCarriedHits {
			sort.SliceStable(kept, func(i, j int) bool { return kept[i].Time.Before(kept[j].Time) })
			kept = kept[len(kept)-MaxCarriedHits:]
		}
		if len(kept) == 0 {
			delete(e.grouped, ix)
		} else {
			e.grouped[ix] = kept
		}
		e.dirty[ix] = true
	}
	// Renumber the kept events in their old order, so ties between equal
	// times still break by arrival.
	renum := map[int]int{}
	for _, hits := range e.grouped {
		for _, h := range hits {
			renum[h.Seq] = 0
		}
	}
	old := make([]int, 0, len(renum))
	for s := range renum {
		old = append(old, s)
	}
	sort.Ints(old)
	meta := make([]hitMeta, len(old))
	for n, s := range old {
		renum[s] = n
		meta[n] = e.meta[s]
	}
	for _, hits := range e.grouped {
		for i := range hits {
			hits[i].Seq = renum[hits[i].Seq]
		}
	}
	e.meta = meta
}

func (e *Engine) suppressed(a Alert, now time.Time) bool {
	for _, s := range e.cfg.Suppressions {
		if s.Covers(a, now) {
			return true
		}
	}
	return false
}

// alert builds an alert of rule ix over the events seqs.
func (e *Engine) alert(ix int, seqs []int, group map[string]string, now time.Time) Alert {
	ri := e.rules[ix]
	first := e.meta[seqs[0]]
	a := Alert{
		RuleID: ri.id, Title: ri.title, Severity: ri.sev, Source: ri.source, RuleFile: ri.file,
		Principal: first.principal, Account: first.account, Region: first.region,
		Group: group, Attack: ri.attack, Checklist: ri.checklist, Remediation: ri.remediation,
		FirstSeen: first.at, LastSeen: first.at, EventTime: first.at, IngestTime: first.ingested, AlertTime: now,
	}
	if a.Attack == nil {
		a.Attack = []string{}
	}
	for _, s := range seqs {
		m := e.meta[s]
		a.addEvent(m.id, m.at, m.ingested)
	}
	return a
}

func (a *Alert) addEvent(id string, at, ingested time.Time) {
	a.EventCount++
	if len(a.EventIDs) < MaxEventIDs {
		a.EventIDs = append(a.EventIDs, id)
	}
	if at.Before(a.FirstSeen) {
		a.FirstSeen, a.EventTime = at, at
	}
	if at.After(a.LastSeen) {
		a.LastSeen = at
	}
	if ingested.Before(a.IngestTime) {
		a.IngestTime = ingested
	}
}

// dedup merges alerts with the same rule, principal, account, region and
// correlation group whose first events fall within window of the alert
// they join.
func dedup(cands []Alert, window time.Duration) []Alert {
	key := func(a *Alert) string {
		k := a.RuleID + "\x1f" + a.Principal + "\x1f" + a.Account + "\x1f" + a.Region
		if len(a.Group) > 0 {
			names := make([]string, 0, len(a.Group))
			for n := range a.Group {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				k += "\x1f" + n + "=" + a.Group[n]
			}
		}
		return k
	}
	keys := make([]string, len(cands))
	order := make([]int, len(cands))
	for i := range cands {
		keys[i], order[i] = key(&cands[i]), i
	}
	sort.SliceStable(order, func(x, y int) bool {
		i, j := order[x], order[y]
		if keys[i] != keys[j] {
			return keys[i] < keys[j]
		}
		return cands[i].FirstSeen.Before(cands[j].FirstSeen)
	})
	var out []Alert
	lastKey := ""
	for _, i := range order {
		c := &cands[i]
		if n := len(out); window > 0 && n > 0 && lastKey == keys[i] && c.FirstSeen.Sub(out[n-1].FirstSeen) <= window {
			last := &out[n-1]
			for _, id := range c.EventIDs {
				last.addEvent(id, c.FirstSeen, c.IngestTime)
			}
			last.EventCount += c.EventCount - len(c.EventIDs)
			if c.LastSeen.After(last.LastSeen) {
				last.LastSeen = c.LastSeen
			}
			continue
		}
		out = append(out, *c)
		lastKey = keys[i]
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		return out[i].RuleID < out[j].RuleID
	})
	return out
}
