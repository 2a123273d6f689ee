package tasks_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

type testBundle struct {
	db        *gorm.DB
	redis     testinfra.Redis
	enq       *tasks.Enqueuer
	inspector *asynq.Inspector
	conn      models.WUGConnection
}

// setup runs fn on every Redis this run can reach (miniredis always, the
// real server in CI), so the queue contract holds on both.
func setup(t *testing.T, fn func(t *testing.T, b testBundle)) {
	t.Helper()
	for _, r := range testinfra.RedisBackends(t) {
		t.Run(r.Backend, func(t *testing.T) {
			t.Parallel()
			opt, err := asynq.ParseRedisURI(r.URL)
			require.NoError(t, err)
			client := asynq.NewClient(opt)
			t.Cleanup(func() { _ = client.Close() })
			inspector := asynq.NewInspector(opt)
			t.Cleanup(func() { _ = inspector.Close() })
			b := testBundle{db: testinfra.DB(t), redis: r, enq: tasks.NewEnqueuer(client), inspector: inspector}
			b.conn = models.NewWUGConnection()
			b.conn.Name, b.conn.Host, b.conn.Username = "lab", "wug", "admin"
			require.NoError(t, b.db.Create(&b.conn).Error)
			fn(t, b)
		})
	}
}

func (b testBundle) queued(t *testing.T, queue string) []*asynq.TaskInfo {
	t.Helper()
	pending, err := b.inspector.ListPendingTasks(queue)
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		require.NoError(t, err)
	}
	scheduled, err := b.inspector.ListScheduledTasks(queue)
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		require.NoError(t, err)
	}
	return append(pending, scheduled...)
}

func TestSecondExportReturnsTheActiveRun(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		req := tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual}
		first, err := tasks.StartExport(context.Background(), b.db, b.enq, req)
		require.NoError(t, err)
		require.Equal(t, models.RunQueued, first.Status)

		var wg sync.WaitGroup
		results := make([]error, 5)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = tasks.StartExport(context.Background(), b.db, b.enq, req)
			}()
		}
		wg.Wait()
		for _, err := range results {
			var active *tasks.ActiveRunError
			require.ErrorAs(t, err, &active)
			require.ErrorIs(t, err, tasks.ErrRunActive)
			require.Equal(t, first.ID, active.Run.ID)
		}
		require.Len(t, b.queued(t, tasks.QueueDefault), 1, "one planning task")
	})
}

func TestStartExportRefusesUnknownAndInactiveConnections(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		_, err := tasks.StartExport(context.Background(), b.db, b.enq, tasks.ExportRequest{ConnectionID: 999, Trigger: models.TriggerManual})
		require.ErrorIs(t, err, tasks.ErrConnectionNotFound)
		require.NoError(t, b.db.Model(&b.conn).Update("is_active", false).Error)
		_, err = tasks.StartExport(context.Background(), b.db, b.enq, tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
		require.ErrorIs(t, err, tasks.ErrConnectionInactive)
	})
}

func TestDeviceSyncBurstBecomesOneTask(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		enq := b.enq.WithClock(func() time.Time { return now })
		for i := 0; i < 10; i++ {
			err := enq.DeviceSync(context.Background(), tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "webhook"})
			if i > 0 {
				require.ErrorIs(t, err, tasks.ErrAlreadyQueued)
			} else {
				require.NoError(t, err)
			}
		}
		queued := b.queued(t, tasks.QueueCritical)
		require.Len(t, queued, 1, "a burst in one window is one sync")
		// The next window syncs again: an edit after the sync is not lost.
		now = now.Add(tasks.DeviceSyncDebounce)
		require.NoError(t, enq.DeviceSync(context.Background(), tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "webhook"}))
		queued = b.queued(t, tasks.QueueCritical)
		require.Len(t, queued, 2)
		for _, q := range queued {
			require.Equal(t, tasks.TypeDeviceSync, q.Type)
			require.Equal(t, tasks.Specs[tasks.TypeDeviceSync].MaxRetry, q.MaxRetry)
			require.Equal(t, tasks.Specs[tasks.TypeDeviceSync].Timeout, q.Timeout)
		}
	})
}

func TestWaitRunEndedWakesOnTheAnnouncement(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		run := models.WUGSyncLog{ConnectionID: b.conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
		require.NoError(t, b.db.Create(&run).Error)
		done := make(chan models.WUGSyncLog)
		ready := make(chan struct{})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			close(ready)
			ended, err := tasks.WaitRunEnded(ctx, b.redis.Client, b.db, run.ID)
			require.NoError(t, err)
			done <- ended
		}()
		<-ready
		require.NoError(t, b.db.Model(&run).Update("status", models.RunCompleted).Error)
		require.NoError(t, tasks.PublishRunEnded(context.Background(), b.redis.Client, run.ID))
		require.Equal(t, models.RunCompleted, (<-done).Status)
	})
}

func TestWaitRunEndedGivesUpWithTheContext(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		run := models.WUGSyncLog{ConnectionID: b.conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
		require.NoError(t, b.db.Create(&run).Error)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got, err := tasks.WaitRunEnded(ctx, b.redis.Client, b.db, run.ID)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, models.RunRunning, got.Status)
	})
}

func TestDecodeIsStrict(t *testing.T) {
	t.Parallel()
	var p tasks.BatchPayload
	require.ErrorIs(t, tasks.Decode([]byte(`{"run_id":1,"batch":2,"extra":true}`), &p), tasks.ErrBadPayload)
	require.ErrorIs(t, tasks.Decode([]byte(`{"run_id":0,"batch":2}`), &p), tasks.ErrBadPayload)
	require.ErrorIs(t, tasks.Decode([]byte(`{"run_id":"1","batch":2}`), &p), tasks.ErrBadPayload)
	require.ErrorIs(t, tasks.Decode([]byte(`not json`), &p), tasks.ErrBadPayload)
	require.NoError(t, tasks.Decode([]byte(`{"run_id":1,"batch":2}`), &p))
	require.Equal(t, tasks.BatchPayload{RunID: 1, Batch: 2}, p)
}

func TestEveryTaskTypeHasASpec(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{tasks.TypeExport, tasks.TypeExportBatch, tasks.TypeDeviceSync,
		tasks.TypeDeviceDecommission, tasks.TypeScanStatus, tasks.TypeSweep} {
		spec, ok := tasks.Specs[typ]
		require.True(t, ok, typ)
		require.Positive(t, spec.Timeout, typ)
		require.Contains(t, tasks.QueueWeights(), spec.Queue, typ)
	}
	require.Equal(t, 30*time.Minute, tasks.LongestTimeout())
}
