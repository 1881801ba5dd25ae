package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/program"
	"github.com/palisade-sec/palisade/internal/regular"
	"github.com/palisade-sec/palisade/internal/report"
)

func newServicesCmd(a *App, g *globalFlags) *cobra.Command {
	var catalog, format string
	cmd := &cobra.Command{
		Use:   "services",
		Short: "The service inventory with owners, ranked by risk from the stored findings",
		Long: "services reads the service catalog (services.yaml: each service's owner, data classification, " +
			"scan targets and cloud resource patterns), ties every open finding in the store to the services " +
			"that claim it, and ranks them by a written formula: exposure + data + weaknesses + privilege, " +
			"each term shown with its reason (docs/services.md). Findings no service claims are listed too.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !contains(roadmapFormats, format) {
				return usageErrorf("unknown --format %q (want one of %s)", format, strings.Join(roadmapFormats, ", "))
			}
			c, err := loadCatalog(a, catalog, true)
			if err != nil {
				return err
			}
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			rk, err := program.RankServices(cmd.Context(), s, c, a.Now().UTC())
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return writeServicesJSON(a.Stdout, rk)
			case "markdown":
				return writeServicesMarkdown(a.Stdout, rk)
			}
			return writeServicesTable(a.Stdout, rk)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&catalog, "catalog", program.CatalogFile, "service catalog (YAML)")
	fl.StringVar(&format, "format", "table", "output format: "+strings.Join(roadmapFormats, ", "))
	return cmd
}

func termsLine(r program.Ranked) string {
	parts := make([]string, 0, len(r.Terms))
	for _, t := range r.Terms {
		parts = append(parts, fmt.Sprintf("%s %d", t.Name, t.Points))
	}
	return strings.Join(parts, " + ")
}

func writeServicesTable(w io.Writer, rk program.Ranking) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tSERVICE\tOWNER\tSCORE\tTERMS")
	for i, r := range rk.Services {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", i+1, r.Service.Name, cleanCell(r.Service.Owner), r.Score, termsLine(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, r := range rk.Services {
		fmt.Fprintf(w, "\n%d. %s (%s), score %d\n", i+1, r.Service.Name, cleanCell(r.Service.Owner), r.Score)
		for _, t := range r.Terms {
			fmt.Fprintf(w, "   %-10s %3d  %s\n", t.Name, t.Points, cleanCell(t.Why))
		}
	}
	writeUnassigned(w, rk, func(s string) string { return cleanCell(s) })
	return nil
}

func writeUnassigned(w io.Writer, rk program.Ranking, esc func(string) string) {
	if len(rk.Unassigned) == 0 {
		return
	}
	targets := make([]string, 0, len(rk.Unassigned))
	total := 0
	for t, n := range rk.Unassigned {
		targets = append(targets, t)
		total += n
	}
	sort.Strings(targets)
	fmt.Fprintf(w, "\n%d open finding(s) belong to no service in the catalog:\n", total)
	for _, t := range targets {
		fmt.Fprintf(w, "   %s: %d\n", esc(t), rk.Unassigned[t])
	}
}

func writeServicesMarkdown(w io.Writer, rk program.Ranking) error {
	fmt.Fprintf(w, "# Services by risk\n\n| rank | service | owner | score | exposure | data | weaknesses | privilege |\n|---|---|---|---|---|---|---|---|\n")
	for i, r := range rk.Services {
		fmt.Fprintf(w, "| %d | %s | %s | **%d** |", i+1, report.MarkdownText(r.Service.Name), report.MarkdownText(r.Service.Owner), r.Score)
		for _, t := range r.Terms {
			fmt.Fprintf(w, " %d: %s |", t.Points, report.MarkdownText(t.Why))
		}
		fmt.Fprintln(w)
	}
	writeUnassigned(w, rk, report.MarkdownText)
	return nil
}

type servicesJSON struct {
	Services   []serviceJSON  `json:"services"`
	Unassigned map[string]int `json:"unassigned,omitempty"`
}

type serviceJSON struct {
	Rank  int    `json:"rank"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
	Data  string `json:"data,omitempty"`
	program.Ranked
}

func writeServicesJSON(w io.Writer, rk program.Ranking) error {
	out := servicesJSON{Unassigned: rk.Unassigned, Services: []serviceJSON{}}
	for i, r := range rk.Services {
		out.Services = append(out.Services, serviceJSON{Rank: i + 1, Name: r.Service.Name, Owner: r.Service.Owner, Data: r.Service.Data, Ranked: r})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// loadCatalog reads the service catalog. A missing file is an error when
// the user named it (required), and no catalog otherwise.
func loadCatalog(a *App, name string, required bool) (*program.Catalog, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.Dir, p)
	}
	f, err := regular.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		if !required {
			return nil, nil
		}
		return nil, usageErrorf("--catalog: %s not found (docs/services.md shows its format)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("--catalog: %w", err)
	}
	defer f.Close()
	c, err := program.ParseCatalog(f, name)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return c, nil
}
