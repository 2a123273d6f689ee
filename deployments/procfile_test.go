package deployments_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProcfile checks the three process types of DESIGN.md §2.
func TestProcfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../Procfile")
	require.NoError(t, err)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		kind, command, ok := strings.Cut(line, ":")
		require.True(t, ok, "Procfile line %q", line)
		fields := strings.Fields(command)
		require.Equal(t, "wugsync", fields[0])
		checkInvocation(t, "Procfile "+kind, fields[1:])
		got[kind] = strings.TrimSpace(command)
	}
	require.Equal(t, map[string]string{
		"web": "wugsync api", "worker": "wugsync worker", "scheduler": "wugsync scheduler",
	}, got)
}
