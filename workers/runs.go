package workers

import (
	"context"
	"fmt"
	"strings"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// runCounts are a run's counters, always recomputed from its plan entries so
// that a batch that runs twice can never count twice.
type runCounts struct {
	total, created, updated, unchanged, skipped, failed int
	decommissioned, scanning, pending                   int
	batchesDone                                         int
}

func (w *Worker) countRun(ctx context.Context, run *models.WUGSyncLog) (runCounts, error) {
	type row struct {
		Action  models.PlanAction
		Outcome string
		N       int
	}
	var rows []row
	err := w.p.DB.WithContext(ctx).Model(&models.PlanEntry{}).
		Select("action, outcome, COUNT(*) AS n").Where("sync_log_id = ?", run.ID).
		Group("action, outcome").Scan(&rows).Error
	if err != nil {
		return runCounts{}, fmt.Errorf("count run %d: %w", run.ID, err)
	}
	var c runCounts
	for _, r := range rows {
		if r.Action != models.PlanDecommission {
			c.total += r.N
		}
		// A dry run applies nothing: its counters say what it would do.
		done := r.Outcome == outcomeDone || (run.DryRun && r.Outcome == "")
		switch {
		case r.Action == models.PlanUnchanged:
			c.unchanged += r.N
		case r.Action == models.PlanSkip:
			c.skipped += r.N
		case r.Outcome == outcomeFailed:
			c.failed += r.N
		case r.Outcome == outcomeScan:
			c.scanning += r.N
		case r.Action == models.PlanCreate && done:
			c.created += r.N
		case r.Action == models.PlanUpdate && done:
			c.updated += r.N
		case r.Action == models.PlanDecommission && done:
			c.decommissioned += r.N
		case r.Outcome == "":
			c.pending += r.N
		}
	}
	err = w.p.DB.WithContext(ctx).Raw(`SELECT COUNT(DISTINCT batch) FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch > 0 AND batch NOT IN (
			SELECT DISTINCT batch FROM sync_plan_entries WHERE sync_log_id = ? AND batch > 0 AND outcome = '')`,
		run.ID, run.ID).Scan(&c.batchesDone).Error
	if err != nil {
		return runCounts{}, fmt.Errorf("count finished batches of run %d: %w", run.ID, err)
	}
	return c, nil
}

// Plan entry outcomes written by batches.
const (
	outcomeDone   = "done"
	outcomeFailed = "failed"
	outcomeScan   = "scan_triggered"
)

// refreshRun stores fresh counters and, when the plan is complete and no
// entry is left, closes the run. The closing UPDATE is conditional on the
// run still running, so when two batches finish together exactly one of
// them closes it.
func (w *Worker) refreshRun(ctx context.Context, runID uint) error {
	var run models.WUGSyncLog
	if err := w.p.DB.WithContext(ctx).First(&run, runID).Error; err != nil {
		return fmt.Errorf("load run %d: %w", runID, err)
	}
	c, err := w.countRun(ctx, &run)
	if err != nil {
		return err
	}
	updates := map[string]any{
		"devices_total": c.total, "devices_created": c.created, "devices_updated": c.updated,
		"devices_unchanged": c.unchanged, "devices_skipped": c.skipped, "devices_failed": c.failed,
		"batches_done": c.batchesDone,
	}
	if err := w.p.DB.WithContext(ctx).Model(&run).Updates(updates).Error; err != nil {
		return fmt.Errorf("update run %d counters: %w", runID, err)
	}
	if run.PlannedAt == nil || run.Status != models.RunRunning || (c.pending > 0 && !run.DryRun) {
		return nil
	}
	return w.closeRun(ctx, &run, c)
}

func (w *Worker) closeRun(ctx context.Context, run *models.WUGSyncLog, c runCounts) error {
	now := w.now()
	res := w.p.DB.WithContext(ctx).Model(&models.WUGSyncLog{}).
		Where("id = ? AND status = ?", run.ID, models.RunRunning).
		Updates(map[string]any{"status": models.RunCompleted, "ended_at": now, "summary": summarize(run, c)})
	if res.Error != nil {
		return fmt.Errorf("close run %d: %w", run.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil // another batch closed it
	}
	w.announceRunEnded(ctx, run.ID)
	conn, err := w.loadConnection(ctx, run.ConnectionID)
	if err != nil {
		return nil //nolint:nilerr // the run is closed; a deleted connection needs no last_export
	}
	if run.SyncType == models.SyncExport && !run.DryRun {
		if err := w.p.DB.WithContext(ctx).Model(&conn).UpdateColumn("last_export", now).Error; err != nil {
			return fmt.Errorf("record last export of %q: %w", conn.Name, err)
		}
	}
	w.p.Metrics.Run(conn.Name, string(run.SyncType), string(models.RunCompleted))
	w.connectionLog(conn).WithFields(map[string]any{"run_id": run.ID, "summary": summarize(run, c)}).Info("run completed")
	return nil
}

// failRun ends a run whose planning cannot succeed.
func (w *Worker) failRun(ctx context.Context, runID uint, cause error) {
	ctx = context.WithoutCancel(ctx)
	now := w.now()
	res := w.p.DB.WithContext(ctx).Model(&models.WUGSyncLog{}).
		Where("id = ? AND status IN ?", runID, []models.RunStatus{models.RunQueued, models.RunRunning}).
		Updates(map[string]any{"status": models.RunFailed, "ended_at": now, "error_message": cause.Error(),
			"summary": "failed: " + cause.Error()})
	if res.Error != nil {
		w.p.Log.WithError(res.Error).WithField("run_id", runID).Error("could not mark run failed")
		return
	}
	if res.RowsAffected > 0 {
		w.announceRunEnded(ctx, runID)
		var run models.WUGSyncLog
		if w.p.DB.WithContext(ctx).First(&run, runID).Error == nil {
			if conn, err := w.loadConnection(ctx, run.ConnectionID); err == nil {
				w.p.Metrics.Run(conn.Name, string(run.SyncType), string(models.RunFailed))
			}
		}
		w.p.Log.WithError(cause).WithField("run_id", runID).Warn("run failed")
	}
}

// summarize is the one-paragraph account of a run a person reads.
func summarize(run *models.WUGSyncLog, c runCounts) string {
	var b strings.Builder
	if run.DryRun {
		fmt.Fprintf(&b, "dry run, nothing written to WUG: %d devices considered; would create %d, update %d, decommission %d; %d unchanged, %d skipped",
			c.total, c.created, c.updated, c.decommissioned, c.unchanged, c.skipped)
		return b.String()
	}
	fmt.Fprintf(&b, "%d devices considered: %d created, %d updated, %d unchanged, %d skipped, %d failed",
		c.total, c.created, c.updated, c.unchanged, c.skipped, c.failed)
	if c.decommissioned > 0 {
		fmt.Fprintf(&b, ", %d decommissioned", c.decommissioned)
	}
	if c.scanning > 0 {
		fmt.Fprintf(&b, ", %d handed to a WUG discovery scan", c.scanning)
	}
	if c.skipped > 0 || c.failed > 0 {
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
