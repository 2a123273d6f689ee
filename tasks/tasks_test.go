package tasks_test

import (
	"context"
	"errors"
	"fmt"
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
		first, err := tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, req)
		require.NoError(t, err)
		require.Equal(t, models.RunQueued, first.Status)

		var wg sync.WaitGroup
		results := make([]error, 5)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, req)
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
		_, err := tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, tasks.ExportRequest{ConnectionID: 999, Trigger: models.TriggerManual})
		require.ErrorIs(t, err, tasks.ErrConnectionNotFound)
		require.NoError(t, b.db.Model(&b.conn).Update("is_active", false).Error)
		_, err = tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
		require.ErrorIs(t, err, tasks.ErrConnectionInactive)
	})
}

func TestDeviceSyncBurstBecomesOneTask(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		clock := testinfra.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		enq := b.enq.WithClock(clock.Now)
		for i := 0; i < 10; i++ {
			err := enq.Enqueue(context.Background(), tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "webhook"})
			if i > 0 {
				require.ErrorIs(t, err, tasks.ErrAlreadyQueued)
			} else {
				require.NoError(t, err)
			}
		}
		queued := b.queued(t, tasks.QueueCritical)
		require.Len(t, queued, 1, "a burst in one window is one sync")
		// The next window syncs again: an edit after the sync is not lost.
		clock.Advance(tasks.DeviceSyncDebounce)
		require.NoError(t, enq.Enqueue(context.Background(), tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "webhook"}))
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
		tasks.TypeDeviceDecommission, tasks.TypeScanStatus, tasks.TypeSweep, tasks.TypeDeviceDrain} {
		spec, ok := tasks.Specs[typ]
		require.True(t, ok, typ)
		require.Positive(t, spec.Timeout, typ)
		require.Contains(t, tasks.QueueWeights(), spec.Queue, typ)
	}
	require.Equal(t, 30*time.Minute, tasks.LongestTimeout())
}

// TestTaskKindsAndOptionsAreContract pins what each payload declares: its
// type name (DESIGN.md §5: other programs enqueue and inspect them), its
// queue and retry budget, and the task id rule that makes a second enqueue
// of the same work harmless.
func TestTaskKindsAndOptionsAreContract(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 7, 0, time.UTC)
	for _, c := range []struct {
		args      tasks.Args
		kind      string
		queue     string
		maxRetry  int
		taskID    string
		processIn time.Duration
	}{
		{tasks.ExportPayload{RunID: 7}, "netbox:export", tasks.QueueDefault, 5, "export:run:7", 0},
		{tasks.BatchPayload{RunID: 7, Batch: 3}, "netbox:export:batch", tasks.QueueDefault, 10, "export:run:7:batch:3", 0},
		{tasks.DeviceSyncPayload{NetBoxDeviceID: 42, ConnectionID: 2}, "netbox:device:sync", tasks.QueueCritical, 8,
			fmt.Sprintf("device:sync:42:2:%d", now.Unix()/3), tasks.DeviceSyncDebounce},
		{tasks.DecommissionPayload{NetBoxDeviceID: 42}, "netbox:device:decommission", tasks.QueueCritical, 8,
			fmt.Sprintf("device:decommission:42:%d", now.Unix()/3), tasks.DeviceSyncDebounce},
		// A VM's tasks never share an id with those of the device 42.
		{tasks.DeviceSyncPayload{NetBoxVMID: 42, ConnectionID: 2}, "netbox:device:sync", tasks.QueueCritical, 8,
			fmt.Sprintf("vm:sync:42:2:%d", now.Unix()/3), tasks.DeviceSyncDebounce},
		{tasks.DeviceSyncPayload{NetBoxVMID: 42, RunIDs: []uint{5}}, "netbox:device:sync", tasks.QueueCritical, 8, "vm:sync:42:run:5", 0},
		{tasks.DecommissionPayload{NetBoxVMID: 42}, "netbox:device:decommission", tasks.QueueCritical, 8,
			fmt.Sprintf("vm:decommission:42:%d", now.Unix()/3), tasks.DeviceSyncDebounce},
		{tasks.ScanStatusPayload{ConnectionID: 2, ScanID: "s1", Poll: 4, Chain: 9}, "wug:scan:status", tasks.QueueLow, 5, "scan:2:s1:9:4", 0},
		{tasks.SweepPayload{Slot: 11}, "wugsync:sweep", tasks.QueueLow, 0, "sweep:11", 0},
		// A webhook drain runs at once (the leading edge), one chain
		// generation per task id.
		{tasks.DrainPayload{ConnectionID: 2, Gen: 5}, "netbox:device:drain", tasks.QueueCritical, 8, "device:drain:2:5", 0},
	} {
		require.Equal(t, c.kind, c.args.Kind())
		o := c.args.InsertOpts(now)
		require.Equal(t, c.queue, o.Queue, c.kind)
		require.Equal(t, c.maxRetry, o.MaxRetry, c.kind)
		require.Equal(t, c.taskID, o.TaskID, c.kind)
		require.Equal(t, c.processIn, o.ProcessIn, c.kind)
		require.Equal(t, tasks.Specs[c.kind], o.Spec, c.kind)
	}
}

