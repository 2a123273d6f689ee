// Package buildinfo says which wugsync is running: its version, the commit it
// was built from and the Go release that built it. `wugsync version` prints
// them, and every call to WUG and NetBox names the version in its
// User-Agent, so a server's access log tells which build sent a request.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time, e.g.
//
//	go build -ldflags "-X github.com/wugsync/wugsync/internal/buildinfo.version=1.4.0 \
//	  -X github.com/wugsync/wugsync/internal/buildinfo.commit=$(git rev-parse HEAD)" ./cmd/wugsync
//
// Left empty, they fall back to what the Go toolchain recorded in the binary.
var (
	version string
	commit  string
)

// Fallbacks when neither -ldflags nor the toolchain say anything.
const (
	unknownVersion = "dev"
	unknownCommit  = "unknown"
)

// Version is the release of this binary: the -ldflags value, else the module
// version Go stamped from the VCS tag, else "dev".
func Version() string {
	if v := strings.TrimSpace(version); v != "" {
		return v
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return unknownVersion
}

// Commit is the VCS revision this binary was built from: the -ldflags value,
// else vcs.revision from the build info (with "-dirty" when the tree had
// local changes), else "unknown".
func Commit() string {
	if c := strings.TrimSpace(commit); c != "" {
		return c
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return unknownCommit
	}
	return commitFromSettings(info.Settings)
}

func commitFromSettings(settings []debug.BuildSetting) string {
	revision, modified := "", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return unknownCommit
	}
	if modified {
		revision += "-dirty"
	}
	return revision
}

// GoVersion is the Go release that built this binary, e.g. "go1.26.8".
func GoVersion() string { return runtime.Version() }

// UserAgent is the User-Agent of every request wugsync sends to WUG and
// NetBox: "wugsync/<version>".
func UserAgent() string { return "wugsync/" + Version() }

// Summary is the one line `wugsync version` prints.
func Summary() string {
	return "wugsync " + Version() + " (commit " + Commit() + ", " + GoVersion() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}
