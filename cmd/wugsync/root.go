package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "wugsync",
		Short: "Keep WhatsUp Gold monitoring in step with NetBox",
		Long: `wugsync exports every NetBox device that should be monitored into WhatsUp Gold,
exactly once, in the right group, with NetBox's facts attached.

Configuration comes from WUGSYNC_* environment variables; see README.md.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newMigrateCommand())
	for _, add := range extraCommands {
		root.AddCommand(add())
	}
	return root
}

// extraCommands collects subcommands registered by the other files of this
// package, so each role's wiring lives in its own file.
var extraCommands []func() *cobra.Command
