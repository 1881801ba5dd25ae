package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/report"
	"github.com/palisade-sec/palisade/internal/store"
)

func newFindingsCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List, show and triage stored findings",
	}
	cmd.AddCommand(newFindingsListCmd(a, g), newFindingsShowCmd(a, g), newFindingsTriageCmd(a, g))
	return cmd
}

func newFindingsListCmd(a *App, g *globalFlags) *cobra.Command {
	var status, severity, category, target, rule, format, output string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored findings (open ones by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter := store.Filter{Target: target, RuleID: rule, Limit: limit}
			if status != "all" {
				for _, s := range strings.Split(status, ",") {
					st, err := finding.ParseStatus(strings.TrimSpace(s))
					if err != nil {
						return usageErrorf("--status: %v", err)
					}
					filter.Statuses = append(filter.Statuses, st)
				}
			}
			if severity != "" {
				sv, err := finding.ParseSeverity(severity)
				if err != nil {
					return usageErrorf("--min-severity: %v", err)
				}
				filter.MinSeverity = sv
			}
			if category != "" {
				c := finding.Category(category)
				if !c.Valid() {
					return usageErrorf("--category: unknown category %q", category)
				}
				filter.Category = c
			}
			if !contains(report.Formats, format) {
				return usageErrorf("unknown --format %q (want one of %s)", format, strings.Join(report.Formats, ", "))
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			recs, err := s.Findings(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if format == "table" {
				return writeAtomically(a, output, func(w ioWriter) error { return writeRecordTable(w, recs) })
			}
			rep := &report.Report{Version: report.Version, Scan: report.Scan{Target: target, Tool: report.Tool{Name: "palisade", Version: Version}, Status: "stored"}}
			for i := range recs {
				rep.Findings = append(rep.Findings, recs[i].Finding)
				addTriage(rep, &recs[i])
			}
			return writeAtomically(a, output, func(w ioWriter) error { return report.Write(format, w, rep, report.Options{}) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "open", "statuses to list, comma-separated (open, fixed, accepted, false_positive) or all")
	fl.StringVar(&severity, "min-severity", "", "only findings at or above this severity")
	fl.StringVar(&category, "category", "", "only this category (secret, vulnerability, misconfiguration, posture, detection, code)")
	fl.StringVar(&target, "target", "", "only this target")
	fl.StringVar(&rule, "rule", "", "only this rule id")
	fl.StringVar(&format, "format", "table", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&output, "output", "o", "", "write the list to FILE instead of standard output")
	fl.IntVar(&limit, "limit", 0, "at most this many findings (0: all)")
	return cmd
}

func writeRecordTable(w ioWriter, recs []store.Record) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "No findings.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tRULE\tLOCATION\tFIRST SEEN\tTITLE")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Fingerprint[:12], r.Status, r.Severity, r.RuleID,
			where(r.Finding), r.FirstSeen.UTC().Format("2006-01-02"), oneLine(r.Title))
	}
	return tw.Flush()
}

func where(f finding.Finding) string {
	if f.Location.Path == "" {
		return f.Resource
	}
	if f.Location.StartLine > 0 {
		return fmt.Sprintf("%s:%d", f.Location.Path, f.Location.StartLine)
	}
	return f.Location.Path
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func newFindingsShowCmd(a *App, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one finding with its history (ID: number or fingerprint prefix)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.Finding(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			events, err := s.History(cmd.Context(), r.ID)
			if err != nil {
				return err
			}
			w := a.Stdout
			fmt.Fprintf(w, "%s  %s  %s\n", r.Severity, r.RuleID, r.Title)
			fmt.Fprintf(w, "  id:          %d (%s)\n", r.ID, r.Fingerprint)
			fmt.Fprintf(w, "  status:      %s", r.Status)
			if r.StatusReason != "" {
				fmt.Fprintf(w, " (%s)", r.StatusReason)
			}
			if r.StatusExpires != nil {
				fmt.Fprintf(w, " until %s", r.StatusExpires.UTC().Format("2006-01-02"))
			}
			fmt.Fprintln(w)
			fmt.Fprintf(w, "  target:      %s\n", r.Target)
			if loc := where(r.Finding); loc != "" {
				fmt.Fprintf(w, "  location:    %s\n", loc)
			}
			if r.Location.Commit != "" {
				fmt.Fprintf(w, "  commit:      %s\n", r.Location.Commit)
			}
			if r.Resource != "" {
				fmt.Fprintf(w, "  resource:    %s\n", r.Resource)
			}
			fmt.Fprintf(w, "  message:     %s\n", r.Message)
			if r.Evidence != "" {
				fmt.Fprintf(w, "  evidence:    %s\n", r.Evidence)
			}
			if r.Remediation != "" {
				fmt.Fprintf(w, "  remediation: %s\n", r.Remediation)
			}
			for _, ref := range r.References {
				fmt.Fprintf(w, "  reference:   %s %s %s\n", ref.Type, ref.ID, ref.URL)
			}
			fmt.Fprintf(w, "  first seen:  %s\n  last seen:   %s\n", r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339))
			fmt.Fprintln(w, "  history:")
			for _, e := range events {
				by := e.Actor
				if by == "" {
					by = fmt.Sprintf("scan %d", e.ScanID)
				}
				fmt.Fprintf(w, "    %s  %s -> %s  by %s  %s\n", e.At.UTC().Format(time.RFC3339), orDash(string(e.From)), e.To, by, e.Reason)
			}
			return nil
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newFindingsTriageCmd(a *App, g *globalFlags) *cobra.Command {
	var status, reason, expires, actor string
	cmd := &cobra.Command{
		Use:   "triage ID --status STATUS [--reason TEXT] [--expires YYYY-MM-DD]",
		Short: "Set a finding's status: open, accepted (with reason and optional expiry), false_positive, fixed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := finding.ParseStatus(status)
			if err != nil {
				return usageErrorf("--status: %v", err)
			}
			t := store.Triage{ID: args[0], Status: st, Reason: reason, Actor: actor}
			if t.Actor == "" {
				t.Actor = a.Getenv("USER")
			}
			if expires != "" {
				d, err := time.Parse("2006-01-02", expires)
				if err != nil {
					return usageErrorf("--expires: want YYYY-MM-DD")
				}
				t.Expires = &d
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.Triage(cmd.Context(), t)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Stdout, "finding %d (%s) is now %s\n", r.ID, r.Fingerprint[:12], r.Status)
			return err
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "new status: open, accepted, false_positive, fixed")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required for accepted)")
	cmd.Flags().StringVar(&expires, "expires", "", "for accepted: the day the acceptance ends (YYYY-MM-DD)")
	cmd.Flags().StringVar(&actor, "actor", "", "who is triaging (default $USER)")
	_ = cmd.MarkFlagRequired("status")
	return cmd
}
