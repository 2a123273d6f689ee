package workers

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// TestSweepEndsARunWithNoProgress: a running export whose row has not
// moved for over ten minutes and none of whose tasks holds a live lease is
// failed by the sweep, which frees its connection; one whose batch a live
// worker is running stays open.
func TestSweepEndsARunWithNoProgress(t *testing.T) {
	t.Parallel()
	db := testinfra.DB(t)
	rd := testinfra.NewRedis(t)
	now := time.Now()
	w := NewWorker(Params{DB: db, Redis: rd.Client})
	conn := models.NewWUGConnection()
	conn.Name, conn.Host = "quiet", "192.0.2.1"
	require.NoError(t, db.Create(&conn).Error)
	other := models.NewWUGConnection()
	other.Name, other.Host = "busy", "192.0.2.2"
	require.NoError(t, db.Create(&other).Error)
	stalled := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
	require.NoError(t, db.Create(&stalled).Error)
	working := models.WUGSyncLog{ConnectionID: other.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
	require.NoError(t, db.Create(&working).Error)
	// Both rows last moved eleven minutes ago.
	require.NoError(t, db.Model(&models.WUGSyncLog{}).Where("id IN ?", []uint{stalled.ID, working.ID}).
		UpdateColumn("updated_at", now.Add(-11*time.Minute)).Error)

	// A batch of the working run, with the lease a live worker's heartbeat
	// keeps fresh.
	redisOpt, err := asynq.ParseRedisURI(rd.URL)
	require.NoError(t, err)
	client := asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = client.Close() })
	require.NoError(t, tasks.NewEnqueuer(client).Enqueue(context.Background(), tasks.BatchPayload{RunID: working.ID, Batch: 1}))
	require.NoError(t, rd.Client.ZAdd(context.Background(), leaseKey(tasks.QueueDefault), redis.Z{
		Score: float64(now.Add(asynqLease).Unix()), Member: "export:run:" + strconv.FormatUint(uint64(working.ID), 10) + ":batch:1",
	}).Err())

	require.NoError(t, w.sweep(context.Background()))

	require.NoError(t, db.First(&stalled, stalled.ID).Error)
	require.Equal(t, models.RunFailed, stalled.Status)
	require.Contains(t, stalled.ErrorMessage, "no progress")
	require.NoError(t, db.First(&working, working.ID).Error)
	require.Equal(t, models.RunRunning, working.Status, "a run with a live task is left alone")
}
