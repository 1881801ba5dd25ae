package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/index"
)

// Pipeline is the Handler that turns batches into alerts exactly once per
// event and once per alert. For each batch it drops events whose eventID
// is already indexed, runs the detections on the rest, and writes the new
// events, the alerts they raised (as pending, in an outbox) and the
// correlation state to the index in one transaction. Only then does it
// deliver the pending alerts to every sink and mark each delivered. A
// crash after the commit leaves the alerts pending: Recover (or the next
// batch) delivers them. An alert's stable id (detect.Alert.ID) keeps a
// replay of the same events from adding it to the outbox twice.
//
// Correlations and bursts carry their recent hits across batches (and,
// through the index, across restarts), so a burst split over several
// CloudTrail objects or queue messages fires once.
type Pipeline struct {
	Config detect.Config
	// Index dedups across runs, holds the outbox and the correlation state,
	// and is searched later; nil keeps the dedup set and the correlation
	// state in memory for this process only and delivers before recording.
	Index *index.Index
	Sinks []detect.Sink
	// OnAlert is called for each alert after the sinks took it (nil: none).
	OnAlert func(detect.Alert)
	// Now stamps delivery times (time.Now when nil).
	Now func() time.Time

	eng  *detect.Engine
	seen map[string]struct{}
	// afterCommit, when set (tests), runs between the commit and delivery;
	// an error from it stands for a crash there.
	afterCommit func() error
	// Stats counts events, duplicates and alerts over every batch.
	Stats PipelineStats
}

// PipelineStats counts what the pipeline did.
type PipelineStats struct {
	Events     int `json:"events"`
	Duplicates int `json:"duplicates"`
	// Alerts counts alerts delivered by this process (including pending
	// ones left by an earlier run).
	Alerts int `json:"alerts"`
}

// engine returns the long-lived engine, restoring saved correlation state
// on first use.
func (p *Pipeline) engine(ctx context.Context) (*detect.Engine, error) {
	if p.eng != nil {
		return p.eng, nil
	}
	cfg := p.Config
	cfg.Carry = true
	eng := detect.NewEngine(cfg)
	if p.Index != nil {
		st, err := p.Index.CorrelationState(ctx)
		if err != nil {
			return nil, err
		}
		if err := eng.LoadState(st); err != nil {
			return nil, err
		}
	}
	p.eng = eng
	return eng, nil
}

// Recover delivers the alerts a previous run committed but did not mark
// delivered (a crash or a failed sink). Call it once at start; Handle
// also retries pending alerts before each batch.
func (p *Pipeline) Recover(ctx context.Context) error {
	if p.Index == nil {
		return nil
	}
	return p.deliverPending(ctx)
}

// Handle processes one batch; it is an ingest Handler. An error means the
// batch must be offered again: it was not committed, or its alerts (or
// earlier pending ones) could not be delivered yet.
func (p *Pipeline) Handle(ctx context.Context, source string, evs []*event.Event) error {
	if p.Index != nil {
		// Alerts left pending by an earlier failure go out first, in order.
		if err := p.deliverPending(ctx); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	fresh, err := p.unseen(ctx, evs)
	if err != nil {
		return err
	}
	p.Stats.Duplicates += len(evs) - len(fresh)
	if len(fresh) == 0 {
		return nil
	}
	eng, err := p.engine(ctx)
	if err != nil {
		return err
	}
	for _, ev := range fresh {
		eng.Observe(ev)
	}
	var alerts []detect.Alert
	eng.Flush(func(a detect.Alert) { alerts = append(alerts, a) })
	state, err := eng.TakeState()
	if err != nil {
		return err
	}
	if p.Index == nil {
		if err := p.deliver(ctx, alerts); err != nil {
			// The engine's carried state moved on; the batch will come
			// again and be evaluated afresh, so drop what it added.
			p.eng = nil
			return fmt.Errorf("deliver %d alert(s) from %s: %w", len(alerts), source, err)
		}
		for _, ev := range fresh {
			if ev.ID != "" {
				p.seen[ev.ID] = struct{}{}
			}
		}
		p.Stats.Events += len(fresh)
		return nil
	}
	pending := make([]index.PendingAlert, 0, len(alerts))
	for _, a := range alerts {
		data, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("alert %s: %w", a.ID, err)
		}
		pending = append(pending, index.PendingAlert{ID: a.ID, JSON: data})
	}
	if _, err := p.Index.Commit(ctx, index.Batch{Events: fresh, Alerts: pending, State: state}); err != nil {
		// Not committed: restart the engine from the saved state.
		p.eng = nil
		return fmt.Errorf("%s: %w", source, err)
	}
	p.Stats.Events += len(fresh)
	if p.afterCommit != nil {
		if err := p.afterCommit(); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	if err := p.deliverPending(ctx); err != nil {
		return fmt.Errorf("deliver alerts from %s: %w", source, err)
	}
	return nil
}

// deliverPending sends every pending alert of the outbox to the sinks in
// one batch and marks them delivered.
func (p *Pipeline) deliverPending(ctx context.Context) error {
	pending, err := p.Index.Pending(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	alerts := make([]detect.Alert, 0, len(pending))
	ids := make([]string, 0, len(pending))
	for _, pa := range pending {
		var a detect.Alert
		if err := json.Unmarshal(pa.JSON, &a); err != nil {
			return fmt.Errorf("pending alert %s: %w", pa.ID, err)
		}
		alerts = append(alerts, a)
		ids = append(ids, pa.ID)
	}
	if err := p.deliver(ctx, alerts); err != nil {
		return fmt.Errorf("deliver %d pending alert(s): %w", len(alerts), err)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	return p.Index.MarkDelivered(ctx, ids, now())
}

// deliver hands alerts to every sink, then to OnAlert.
func (p *Pipeline) deliver(ctx context.Context, alerts []detect.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	for _, s := range p.Sinks {
		if err := s.Send(ctx, alerts); err != nil {
			return err
		}
	}
	p.Stats.Alerts += len(alerts)
	if p.OnAlert != nil {
		for _, a := range alerts {
			p.OnAlert(a)
		}
	}
	return nil
}

// unseen drops events already handled (and repeats inside the batch).
func (p *Pipeline) unseen(ctx context.Context, evs []*event.Event) ([]*event.Event, error) {
	batch := make(map[string]struct{}, len(evs))
	var uniq []*event.Event
	for _, ev := range evs {
		if ev.ID != "" {
			if _, dup := batch[ev.ID]; dup {
				continue
			}
			batch[ev.ID] = struct{}{}
		}
		uniq = append(uniq, ev)
	}
	if p.Index != nil {
		return p.Index.Unseen(ctx, uniq)
	}
	if p.seen == nil {
		p.seen = map[string]struct{}{}
	}
	out := uniq[:0]
	for _, ev := range uniq {
		if _, dup := p.seen[ev.ID]; dup && ev.ID != "" {
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}
