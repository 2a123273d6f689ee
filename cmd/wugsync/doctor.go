package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/doctor"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newDoctorCommand(osEnvironment()) })
}

// newDoctorCommand is `wugsync doctor`: read-only checks of everything a
// deployment needs.
func newDoctorCommand(env environment) *cobra.Command {
	var connectionID uint
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check, read-only, NetBox, WUG, Redis, the database, the secret key and the clocks; exit 0 only when all pass",
		Long: `Checks what a deployment needs, with the same WUGSYNC_* variables as the roles,
and prints each check with ✔ (passed), ✘ (failed, with the fix) or ? (not
checked, with the reason):

  - the configuration variables;
  - the database: reachable, schema current, the secret key opening every
    stored WUG password;
  - Redis: reachable, version, maxmemory-policy noeviction;
  - NetBox: reachable, token accepted, version 4.x, background workers, the
    token's read rights on devices, IP addresses and sites, and the filters
    of the connections;
  - each active WUG connection (or only --connection): login, version,
    device count, listing and paging, the group root and search, the
    read-only part of the WUG contract suite;
  - the clocks of PostgreSQL, Redis, NetBox and WUG against this machine's.

It writes nothing: no migration, no key file, no change in NetBox or WUG. So
it cannot test write rights, which NetBox and WUG only show by writing; it
says so. Exits 1 when a check failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, cfgErr := env.config()
			report := doctor.Run(cmd.Context(), doctor.Params{
				Config: cfg, ConfigErr: cfgErr, ConnectionID: connectionID, Now: env.now,
			})
			if err := report.Write(cmd.OutOrStdout()); err != nil {
				return err
			}
			if failed := report.Count(doctor.Fail); failed > 0 {
				return fmt.Errorf("doctor: %d check(s) failed", failed)
			}
			return nil
		},
	}
	cmd.Flags().UintVar(&connectionID, "connection", 0, "check only this WUG connection (by id), active or not; default: every active one")
	return cmd
}