// TestRegisterArchivesMalformedPayloads sends each registered kind payloads
// no retry can fix: the handler never runs, and the error names the task
// type, wraps ErrBadPayload and asks asynq not to retry.
func TestRegisterArchivesMalformedPayloads(t *testing.T) {
	t.Parallel()
	mux := asynq.NewServeMux()
	var got []any
	tasks.Register(mux, func(_ context.Context, p tasks.BatchPayload) error { got = append(got, p); return nil })
	tasks.Register(mux, func(_ context.Context, p tasks.DeviceSyncPayload) error { got = append(got, p); return nil })
	tasks.Register(mux, func(_ context.Context, p tasks.SweepPayload) error { got = append(got, p); return nil })
	for _, c := range []struct{ kind, payload, problem string }{
		{tasks.TypeExportBatch, `not json`, "invalid character"},
		{tasks.TypeExportBatch, `{"run_id":1,"batch":0}`, "batch must be at least 1"},
		{tasks.TypeExportBatch, `{"run_id":1,"batch":2,"extra":true}`, `unknown field "extra"`},
		{tasks.TypeExportBatch, `{"run_id":1,"batch":2} {"run_id":2,"batch":2}`, "trailing data"},
		{tasks.TypeDeviceSync, `{"netbox_device_id":"42"}`, "cannot unmarshal string"},
		{tasks.TypeDeviceSync, `{"trigger":"webhook"}`, "netbox_device_id must be positive"},
		{tasks.TypeDeviceSync, `{"netbox_device_id":1,"netbox_vm_id":2}`, "not both"},
		{tasks.TypeDeviceSync, `{"netbox_vm_id":-2}`, "netbox_vm_id must be positive"},
		{tasks.TypeSweep, `{"slot":1.5}`, "cannot unmarshal number"},
	} {
		err := mux.ProcessTask(context.Background(), asynq.NewTask(c.kind, []byte(c.payload)))
		require.ErrorIs(t, err, asynq.SkipRetry, c.payload)
		require.ErrorIs(t, err, tasks.ErrBadPayload, c.payload)
		require.ErrorContains(t, err, c.kind+": bad task payload", c.payload)
		require.ErrorContains(t, err, c.problem, c.payload)
	}
	require.Empty(t, got, "no handler ran on a malformed payload")

	require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeExportBatch, []byte(`{"run_id":1,"batch":2}`))))
	require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeDeviceSync, []byte(`{"netbox_device_id":42,"trigger":"webhook"}`))))
	require.NoError(t, mux.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeDeviceSync, []byte(`{"netbox_vm_id":7,"trigger":"webhook"}`))))
	require.Equal(t, []any{tasks.BatchPayload{RunID: 1, Batch: 2},
		tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "webhook"}, tasks.DeviceSyncPayload{NetBoxVMID: 7, Trigger: "webhook"}}, got)
}

func TestEnqueueRefusesArgsNoHandlerCouldRun(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		err := b.enq.Enqueue(context.Background(), tasks.DeviceSyncPayload{Trigger: "webhook"})
		require.ErrorIs(t, err, tasks.ErrBadPayload)
		require.ErrorContains(t, err, "netbox:device:sync")
		require.ErrorContains(t, err, "netbox_device_id must be positive")
		require.Empty(t, b.queued(t, tasks.QueueCritical))

		require.NoError(t, b.enq.Enqueue(context.Background(), tasks.BatchPayload{RunID: 1, Batch: 1}))
		require.ErrorIs(t, b.enq.Enqueue(context.Background(), tasks.BatchPayload{RunID: 1, Batch: 1}), tasks.ErrAlreadyQueued)
		queued := b.queued(t, tasks.QueueDefault)
		require.Len(t, queued, 1)
		require.Equal(t, "export:run:1:batch:1", queued[0].ID)
		require.Equal(t, 10, queued[0].MaxRetry)
	})
}
