package workers

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// Plan entry outcomes written by batches.
const (
	outcomeDone   = "done"
	outcomeFailed = "failed"
	outcomeScan   = "scan_triggered"
)

// tally counts plan entries by what happened to them.
type tally struct {
	created, updated, decommissioned, failed, scanning, pending int
	unchanged, skipped, total                                   int
}

// countEntries tallies the entries of a run, or of one batch of it when
// batch > 0. A dry run applies nothing, so its writes count as planned.
func (w *Worker) countEntries(ctx context.Context, db *gorm.DB, runID uint, batch int, dryRun bool) (tally, error) {
	type row struct {
		Action  models.PlanAction
		Outcome string
		N       int
	}
	q := db.WithContext(ctx).Model(&models.PlanEntry{}).Select("action, outcome, COUNT(*) AS n").
		Where("sync_log_id = ?", runID)
	if batch > 0 {
		q = q.Where("batch = ?", batch)
	}
	var rows []row
	if err := q.Group("action, outcome").Scan(&rows).Error; err != nil {
		return tally{}, fmt.Errorf("count run %d: %w", runID, err)
	}
	var t tally
	for _, r := range rows {
		if r.Action != models.PlanDecommission {
			t.total += r.N
		}
		done := r.Outcome == outcomeDone || (dryRun && r.Outcome == "")
		switch {
		case r.Action == models.PlanUnchanged:
			t.unchanged += r.N
		case r.Action == models.PlanSkip:
			t.skipped += r.N
		case r.Outcome == outcomeFailed:
			t.failed += r.N
		case r.Outcome == outcomeScan:
			t.scanning += r.N
		case r.Action == models.PlanCreate && done:
			t.created += r.N
		case r.Action == models.PlanUpdate && done:
			t.updated += r.N
		case r.Action == models.PlanDecommission && done:
			t.decommissioned += r.N
		case r.Outcome == "":
			t.pending += r.N
		}
	}
	return t, nil
}

// tallyBatch rewrites the tally row of one batch from its entries.
func (w *Worker) tallyBatch(ctx context.Context, runID uint, batch int) error {
	t, err := w.countEntries(ctx, w.p.DB, runID, batch, false)
	if err != nil {
		return err
	}
	row := models.RunBatch{SyncLogID: runID, Batch: batch, Created: t.created, Updated: t.updated,
		Decommissioned: t.decommissioned, Failed: t.failed, Scanning: t.scanning, Pending: t.pending,
		UpdatedAt: w.now()}
	err = w.p.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "sync_log_id"}, {Name: "batch"}},
		DoUpdates: clause.AssignmentColumns([]string{"created", "updated", "decommissioned", "failed",
			"scanning", "pending", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store tally of batch %d of run %d: %w", batch, runID, err)
	}
	return nil
}

// commitPlanCounts stores the counters known once the plan is complete:
// devices considered, unchanged and skipped (and, for a dry run, what it
// would write).
func (w *Worker) commitPlanCounts(ctx context.Context, run *models.WUGSyncLog) error {
	t, err := w.countEntries(ctx, w.p.DB, run.ID, 0, run.DryRun)
	if err != nil {
		return err
	}
	updates := map[string]any{"devices_total": t.total, "devices_unchanged": t.unchanged, "devices_skipped": t.skipped}
	if run.DryRun {
		updates["devices_created"], updates["devices_updated"] = t.created, t.updated
		updates["summary"] = fmt.Sprintf("dry run, nothing written to WUG: %d devices considered; would create %d, update %d, decommission %d; %d unchanged, %d skipped",
			t.total, t.created, t.updated, t.decommissioned, t.unchanged, t.skipped)
	}
	if err := w.p.DB.WithContext(ctx).Model(run).Updates(updates).Error; err != nil {
		return fmt.Errorf("store plan counts of run %d: %w", run.ID, err)
	}
	return nil
}

