package ingest

import (
	"context"
	"fmt"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/index"
)

// Pipeline is the Handler that turns batches into alerts exactly once per
// event: it drops events whose eventID is already indexed, runs the
// detections on the rest, delivers the alerts to every sink, and only then
// indexes the events. A batch whose alerts could not be delivered is not
// indexed, so its source offers it again and the alerts are not lost; a
// batch seen twice after success raises nothing the second time.
//
// Correlations and bursts see one batch at a time (one CloudTrail object
// covers about five minutes of one account and region); palisade detect
// over files sees a whole replay at once.
type Pipeline struct {
	Config detect.Config
	// Index dedups across runs and is searched later; nil keeps the
	// dedup set in memory for this process only.
	Index *index.Index
	Sinks []detect.Sink
	// OnAlert is called for each alert after the sinks took it (nil: none).
	OnAlert func(detect.Alert)

	seen map[string]struct{}
	// Stats counts events, duplicates and alerts over every batch.
	Stats PipelineStats
}

// PipelineStats counts what the pipeline did.
type PipelineStats struct {
	Events     int `json:"events"`
	Duplicates int `json:"duplicates"`
	Alerts     int `json:"alerts"`
}

// Handle processes one batch; it is an ingest Handler.
func (p *Pipeline) Handle(ctx context.Context, source string, evs []*event.Event) error {
	fresh, err := p.unseen(ctx, evs)
	if err != nil {
		return err
	}
	p.Stats.Duplicates += len(evs) - len(fresh)
	if len(fresh) == 0 {
		return nil
	}
	eng := detect.NewEngine(p.Config)
	for _, ev := range fresh {
		eng.Observe(ev)
	}
	var alerts []detect.Alert
	eng.Flush(func(a detect.Alert) { alerts = append(alerts, a) })
	if len(alerts) > 0 {
		for _, s := range p.Sinks {
			if err := s.Send(ctx, alerts); err != nil {
				return fmt.Errorf("deliver %d alert(s) from %s: %w", len(alerts), source, err)
			}
		}
	}
	if p.Index != nil {
		if _, err := p.Index.Add(ctx, fresh); err != nil {
			return err
		}
	} else {
		for _, ev := range fresh {
			if ev.ID != "" {
				p.seen[ev.ID] = struct{}{}
			}
		}
	}
	p.Stats.Events += len(fresh)
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
