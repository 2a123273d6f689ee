package main

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/internal/process"
)

func init() {
	extraCommands = append(extraCommands, func() *cobra.Command { return newWorkerCommand(osEnvironment()) })
}

// newWorkerCommand is `wugsync worker`: the asynq server running every task
// handler. Any number may run against one Redis.
func newWorkerCommand(env environment) *cobra.Command {
	var (
		healthAddr      string
		shutdownTimeout time.Duration
		heapProfile     string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run every task handler; scale it horizontally",
		Long: `Runs the asynq server that executes exports, batches, device syncs,
decommissions and scan polls, WUGSYNC_WORKER_CONCURRENCY at a time.

Needs WUGSYNC_REDIS_URL, WUGSYNC_NETBOX_URL and WUGSYNC_NETBOX_TOKEN, and a
migrated database (run "wugsync migrate" first). On SIGTERM or SIGINT it stops
taking tasks; tasks in flight get --shutdown-timeout to finish and then go back
to the queue for another worker.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.configFor(config.RoleWorker)
			if err != nil {
				return err
			}
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			log := config.NewLogger(cfg, "worker")
			if heapProfile != "" {
				// Finer samples than Go's default of one per 512 kB, so
				// small per-device structures show.
				runtime.MemProfileRate = 16 << 10
				go watchHeap(ctx, heapProfile)
			}

			probeListener, err := listenProbes(healthAddr)
			if err != nil {
				return err
			}
			defer closeListener(probeListener) // a no-op once served: Shutdown closed it
			svc, err := process.Open(ctx, cfg, log, process.Options{Role: "worker", Sealer: true})
			if err != nil {
				return err
			}
			defer svc.Close()
			nb, err := process.NewNetBoxClient(svc)
			if err != nil {
				return err
			}
			srv := process.NewWorkerServer(svc, nb, shutdownTimeout)
			if err := srv.Start(); err != nil {
				return fmt.Errorf("start worker: %w", err)
			}
			orphans := process.NewOrphanSweeper(svc)
			orphans.Start()
			log.WithFields(logrus.Fields{"concurrency": cfg.WorkerConcurrency, "netbox": nb.Server()}).Info("worker started")
			probes := startProbes(probeListener, svc)
			env.notifyStarted(startedInfo{HealthURL: probes.url(), Services: svc})

			err = probes.wait(ctx)
			log.WithField("shutdown_timeout", shutdownTimeout.String()).
				Info("stopping: tasks in flight may finish within the shutdown timeout, the rest go back to the queue")
			orphans.Shutdown()
			srv.Shutdown()
			srv.Close()
			log.Info("worker stopped")
			return errors.Join(err, probes.shutdown())
		},
	}
	f := cmd.Flags()
	f.StringVar(&healthAddr, "health-addr", "", healthAddrUsage)
	f.DurationVar(&shutdownTimeout, "shutdown-timeout", process.DefaultWorkerShutdownTimeout,
		"how long tasks in flight may run on after SIGTERM before they are re-queued (keep it below the pod's grace period)")
	f.StringVar(&heapProfile, "heap-profile", "", "diagnostic: write a heap profile to this file at each new peak of the heap (the bench's --heapprofile)")
	_ = f.MarkHidden("heap-profile")
	return cmd
}
