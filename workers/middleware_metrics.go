package workers

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// measureTasks records every task's duration by type and outcome (ok,
// snoozed, error) in wugsync_task_duration_seconds.
func (w *Worker) measureTasks(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		w.p.Metrics.Task(t.Type(), taskOutcome(err), time.Since(start))
		return err
	})
}
