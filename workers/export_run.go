package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// runExport is the planning phase of a netbox:export run: it plans the
// connection's whole selection and fans the plan out as batch tasks. Run
// twice, it re-plans an unfinished plan from scratch, or only re-enqueues
// the batches of a finished one (their task ids make that harmless).
func (w *Worker) runExport(ctx context.Context, runID uint) error {
	run, err := w.loadRun(ctx, runID)
	if err != nil {
		return err
	}
	if !run.Status.Active() {
		return nil // already ended: a duplicate delivery
	}
	conn, err := w.loadConnection(ctx, run.ConnectionID)
	if err != nil {
		return err
	}
	if !conn.IsActive {
		w.failRun(ctx, run.ID, fmt.Errorf("connection %q was deactivated", conn.Name))
		return nil
	}
	if err := w.markRunning(ctx, &run); err != nil {
		return err
	}
	log := w.connectionLog(conn).WithField("run_id", run.ID)
	if run.PlannedAt == nil {
		client, _, err := w.wugClient(conn)
		if err != nil {
			return err
		}
		p, err := w.newPlanner(ctx, &run, conn, client)
		if err != nil {
			return err
		}
		if err := p.build(ctx, planScope{}); err != nil {
			return err
		}
		log.WithField("batches", run.BatchesTotal).Info("plan stored")
	}
	if run.DryRun || run.BatchesTotal == 0 {
		return w.refreshRun(ctx, run.ID)
	}
	if err := w.refreshRun(ctx, run.ID); err != nil {
		return err
	}
	for n := 1; n <= run.BatchesTotal; n++ {
		if err := w.p.Enqueuer.Batch(ctx, run.ID, n); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
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
	var entries []*models.PlanEntry
	if err := w.p.DB.WithContext(ctx).Where("sync_log_id = ? AND batch = ? AND outcome = ''", runID, batchNo).
		Find(&entries).Error; err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Error("could not load a failed batch")
		return
	}
	msg := "gave up after retries: " + cause.Error()
	for _, e := range entries {
		// The claim goes too: a later run must be free to create the
		// device, not wait for the claim to go stale.
		_ = w.upsertRow(ctx, e.ConnectionID, e, map[string]any{
			"export_status": models.ExportError, "error_message": msg, "error_at": w.now(), "last_run_id": runID,
			"create_claim": ""})
		_ = w.setOutcome(ctx, e, outcomeFailed, msg)
	}
	if err := w.finishBatch(ctx, runID, batchNo); err != nil {
		w.p.Log.WithError(err).WithField("run_id", runID).Error("could not refresh a run after a failed batch")
	}
}

func (w *Worker) loadRun(ctx context.Context, runID uint) (models.WUGSyncLog, error) {
	var run models.WUGSyncLog
	if err := w.p.DB.WithContext(ctx).First(&run, runID).Error; err != nil {
		return run, fmt.Errorf("load run %d: %w", runID, err)
	}
	return run, nil
}

func (w *Worker) markRunning(ctx context.Context, run *models.WUGSyncLog) error {
	updates := map[string]any{"status": models.RunRunning}
	if run.StartedAt == nil {
		now := w.now()
		updates["started_at"] = now
		run.StartedAt = &now
	}
	err := w.p.DB.WithContext(ctx).Model(&models.WUGSyncLog{}).
		Where("id = ? AND status IN ?", run.ID, []models.RunStatus{models.RunQueued, models.RunRunning}).
		Updates(updates).Error
	if err != nil {
		return fmt.Errorf("mark run %d running: %w", run.ID, err)
	}
	run.Status = models.RunRunning
	return nil
}
