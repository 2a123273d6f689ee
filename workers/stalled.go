package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// noProgressFor is how long a running export may go with no batch finished
// (its row unchanged) and no task of it holding a live lease before the
// sweep ends it as failed. Before, such a run held its connection (no
// delete, no export) until the six-hour abandon limit.
const noProgressFor = 10 * time.Minute

// endStalledRuns fails the running exports that made no progress for
// noProgressFor: no batch finished, and no task of the run is being worked
// on (a planning task of a large inventory keeps its lease alive while it
// runs, and so keeps its run).
func (w *Worker) endStalledRuns(ctx context.Context) error {
	// The wall clock, not w.now: updated_at is stamped by GORM and leases
	// by asynq, both with time.Now.
	now := time.Now()
	var runs []models.WUGSyncLog
	if err := w.p.DB.WithContext(ctx).
		Where("sync_type = ? AND status = ? AND updated_at < ?", models.SyncExport, models.RunRunning, now.Add(-noProgressFor)).
		Find(&runs).Error; err != nil {
		return fmt.Errorf("sweep: list quiet runs: %w", err)
	}
	if len(runs) == 0 {
		return nil
	}
	working, err := w.runsBeingWorked(ctx, now)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if working[run.ID] {
			continue
		}
		w.failRun(ctx, run.ID, fmt.Errorf("no progress for %s: no batch finished and no task of the run is running",
			now.Sub(run.UpdatedAt).Round(time.Minute)))
	}
	return nil
}

// runsBeingWorked returns the runs with a task whose lease a live worker
// keeps extending.
func (w *Worker) runsBeingWorked(ctx context.Context, now time.Time) (map[uint]bool, error) {
	fresh, err := w.p.Redis.ZRangeByScore(ctx, leaseKey(tasks.QueueDefault), &redis.ZRangeBy{
		Min: strconv.FormatInt(now.Add(asynqLease-defaultOrphanStaleAfter).Unix(), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("sweep: read leases: %w", err)
	}
	out := map[uint]bool{}
	if len(fresh) == 0 {
		return out, nil
	}
	inspector := asynq.NewInspectorFromRedisClient(w.p.Redis)
	for _, id := range fresh {
		info, err := inspector.GetTaskInfo(tasks.QueueDefault, id)
		if errors.Is(err, asynq.ErrTaskNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sweep: read task %s: %w", id, err)
		}
		var ids struct {
			RunID uint `json:"run_id"`
		}
		if json.Unmarshal(info.Payload, &ids) == nil && ids.RunID != 0 {
			out[ids.RunID] = true
		}
	}
	return out, nil
}
