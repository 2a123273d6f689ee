package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newAllCommand(osEnvironment()) })
}

// newAllCommand is `wugsync all`: api, worker and scheduler in one process.
func newAllCommand(env environment) *cobra.Command {
	var shutdownTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "all",
		Short: "Run api, worker and scheduler in one process (embedded Redis and SQLite when none is configured)",
		Long: `Runs the API, a worker and the scheduler in one process, for a single machine.
Without WUGSYNC_REDIS_URL it starts an embedded Redis, which keeps nothing across
restarts; without WUGSYNC_DATABASE_URL it uses SQLite (sqlite://wugsync.db) and
keeps the key that encrypts WUG passwords in a file beside it. Migrations run at
start. Without WUGSYNC_API_TOKEN it generates a token and prints it once.

Needs WUGSYNC_NETBOX_URL and WUGSYNC_NETBOX_TOKEN. On SIGINT or SIGTERM it stops
taking requests and tasks; tasks in flight get --shutdown-timeout to finish, and
the process exits at the latest a few seconds after it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.configFor(config.RoleAll)
			if err != nil {
				return err
			}
			generated, err := ensureAPIToken(&cfg)
			if err != nil {
				return err
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			log := config.NewLogger(cfg, "all")

			ln, err := net.Listen("tcp", cfg.HTTPAddr)
			if err != nil {
				return fmt.Errorf("%s: %w", config.EnvHTTPAddr, err)
			}
			st, err := startStack(ctx, cfg, log, "all", ln, shutdownTimeout)
			if err != nil {
				return err
			}
			st.startScheduler()

			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wugsync is running: API %s, dashboard %s\n", st.url(), st.url()+dashboardPath)
			if generated {
				fmt.Fprintf(out, "API token (generated, shown once; set %s to choose your own): %s\n", config.EnvAPIToken, cfg.APITokens[0])
			}
			env.notifyStarted(startedInfo{APIURL: st.url(), APIToken: cfg.APITokens[0], Services: st.svc})
			return errors.Join(st.wait(ctx), st.stop(ctx))
		},
	}
	cmd.Flags().DurationVar(&shutdownTimeout, "shutdown-timeout", process.DefaultWorkerShutdownTimeout,
		"how long tasks in flight may run on after SIGTERM or SIGINT before they are re-queued")
	return cmd
}

// dashboardPath is where the API serves the dashboard.
const dashboardPath = "/dashboard/"

// ensureAPIToken generates an API token when none is configured, as the
// all-in-one modes promise, and reports whether it did.
func ensureAPIToken(cfg *config.Config) (bool, error) {
	if len(cfg.APITokens) > 0 {
		return false, nil
	}
	token, err := process.NewSecret()
	if err != nil {
		return false, err
	}
	cfg.APITokens = []string{token}
	return true, nil
}
