package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newSchedulerCommand(osEnvironment()) })
}

// newSchedulerCommand is `wugsync scheduler`: periodic exports and sweeps.
func newSchedulerCommand(env environment) *cobra.Command {
	var healthAddr string
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Start periodic exports and scan sweeps; safe to run in several replicas",
		Long: `Starts an export of every active, export-enabled connection once per its
export_interval_minutes, and the periodic sweep that restarts lost scan polls
and closes stuck runs. Replicas claim each slot in Redis, so running two or
more (for availability) never doubles a run.

Needs WUGSYNC_REDIS_URL and a migrated database (run "wugsync migrate" first).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.configFor(config.RoleScheduler)
			if err != nil {
				return err
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			log := config.NewLogger(cfg, "scheduler")

			probeListener, err := listenProbes(healthAddr)
			if err != nil {
				return err
			}
			defer closeListener(probeListener) // a no-op once served: Shutdown closed it
			svc, err := process.Open(ctx, cfg, log, process.Options{Role: "scheduler"})
			if err != nil {
				return err
			}
			defer svc.Close()
			scheduler := process.NewScheduler(svc)
			scheduler.Start()
			log.Info("scheduler started")
			probes := startProbes(probeListener, svc)
			env.notifyStarted(startedInfo{HealthURL: probes.url(), Services: svc})

			err = probes.wait(ctx)
			scheduler.Shutdown()
			log.Info("scheduler stopped")
			return errors.Join(err, probes.shutdown())
		},
	}
	cmd.Flags().StringVar(&healthAddr, "health-addr", "", healthAddrUsage)
	return cmd
}
