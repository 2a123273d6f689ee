package workers

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/wug"
)

// A WUG 429 or 503 ("slow down") is handled in two places:
//
//   - where the answer arrives, coolDown (the client's observer) sets the
//     connection's cool-down in Redis, which pauses every worker process.
//     Every such answer counts, also one a read then retried in-process or
//     one a handler dealt with itself, which no middleware would see.
//   - when it ends a task, IsSnooze counts it as a snooze from its first
//     occurrence, so handlers close their runs as cancelled rather than
//     failed, and snoozeSlowDowns below hands asynq a SnoozeError: the task
//     comes back after Retry-After without burning a retry.

// snoozeSlowDowns turns a WUG slow-down that ends a task into a SnoozeError
// for its Retry-After.
func (w *Worker) snoozeSlowDowns(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		err := next.ProcessTask(ctx, t)
		var already *SnoozeError
		if d, snooze := IsSnooze(err); snooze && !errors.As(err, &already) {
			return &SnoozeError{RetryIn: d, Reason: err.Error()}
		}
		return err
	})
}

// slowDown returns WUG's Retry-After when err is a 429 or 503 answer.
func slowDown(err error) (time.Duration, bool) {
	var apiErr *wug.APIError
	if !errors.As(err, &apiErr) || apiErr.Kind() != wug.ErrRateLimited {
		return 0, false
	}
	if apiErr.RetryAfter <= 0 {
		return wug.DefaultRetryAfter, true
	}
	return apiErr.RetryAfter, true
}

// coolDown sets the shared cool-down of conn when err is a WUG slow-down.
// The observer that calls it has no context: the write gets a short one of
// its own.
func (w *Worker) coolDown(conn models.WUGConnection, limiter *WUGLimiter, err error) {
	d, ok := slowDown(err)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	log := w.connectionLog(conn).WithField("retry_after", d.String())
	if cerr := limiter.Cooldown(ctx, d); cerr != nil {
		log.WithError(cerr).Error("WUG asked to slow down, but the cool-down could not be stored; other processes keep calling it")
		return
	}
	log.Warn("WUG asked to slow down; every worker process pauses this connection")
}
