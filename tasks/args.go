package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Args is the payload of one task type, in the manner of River's JobArgs:
// the type itself declares its asynq type name and how it is enqueued, so
// no caller can pick the wrong queue, retry budget or task id, and one
// generic Register decodes it for the handler.
type Args interface {
	// Kind is the asynq task type name. It is contract (DESIGN.md §5).
	Kind() string
	// InsertOpts are the options of this task when it is enqueued at now.
	InsertOpts(now time.Time) InsertOpts
}

// InsertOpts is how one task is enqueued.
type InsertOpts struct {
	Spec
	// TaskID is deterministic: enqueuing the same work twice gives one task
	// (the second Enqueue returns ErrAlreadyQueued).
	TaskID string
	// ProcessIn delays the task; zero runs it at once.
	ProcessIn time.Duration
	// Retention keeps the finished task, and so its id, this long.
	Retention time.Duration
}

// Register routes the tasks of T's kind to fn. The payload is decoded
// strictly first: one that can never be processed (not JSON, unknown
// fields, wrong types, a missing id) fails at once with asynq.SkipRetry and
// an error wrapping ErrBadPayload, since no retry can fix it. T must be a
// struct type, as every payload of this package is.
func Register[T Args](mux *asynq.ServeMux, fn func(context.Context, T) error) {
	var zero T
	kind := zero.Kind()
	mux.HandleFunc(kind, func(ctx context.Context, t *asynq.Task) error {
		var args T
		if err := Decode(t.Payload(), &args); err != nil {
			return fmt.Errorf("%s: %w: %w", kind, err, asynq.SkipRetry)
		}
		return fn(ctx, args)
	})
}

// debounceWindow numbers the DeviceSyncDebounce window that holds now.
func debounceWindow(now time.Time) int64 {
	return now.Unix() / int64(DeviceSyncDebounce/time.Second)
}
