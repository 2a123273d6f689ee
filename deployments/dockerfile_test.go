package deployments_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	Op   string
	Args string
}

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []dockerInstruction
	var current string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		current += " " + strings.TrimSuffix(trimmed, "\\")
		if strings.HasSuffix(trimmed, "\\") {
			continue
		}
		op, args, _ := strings.Cut(strings.TrimSpace(current), " ")
		out = append(out, dockerInstruction{Op: strings.ToUpper(op), Args: strings.TrimSpace(args)})
		current = ""
	}
	return out
}

// execForm decodes a JSON-array instruction argument.
func execForm(t *testing.T, where, args string) []string {
	t.Helper()
	var out []string
	require.NoError(t, json.Unmarshal([]byte(args), &out), "%s must use the exec (JSON array) form: %s", where, args)
	return out
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	instructions := parseDockerfile(t, "Dockerfile")
	var froms, runs []string
	byOp := map[string]string{}
	for _, in := range instructions {
		switch in.Op {
		case "FROM":
			froms = append(froms, in.Args)
		case "RUN":
			runs = append(runs, in.Args)
		}
		byOp[in.Op] = in.Args // the last one counts
	}

	// The build stage's Go is the release go.mod asks for.
	goMod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(goMod))[1]
	require.Len(t, froms, 2, "a build stage and a runtime stage")
	require.Equal(t, "golang:"+goVersion+" AS build", froms[0])
	require.Contains(t, froms[1], "distroless/static")
	require.Contains(t, strings.Join(runs, "\n"), "CGO_ENABLED=0", "a static binary")
	require.Contains(t, strings.Join(runs, "\n"), "-o /out/wugsync ./cmd/wugsync")

	user := byOp["USER"]
	require.NotEmpty(t, user)
	uid, _, _ := strings.Cut(user, ":")
	require.NotContains(t, []string{"root", "0"}, uid, "the image runs as a non-root user")
	n, err := strconv.Atoi(uid)
	require.NoError(t, err, "a numeric uid, so Kubernetes can verify runAsNonRoot")
	require.Equal(t, 65532, n, "the uid the Kubernetes manifests set")

	entrypoint := execForm(t, "ENTRYPOINT", byOp["ENTRYPOINT"])
	require.Equal(t, []string{"/usr/local/bin/wugsync"}, entrypoint)
	checkInvocation(t, "Dockerfile CMD", execForm(t, "CMD", byOp["CMD"]))

	health := byOp["HEALTHCHECK"]
	_, probe, found := strings.Cut(health, "CMD ")
	require.True(t, found, "HEALTHCHECK runs a command")
	probeArgs := execForm(t, "HEALTHCHECK", probe)
	require.Equal(t, entrypoint[0], probeArgs[0], "the image has no shell or wget: the binary probes itself")
	cmd, _ := checkInvocation(t, "HEALTHCHECK", probeArgs[1:])
	require.Equal(t, "healthcheck", cmd.Path)

	_, apiPort, _ := strings.Cut(config.DefaultHTTPAddr, ":")
	require.Contains(t, strings.Fields(byOp["EXPOSE"]), apiPort)
	require.Equal(t, "/data", byOp["WORKDIR"], "the SQLite default lands in the /data volume")
}
