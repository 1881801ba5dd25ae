package detect

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/sigma"
)

// carriedHit is one carried correlation or burst hit as saved between runs.
type carriedHit struct {
	// Rule names the Sigma rule that matched (its id, else its title);
	// empty for built-in bursts.
	Rule      string    `json:"rule,omitempty"`
	Time      time.Time `json:"time"`
	EventID   string    `json:"event_id"`
	Group     string    `json:"group,omitempty"`
	Value     string    `json:"value,omitempty"`
	Principal string    `json:"principal"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Ingested  time.Time `json:"ingested"`
}

// stateKey names a rule's carried state: its source and id.
func (ri ruleInfo) stateKey() string { return ri.source + ":" + ri.id }

func sigmaRuleName(r *sigma.Rule) string {
	if r == nil {
		return ""
	}
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

// TakeState returns the carried state of each rule that changed since the
// last call, as JSON by rule key ("" when the rule now carries nothing),
// for the caller to save with the batch (see Config.Carry, LoadState).
func (e *Engine) TakeState() (map[string]string, error) {
	out := map[string]string{}
	for ix := range e.dirty {
		hits := e.grouped[ix]
		key := e.rules[ix].stateKey()
		if len(hits) == 0 {
			out[key] = ""
			continue
		}
		saved := make([]carriedHit, len(hits))
		for i, h := range hits {
			m := e.meta[h.Seq]
			saved[i] = carriedHit{Rule: sigmaRuleName(h.Rule), Time: h.Time, EventID: h.EventID, Group: h.Group, Value: h.Value,
				Principal: m.principal, Account: m.account, Region: m.region, Ingested: m.ingested}
		}
		data, err := json.Marshal(saved)
		if err != nil {
			return nil, fmt.Errorf("correlation state of %s: %w", key, err)
		}
		out[key] = string(data)
	}
	e.dirty = map[int]bool{}
	return out, nil
}

// LoadState restores carried state saved by TakeState, before any event is
// observed. State of rules that no longer exist is ignored; hits of a
// Sigma rule a correlation no longer references are dropped.
func (e *Engine) LoadState(state map[string]string) error {
	byKey := map[string]int{}
	for ix, ri := range e.rules {
		if ri.corr != nil {
			byKey[ri.stateKey()] = ix
		}
	}
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		ix, ok := byKey[key]
		if !ok || state[key] == "" {
			continue
		}
		var saved []carriedHit
		if err := json.Unmarshal([]byte(state[key]), &saved); err != nil {
			return fmt.Errorf("correlation state of %s: %w", key, err)
		}
		refs := map[string]*sigma.Rule{}
		for _, r := range e.rules[ix].corr.Rules {
			refs[sigmaRuleName(r)] = r
		}
		for _, c := range saved {
			h := sigma.Hit{Time: c.Time, EventID: c.EventID, Group: c.Group, Value: c.Value, Seq: len(e.meta)}
			if c.Rule != "" {
				if h.Rule = refs[c.Rule]; h.Rule == nil {
					continue
				}
			}
			e.meta = append(e.meta, hitMeta{id: c.EventID, at: c.Time, ingested: c.Ingested,
				principal: c.Principal, account: c.Account, region: c.Region})
			e.grouped[ix] = append(e.grouped[ix], h)
		}
	}
	return nil
}
