package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

const (
	// drainStretch is how long one drain task works before it hands over
	// to a new task of the same chain: a storm of thousands of webhooks
	// on a slow WUG is many tasks of bounded length, each within its
	// timeout and each a short redo if its worker dies.
	drainStretch = time.Minute
	// drainWaitMax is the longest a drain waits in its task for the next
	// object to come out of its cooldown. Waiting in the task, rather than
	// in asynq's scheduled set (checked once a second, in whole seconds),
	// is what puts a burst's trailing sync on time.
	drainWaitMax = 2 * tasks.SyncCooldown
)

// syncQueue is the webhook sync queue on the worker's Redis and clock.
func (w *Worker) syncQueue() *tasks.SyncQueue {
	return tasks.NewSyncQueue(w.p.Redis).WithClock(w.p.Now)
}

// handleDrain syncs the objects webhooks queued on one connection, one
// batch (one NetBox read, one run's WUG batch) per step, until none is
// pending; then it ends the chain, so the next webhook starts a new one.
func (w *Worker) handleDrain(ctx context.Context, p tasks.DrainPayload) error {
	q := w.syncQueue()
	conn, err := w.loadConnection(ctx, p.ConnectionID)
	if errors.Is(err, errConnectionGone) {
		return q.Forget(ctx, p.ConnectionID)
	}
	if err != nil {
		return err
	}
	if !conn.IsActive || !conn.EnableNetBoxExport {
		// Its objects sync nowhere; a full run catches up when it is
		// switched back on.
		return q.Forget(ctx, conn.ID)
	}
	log := w.connectionLog(conn)
	if id, ok := asynq.GetTaskID(ctx); ok {
		log = log.WithField("task_id", id)
	}
	start := time.Now()
	for {
		did, next, err := w.drainStep(ctx, conn, q)
		if err != nil {
			if finalAttempt(ctx, err) {
				// This chain gives up; the next webhook starts a new one
				// and finds the objects still pending.
				_ = q.Abandon(context.WithoutCancel(ctx), conn.ID)
			}
			return err
		}
		if did {
			if time.Since(start) > drainStretch {
				return w.handOverDrain(ctx, q, conn.ID, 0)
			}
			continue
		}
		if next.IsZero() {
			ended, err := q.Release(ctx, conn.ID)
			if err != nil || ended {
				return err
			}
			continue // an event came in meanwhile
		}
		wait := next.Sub(w.now())
		if wait > drainWaitMax {
			return w.handOverDrain(ctx, q, conn.ID, wait)
		}
		log.WithField("wait", wait.String()).Debug("webhook drain waits for a cooldown")
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// sweepDrains restarts the drain of every connection whose webhook syncs
// wait with no drain chain: one that gave up after its retries, or whose
// worker died and whose lease ran out, with no webhook since to start a
// new one.
func (w *Worker) sweepDrains(ctx context.Context) error {
	conns, err := w.store.ExportConnections(ctx, 0)
	if err != nil {
		return fmt.Errorf("sweep drains: %w", err)
	}
	q := w.syncQueue()
	var errs []error
	for _, conn := range conns {
		gen, err := q.Restart(ctx, conn.ID)
		if err == nil && gen > 0 {
			err = w.p.Enqueuer.Enqueue(ctx, tasks.DrainPayload{ConnectionID: conn.ID, Gen: gen})
			if errors.Is(err, tasks.ErrAlreadyQueued) {
				err = nil
			} else if err != nil {
				_ = q.Abandon(ctx, conn.ID)
			} else {
				w.connectionLog(conn).Info("sweep restarted a webhook drain")
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// handOverDrain ends this drain task and queues the next of its chain,
// after delay.
func (w *Worker) handOverDrain(ctx context.Context, q *tasks.SyncQueue, connID uint, delay time.Duration) error {
	gen, err := q.Continue(ctx, connID)
	if err != nil {
		return err
	}
	var extra []asynq.Option
	if delay > 0 {
		extra = append(extra, asynq.ProcessIn(delay))
	}
	err = w.p.Enqueuer.Enqueue(ctx, tasks.DrainPayload{ConnectionID: connID, Gen: gen}, extra...)
	if err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
		return fmt.Errorf("hand the webhook drain of connection %d over: %w", connID, err)
	}
	return nil
}

// drainParallel is how many batches one drain step syncs side by side.
// A batch's updates go one device after another, and its plan costs a
// NetBox read and some database work: two batches at once keep the
// connection's WUG rate limit busy through both.
const drainParallel = 2

// drainStep syncs up to drainParallel batches of due objects of a
// connection, side by side. It reports whether it synced anything; with
// nothing due, next is when the earliest pending object becomes due (zero:
// nothing pending). Objects leave the queue only once their batch is
// applied: a batch that fails or dies leaves them for the retry, the
// others are done.
func (w *Worker) drainStep(ctx context.Context, conn models.WUGConnection, q *tasks.SyncQueue) (did bool, next time.Time, err error) {
	size := max(1, min(conn.BatchSize, models.MaxBatchSize))
	taken, next, err := q.Take(ctx, conn.ID, size*drainParallel)
	if err != nil || len(taken.Objects) == 0 {
		return false, next, err
	}
	var devices, vms []int64
	for _, o := range taken.Objects {
		if o.VM {
			vms = append(vms, o.ID)
		} else {
			devices = append(devices, o.ID)
		}
	}
	if vms, err = w.vmsForConnection(ctx, conn, vms); err != nil {
		return false, next, err
	}
	type chunk struct {
		t   models.ObjectType
		ids []int64
	}
	var chunks []chunk
	synced := map[tasks.SyncObject]bool{}
	for _, part := range []chunk{{models.ObjectDevice, devices}, {models.ObjectVirtualMachine, vms}} {
		for ids := range slices.Chunk(part.ids, size) {
			chunks = append(chunks, chunk{part.t, ids})
			for _, id := range ids {
				synced[tasks.SyncObject{VM: part.t == models.ObjectVirtualMachine, ID: id}] = true
			}
		}
	}
	// VMs the connection has nothing to do with are done at once.
	errs := make([]error, len(chunks)+1)
	errs[len(chunks)] = q.Done(ctx, conn.ID, taken.Subset(func(o tasks.SyncObject) bool { return !synced[o] }))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.syncObjectsOn(ctx, conn, c.t, c.ids)
			if errors.Is(err, netbox.ErrConfig) || errors.Is(err, errWritebackRefused) {
				// The connection's filters or write-back are refused as
				// configured: every retry fails alike, and the run says so.
				w.connectionLog(conn).WithError(err).Warn("NetBox refuses what the connection asks as configured")
				err = nil
			}
			if err != nil {
				errs[i] = err
				return
			}
			in := map[int64]bool{}
			for _, id := range c.ids {
				in[id] = true
			}
			vm := c.t == models.ObjectVirtualMachine
			errs[i] = q.Done(ctx, conn.ID, taken.Subset(func(o tasks.SyncObject) bool { return o.VM == vm && in[o.ID] }))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return false, next, err
	}
	return true, time.Time{}, nil
}

// vmsForConnection keeps the VMs a connection has to act on: all when it
// exports VMs, else only those it holds a WUG device of (to decommission).
// VM events reach every connection; an empty run on each that never
// exports VMs would bury the runs that matter.
func (w *Worker) vmsForConnection(ctx context.Context, conn models.WUGConnection, ids []int64) ([]int64, error) {
	if len(ids) == 0 || conn.ExportVirtualMachines {
		return ids, nil
	}
	rows, err := w.store.RowsByObject(ctx, conn.ID, models.ObjectVirtualMachine, ids)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, id := range ids {
		if r := rows[id]; r != nil && r.WUGDeviceID != "" && r.ExportStatus != models.ExportDecommissioned {
			out = append(out, id)
		}
	}
	return out, nil
}

// syncObjectsOn syncs some objects of one type to one connection as one
// run scoped to their ids, through the planner and batches of a full run:
// so a bulk edit's webhooks cost what a run of the same devices costs (one
// NetBox read, one template call per batch of new devices, group moves
// batched), not one task and one read per event. The batches write what the
// plan read moments before in this task; a change after that read sends a
// new webhook, which queues the object again.
func (w *Worker) syncObjectsOn(ctx context.Context, conn models.WUGConnection, t models.ObjectType, ids []int64) (err error) {
	now := w.now()
	run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncDevice, Trigger: models.TriggerWebhook,
		Status: models.RunRunning, StartedAt: &now}
	if err := w.store.CreateRun(ctx, &run); err != nil {
		return fmt.Errorf("record webhook sync of %d %ss: %w", len(ids), t.Noun(), err)
	}
	log := w.connectionLog(conn).WithFields(logrus.Fields{"run_id": run.ID, "objects": len(ids), "object_type": t})
	defer func() { w.endSyncRun(ctx, run.ID, err) }()
	client, _, err := w.wugClient(conn)
	if err != nil {
		return err
	}
	p, err := w.newPlanner(ctx, &run, conn, client)
	if err != nil {
		return err
	}
	p.listed = make(map[int64]export.Object, len(ids))
	p.primariesMaxAge = drainPrimariesMaxAge
	if err := p.build(ctx, planScope{deviceIDs: ids, objectType: t}); err != nil {
		return err
	}
	w.notePrimaries(p.filters.EffectiveStatuses(), conn.ExportVirtualMachines, p.listed)
	log.WithField("batches", run.BatchesTotal).Debug("webhook sync planned")
	if run.BatchesTotal == 0 {
		return w.refreshRun(ctx, run.ID)
	}
	for n := 1; n <= run.BatchesTotal; n++ {
		if err := w.applyBatch(ctx, &run, n); err != nil {
			return err
		}
	}
	return nil
}
