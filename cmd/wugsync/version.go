package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/internal/buildinfo"
)

func init() {
	extraCommands = append(extraCommands, newVersionCommand)
}

// newVersionCommand is `wugsync version`, the same line as `wugsync
// --version`.
func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), buildinfo.Summary())
			return err
		},
	}
}
