package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// DeviceSyncDebounce is the window in which webhook events for one device
// collapse into one sync: NetBox sends one event per save, and a bulk edit
// or a script saves the same device several times in a row.
const DeviceSyncDebounce = 3 * time.Second

// Enqueuer puts tasks on the queue with the options of their Spec and with
// deterministic task ids, so enqueuing the same work twice is harmless.
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

// ErrAlreadyQueued means an identical task is already queued or running;
// the caller's work will be done by it.
var ErrAlreadyQueued = errors.New("an identical task is already queued")

// Export enqueues the planning phase of a run.
func (e *Enqueuer) Export(ctx context.Context, runID uint) error {
	return e.enqueue(ctx, TypeExport, ExportPayload{RunID: runID}, fmt.Sprintf("export:run:%d", runID))
}

// Batch enqueues one batch of a run.
func (e *Enqueuer) Batch(ctx context.Context, runID uint, batch int) error {
	return e.enqueue(ctx, TypeExportBatch, BatchPayload{RunID: runID, Batch: batch},
		fmt.Sprintf("export:run:%d:batch:%d", runID, batch))
}

// DeviceSync enqueues a sync of one device, delayed by DeviceSyncDebounce.
// Events for the same device in the same window share a task id, so a burst
// becomes one sync that reads the device's latest state.
func (e *Enqueuer) DeviceSync(ctx context.Context, p DeviceSyncPayload) error {
	if len(p.RunIDs) > 0 {
		// Someone waits for these runs: no debounce, and no merging with a
		// webhook's task, which would not run them.
		return e.enqueue(ctx, TypeDeviceSync, p, fmt.Sprintf("device:sync:%d:run:%d", p.NetBoxDeviceID, p.RunIDs[0]))
	}
	window := e.now().Unix() / int64(DeviceSyncDebounce/time.Second)
	id := fmt.Sprintf("device:sync:%d:%d:%d", p.NetBoxDeviceID, p.ConnectionID, window)
	return e.enqueue(ctx, TypeDeviceSync, p, id, asynq.ProcessIn(DeviceSyncDebounce))
}

// Decommission enqueues the decommission of one deleted device.
func (e *Enqueuer) Decommission(ctx context.Context, p DecommissionPayload) error {
	window := e.now().Unix() / int64(DeviceSyncDebounce/time.Second)
	id := fmt.Sprintf("device:decommission:%d:%d", p.NetBoxDeviceID, window)
	return e.enqueue(ctx, TypeDeviceDecommission, p, id, asynq.ProcessIn(DeviceSyncDebounce))
}

// ScanStatus enqueues the next poll of a scan after delay.
func (e *Enqueuer) ScanStatus(ctx context.Context, p ScanStatusPayload, delay time.Duration) error {
	id := fmt.Sprintf("scan:%d:%s:%d:%d", p.ConnectionID, p.ScanID, p.Chain, p.Poll)
	return e.enqueue(ctx, TypeScanStatus, p, id, asynq.ProcessIn(delay))
}

// Sweep enqueues the sweep of one scheduler slot; several schedulers
// enqueuing the same slot produce one task.
func (e *Enqueuer) Sweep(ctx context.Context, slot int64) error {
	return e.enqueue(ctx, TypeSweep, SweepPayload{Slot: slot}, fmt.Sprintf("sweep:%d", slot),
		asynq.Retention(10*time.Minute))
}

func (e *Enqueuer) enqueue(ctx context.Context, typ string, payload any, taskID string, extra ...asynq.Option) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", typ, err)
	}
	spec := Specs[typ]
	opts := append([]asynq.Option{
		asynq.Queue(spec.Queue),
		asynq.Timeout(spec.Timeout),
		asynq.MaxRetry(spec.MaxRetry),
		asynq.TaskID(taskID),
	}, extra...)
	_, err = e.client.EnqueueContext(ctx, asynq.NewTask(typ, data), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return ErrAlreadyQueued
	}
	if err != nil {
		return fmt.Errorf("enqueue %s (%s): %w", typ, taskID, err)
	}
	return nil
}
