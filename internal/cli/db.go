package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newDBCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage palisade's database",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.openStore(cmd.Context(), a)
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = fmt.Fprintf(a.Stdout, "database %s is up to date\n", redactDSN(g.dsn(a)))
			return err
		},
	})
	cmd.AddCommand(newDBUpdateCmd(a))
	return cmd
}
