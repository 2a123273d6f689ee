package main

import (
	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/internal/buildinfo"
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
		Version:       buildinfo.Version(),
	}
	root.SetVersionTemplate(buildinfo.Summary() + "\n")
	root.AddCommand(newMigrateCommand(osEnvironment()))
	for _, add := range extraCommands {
		root.AddCommand(add())
	}
	return root
}

// extraCommands collects subcommands registered by the other files of this
// package, so each role's wiring lives in its own file.
var extraCommands []func() *cobra.Command
