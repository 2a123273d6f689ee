package main

import "github.com/spf13/cobra"

func init() { extraCommands = append(extraCommands, newSimCommand) }

func newSimCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a NetBox or WhatsUp Gold simulator as a standalone server (for trying things and benchmarks)",
	}
	cmd.AddCommand(newSimWUGCommand(), newSimNetBoxCommand())
	return cmd
}
