package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/tasks"
)

// runExport is the planning phase of a netbox:export run: it plans the
// connection's whole selection and fans the plan out as batch tasks, each
// page's batches as soon as the page is decided (planner.pageDone), so WUG
// writes overlap NetBox reads. Run twice, it re-plans an unfinished plan
// from scratch, numbering its batches after those an earlier attempt may
// have enqueued, or only re-enqueues the batches of a finished one (their
// task ids make that harmless). One attempt plans at a time (takePlanLease):
// another one snoozes until the plan is stored or its planner is gone.
func (w *Worker) runExport(ctx context.Context, runID uint) error {
	run, err := w.loadRun(ctx, runID)
	if err != nil {
		return err
	}
	if !run.Status.Active() {
		return nil // already ended: a duplicate delivery
	}
	planCtx := ctx // cancelled when the plan lease is lost
	if run.PlannedAt == nil {
		var release func()
		if planCtx, release, err = w.takePlanLease(ctx, run.ID); err != nil {
			return err
		}
		defer release()
		// The attempt that held the lease may have stored the plan since
		// the run was loaded: read it again under the lease.
		if run, err = w.loadRun(ctx, runID); err != nil {
			return err
		}
		if !run.Status.Active() {
			return nil
		}
	}
	conn, err := w.loadConnection(ctx, run.ConnectionID)
	if err != nil {
		return err
	}
	if !conn.IsActive {
		w.failRun(ctx, run.ID, fmt.Errorf("connection %q was deactivated", conn.Name))
		return nil
	}
	if err := w.store.MarkRunRunning(ctx, &run, w.now()); err != nil {
		return err
	}
	log := w.connectionLog(conn).WithField("run_id", run.ID)
	pipelined := false // the plan enqueued its batches as it went
	if run.PlannedAt == nil {
		// What earlier runs still owe NetBox goes first: once planning
		// starts, its batches run beside it (the plan is pipelined) and
		// write back their own rows, and a second writer of the same
		// rows would post their journal entries twice.
		if !run.DryRun {
			if err := w.writeBackOwed(planCtx, conn, 0); err != nil {
				return planLeaseErr(planCtx, err)
			}
		}
		client, _, err := w.wugClient(conn)
		if err != nil {
			return err
		}
		// NetBox's clock at the plan's first answer is where the next
		// incremental run starts from (recordMode).
		p, err := w.newPlanner(planCtx, &run, conn, client)
		if err != nil {
			return planLeaseErr(planCtx, err)
		}
		if run.AppliedFrom != nil {
			err = p.applyPlan(planCtx, *run.AppliedFrom)
		} else {
			p.clock = &netbox.ServerClock{}
			pctx := netbox.WithServerClock(planCtx, p.clock)
			var scope planScope
			if scope, err = p.chooseScope(pctx); err == nil {
				err = p.build(pctx, scope)
			}
		}
		if errors.Is(err, errPlanGone) {
			w.failRun(ctx, run.ID, err)
			return nil
		}
		if err != nil {
			return planLeaseErr(planCtx, err)
		}
		pipelined = p.pipe != nil
		log.WithField("batches", run.BatchesTotal).Info("plan stored")
	}
	if !run.DryRun {
		// What the plan found owed on objects it writes nothing to (a
		// field emptied by hand, write-back just turned on); the objects
		// of its batches are their batches' to write back.
		if err := w.writeBackOwed(ctx, conn, run.ID); err != nil {
			return err
		}
	}
	if run.DryRun || run.BatchesTotal == 0 {
		return w.refreshRun(ctx, run.ID)
	}
	if err := w.refreshRun(ctx, run.ID); err != nil {
		return err
	}
	if pipelined {
		// Enqueued again, a batch already done would run once more for
		// nothing (its task id is free again once it completed).
		return nil
	}
	// A plan stored by an earlier attempt: its batches may never have
	// been enqueued; those still queued are not enqueued twice.
	for n := 1; n <= run.BatchesTotal; n++ {
		if err := w.p.Enqueuer.Enqueue(ctx, tasks.BatchPayload{RunID: run.ID, Batch: n}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return fmt.Errorf("enqueue batch %d of run %d: %w", n, run.ID, err)
		}
	}
	return nil
}

// runBatch applies one batch of a run.
func (w *Worker) runBatch(ctx context.Context, runID uint, batchNo int) error {
	run, err := w.loadRun(ctx, runID)
	if err != nil {
		return err
	}
	if run.Status != models.RunRunning {
		return nil // cancelled or failed: the rest of its batches do nothing
	}
	return w.applyBatch(ctx, &run, batchNo)
}

// failBatch gives up on the entries of a batch that used its whole retry
// budget, so the run can still end.
func (w *Worker) failBatch(ctx context.Context, runID uint, batchNo int, cause error) {
	ctx = context.WithoutCancel(ctx)
	entries, err := w.store.PendingEntries(ctx, runID, batchNo)
	if err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Error("could not load a failed batch")
		return
	}
	msg := "gave up after retries: " + cause.Error()
	for _, e := range entries {
		// The claim goes too: a later run must be free to create the
		// device, not wait for the claim to go stale.
		_ = upsertRow(ctx, w.store, e, models.RowFailed{Message: msg, At: w.now(), RunID: runID})
		_ = w.store.SetOutcome(ctx, e, models.OutcomeFailed, msg)
	}
	if err := w.finishBatch(ctx, runID, batchNo); err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Error("could not refresh a run after a failed batch")
	}
}

// loadRun loads one run.
func (w *Worker) loadRun(ctx context.Context, runID uint) (models.WUGSyncLog, error) {
	return w.store.Run(ctx, runID)
}
