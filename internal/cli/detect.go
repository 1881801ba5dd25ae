package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/detect"
)

func newDetectCmd(a *App) *cobra.Command {
	var f ingestFlags
	var dedup time.Duration
	cmd := &cobra.Command{
		Use:   "detect PATH...",
		Short: "Run detections over CloudTrail logs and GuardDuty findings (files or folders)",
		Long: `Detect reads CloudTrail (S3 delivery .json/.json.gz with a Records array, JSON lines,
EventBridge envelopes) and GuardDuty findings, deduplicates events by eventID, and runs the
built-in detections plus the Sigma rules under --rules: a replay over historical logs. A bad file
or rule is reported with its file and line and the rest goes on. Alerts go to standard output (or
--output) and to any webhook, Slack or SMTP destination given.

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
			if a.IsTerminal(a.Stderr) {
				fmt.Fprintf(a.Stderr, "palisade: %d records, %d events (%d duplicates), %d alerts, %d suppressed\n",
					stats.Records, stats.Events, stats.Duplicates, stats.Alerts, stats.Suppressed)
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
