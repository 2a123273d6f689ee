package cli_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/cli"
)

func TestLookupPrefersTheLongestPath(t *testing.T) {
	t.Parallel()
	cmd, rest, ok := cli.Lookup([]string{"sim", "wug", "--addr", "0.0.0.0:9644"})
	require.True(t, ok)
	require.Equal(t, "sim wug", cmd.Path)
	require.Equal(t, []string{"--addr", "0.0.0.0:9644"}, rest)
	require.True(t, cmd.HasFlag("addr"))
	require.False(t, cmd.HasFlag("devices"), "--devices belongs to sim netbox")

	cmd, rest, ok = cli.Lookup([]string{"worker"})
	require.True(t, ok)
	require.Equal(t, "worker", cmd.Path)
	require.Empty(t, rest)
	require.True(t, cmd.HasFlag("help"))

	_, _, ok = cli.Lookup([]string{"wokrer"})
	require.False(t, ok)
	_, _, ok = cli.Lookup(nil)
	require.False(t, ok)
}
