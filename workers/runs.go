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

// tallyBatch rewrites the tally row of one batch from its entries and
// moves the run's counters by the difference (settleBatch without closing
// the run; refreshRun closes it).
func (w *Worker) tallyBatch(ctx context.Context, runID uint, batch int) error {
	return w.store.Transaction(ctx, func(tx models.Store) error {
		_, _, err := w.storeTally(ctx, tx, runID, batch)
		return err
	})
}

// settleBatch is the end of every attempt at a batch: its tally is
// rewritten from its own entries, the run's counters move by the
// difference, and the last batch to finish closes the run. Its cost does
// not grow with the run: it reads one batch's entries and one tally row,
// and only the close, once per run, sums the whole run. It runs in one
// transaction that holds the batch's tally row from its start and the
// run's row from the counters' move to the commit (storeTally), so two
// attempts at one batch settle in turn, two batches ending together can
// neither lose a difference nor both close the run, and batches wait for
// each other only for that last statement.
func (w *Worker) settleBatch(ctx context.Context, runID uint, batch int) error {
	var closed *models.WUGSyncLog
	err := w.store.Transaction(ctx, func(tx models.Store) error {
		run, running, err := w.storeTally(ctx, tx, runID, batch)
		if err != nil || !running || run.PlannedAt == nil || run.BatchesDone < run.BatchesTotal {
			return err
		}
		closed, err = w.closeRun(ctx, tx, run)
		return err
	})
	if err != nil || closed == nil {
		return err
	}
	return w.afterClose(ctx, closed)
}

// storeTally rewrites the tally row of one batch of a run (held by the
// caller's transaction tx from here on, models.Store.LockTally) and,
// while the run is running, moves its counters by the difference from the
// row it replaced, which holds the run's row too and returns the run
// (running true). A run that is not running keeps its counters as they
// ended.
func (w *Worker) storeTally(ctx context.Context, tx models.Store, runID uint, batch int) (models.WUGSyncLog, bool, error) {
	prev, existed, err := tx.LockTally(ctx, runID, batch)
	if err != nil {
		return models.WUGSyncLog{}, false, err
	}
	t, err := tallyEntries(ctx, tx, runID, batch, false)
	if err != nil {
		return models.WUGSyncLog{}, false, err
	}
	next := models.RunBatch{RunID: runID, Batch: batch, Created: t.Created,
		Updated: t.Updated, Decommissioned: t.Decommissioned, Failed: t.Failed, Scanning: t.Scanning,
		Pending: t.Pending, UpdatedAt: w.now()}
	if err := tx.PutTally(ctx, next); err != nil {
		return models.WUGSyncLog{}, false, err
	}
	run, running, err := tx.MoveRunProgress(ctx, runID, tallyDelta(prev, existed, next))
	if err != nil || running {
		return run, running, err
	}
	// Not running (or gone: its error, as before).
	run, err = tx.Run(ctx, runID)
	return run, false, err
}

// tallyDelta is how replacing a batch's tally prev (existed false: none)
// with next moves its run's counters. A batch is done when nothing in it is
// pending.
func tallyDelta(prev models.RunBatch, existed bool, next models.RunBatch) models.RunDelta {
	done := func(b models.RunBatch, ok bool) int {
		if ok && b.Pending == 0 {
			return 1
		}
		return 0
	}
	return models.RunDelta{BatchesDone: done(next, true) - done(prev, existed),
		Created: next.Created - prev.Created, Updated: next.Updated - prev.Updated, Failed: next.Failed - prev.Failed}
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
	if run.Mode == models.ModeIncremental {
		carried, err := w.store.CountCarriedUnchanged(ctx, run.ConnectionID, run.ID)
		if err != nil {
			return err
		}
		c.Total, c.Unchanged = c.Total+carried, c.Unchanged+carried
	}
	if run.DryRun {
		c.Created, c.Updated, c.Summary = t.Created, t.Updated, t.DryRunSummary()
	}
	return w.store.StorePlanCounts(ctx, run.ID, c)
}

// refreshRun sums the batch tallies into the run's counters and closes the
// run when its plan is stored and every batch is finished. It reads every
// tally of the run, so it runs once a run (after planning) and in sweeps,
// never once a batch (settleBatch). It runs in one transaction holding the
// run's row, so two callers can neither write counters out of order nor
// both close the run.
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
		if run.PlannedAt != nil && (run.DryRun || sum.Done >= run.BatchesTotal) {
			closed, err = w.closeRun(ctx, tx, run)
			return err
		}
		return tx.StoreRunProgress(ctx, runID, progressOf(run, sum))
	})
	if err != nil || closed == nil {
		return err
	}
	return w.afterClose(ctx, closed)
}

// progressOf is the progress of run whose tallies add up to sum.
func progressOf(run models.WUGSyncLog, sum models.BatchSums) models.RunProgress {
	return models.RunProgress{BatchesDone: sum.Done, Devices: !run.DryRun,
		Created: sum.Created, Updated: sum.Updated, Failed: sum.Failed}
}

// closeRun completes run (locked by the caller's transaction tx), its
// counters summed afresh from every tally and its unchanged count from
// every entry: the one step of a run whose cost grows with the run, taken
// once.
func (w *Worker) closeRun(ctx context.Context, tx models.Store, run models.WUGSyncLog) (*models.WUGSyncLog, error) {
	sum, err := tx.SumBatches(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	progress := progressOf(run, sum)
	recorded := 0
	if !run.DryRun {
		run.DevicesCreated, run.DevicesUpdated, run.DevicesFailed = sum.Created, sum.Updated, sum.Failed
		// The plan's unchanged count misses the creates a batch found made
		// by another task (linked); the entries have it.
		t, err := tallyEntries(ctx, tx, run.ID, 0, false)
		if err != nil {
			return nil, err
		}
		if run.Mode == models.ModeIncremental {
			// The objects an incremental run did not plan are unchanged
			// (plan_changes.go); commitPlanCounts counted them in the total.
			carried, err := tx.CountCarriedUnchanged(ctx, run.ConnectionID, run.ID)
			if err != nil {
				return nil, err
			}
			t.Unchanged += carried
		}
		run.DevicesUnchanged, progress.Unchanged = t.Unchanged, &t.Unchanged
		recorded = t.Recorded
	}
	now := w.now()
	progress.Closed, progress.Summary = &now, summarize(&run, sum.Decommissioned, sum.Scanning, recorded)
	if err := tx.StoreRunProgress(ctx, run.ID, progress); err != nil {
		return nil, err
	}
	return &run, nil
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
