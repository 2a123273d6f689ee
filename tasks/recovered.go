package tasks

import (
	"context"
	"errors"
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

// TaskRecovered enqueues again a task of any wugsync type (a device sync, a
// decommission, a scan poll, a sweep) that a dead worker process held,
// with the payload it had, under the lost task's id followed by
// ":recovered:<lease>" (the same in every sweeper, so two sweepers enqueue
// it once), on the queue and with the timeout and retry budget of its
// type. It runs at once: the lost task had already started. Every handler
// is idempotent (at-least-once delivery), so the lost task running again
// later, when asynq's recoverer frees it, is harmless. A type this package
// does not know is refused with an error wrapping ErrBadPayload.
func (e *Enqueuer) TaskRecovered(ctx context.Context, kind string, payload []byte, lostID string, lease int64) error {
	spec, ok := Specs[kind]
	if !ok {
		return fmt.Errorf("recover task %s: %w: unknown task type %q", lostID, ErrBadPayload, kind)
	}
	id := fmt.Sprintf("%s:recovered:%d", lostID, lease)
	_, err := e.client.EnqueueContext(ctx, asynq.NewTask(kind, payload),
		asynq.Queue(spec.Queue), asynq.Timeout(spec.Timeout), asynq.MaxRetry(spec.MaxRetry),
		asynq.TaskID(id), asynq.Retention(recoveredRetention))
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return ErrAlreadyQueued
	}
	if err != nil {
		return fmt.Errorf("recover task %s as %s: %w", lostID, id, err)
	}
	return nil
}
