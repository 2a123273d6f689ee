package process

import "github.com/wugsync/wugsync/workers"

// NewOrphanSweeper builds the sweeper that re-enqueues, within seconds, the
// tasks of worker processes that died, on every queue. Every worker process runs one
// next to its asynq server. Call Start, and Shutdown on the way out.
func NewOrphanSweeper(s *Services) *workers.OrphanSweeper {
	return workers.NewOrphanSweeper(workers.OrphanParams{
		DB:       s.DB,
		Redis:    s.Redis.Client,
		Enqueuer: s.Enqueuer,
		Log:      s.Log.WithField("component", "orphans"),
		Finished: s.finishedTasks(),
	})
}
