package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// recoveredRetention keeps a finished replacement task's id taken for a
// while. The lost task's lease stays expired until asynq's recoverer (once
// a minute) moves it, and every sweep until then computes the same
// replacement id: the retained id makes those sweeps no-ops instead of
// running the batch again and again.
const recoveredRetention = 10 * time.Minute

// ExportRecovered enqueues again the planning phase of a run whose task was
// held by a worker process that died. The lost task keeps its id until
// asynq's own recoverer frees it, so the new task gets an id of its own,
// numbered by the lost lease (every sweeper computes the same one, so two
// sweepers noticing the same death enqueue one task). Planning is
// idempotent, so the lost task running again later is harmless.
func (e *Enqueuer) ExportRecovered(ctx context.Context, runID uint, lease int64) error {
	return e.Enqueue(ctx, ExportPayload{RunID: runID},
		asynq.TaskID(fmt.Sprintf("export:run:%d:recovered:%d", runID, lease)), asynq.Retention(recoveredRetention))
}

// BatchRecovered enqueues again one batch of a run whose task was held by a
// worker process that died, under a new id as ExportRecovered does. Batches
// are idempotent (a device is looked up before it is created), so the lost
// task running again later is harmless.
func (e *Enqueuer) BatchRecovered(ctx context.Context, runID uint, batch int, lease int64) error {
	return e.Enqueue(ctx, BatchPayload{RunID: runID, Batch: batch},
		asynq.TaskID(fmt.Sprintf("export:run:%d:batch:%d:recovered:%d", runID, batch, lease)), asynq.Retention(recoveredRetention))
}
