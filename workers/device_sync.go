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
func (w *Worker) syncDevice(ctx context.Context, deviceID int64, connectionID uint, trigger models.Trigger, syncType models.SyncType) error {
	conns, err := w.store().ExportConnections(ctx, connectionID)
	if err != nil {
		return fmt.Errorf("connections for device %d: %w", deviceID, err)
	}
	var errs []error
	for _, conn := range conns {
		err := w.syncDeviceOn(ctx, conn, deviceID, trigger, syncType)
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
	return errors.Join(errs...)
}

func (w *Worker) syncDeviceOn(ctx context.Context, conn models.WUGConnection, deviceID int64, trigger models.Trigger, syncType models.SyncType) (err error) {
	now := w.now()
	run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: syncType, Trigger: trigger,
		Status: models.RunRunning, StartedAt: &now}
	if err := w.store().CreateRun(ctx, &run); err != nil {
		return fmt.Errorf("record device sync: %w", err)
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
	return w.syncDevice(ctx, p.NetBoxDeviceID, p.ConnectionID, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDevice)
}

func (w *Worker) handleDecommission(ctx context.Context, p tasks.DecommissionPayload) error {
	return w.syncDevice(ctx, p.NetBoxDeviceID, 0, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDecommission)
}