// refreshRun sums the batch tallies into the run's counters and closes the
// run when its plan is stored and every batch is finished. It runs in one
// transaction holding the run's row, so two batches ending together can
// neither write counters out of order nor both close the run.
func (w *Worker) refreshRun(ctx context.Context, runID uint) error {
	var closed *models.WUGSyncLog
	err := w.p.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var run models.WUGSyncLog
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&run, runID).Error; err != nil {
			return fmt.Errorf("load run %d: %w", runID, err)
		}
		if run.Status != models.RunRunning {
			return nil
		}
		var sum struct {
			Created, Updated, Decommissioned, Failed, Scanning, Done int
		}
		if err := tx.Model(&models.RunBatch{}).Where("sync_log_id = ?", runID).
			Select(`COALESCE(SUM(created), 0) AS created, COALESCE(SUM(updated), 0) AS updated,
				COALESCE(SUM(decommissioned), 0) AS decommissioned, COALESCE(SUM(failed), 0) AS failed,
				COALESCE(SUM(scanning), 0) AS scanning,
				COALESCE(SUM(CASE WHEN pending = 0 THEN 1 ELSE 0 END), 0) AS done`).
			Scan(&sum).Error; err != nil {
			return fmt.Errorf("sum batches of run %d: %w", runID, err)
		}
		updates := map[string]any{"batches_done": sum.Done}
		if !run.DryRun {
			updates["devices_created"], updates["devices_updated"], updates["devices_failed"] = sum.Created, sum.Updated, sum.Failed
			run.DevicesCreated, run.DevicesUpdated, run.DevicesFailed = sum.Created, sum.Updated, sum.Failed
		}
		if run.PlannedAt != nil && (run.DryRun || sum.Done >= run.BatchesTotal) {
			updates["status"], updates["ended_at"] = models.RunCompleted, w.now()
			updates["summary"] = summarize(&run, sum.Decommissioned, sum.Scanning)
			closed = &run
		}
		if err := tx.Model(&run).Updates(updates).Error; err != nil {
			return fmt.Errorf("update run %d: %w", runID, err)
		}
		return nil
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
		if err := w.p.DB.WithContext(ctx).Model(&conn).UpdateColumn("last_export", w.now()).Error; err != nil {
			return fmt.Errorf("record last export of %q: %w", conn.Name, err)
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
	now := w.now()
	res := w.writeRunEnd(ctx, runID, status, cause.Error(), now)
	if res.Error != nil {
		w.p.Log.WithError(res.Error).WithField("run_id", runID).Error("could not mark run failed")
		return
	}
	if res.RowsAffected > 0 {
		w.announceRunEnded(ctx, runID)
		var run models.WUGSyncLog
		if w.p.DB.WithContext(ctx).First(&run, runID).Error == nil {
			if conn, err := w.loadConnection(ctx, run.ConnectionID); err == nil {
				w.p.Metrics.Run(conn.Name, string(run.SyncType), string(status))
			}
		}
		w.p.Log.WithError(cause).WithField("run_id", runID).Warn("run " + string(status))
	}
}

// summarize is the one-paragraph account of a finished run a person reads.
func summarize(run *models.WUGSyncLog, decommissioned, scanning int) string {
	if run.DryRun {
		return run.Summary // written with the plan
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d devices considered: %d created, %d updated, %d unchanged, %d skipped, %d failed",
		run.DevicesTotal, run.DevicesCreated, run.DevicesUpdated, run.DevicesUnchanged, run.DevicesSkipped, run.DevicesFailed)
	if decommissioned > 0 {
		fmt.Fprintf(&b, ", %d decommissioned", decommissioned)
	}
	if scanning > 0 {
		fmt.Fprintf(&b, ", %d handed to a WUG discovery scan", scanning)
	}
	if run.DevicesSkipped > 0 || run.DevicesFailed > 0 {
		fmt.Fprintf(&b, " (see /api/v1/sync-logs/%d/plan for reasons)", run.ID)
	}
	return b.String()
}

// announceRunEnded wakes whoever waits for the run (the API's ?wait=N).
func (w *Worker) announceRunEnded(ctx context.Context, runID uint) {
	if err := tasks.PublishRunEnded(context.WithoutCancel(ctx), w.p.Redis, runID); err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Warn("could not announce the end of a run")
	}
}
