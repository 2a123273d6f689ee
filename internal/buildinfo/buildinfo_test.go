package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Tests that set the -ldflags variables do not run in parallel.

func TestLinkerFlagsWin(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "1.4.0", "0123abc"
	require.Equal(t, "1.4.0", Version())
	require.Equal(t, "0123abc", Commit())
	require.Equal(t, "wugsync/1.4.0", UserAgent())
	require.Equal(t, "wugsync 1.4.0 (commit 0123abc, "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")", Summary())
}

func TestWithoutLinkerFlagsTheBuildInfoDecides(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "", ""
	// A test binary is a "(devel)" build: no module version to fall back on.
	require.Equal(t, unknownVersion, Version())
	require.Equal(t, "wugsync/dev", UserAgent())
	require.NotEmpty(t, Commit())
	require.True(t, strings.HasPrefix(GoVersion(), "go"))
}

func TestCommitComesFromTheVCSStamp(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc123", commitFromSettings([]debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}))
	require.Equal(t, "abc123-dirty", commitFromSettings([]debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}))
	require.Equal(t, unknownCommit, commitFromSettings([]debug.BuildSetting{{Key: "GOOS", Value: "linux"}}))
}
