package process

import "github.com/wugsync/wugsync/workers"

// NewOrphanSweeper builds the sweeper that re-enqueues, within seconds, the
// tasks of worker processes that died, on every queue, and those of this
// process whose outcome asynq lost while Redis was away (it shares the
// worker server's ledger of ended tasks). Every worker process runs one
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
