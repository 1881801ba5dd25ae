package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

func newDetectCmd(a *App, g *globalFlags) *cobra.Command {
	var f ingestFlags
	var dedup time.Duration
	cmd := &cobra.Command{
		Use:   "detect PATH...",
		Short: "Run detections over CloudTrail logs and GuardDuty findings (files or folders)",
		Long: `Detect reads CloudTrail (S3 delivery .json/.json.gz with a Records array, JSON lines,
EventBridge envelopes) and GuardDuty findings, deduplicates events by eventID, and runs the
built-in detections plus the Sigma rules under --rules: a replay over historical logs. A bad file
or rule is reported with its file and line and the rest goes on. Alerts go to standard output (or
--output) and to any webhook, Slack or SMTP destination given, and are recorded as findings of
category detection in the store (--db; target aws-detections; --no-store to skip), where they
are triaged with palisade findings. A run never marks an earlier alert fixed, and replaying the
same logs adds no duplicate.

Exit status: 0 when no alert was raised, 1 when one was, 2 on a usage or runtime error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if f.format != "json" && f.format != "table" {
				return usageErrorf("unknown --format %q (want json or table)", f.format)
			}
			cfg, err := f.detectConfig(a)
			if err != nil {
				return err
			}
			cfg.DedupWindow = dedup
			sinks, err := f.sinks(a)
			if err != nil {
				return err
			}
			var rec *alertRecorder
			if !f.noStore {
				// Opened first: a wrong --db fails before the work is done.
				s, err := g.openStore(cmd.Context(), a)
				if err != nil {
					return err
				}
				defer s.Close()
				rec = &alertRecorder{store: s, now: a.Now}
			}
			started := a.Now()
			var alerts []detect.Alert
			stats, errs := detect.NewEngine(cfg).Run(cmd.Context(), abs(a, paths), func(al detect.Alert) { alerts = append(alerts, al) })
			for _, e := range errs {
				fmt.Fprintf(a.Stderr, "palisade: skipped: %v\n", e)
			}
			sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].FirstSeen.Before(alerts[j].FirstSeen) })
			err = writeAtomically(a, f.output, func(w io.Writer) error {
				if f.format == "json" {
					return detect.WriteJSON(w, alerts)
				}
				return writeAlertTable(w, alerts)
			})
			if err != nil {
				return err
			}
			for _, s := range sinks {
				if len(alerts) == 0 {
					break
				}
				if err := s.Send(cmd.Context(), alerts); err != nil {
					return fmt.Errorf("deliver alerts: %w", err)
				}
			}
			// Recorded after delivery: a store that fails must not hold
			// back the alerts themselves.
			if rec != nil {
				if err := rec.record(cmd.Context(), started, alerts); err != nil {
					return err
				}
			}
			if a.IsTerminal(a.Stderr) {
				fmt.Fprintf(a.Stderr, "palisade: %d records, %d events (%d duplicates), %d alerts, %d suppressed\n",
					stats.Records, stats.Events, stats.Duplicates, stats.Alerts, stats.Suppressed)
				if rec != nil {
					fmt.Fprintln(a.Stderr, "palisade: "+rec.summary())
				}
			}
			if len(alerts) > 0 {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	addDetectionFlags(fl, &f)
	fl.StringVar(&f.format, "format", "json", "output format: json or table")
	fl.StringVarP(&f.output, "output", "o", "", "write alerts to FILE")
	fl.DurationVar(&dedup, "dedup-window", 0, "merge repeats of an alert within this window (default 1h)")
	addSinkFlags(fl, &f)
	return cmd
}

func writeAlertTable(w io.Writer, alerts []detect.Alert) error {
	if len(alerts) == 0 {
		_, err := fmt.Fprintln(w, "No alerts.")
		return err
	}
	for _, al := range alerts {
		if _, err := fmt.Fprintf(w, "%-8s %-12s %s  %s  %s/%s  %d event(s)  %s\n", al.Severity, al.RuleID,
			al.FirstSeen.UTC().Format(time.RFC3339), oneLine(al.Title), al.Account, al.Region, al.EventCount,
			strings.Join(al.Attack, ",")); err != nil {
			return err
		}
	}
	return nil
}

// detectionsTarget is the store target of every detection run, whatever
// the accounts and regions its logs cover. One target is enough: an
// alert's finding is unique by its own id, which includes the account and
// region, and detection runs are partial scans, which never mark an alert
// fixed, so runs over different logs cannot undo one another.
const detectionsTarget = "aws-detections"

// alertRecorder records alerts as detection findings in the store, one
// partial scan of detectionsTarget per call; as a detect.Sink it records
// each batch palisade events ingest delivers. Recording the same alert
// again updates its finding (fingerprints are the alerts' stable ids), so
// a redelivered batch is harmless.
type alertRecorder struct {
	store store.Store
	now   func() time.Time
	runs  int
	last  time.Time // when the last run was recorded
	total store.Result
}

// detectionHeartbeat is how often a long-running ingest records a run that
// raised no alert, so the roadmap sees detections running.
const detectionHeartbeat = time.Hour

// heartbeat records an empty run when none was recorded for
// detectionHeartbeat.
func (r *alertRecorder) heartbeat(ctx context.Context) error {
	if r.runs > 0 && r.now().Sub(r.last) < detectionHeartbeat {
		return nil
	}
	return r.record(ctx, r.now(), nil)
}

// Send records one delivered batch of alerts.
func (r *alertRecorder) Send(ctx context.Context, alerts []detect.Alert) error {
	return r.record(ctx, r.now(), alerts)
}

// record stores alerts as one partial detection run that started at started.
func (r *alertRecorder) record(ctx context.Context, started time.Time, alerts []detect.Alert) error {
	findings := make([]finding.Finding, 0, len(alerts))
	for _, al := range alerts {
		findings = append(findings, al.Finding())
	}
	res, err := r.store.RecordScan(ctx, store.Scan{
		Target: detectionsTarget, Scanners: map[string]string{detect.ScannerName: Version},
		StartedAt: started.UTC(), FinishedAt: r.now().UTC(), Status: store.ScanPartial,
	}, findings)
	if err != nil {
		return fmt.Errorf("record alerts: %w", err)
	}
	r.runs++
	r.last = r.now()
	r.total.ScanID = res.ScanID
	r.total.New += res.New
	r.total.Reopened += res.Reopened
	r.total.Unchanged += res.Unchanged
	return nil
}

// summary says what recording changed, for people.
func (r *alertRecorder) summary() string {
	return fmt.Sprintf("recorded alerts in the store (target %s, scan %d): %d new, %d reopened, %d seen before",
		detectionsTarget, r.total.ScanID, r.total.New, r.total.Reopened, r.total.Unchanged)
}

// abs resolves paths against the App's working directory.
func abs(a *App, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if p != "" && !strings.HasPrefix(p, "/") {
			p = a.Dir + "/" + p
		}
		out[i] = p
	}
	return out
}
