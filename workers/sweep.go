package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// Sweep thresholds.
const (
	// queuedGrace is how long a run may stay queued before its task is
	// assumed lost (the process died between the row and the enqueue).
	queuedGrace = 2 * time.Minute
	// stalledAfter is how long a running run may go without any progress
	// before its unfinished work is enqueued again.
	stalledAfter = 30 * time.Minute
	// abandonAfter is how long a run may make no progress at all before it
	// is failed.
	abandonAfter = 6 * time.Hour
)

// sweep repairs what lost tasks leave behind: scan polls whose chain died,
// runs whose tasks vanished, and runs that stopped moving. Everything it
// enqueues has a deterministic task id, so a sweep racing live work is
// harmless. It also prunes what the retention settings no longer keep.
func (w *Worker) sweep(ctx context.Context) error {
	return errors.Join(w.sweepScans(ctx), w.sweepRuns(ctx), w.endStalledRuns(ctx), w.sweepDrains(ctx), w.prune(ctx))
}

func (w *Worker) sweepScans(ctx context.Context) error {
	scans, err := w.store.OpenScans(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for _, s := range scans {
		alive, err := w.p.Redis.Exists(ctx, scanHeartbeatKey(s.ConnectionID, s.WUGScanID)).Result()
		if err != nil {
			return fmt.Errorf("sweep: check scan %s: %w", s.WUGScanID, err)
		}
		if alive > 0 {
			continue
		}
		// A fresh chain, numbered by the sweep's time so its task ids never
		// collide with the lost chain's.
		p := tasks.ScanStatusPayload{ConnectionID: s.ConnectionID, ScanID: s.WUGScanID, Chain: w.now().Unix()}
		if err := w.p.Enqueuer.Enqueue(ctx, p); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return err
		}
		w.p.Log.WithField("scan_id", s.WUGScanID).Info("sweep restarted a lost scan poll")
	}
	return nil
}

func (w *Worker) sweepRuns(ctx context.Context) error {
	now := w.now()
	runs, err := w.store.OpenRuns(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	var errs []error
	for _, run := range runs {
		idle := now.Sub(run.UpdatedAt)
		switch {
		case idle > abandonAfter:
			w.failRun(ctx, run.ID, fmt.Errorf("no progress for %s", idle.Round(time.Minute)))
		case run.SyncType != models.SyncExport:
			// One-device runs live inside their task; a retry starts a new one.
			if idle > stalledAfter {
				w.failRun(ctx, run.ID, fmt.Errorf("device sync stopped without finishing"))
			}
		case run.Status == models.RunQueued && idle > queuedGrace,
			run.Status == models.RunRunning && run.PlannedAt == nil && idle > stalledAfter:
			if err := w.p.Enqueuer.Enqueue(ctx, tasks.ExportPayload{RunID: run.ID}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
				errs = append(errs, err)
			}
		case run.Status == models.RunRunning && run.PlannedAt != nil:
			errs = append(errs, w.resumeBatches(ctx, run, idle))
		}
	}
	return errors.Join(errs...)
}

// resumeBatches re-tallies the unfinished batches of a quiet run (a worker
// may have died between its writes and its tally), which closes the run if
// they are in fact done, and re-enqueues the rest when the run stalled.
func (w *Worker) resumeBatches(ctx context.Context, run models.WUGSyncLog, idle time.Duration) error {
	if idle <= queuedGrace {
		return nil
	}
	batches, err := w.store.UnfinishedBatches(ctx, run.ID)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for _, n := range batches {
		if err := w.tallyBatch(ctx, run.ID, n); err != nil {
			return err
		}
	}
	if err := w.refreshRun(ctx, run.ID); err != nil {
		return err
	}
	if idle <= stalledAfter {
		return nil
	}
	if batches, err = w.store.UnfinishedBatches(ctx, run.ID); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for _, n := range batches {
		if err := w.p.Enqueuer.Enqueue(ctx, tasks.BatchPayload{RunID: run.ID, Batch: n}); err != nil && !errors.Is(err, tasks.ErrAlreadyQueued) {
			return err
		}
	}
	return nil
}
