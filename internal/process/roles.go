package process

import (
	"context"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/workers"
)

// DefaultWorkerShutdownTimeout is how long in-flight tasks get to finish
// after SIGTERM before they go back to the queue. Deployments that let long
// exports finish raise it with --shutdown-timeout (and the pod's grace
// period with it).
const DefaultWorkerShutdownTimeout = 25 * time.Second

// NewNetBoxClient builds the NetBox client from WUGSYNC_NETBOX_URL and
// WUGSYNC_NETBOX_TOKEN, naming the missing variable when one is unset. Its
// calls obey WUGSYNC_NETBOX_RATE_LIMIT together with every other process's,
// through Redis.
func NewNetBoxClient(s *Services) (*netbox.Client, error) {
	if err := s.Config.RequireNetBox(); err != nil {
		return nil, err
	}
	var limiter netbox.Limiter
	if s.Redis != nil {
		limiter = workers.NewNetBoxLimiter(s.Redis.Client, s.Config.NetBoxURL, s.Config.NetBoxRateLimit)
	}
	return netbox.New(netbox.Config{
		URL:     s.Config.NetBoxURL,
		Token:   s.Config.NetBoxToken,
		Logger:  s.Log.WithField("component", "netbox"),
		Limiter: limiter,
	})
}

// NewWorkerServer builds the asynq server that runs every task handler, with
// its metrics on the process registry. Call Start, and Shutdown on the way
// out.
func NewWorkerServer(s *Services, nb *netbox.Client, shutdownTimeout time.Duration) *workers.Server {
	if shutdownTimeout <= 0 {
		shutdownTimeout = DefaultWorkerShutdownTimeout
	}
	metrics := workers.NewMetrics(s.Registry)
	// Every connection's counters start at zero, now and for connections
	// created later (seen by the next scrape).
	if err := s.connections.Observe(context.Background(), metrics.InitConnection); err != nil {
		s.Log.WithError(err).Warn("per-connection counters start at their first event")
	}
	w := workers.NewWorker(workers.Params{
		DB:       s.DB,
		Redis:    s.Redis.Client,
		Enqueuer: s.Enqueuer,
		Sealer:   s.Sealer,
		NetBox:   nb,
		Log:      s.Log,
		Metrics:  metrics,
		Retention: models.Retention{
			MaxAge:         time.Duration(s.Config.RetentionDays) * 24 * time.Hour,
			AttemptsPerRow: s.Config.AttemptsPerRow,
		},
	})
	return workers.NewServer(workers.ServerParams{
		Redis:           s.Redis.Client,
		Concurrency:     s.Config.WorkerConcurrency,
		ShutdownTimeout: shutdownTimeout,
		Worker:          w,
		Finished:        s.finishedTasks(),
	})
}

// NewScheduler builds the scheduler of periodic exports and sweeps. Call
// Start, and Shutdown on the way out.
func NewScheduler(s *Services) *workers.Scheduler {
	return workers.NewScheduler(workers.SchedulerParams{
		DB:       s.DB,
		Redis:    s.Redis.Client,
		Enqueuer: s.Enqueuer,
		Log:      s.Log.WithField("component", "scheduler"),
	})
}
