package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// DeviceSyncDebounce is the window in which requests to sync or
// decommission one device collapse into one task: NetBox sends one event per
// save, and a bulk edit or a script saves the same device several times in
// a row. Webhook changes go through SyncQueue instead, which syncs the
// first at once; deletions and the API's device syncs keep this window.
const DeviceSyncDebounce = 3 * time.Second

// Enqueuer puts tasks on the queue with the options their Args declare,
// deterministic task ids included, so enqueuing the same work twice is
// harmless.
type Enqueuer struct {
	client *asynq.Client
	now    func() time.Time
}

// NewEnqueuer wraps an asynq client.
func NewEnqueuer(client *asynq.Client) *Enqueuer {
	return &Enqueuer{client: client, now: time.Now}
}

// WithClock returns an Enqueuer that reads time from now, so tests can pin
// the debounce window.
func (e *Enqueuer) WithClock(now func() time.Time) *Enqueuer {
	return &Enqueuer{client: e.client, now: now}
}

// Now is the enqueuer's clock.
func (e *Enqueuer) Now() time.Time { return e.now() }

// ErrAlreadyQueued means an identical task is already queued or running;
// the caller's work will be done by it.
var ErrAlreadyQueued = errors.New("an identical task is already queued")

// Enqueue puts one task on the queue with the options of its Args; extra
// options come last and win (a scan poll's delay, for instance). Args a
// handler would reject are refused here, with an error wrapping
// ErrBadPayload.
func (e *Enqueuer) Enqueue(ctx context.Context, args Args, extra ...asynq.Option) error {
	kind := args.Kind()
	if err := validate(args); err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	data, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	o := args.InsertOpts(e.now())
	opts := []asynq.Option{
		asynq.Queue(o.Queue),
		asynq.Timeout(o.Timeout),
		asynq.MaxRetry(o.MaxRetry),
		asynq.TaskID(o.TaskID),
	}
	if o.ProcessIn > 0 {
		opts = append(opts, asynq.ProcessIn(o.ProcessIn))
	}
	if o.Retention > 0 {
		opts = append(opts, asynq.Retention(o.Retention))
	}
	_, err = e.client.EnqueueContext(ctx, asynq.NewTask(kind, data), append(opts, extra...)...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return ErrAlreadyQueued
	}
	if err != nil {
		return fmt.Errorf("enqueue %s (%s): %w", kind, o.TaskID, err)
	}
	return nil
}
