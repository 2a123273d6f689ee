package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/cli"
)

// TestCommandListMatchesTheBinary keeps cli.Commands, which the deployment
// tests check manifests against, equal to the real command tree.
func TestCommandListMatchesTheBinary(t *testing.T) {
	t.Parallel()
	actual := map[string][]string{}
	var walk func(c *cobra.Command, prefix string)
	walk = func(c *cobra.Command, prefix string) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			path := strings.TrimSpace(prefix + " " + sub.Name())
			var flags []string
			sub.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" {
					flags = append(flags, f.Name)
				}
			})
			slices.Sort(flags)
			actual[path] = flags
			walk(sub, path)
		}
	}
	walk(newRootCommand(), "")

	listed := map[string][]string{}
	for _, c := range cli.Commands() {
		flags := slices.Clone(c.Flags)
		slices.Sort(flags)
		listed[c.Path] = flags
	}
	for path, flags := range actual {
		want, ok := listed[path]
		require.True(t, ok, "command %q is not listed in internal/cli.Commands()", path)
		require.Equal(t, want, flags, "flags of %q differ from internal/cli.Commands()", path)
	}
	for path := range listed {
		_, ok := actual[path]
		require.True(t, ok, "internal/cli.Commands() lists %q, which the binary does not have", path)
	}
}
