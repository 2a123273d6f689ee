package deployments_test

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
)

// composeVariable matches ${NAME}, ${NAME:-default} and ${NAME:?message}.
var composeVariable = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}`)

// isWugsync reports whether a compose service runs the wugsync image.
func isWugsync(svc map[string]any) bool {
	return svc["build"] != nil || strings.Contains(str(svc["image"]), "wugsync")
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("docker-compose.yml")
	require.NoError(t, err)
	compose := decodeDocuments(t, "docker-compose.yml", raw)[0]
	services := mapOf(compose["services"])
	for _, want := range []string{"redis", "postgres", "migrate", "api", "worker", "scheduler", "netbox-sim", "wug-sim"} {
		require.Contains(t, services, want)
	}

	listenPorts := map[string]int{}
	for svcName, v := range services {
		svc := mapOf(v)
		for dep, cond := range mapOf(svc["depends_on"]) {
			require.Contains(t, services, dep, "%s depends on an unknown service", svcName)
			if dep == "migrate" {
				require.Equal(t, "service_completed_successfully", str(dig(cond, "condition")), "%s waits for the migration to finish", svcName)
			}
		}
		if !isWugsync(svc) {
			continue
		}
		where := "compose service " + svcName
		args := stringList(svc["command"])
		cmd, flags := checkInvocation(t, where, args)
		env := map[string]string{}
		for k, v := range mapOf(svc["environment"]) {
			checkVariable(t, where, k)
			env[k] = str(v)
		}
		listenPorts[svcName] = listenPort(t, where, cmd, flags, env)

		health := stringList(dig(svc, "healthcheck", "test"))
		switch {
		case dig(svc, "healthcheck", "disable") == true:
			require.NotContains(t, []string{"api", "worker", "scheduler"}, cmd.Path, "%s must keep a health check", where)
		default:
			require.Equal(t, []string{"CMD", "/usr/local/bin/wugsync"}, health[:2], "%s: the image has no shell; the binary probes itself", where)
			probeCmd, probeFlags := checkInvocation(t, where+" healthcheck", health[2:])
			require.Equal(t, "healthcheck", probeCmd.Path)
			u, err := url.Parse(probeFlags["url"])
			require.NoError(t, err)
			require.Equal(t, str(listenPorts[svcName]), u.Port(), "%s: the health check probes the port wugsync %s listens on", where, cmd.Path)
			checkProbePath(t, where, "readiness", u.Path)
		}
		if cmd.Path == "worker" {
			grace, err := time.ParseDuration(str(svc["stop_grace_period"]))
			require.NoError(t, err, "%s: stop_grace_period", where)
			checkWorkerGrace(t, where, flags, grace)
			require.GreaterOrEqual(t, dig(svc, "deploy", "replicas"), 2, "two workers")
		}
		if strings.HasPrefix(cmd.Path, "sim") {
			require.Equal(t, []any{"demo"}, svc["profiles"], "%s belongs to the demo profile", where)
		}
	}

	// The NetBox simulator's webhooks reach the API's receiver.
	_, simFlags := checkInvocation(t, "netbox-sim", stringList(dig(services, "netbox-sim", "command")))
	hook, err := url.Parse(simFlags["webhook-url"])
	require.NoError(t, err)
	require.Equal(t, "api", hook.Hostname())
	require.Equal(t, str(listenPorts["api"]), hook.Port())
	require.Equal(t, "/api/v1/webhooks/netbox", hook.Path)
	// Outside the demo profile nothing points at the simulator: the NetBox
	// variables have no default and must be given.
	for svcName, v := range services {
		svc := mapOf(v)
		if !isWugsync(svc) || svc["profiles"] != nil {
			continue
		}
		for _, name := range []string{config.EnvNetBoxURL, config.EnvNetBoxToken} {
			value := str(dig(svc, "environment", name))
			require.Regexp(t, `^\$\{`+name+`:\?[^}]+\}$`, value, "%s: %s is required, with no default", svcName, name)
		}
	}

	// Every variable compose must be given is in .env.example, and every
	// WUGSYNC_* name there is real.
	example, err := os.ReadFile(".env.example")
	require.NoError(t, err)
	var documented []string
	for _, line := range strings.Split(string(example), "\n") {
		if key, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			documented = append(documented, key)
			if strings.HasPrefix(key, "WUGSYNC_") {
				checkVariable(t, ".env.example", key)
			}
		}
	}
	for _, m := range composeVariable.FindAllStringSubmatch(string(raw), -1) {
		if strings.HasPrefix(m[2], ":?") || m[2] == "" {
			require.True(t, slices.Contains(documented, m[1]), "docker-compose.yml requires %s, which .env.example does not list", m[1])
		}
	}
}
