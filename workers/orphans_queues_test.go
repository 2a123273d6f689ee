package workers_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// orphanTask puts a task on queue and moves it to active with a lease
// that ends at leaseEnd, as asynq's dequeue and heartbeats leave the task
// of a worker process killed while running it: no live server lists it,
// and asynq's own recoverer gives it back only after the lease ran out and
// its next pass came (up to ~90 s).
func (b *testBundle) orphanTask(queue, id, kind string, payload any, leaseEnd time.Time) {
	b.t.Helper()
	ctx := context.Background()
	data, err := json.Marshal(payload)
	require.NoError(b.t, err)
	redisOpt, err := asynq.ParseRedisURI(b.redis.URL)
	require.NoError(b.t, err)
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	_, err = client.EnqueueContext(ctx, asynq.NewTask(kind, data), asynq.Queue(queue), asynq.TaskID(id))
	require.NoError(b.t, err)
	// What asynq's dequeue script does, with an old lease.
	prefix := "asynq:{" + queue + "}:"
	moved, err := b.redis.Client.RPopLPush(ctx, prefix+"pending", prefix+"active").Result()
	require.NoError(b.t, err)
	require.Equal(b.t, id, moved)
	require.NoError(b.t, b.redis.Client.HSet(ctx, prefix+"t:"+id, "state", "active").Err())
	require.NoError(b.t, b.redis.Client.HDel(ctx, prefix+"t:"+id, "pending_since").Err())
	require.NoError(b.t, b.redis.Client.ZAdd(ctx, prefix+"lease", redis.Z{Score: float64(leaseEnd.Unix()), Member: id}).Err())
}

// TestOrphanSweeperCoversEveryQueue: the tasks a dead worker held on the
// critical queue (a webhook's device sync) and the low queue (a sweep) are
// queued again by the orphan sweeper under new ids, on their own queues
// with their payloads and retry budgets, once only however often it
// sweeps; the recovered device sync then runs and creates its device in
// WUG exactly once. Before, only the default queue (exports) was swept and
// such tasks waited for asynq's own recovery.
func TestOrphanSweeperCoversEveryQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 3, noWorker: true})
	ctx := context.Background()
	device := int64(b.nb.Devices()[0].ID)
	// Last extended 18 s ago (three missed heartbeats and more); asynq's
	// recoverer leaves it alone for another 12 s.
	leaseEnd := time.Now().Add(12 * time.Second)
	sync := tasks.DeviceSyncPayload{NetBoxDeviceID: device, ConnectionID: b.conn.ID, Trigger: "webhook"}
	b.orphanTask(tasks.QueueCritical, "device:sync:lost", tasks.TypeDeviceSync, sync, leaseEnd)
	b.orphanTask(tasks.QueueLow, "sweep:lost", tasks.TypeSweep, tasks.SweepPayload{Slot: 1}, leaseEnd)
	// Not a wugsync task: asynq's own recovery is left to it.
	b.orphanTask(tasks.QueueLow, "foreign:lost", "other:type", map[string]int{"x": 1}, leaseEnd)

	sweeper := workers.NewOrphanSweeper(workers.OrphanParams{DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq})
	n, err := sweeper.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "the device sync and the sweep are queued again")
	n, err = sweeper.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a second sweep enqueues nothing more")

	inspector := asynq.NewInspectorFromRedisClient(b.redis.Client)
	suffix := ":recovered:" + strconv.FormatInt(leaseEnd.Unix(), 10)
	for _, want := range []struct{ queue, id, kind string }{
		{tasks.QueueCritical, "device:sync:lost" + suffix, tasks.TypeDeviceSync},
		{tasks.QueueLow, "sweep:lost" + suffix, tasks.TypeSweep},
	} {
		info, err := inspector.GetTaskInfo(want.queue, want.id)
		require.NoError(t, err, "replacement %s on %s", want.id, want.queue)
		require.Equal(t, asynq.TaskStatePending, info.State)
		require.Equal(t, want.kind, info.Type)
		require.Equal(t, tasks.Specs[want.kind].MaxRetry, info.MaxRetry)
		require.Zero(t, info.Retried)
	}
	info, err := inspector.GetTaskInfo(tasks.QueueCritical, "device:sync:lost"+suffix)
	require.NoError(t, err)
	var got tasks.DeviceSyncPayload
	require.NoError(t, tasks.Decode(info.Payload, &got))
	require.Equal(t, sync, got)
	_, err = inspector.GetTaskInfo(tasks.QueueLow, "foreign:lost"+suffix)
	require.ErrorIs(t, err, asynq.ErrTaskNotFound)

	// The replacement does the lost task's work. (Should the lost task
	// also come back, through asynq's recoverer on a slow machine, one of
	// the two syncs may end cancelled, the other completes.)
	run := b.waitRunWhere(func(r models.WUGSyncLog) bool { return r.Status == models.RunCompleted }, func() { b.startWorker() })
	require.Equal(t, models.SyncDevice, run.SyncType)
	row := b.rows()[device]
	require.NotEmpty(t, row.WUGDeviceID, "the recovered sync linked the device")
	wugDevice, ok := b.wugByNetBoxID()[strconv.FormatInt(device, 10)]
	require.True(t, ok, "the device is in WUG")
	require.Equal(t, row.WUGDeviceID, wugDevice.ID)
}

// waitRunWhere subscribes to run ends, triggers work and returns the first
// run that ends after it and satisfies ok.
func (b *testBundle) waitRunWhere(ok func(models.WUGSyncLog) bool, trigger func()) models.WUGSyncLog {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.RunEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(b.t, err)
	trigger()
	for {
		select {
		case msg := <-sub.Channel():
			id, err := strconv.ParseUint(msg.Payload, 10, 64)
			require.NoError(b.t, err)
			var run models.WUGSyncLog
			require.NoError(b.t, b.db.First(&run, id).Error)
			if ok(run) {
				return run
			}
		case <-ctx.Done():
			b.t.Fatal("no such run ended")
			return models.WUGSyncLog{}
		}
	}
}
