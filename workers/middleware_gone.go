package workers

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"
)

// dropOrphans ends the tasks of a deleted connection without an error: they
// have nothing left to do, and retrying them would only fail again.
func (w *Worker) dropOrphans(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		err := next.ProcessTask(ctx, t)
		if errors.Is(err, errConnectionGone) {
			w.taskLog(ctx, t, logrus.InfoLevel).WithError(err).Info("connection deleted; task dropped")
			return nil
		}
		return err
	})
}
