package workers

import (
	"context"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// countEntries tallies the entries of a run, or of one batch of it when
// batch > 0.
func (w *Worker) countEntries(ctx context.Context, runID uint, batch int, dryRun bool) (export.Tally, error) {
	return tallyEntries(ctx, w.store, runID, batch, dryRun)
}

// tallyEntries is countEntries through store s (a transaction's).
func tallyEntries(ctx context.Context, s models.Store, runID uint, batch int, dryRun bool) (export.Tally, error) {
	counts, err := s.CountEntries(ctx, runID, batch)
	if err != nil {
		return export.Tally{}, err
	}
	var t export.Tally
	for _, c := range counts {
		if c.Excluded {
			t.Excluded += c.N // explained, but outside the run's total
			continue
		}
		t.Add(c.Action, c.Outcome, c.N, dryRun)
	}
	return t, nil
}

// tallyBatch rewrites the tally row of one batch from its entries.
func (w *Worker) tallyBatch(ctx context.Context, runID uint, batch int) error {
	t, err := w.countEntries(ctx, runID, batch, false)
	if err != nil {
		return err
	}
	return w.store.StoreTally(ctx, models.RunBatch{RunID: runID, Batch: batch, Created: t.Created,
		Updated: t.Updated, Decommissioned: t.Decommissioned, Failed: t.Failed, Scanning: t.Scanning,
		Pending: t.Pending, UpdatedAt: w.now()})
}

// commitPlanCounts stores the counters known once the plan is complete:
// devices considered, unchanged and skipped (and, for a dry run, what it
// would write).
func (w *Worker) commitPlanCounts(ctx context.Context, run *models.WUGSyncLog) error {
	t, err := w.countEntries(ctx, run.ID, 0, run.DryRun)
	if err != nil {
		return err
	}
	c := models.PlanCounts{Total: t.Total, Unchanged: t.Unchanged, Skipped: t.Skipped, Excluded: t.Excluded, DryRun: run.DryRun}
	if run.DryRun {
		c.Created, c.Updated, c.Summary = t.Created, t.Updated, t.DryRunSummary()
	}
	return w.store.StorePlanCounts(ctx, run.ID, c)
}

// refreshRun sums the batch tallies into the run's counters and closes the
// run when its plan is stored and every batch is finished. It runs in one
// transaction holding the run's row, so two batches ending together can
// neither write counters out of order nor both close the run.
func (w *Worker) refreshRun(ctx context.Context, runID uint) error {
	var closed *models.WUGSyncLog
	err := w.store.Transaction(ctx, func(tx models.Store) error {
		run, err := tx.LockRun(ctx, runID)
		if err != nil {
			return err
		}
		if run.Status != models.RunRunning {
			return nil
		}
		sum, err := tx.SumBatches(ctx, runID)
		if err != nil {
			return err
		}
		progress := models.RunProgress{BatchesDone: sum.Done, Devices: !run.DryRun,
			Created: sum.Created, Updated: sum.Updated, Failed: sum.Failed}
		if !run.DryRun {
			run.DevicesCreated, run.DevicesUpdated, run.DevicesFailed = sum.Created, sum.Updated, sum.Failed
		}
		if run.PlannedAt != nil && (run.DryRun || sum.Done >= run.BatchesTotal) {
			recorded := 0
			if !run.DryRun {
				// The plan's unchanged count misses the creates a batch
				// found made by another task (linked); the entries have it.
				t, err := tallyEntries(ctx, tx, runID, 0, false)
				if err != nil {
					return err
				}
				run.DevicesUnchanged, progress.Unchanged = t.Unchanged, &t.Unchanged
				recorded = t.Recorded
			}
			now := w.now()
			progress.Closed, progress.Summary = &now, summarize(&run, sum.Decommissioned, sum.Scanning, recorded)
			closed = &run
		}
		return tx.StoreRunProgress(ctx, runID, progress)
	})
	if err != nil || closed == nil {
		return err
	}
	return w.afterClose(ctx, closed)
}

// afterClose records what follows a completed run.
func (w *Worker) afterClose(ctx context.Context, run *models.WUGSyncLog) error {
	w.announceRunEnded(ctx, run.ID)
	conn, err := w.loadConnection(ctx, run.ConnectionID)
	if err != nil {
		return nil //nolint:nilerr // the run is closed; a deleted connection needs no last_export
	}
	if run.SyncType == models.SyncExport && !run.DryRun {
		if err := w.store.RecordExport(ctx, conn.ID, w.now()); err != nil {
			return err
		}
	}
	w.p.Metrics.Run(conn.Name, string(run.SyncType), string(models.RunCompleted))
	w.connectionLog(conn).WithField("run_id", run.ID).Info("run completed")
	return nil
}

// failRun ends a run whose planning cannot succeed.
func (w *Worker) failRun(ctx context.Context, runID uint, cause error) {
	w.endRun(ctx, runID, models.RunFailed, cause)
}

// endRun ends an open run as failed or cancelled, with the cause.
func (w *Worker) endRun(ctx context.Context, runID uint, status models.RunStatus, cause error) {
	ctx = context.WithoutCancel(ctx)
	ended, err := w.writeRunEnd(ctx, runID, status, cause.Error(), w.now())
	if err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Error("could not mark run failed")
		return
	}
	if ended {
		w.announceRunEnded(ctx, runID)
		if run, err := w.store.Run(ctx, runID); err == nil {
			if conn, err := w.loadConnection(ctx, run.ConnectionID); err == nil {
				w.p.Metrics.Run(conn.Name, string(run.SyncType), string(status))
			}
		}
		w.p.Log.WithError(cause).WithField("run_id", runID).Warn("run " + string(status))
	}
}

// summarize is the one-paragraph account of a finished run a person reads.
func summarize(run *models.WUGSyncLog, decommissioned, scanning, recorded int) string {
	if run.DryRun {
		return run.Summary // written with the plan
	}
	return export.RunCounts{RunID: run.ID, Total: run.DevicesTotal, Created: run.DevicesCreated,
		Updated: run.DevicesUpdated, Unchanged: run.DevicesUnchanged, Skipped: run.DevicesSkipped,
		Failed: run.DevicesFailed, Decommissioned: decommissioned, Scanning: scanning,
		Excluded: run.DevicesExcluded, Recorded: recorded}.Summary()
}

// announceRunEnded wakes whoever waits for the run (the API's ?wait=N).
func (w *Worker) announceRunEnded(ctx context.Context, runID uint) {
	if err := tasks.PublishRunEnded(context.WithoutCancel(ctx), w.p.Redis, runID); err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Warn("could not announce the end of a run")
	}
}
