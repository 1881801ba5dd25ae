package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/program"
)

func newMetricsCmd(a *App, g *globalFlags) *cobra.Command {
	var format, window string
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Program metrics from the store: open and late findings, time to fix, trend, scan coverage",
		Long: "metrics reports what a security program tracks: open findings by severity and category, findings open " +
			"longer than their severity's remediation window (critical 7 days, high 30, medium 90, low 180), mean and median " +
			"days to fix, new and fixed findings per week, accepted risks about to expire, and scans per scanner.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(roadmapFormats, format) {
				return usageErrorf("unknown --format %q (want one of %s)", format, strings.Join(roadmapFormats, ", "))
			}
			win, err := parseDays(window)
			if err != nil {
				return usageErrorf("--window: %v", err)
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			scans, err := s.Scans(cmd.Context(), 0)
			if err != nil {
				return err
			}
			m, err := program.Measure(cmd.Context(), s, scans, a.Now().UTC(), win, nil)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(a.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(m)
			case "markdown":
				return writeMetrics(a.Stdout, m, true)
			}
			return writeMetrics(a.Stdout, m, false)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "table", "output format: "+strings.Join(roadmapFormats, ", "))
	fl.StringVar(&window, "window", "90d", "the period for time to fix, new and fixed counts and the weekly trend, in days")
	return cmd
}

// writeMetrics prints the metrics as aligned text or as Markdown tables.
func writeMetrics(w io.Writer, m program.Metrics, md bool) error {
	sevs := []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}
	row := func(cells ...string) {
		if md {
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
			return
		}
		fmt.Fprintf(w, "%-10s %8s %10s %12s %14s %16s\n", cells[0], cells[1], cells[2], cells[3], cells[4], cells[5])
	}
	if md {
		fmt.Fprintf(w, "# Security metrics\n\nWindow: the last %d days, to %s.\n\n", m.WindowDays, m.Now.Format("2006-01-02"))
	} else {
		fmt.Fprintf(w, "Window: the last %d days, to %s\n\n", m.WindowDays, m.Now.Format("2006-01-02"))
	}
	row("severity", "open", "over SLA", "oldest open", "mean to fix", "median to fix")
	if md {
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
	}
	days := func(n int, ok bool) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%dd", n)
	}
	for _, s := range sevs {
		k := s.String()
		_, fixedAny := m.MeanDaysToFix[k]
		_, openAny := m.OldestOpenDays[k]
		row(k, fmt.Sprint(m.Open[k]), fmt.Sprint(m.OverSLA[k]), days(m.OldestOpenDays[k], openAny), days(m.MeanDaysToFix[k], fixedAny), days(m.MedianDaysFix[k], fixedAny))
	}
	fmt.Fprintf(w, "\nNew in the window: %d. Fixed: %d. Accepted risks: %d (%d expire within 30 days; %d expired, counted as open). False positives: %d.\n",
		m.NewInWindow, m.FixedInWindow, m.Accepted, m.AcceptExpiring, m.AcceptExpired, m.FalsePositive)
	var cats []string
	for _, c := range finding.Categories {
		if n := m.OpenByCategory[string(c)]; n > 0 {
			cats = append(cats, fmt.Sprintf("%s %d", c, n))
		}
	}
	if len(cats) > 0 {
		fmt.Fprintf(w, "Open by category: %s.\n", strings.Join(cats, ", "))
	}
	if n := m.OpenByCategory[string(finding.Detection)]; n > 0 || m.ScansByScanner["detect"] > 0 {
		fmt.Fprintf(w, "Detection alerts: %d open, %d of them untriaged for more than %d days.\n",
			n, m.DetectionsUntriaged, int(program.DetectionTriageWindow.Hours()/24))
	}
	var scanned []string
	for _, name := range []string{"secrets", "deps", "iac", "aws", "drift", "detect"} {
		scanned = append(scanned, fmt.Sprintf("%s %d", name, m.ScansByScanner[name]))
	}
	fmt.Fprintf(w, "Scans in the window: %s.\n\n", strings.Join(scanned, ", "))
	if md {
		fmt.Fprintf(w, "| week of | new | fixed |\n|---|---|---|\n")
	} else {
		fmt.Fprintf(w, "%-12s %6s %6s\n", "week of", "new", "fixed")
	}
	for _, wk := range m.Weeks {
		if md {
			fmt.Fprintf(w, "| %s | %d | %d |\n", wk.Start.Format("2006-01-02"), wk.New, wk.Fixed)
		} else {
			fmt.Fprintf(w, "%-12s %6d %6d\n", wk.Start.Format("2006-01-02"), wk.New, wk.Fixed)
		}
	}
	return nil
}
