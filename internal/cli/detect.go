package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/finding"
)

func newDetectCmd(a *App) *cobra.Command {
	var rulesDirs, pipelineRoles []string
	var noBuiltin bool
	var format, minSeverity, suppressions, output string
	var dedup time.Duration
	cmd := &cobra.Command{
		Use:   "detect PATH...",
		Short: "Run detections over CloudTrail logs and GuardDuty findings (files or folders)",
		Long: `Detect reads CloudTrail (S3 delivery .json/.json.gz with a Records array, JSON lines,
EventBridge envelopes) and GuardDuty findings, deduplicates events by eventID, and runs the
built-in detections plus the Sigma rules under --rules. A bad file or rule is reported with its
file and line and the rest goes on.

Exit status: 0 when no alert was raised, 1 when one was, 2 on a usage or runtime error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if format != "json" && format != "table" {
				return usageErrorf("unknown --format %q (want json or table)", format)
			}
			minSev, err := finding.ParseSeverity(minSeverity)
			if err != nil {
				return usageErrorf("--min-severity: %v", err)
			}
			cfg := detect.Config{MinSeverity: minSev, DedupWindow: dedup, Now: a.Now}
			if len(rulesDirs) > 0 {
				rules, errs := detect.LoadRules(abs(a, rulesDirs))
				for _, e := range errs {
					fmt.Fprintf(a.Stderr, "palisade: rule skipped: %v\n", e)
				}
				cfg.Rules = rules
			}
			if !noBuiltin {
				cfg.Builtins = detect.Builtins(detect.BuiltinConfig{PipelineRoles: pipelineRoles})
			}
			if suppressions != "" {
				data, err := os.ReadFile(abs(a, []string{suppressions})[0])
				if err != nil {
					return fmt.Errorf("suppressions: %w", err)
				}
				if cfg.Suppressions, err = detect.ParseSuppressions(suppressions, data); err != nil {
					return err
				}
			}
			var alerts []detect.Alert
			stats, errs := detect.NewEngine(cfg).Run(cmd.Context(), abs(a, paths), func(al detect.Alert) { alerts = append(alerts, al) })
			for _, e := range errs {
				fmt.Fprintf(a.Stderr, "palisade: skipped: %v\n", e)
			}
			sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].FirstSeen.Before(alerts[j].FirstSeen) })
			w := a.Stdout
			if output != "" {
				f, err := os.Create(abs(a, []string{output})[0])
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if format == "json" {
				err = detect.WriteJSON(w, alerts)
			} else {
				err = writeAlertTable(w, alerts)
			}
			if err != nil {
				return err
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
	fl.StringArrayVar(&rulesDirs, "rules", nil, "a folder of Sigma rules (repeatable)")
	fl.BoolVar(&noBuiltin, "no-builtin", false, "turn off the built-in detections")
	fl.StringVar(&format, "format", "json", "output format: json or table")
	fl.StringVarP(&output, "output", "o", "", "write alerts to FILE")
	fl.StringVar(&minSeverity, "min-severity", "info", "drop alerts below this severity")
	fl.StringVar(&suppressions, "suppressions", "", "YAML file of suppressions (rule_id, reason, expires)")
	fl.StringArrayVar(&pipelineRoles, "pipeline-role", nil, "ARN (or glob) of a role allowed to change infrastructure; changes by others alert (repeatable)")
	fl.DurationVar(&dedup, "dedup-window", 0, "merge repeats of an alert within this window (default 1h)")
	return cmd
}

func writeAlertTable(w interface{ Write([]byte) (int, error) }, alerts []detect.Alert) error {
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
