package main

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// TestRolesRefuseIncompleteConfiguration checks that each role stops at
// once with one line per missing variable, naming it.
func TestRolesRefuseIncompleteConfiguration(t *testing.T) {
	t.Parallel()
	const redisURL = "redis://127.0.0.1:1/0" // never dialled: configuration is checked first
	netBox := map[string]string{config.EnvNetBoxURL: "http://127.0.0.1:1", config.EnvNetBoxToken: netboxsim.DefaultToken}
	with := func(base map[string]string, extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name    string
		command func(environment) *cobra.Command
		vars    map[string]string
		want    string
	}{
		{"api without a token", newAPICommand, map[string]string{config.EnvRedisURL: redisURL}, config.EnvAPIToken + `: required by "api"`},
		{"api without Redis", newAPICommand, map[string]string{config.EnvAPIToken: strings.Repeat("a", 32)}, config.EnvRedisURL + `: required by "api"`},
		{"worker without Redis", newWorkerCommand, with(netBox, nil), config.EnvRedisURL + `: required by "worker"`},
		{"worker without NetBox", newWorkerCommand, map[string]string{config.EnvRedisURL: redisURL}, config.EnvNetBoxURL + ": required"},
		{"worker without a NetBox token", newWorkerCommand, map[string]string{config.EnvRedisURL: redisURL, config.EnvNetBoxURL: "https://netbox.example.com"}, config.EnvNetBoxToken + ": required"},
		{"scheduler without Redis", newSchedulerCommand, map[string]string{}, config.EnvRedisURL + `: required by "scheduler"`},
		{"all without NetBox", newAllCommand, map[string]string{}, config.EnvNetBoxURL + ": required"},
		{"a misspelt value", newWorkerCommand, with(netBox, map[string]string{config.EnvRedisURL: "http://redis:6379"}), config.EnvRedisURL + `: scheme "http"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := execute(context.Background(), tc.command(testEnvironment(tc.vars)))
			require.ErrorIs(t, err, config.ErrInvalid)
			require.ErrorContains(t, err, tc.want)
			for _, line := range strings.Split(err.Error(), "\n") {
				require.Regexp(t, `^WUGSYNC_[A-Z_]+: `, line, "one line per problem, naming the variable")
			}
		})
	}
}

// TestRolesRefusePendingMigrations checks that the roles that do not
// migrate refuse an old schema and say which command fixes it.
func TestRolesRefusePendingMigrations(t *testing.T) {
	t.Parallel()
	redis := testinfra.NewRedis(t)
	for name, command := range map[string]func(environment) *cobra.Command{
		"api": newAPICommand, "worker": newWorkerCommand, "scheduler": newSchedulerCommand,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := testinfra.NewDatabase(t) // empty: every migration is pending
			_, err := execute(context.Background(), command(testEnvironment(map[string]string{
				config.EnvRedisURL:    redis.URL,
				config.EnvDatabaseURL: db.URL,
				config.EnvAPIToken:    strings.Repeat("a", 32),
				config.EnvSecretKey:   strings.Repeat("ab", 32), // PostgreSQL needs it, and it is checked first
				config.EnvNetBoxURL:   "http://127.0.0.1:1",
				config.EnvNetBoxToken: netboxsim.DefaultToken,
				config.EnvHTTPAddr:    "127.0.0.1:0",
			})))
			require.ErrorIs(t, err, process.ErrPendingMigrations)
			require.ErrorContains(t, err, "run `wugsync migrate` first")
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}
