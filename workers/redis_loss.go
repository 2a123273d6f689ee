package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// redisMarkerKey is set once in every Redis that wugsync uses. A Redis that
// lacks it has lost its data (a restart without persistence, a failover to
// an empty replica, a FLUSHALL) or is new: either way the tasks of the runs
// still open in the database may be gone.
const redisMarkerKey = "wugsync:redis-marker"

// requeueLostWork notices a Redis without wugsync's marker and enqueues
// again, from the database, the work of every open export run: the
// planning task of a run not yet planned, and each unfinished batch (those
// whose tally still has pending entries). Task ids are deterministic, so a
// task that did survive makes its re-enqueue a no-op. Only the process that
// sets the marker does it.
func (o *OrphanSweeper) requeueLostWork(ctx context.Context) (int, error) {
	set, err := o.p.Redis.SetNX(ctx, redisMarkerKey, time.Now().UTC().Format(time.RFC3339), 0).Result()
	if err != nil {
		return 0, fmt.Errorf("redis marker: %w", err)
	}
	if !set {
		return 0, nil
	}
	var runs []models.WUGSyncLog
	if err := o.p.DB.WithContext(ctx).
		Where("sync_type = ? AND status IN ?", models.SyncExport, []models.RunStatus{models.RunQueued, models.RunRunning}).
		Find(&runs).Error; err != nil {
		// Try again at the next sweep.
		_ = o.p.Redis.Del(context.WithoutCancel(ctx), redisMarkerKey).Err()
		return 0, fmt.Errorf("redis marker: list open runs: %w", err)
	}
	var (
		enqueued int
		errs     []error
	)
	add := func(err error) {
		switch {
		case err == nil:
			enqueued++
		case !errors.Is(err, tasks.ErrAlreadyQueued):
			errs = append(errs, err)
		}
	}
	for _, run := range runs {
		if run.PlannedAt == nil {
			add(o.p.Enqueuer.Enqueue(ctx, tasks.ExportPayload{RunID: run.ID}))
			continue
		}
		var batches []int
		if err := o.p.DB.WithContext(ctx).Model(&models.RunBatch{}).
			Where("sync_log_id = ? AND pending > 0", run.ID).Pluck("batch", &batches).Error; err != nil {
			errs = append(errs, fmt.Errorf("redis marker: unfinished batches of run %d: %w", run.ID, err))
			continue
		}
		for _, n := range batches {
			add(o.p.Enqueuer.Enqueue(ctx, tasks.BatchPayload{RunID: run.ID, Batch: n}))
		}
	}
	if len(errs) > 0 {
		// Whatever was not enqueued is tried again at the next sweep.
		_ = o.p.Redis.Del(context.WithoutCancel(ctx), redisMarkerKey).Err()
	}
	if enqueued > 0 {
		o.p.Log.WithField("tasks", enqueued).Warn("Redis had lost its data: the open runs' unfinished work is queued again from the database")
	}
	return enqueued, errors.Join(errs...)
}
