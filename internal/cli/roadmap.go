package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/program"
	"github.com/palisade-sec/palisade/internal/report"
	"github.com/palisade-sec/palisade/internal/store"
)

// roadmapFormats are the writers of `palisade roadmap`.
var roadmapFormats = []string{"table", "json", "markdown"}

func newRoadmapCmd(a *App, g *globalFlags) *cobra.Command {
	var repo, format, maxAge, catalog string
	cmd := &cobra.Command{
		Use:   "roadmap",
		Short: "The checklist as a maturity roadmap, evaluated from stored evidence",
		Long: "roadmap evaluates every step of the checklist from evidence: recent scans and open findings in the store, " +
			"the files of a repository (--repo: pre-commit hooks, CI scans, dependency updates, infrastructure as code), " +
			"and attestations with an expiry for steps no machine can see (palisade roadmap attest). " +
			"The AWS level is the highest stage whose controls, and all before it, are met.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(roadmapFormats, format) {
				return usageErrorf("unknown --format %q (want one of %s)", format, strings.Join(roadmapFormats, ", "))
			}
			age, err := parseDays(maxAge)
			if err != nil {
				return usageErrorf("--max-age: %v", err)
			}
			ev := program.Evidence{Now: a.Now().UTC(), MaxAge: age}
			if repo != "" {
				dir := repo
				if !filepath.IsAbs(dir) {
					dir = filepath.Join(a.Dir, dir)
				}
				info, err := os.Stat(dir)
				if err != nil {
					return usageErrorf("--repo: %v", err)
				}
				if !info.IsDir() {
					return usageErrorf("--repo: %s is not a folder", repo)
				}
				ev.Repo = os.DirFS(dir)
			}
			if ev.Catalog, err = loadCatalog(a, catalog, cmd.Flags().Changed("catalog")); err != nil {
				return err
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			if ev.Scans, err = s.Scans(cmd.Context(), 0); err != nil {
				return err
			}
			controls := program.Controls()
			if err := ev.Gather(cmd.Context(), s, controls); err != nil {
				return err
			}
			if ev.Attestations, err = s.Attestations(cmd.Context()); err != nil {
				return err
			}
			results := program.Evaluate(controls, ev)
			sum := program.Summarize(results)
			switch format {
			case "json":
				return writeRoadmapJSON(a.Stdout, ev.Now, sum, results)
			case "markdown":
				return writeRoadmapMarkdown(a.Stdout, sum, results)
			}
			return writeRoadmapTable(a.Stdout, sum, results)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&repo, "repo", "", "repository folder to check for pre-commit hooks, CI scans, dependency updates and IaC")
	fl.StringVar(&format, "format", "table", "output format: "+strings.Join(roadmapFormats, ", "))
	fl.StringVar(&maxAge, "max-age", "30d", "how recent a scan must be to count, in days (7d, 30d)")
	fl.StringVar(&catalog, "catalog", program.CatalogFile, "service catalog (YAML); the inventory steps have no evidence without one")
	cmd.AddCommand(newRoadmapAttestCmd(a, g))
	return cmd
}

func newRoadmapAttestCmd(a *App, g *globalFlags) *cobra.Command {
	var by, note, expires string
	cmd := &cobra.Command{
		Use:   "attest CONTROL",
		Short: "Attest a roadmap step no machine can see (training, threat modeling), until an expiry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok := program.ControlByID(args[0])
			if !ok {
				return usageErrorf("unknown control %q (palisade roadmap --format json lists them)", args[0])
			}
			if !c.Attest {
				return usageErrorf("control %s is evaluated from evidence, not attested", c.ID)
			}
			if strings.TrimSpace(by) == "" {
				return usageErrorf("--by: who attests is required")
			}
			if strings.TrimSpace(note) == "" {
				return usageErrorf("--note: say what was done and where its record is")
			}
			day, err := time.Parse(time.DateOnly, expires)
			if err != nil {
				return usageErrorf("--expires: want YYYY-MM-DD: %v", err)
			}
			// The attestation holds through the whole of that day (UTC).
			exp := day.AddDate(0, 0, 1)
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			att, err := s.Attest(cmd.Context(), store.Attestation{ControlID: c.ID, By: by, Note: note, At: a.Now(), Expires: exp})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "attested %s by %s through %s\n", att.ControlID, cleanCell(att.By), day.Format(time.DateOnly))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&by, "by", "", "who attests (required)")
	fl.StringVar(&note, "note", "", "what was done and where the record is (required)")
	fl.StringVar(&expires, "expires", "", "YYYY-MM-DD, the last day the attestation holds, at most two years ahead (required)")
	return cmd
}

// parseDays reads a number of days written "30d" (or "30").
func parseDays(s string) (time.Duration, error) {
	var n int
	if _, err := fmt.Sscanf(strings.TrimSuffix(s, "d"), "%d", &n); err != nil || n <= 0 || n > 3660 || fmt.Sprintf("%dd", n) != s && fmt.Sprint(n) != s {
		return 0, fmt.Errorf("want a number of days such as 30d, got %q", s)
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

var stateMarks = map[program.State]string{
	program.Met: "met", program.NotMet: "NOT MET", program.Expired: "expired", program.NoEvidence: "no evidence",
}

func writeRoadmapTable(w io.Writer, sum program.Summary, results []program.Result) error {
	fmt.Fprintf(w, "AWS maturity level %d of 11", sum.Level)
	if sum.NextStage > 0 {
		fmt.Fprintf(w, " (next: stage %d)", sum.NextStage)
	}
	fmt.Fprintf(w, "; %d of %d controls met\n", sum.Met, sum.Total)
	section := ""
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range results {
		if r.Control.Section != section {
			section = r.Control.Section
			tw.Flush()
			fmt.Fprintf(w, "\n%s\n", section)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", stateMarks[r.State], r.Control.ID, cleanCell(r.Detail))
	}
	return tw.Flush()
}

func writeRoadmapMarkdown(w io.Writer, sum program.Summary, results []program.Result) error {
	fmt.Fprintf(w, "# Security roadmap\n\nAWS maturity level **%d** of 11", sum.Level)
	if sum.NextStage > 0 {
		fmt.Fprintf(w, " (next: stage %d)", sum.NextStage)
	}
	fmt.Fprintf(w, "; %d of %d controls met.\n\n| section | met | not met | expired | no evidence |\n|---|---|---|---|---|\n", sum.Met, sum.Total)
	for _, s := range sum.Sections {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d |\n", report.MarkdownText(s.Section), s.Met, s.NotMet, s.Expired, s.NoEvidence)
	}
	section := ""
	for _, r := range results {
		if r.Control.Section != section {
			section = r.Control.Section
			fmt.Fprintf(w, "\n## %s\n\n| state | control | step | evidence |\n|---|---|---|---|\n", report.MarkdownText(section))
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | %s |\n", stateMarks[r.State], r.Control.ID, report.MarkdownText(r.Control.Step), report.MarkdownText(r.Detail))
	}
	return nil
}

// roadmapJSON is the stable JSON form of the roadmap.
type roadmapJSON struct {
	EvaluatedAt time.Time       `json:"evaluated_at"`
	Summary     program.Summary `json:"summary"`
	Controls    []program.View  `json:"controls"`
}

func writeRoadmapJSON(w io.Writer, now time.Time, sum program.Summary, results []program.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(roadmapJSON{EvaluatedAt: now, Summary: sum, Controls: program.Views(results)})
}
