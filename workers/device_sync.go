package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

// syncDevice exports one NetBox device to every active, export-enabled
// connection (or to the one named), through the same planner and batch code
// as a full run: each connection gets a one-device run whose plan says
// create, update, unchanged, skip or — when the device was deleted or left
// the selection — decommission.
func (w *Worker) syncDevice(ctx context.Context, deviceID int64, connectionID uint, trigger models.Trigger, syncType models.SyncType, requested ...uint) error {
	conns, err := w.store().ExportConnections(ctx, connectionID)
	if err != nil {
		return fmt.Errorf("connections for device %d: %w", deviceID, err)
	}
	runs, err := w.requestedRuns(ctx, requested)
	if err != nil {
		return err
	}
	var errs []error
	for _, conn := range conns {
		err := w.syncDeviceOn(ctx, conn, deviceID, trigger, syncType, runs[conn.ID])
		delete(runs, conn.ID)
		if errors.Is(err, netbox.ErrConfig) {
			// A filter NetBox does not know (a deleted tag, a renamed
			// site) fails the same way on every retry; the run records it.
			w.connectionLog(conn).WithError(err).Warn("connection's device filters are invalid in NetBox")
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("connection %q: %w", conn.Name, err))
		}
	}
	for _, runID := range runs {
		// Its connection was switched off (or stopped exporting) since the
		// request; the person waiting hears so.
		w.endRun(ctx, runID, models.RunCancelled, errors.New("the connection no longer exports (inactive or export disabled)"))
	}
	return errors.Join(errs...)
}

// requestedRuns maps connection to the still-queued runs of ids, which the
// API recorded for a person waiting on them. A retry finds them ended and
// records new runs.
func (w *Worker) requestedRuns(ctx context.Context, ids []uint) (map[uint]uint, error) {
	out := map[uint]uint{}
	runs, err := w.store().QueuedRuns(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		out[r.ConnectionID] = r.ID
	}
	return out, nil
}

func (w *Worker) syncDeviceOn(ctx context.Context, conn models.WUGConnection, deviceID int64, trigger models.Trigger, syncType models.SyncType, requested uint) (err error) {
	now := w.now()
	run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: syncType, Trigger: trigger,
		Status: models.RunRunning, StartedAt: &now}
	claimed := false
	if requested != 0 {
		if claimed, err = w.store().ClaimQueuedRun(ctx, requested, now, &run); err != nil {
			return err
		}
	}
	if !claimed {
		if err := w.store().CreateRun(ctx, &run); err != nil {
			return fmt.Errorf("record device sync: %w", err)
		}
	}
	defer func() {
		// A retry records a new run; this one must not stay open.
		if _, snooze := IsSnooze(err); snooze {
			w.endRun(ctx, run.ID, models.RunCancelled, err)
		} else if err != nil {
			w.failRun(ctx, run.ID, err)
		}
	}()
	client, _, err := w.wugClient(conn)
	if err != nil {
		return err
	}
	p, err := w.newPlanner(ctx, &run, conn, client)
	if err != nil {
		return err
	}
	if err := p.build(ctx, planScope{deviceIDs: []int64{deviceID}}); err != nil {
		return err
	}
	if run.BatchesTotal > 0 {
		return w.applyBatch(ctx, &run, 1)
	}
	return w.refreshRun(ctx, run.ID)
}

func parseTrigger(s string, fallback models.Trigger) models.Trigger {
	if t := models.Trigger(s); t.Valid() {
		return t
	}
	return fallback
}

func (w *Worker) handleDeviceSync(ctx context.Context, p tasks.DeviceSyncPayload) error {
	return w.syncDevice(ctx, p.NetBoxDeviceID, p.ConnectionID, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDevice, p.RunIDs...)
}

func (w *Worker) handleDecommission(ctx context.Context, p tasks.DecommissionPayload) error {
	return w.syncDevice(ctx, p.NetBoxDeviceID, 0, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDecommission)
}
