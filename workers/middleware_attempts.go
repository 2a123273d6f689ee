package workers

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/wugsync/wugsync/models"
)

// recordAttempt keeps every failed attempt of every task (asynq keeps only
// the last error), attached to its run and connection when the task has
// them. A snooze is not a failed attempt.
//
// It is asynq's ErrorHandler rather than a handler middleware because
// asynq alone knows what an attempt is: it counts a timeout or a lost
// lease before the handler returns, and does not count a task it put back
// on the queue at shutdown, whose handler still returns an error.
func (w *Worker) recordAttempt(ctx context.Context, t *asynq.Task, err error) {
	if _, snooze := IsSnooze(err); snooze {
		return
	}
	taskID, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	attempt := models.ExportAttempt{TaskID: taskID, TaskType: t.Type(), Attempt: retried + 1,
		Error: err.Error(), OccurredAt: w.now()}
	ref := refOf(t)
	if ref.RunID != 0 {
		attempt.RunID = &ref.RunID
	}
	if id := w.connectionOf(ctx, ref); id != 0 {
		attempt.ConnectionID = &id
	}
	if cerr := w.p.DB.WithContext(context.WithoutCancel(ctx)).Create(&attempt).Error; cerr != nil {
		w.p.Log.WithError(cerr).WithField("task_id", taskID).Error("could not record a task attempt")
	}
}
