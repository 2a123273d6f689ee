package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

// syncDevice exports one NetBox device or virtual machine to every active,
// export-enabled connection (or to the one named), through the same planner
// and batch code as a full run: each connection gets a one-object run whose
// plan says create, update, unchanged, skip or — when the object was
// deleted or left the selection — decommission. A VM reaches only the
// connections that export VMs; on the others a linked one leaves WUG by the
// decommission action.
func (w *Worker) syncDevice(ctx context.Context, obj export.ObjectRef, connectionID uint, trigger models.Trigger, syncType models.SyncType, requested ...uint) error {
	conns, err := w.store.ExportConnections(ctx, connectionID)
	if err != nil {
		return fmt.Errorf("connections for %s: %w", obj, err)
	}
	runs, err := w.requestedRuns(ctx, requested)
	if err != nil {
		return err
	}
	var errs []error
	for _, conn := range conns {
		if skip, err := w.vmNotForConnection(ctx, conn, obj); err != nil || skip {
			if err != nil {
				errs = append(errs, fmt.Errorf("connection %q: %w", conn.Name, err))
			}
			continue // a requested run of it is cancelled below
		}
		err := w.syncDeviceOn(ctx, conn, obj, trigger, syncType, runs[conn.ID])
		delete(runs, conn.ID)
		if errors.Is(err, netbox.ErrConfig) || errors.Is(err, errWritebackRefused) {
			// A filter NetBox does not know (a deleted tag, a renamed
			// site), or a write-back NetBox refuses (no such custom field,
			// no right), fails the same way on every retry; the run
			// records it.
			w.connectionLog(conn).WithError(err).Warn("NetBox refuses what the connection asks as configured")
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

// vmNotForConnection reports whether a VM's sync has nothing to do on a
// connection: one that does not export VMs and holds no WUG device of this
// VM to decommission. NetBox sends VM events to every connection's
// receiver; recording an empty run for each on connections that never
// export VMs would bury the runs that matter.
func (w *Worker) vmNotForConnection(ctx context.Context, conn models.WUGConnection, obj export.ObjectRef) (bool, error) {
	if obj.Type != models.ObjectVirtualMachine || conn.ExportVirtualMachines {
		return false, nil
	}
	rows, err := w.store.RowsByObject(ctx, conn.ID, obj.Type, []int64{obj.ID})
	if err != nil {
		return false, err
	}
	row := rows[obj.ID]
	return row == nil || row.WUGDeviceID == "" || row.ExportStatus == models.ExportDecommissioned, nil
}

// requestedRuns maps connection to the still-queued runs of ids, which the
// API recorded for a person waiting on them. A retry finds them ended and
// records new runs.
func (w *Worker) requestedRuns(ctx context.Context, ids []uint) (map[uint]uint, error) {
	out := map[uint]uint{}
	runs, err := w.store.QueuedRuns(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		out[r.ConnectionID] = r.ID
	}
	return out, nil
}

func (w *Worker) syncDeviceOn(ctx context.Context, conn models.WUGConnection, obj export.ObjectRef, trigger models.Trigger, syncType models.SyncType, requested uint) (err error) {
	now := w.now()
	run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: syncType, Trigger: trigger,
		Status: models.RunRunning, StartedAt: &now}
	claimed := false
	if requested != 0 {
		if claimed, err = w.store.ClaimQueuedRun(ctx, requested, now, &run); err != nil {
			return err
		}
	}
	if !claimed {
		if err := w.store.CreateRun(ctx, &run); err != nil {
			return fmt.Errorf("record device sync: %w", err)
		}
	}
	defer func() {
		if _, snooze := IsSnooze(err); err != nil && !snooze {
			// The row first: the run's end is announced, and whoever waits
			// on it then finds the attempt on the row.
			w.recordDeviceAttempt(ctx, conn, obj, run.ID, syncType, err)
		}
		w.endSyncRun(ctx, run.ID, err)
	}()
	client, _, err := w.wugClient(conn)
	if err != nil {
		return err
	}
	p, err := w.newPlanner(ctx, &run, conn, client)
	if err != nil {
		return err
	}
	scope := planScope{deviceIDs: []int64{obj.ID}, objectType: obj.Type}
	if err := p.build(ctx, scope); err != nil {
		return err
	}
	if len(p.undecided(scope)) > 0 && syncType == models.SyncDevice {
		// A device NetBox does not have fails the run rather than
		// completing it with nothing done: "0 devices considered" under a
		// completed status reads as success to the person (or webhook)
		// that asked for this device, and nothing was synced. The task
		// itself succeeds: no retry can make NetBox know the device. A
		// device that NetBox has but the connection's filters leave out
		// stays a quiet completed run: NetBox's webhooks fire for every
		// device, and most connections select only some.
		// A decommission of a device never exported is not failed either:
		// nothing to remove is its expected outcome.
		missing, err := w.netboxLacks(ctx, obj)
		if err != nil {
			return err
		}
		if missing {
			w.endRun(ctx, run.ID, models.RunFailed,
				fmt.Errorf("NetBox has no such %s: %s does not exist in NetBox; nothing to sync", obj.Type.Noun(), obj))
			return nil
		}
	}
	if run.BatchesTotal > 0 {
		return w.applyBatch(ctx, &run, 1)
	}
	return w.refreshRun(ctx, run.ID)
}

// netboxLacks reports whether NetBox has no such object at all (not merely
// none under the connection's filters). One more NetBox read, only on this
// unusual path.
func (w *Worker) netboxLacks(ctx context.Context, obj export.ObjectRef) (bool, error) {
	q := netbox.DeviceFilter{IDs: []int64{obj.ID}}
	listing := objectsOf(w.p.NetBox.Devices(ctx, q), export.DeviceObject)
	if obj.Type == models.ObjectVirtualMachine {
		listing = objectsOf(w.p.NetBox.VirtualMachines(ctx, q), export.VMObject)
	}
	for _, err := range listing {
		if err != nil {
			return false, fmt.Errorf("look up netbox %s: %w", obj, err)
		}
		return false, nil
	}
	return true, nil
}

// recordDeviceAttempt keeps a failed attempt of a device sync on the
// device's row, as a batch keeps its devices' failures: the row shows the
// error, counts the attempt and lists it in its history. asynq's error
// handler records the task's attempt too, but a device sync's task names no
// run or row, so only here does the attempt reach the device. A device with
// no row yet (planning failed before it was listed) has nothing to show it
// on; the run's error says what happened.
func (w *Worker) recordDeviceAttempt(ctx context.Context, conn models.WUGConnection, obj export.ObjectRef, runID uint, syncType models.SyncType, cause error) {
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutdown (or a lost lease) cancelled the handler: asynq puts the
		// task back without counting an attempt, and so does the row.
		return
	}
	ctx = context.WithoutCancel(ctx)
	taskType := tasks.TypeDeviceSync
	if syncType == models.SyncDecommission {
		taskType = tasks.TypeDeviceDecommission
	}
	now := w.now()
	msg := cleanText(cause.Error())
	key := models.RowKey{ConnectionID: conn.ID, ObjectType: obj.Type, ObjectID: obj.ID}
	log := w.connectionLog(conn).WithFields(logrus.Fields{"run_id": runID, "device_id": obj.ID, "object_type": obj.Type})
	switch ok, err := w.store.UpdateRow(ctx, key, models.RowFailed{Message: msg, At: now, RunID: runID}); {
	case err != nil:
		log.WithError(err).Error("could not record a failed device sync on its row")
		return
	case !ok:
		return
	}
	if err := w.store.RecordAttempt(ctx, key, runID, taskType, msg, now); err != nil {
		log.WithError(err).Error("could not record a failed device sync attempt")
	}
}

func parseTrigger(s string, fallback models.Trigger) models.Trigger {
	if t := models.Trigger(s); t.Valid() {
		return t
	}
	return fallback
}

func (w *Worker) handleDeviceSync(ctx context.Context, p tasks.DeviceSyncPayload) error {
	return w.syncDevice(ctx, syncedObject(p.NetBoxDeviceID, p.NetBoxVMID), p.ConnectionID, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDevice, p.RunIDs...)
}

func (w *Worker) handleDecommission(ctx context.Context, p tasks.DecommissionPayload) error {
	return w.syncDevice(ctx, syncedObject(p.NetBoxDeviceID, p.NetBoxVMID), 0, parseTrigger(p.Trigger, models.TriggerWebhook), models.SyncDecommission)
}

// syncedObject is the object a payload names: the VM when it names one,
// else the device.
func syncedObject(deviceID, vmID int64) export.ObjectRef {
	if vmID != 0 {
		return export.ObjectRef{Type: models.ObjectVirtualMachine, ID: vmID}
	}
	return export.ObjectRef{Type: models.ObjectDevice, ID: deviceID}
}

// endSyncRun ends the run of a sync task that failed or snoozed: a retry
// records a new run, so this one must not stay open. A snooze cancels it,
// an error fails it; success leaves it to its batches.
func (w *Worker) endSyncRun(ctx context.Context, runID uint, err error) {
	if _, snooze := IsSnooze(err); snooze {
		w.endRun(ctx, runID, models.RunCancelled, err)
	} else if err != nil {
		w.failRun(ctx, runID, err)
	}
}
