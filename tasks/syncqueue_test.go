package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/tasks"
)

// syncBundle is a sync queue on a test clock.
type syncBundle struct {
	testBundle
	clock *testinfra.Clock
	q     *tasks.SyncQueue
}

func setupSync(t *testing.T, fn func(t *testing.T, b syncBundle)) {
	t.Helper()
	setup(t, func(t *testing.T, b testBundle) {
		clock := testinfra.NewClock(time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC))
		fn(t, syncBundle{testBundle: b, clock: clock, q: tasks.NewSyncQueue(b.redis.Client).WithClock(clock.Now)})
	})
}

var device42 = []tasks.SyncObject{{ID: 42}}

// A burst of 2,000 events for one device is one sync at once (the leading
// edge) and one sync after the cooldown (the trailing edge), whenever the
// events fall.
func TestSyncQueueBurstIsALeadingAndATrailingSync(t *testing.T) {
	t.Parallel()
	setupSync(t, func(t *testing.T, b syncBundle) {
		ctx := context.Background()
		syncs := 0
		step := func() {
			taken, _, err := b.q.Take(ctx, b.conn.ID, 100)
			require.NoError(t, err)
			if len(taken.Objects) > 0 {
				require.Equal(t, device42, taken.Objects)
				syncs++
				require.NoError(t, b.q.Done(ctx, b.conn.ID, taken))
			}
		}
		// 2,000 events over one second, a drain step between every 100.
		for i := range 2000 {
			_, err := b.q.Add(ctx, b.conn.ID, device42)
			require.NoError(t, err)
			b.clock.Advance(time.Second / 2000)
			if i%100 == 0 {
				step()
			}
		}
		require.Equal(t, 1, syncs, "events within the cooldown wait")
		_, next, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.False(t, next.IsZero(), "the trailing sync is pending")
		b.clock.Advance(next.Sub(b.clock.Now()))
		step()
		require.Equal(t, 2, syncs)
		pending, err := b.q.Pending(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Empty(t, pending, "the trailing sync read the final state")
	})
}

// An event that arrives while its object syncs keeps the object queued,
// for a trailing sync after the cooldown: the sync may have read NetBox
// before the change.
func TestSyncQueueEventDuringASyncIsNotLost(t *testing.T) {
	t.Parallel()
	setupSync(t, func(t *testing.T, b syncBundle) {
		ctx := context.Background()
		_, err := b.q.Add(ctx, b.conn.ID, []tasks.SyncObject{{ID: 42}, {ID: 7, VM: true}})
		require.NoError(t, err)
		taken, _, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.ElementsMatch(t, []tasks.SyncObject{{ID: 42}, {ID: 7, VM: true}}, taken.Objects)
		_, err = b.q.Add(ctx, b.conn.ID, device42) // during the sync
		require.NoError(t, err)
		require.NoError(t, b.q.Done(ctx, b.conn.ID, taken))

		pending, err := b.q.Pending(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Equal(t, device42, pending, "the VM had no new event; the device did")
		again, next, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.Empty(t, again.Objects, "not before its cooldown")
		require.Equal(t, b.clock.Now().Add(tasks.SyncCooldown), next)
		b.clock.Advance(tasks.SyncCooldown)
		again, _, err = b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.Equal(t, device42, again.Objects)
	})
}

// A drain that dies between Take and Done leaves its objects queued: the
// retry takes them again (at least once).
func TestSyncQueueKeepsObjectsUntilDone(t *testing.T) {
	t.Parallel()
	setupSync(t, func(t *testing.T, b syncBundle) {
		ctx := context.Background()
		var objs []tasks.SyncObject
		for id := int64(1); id <= 250; id++ {
			objs = append(objs, tasks.SyncObject{ID: id})
		}
		_, err := b.q.Add(ctx, b.conn.ID, objs)
		require.NoError(t, err)
		first, _, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.Len(t, first.Objects, 100, "a batch at most")
		// The drain dies here. Its retry takes the same objects.
		retry, _, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.Equal(t, first.Objects, retry.Objects)
		require.NoError(t, b.q.Done(ctx, b.conn.ID, retry))
		pending, err := b.q.Pending(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Len(t, pending, 150)
	})
}

// One drain chain per connection: the first event starts it (its drain
// runs now), the rest join it, and it ends only when nothing is pending.
func TestSyncQueueChainStartsOnceAndEndsEmpty(t *testing.T) {
	t.Parallel()
	setupSync(t, func(t *testing.T, b syncBundle) {
		ctx := context.Background()
		enq := b.enq.WithClock(b.clock.Now)
		for range 50 {
			require.NoError(t, tasks.EnqueueSync(ctx, b.q, enq, b.conn.ID, device42))
		}
		queued := b.queued(t, tasks.QueueCritical)
		require.Len(t, queued, 1, "one drain for the burst")
		require.Equal(t, tasks.TypeDeviceDrain, queued[0].Type)
		require.Equal(t, asynq.TaskStatePending, queued[0].State, "the leading edge runs now")

		ended, err := b.q.Release(ctx, b.conn.ID)
		require.NoError(t, err)
		require.False(t, ended, "the device is still pending")
		taken, _, err := b.q.Take(ctx, b.conn.ID, 100)
		require.NoError(t, err)
		require.NoError(t, b.q.Done(ctx, b.conn.ID, taken))
		ended, err = b.q.Release(ctx, b.conn.ID)
		require.NoError(t, err)
		require.True(t, ended)

		// The next event starts a new chain, with a task id of its own.
		b.clock.Advance(time.Minute)
		require.NoError(t, tasks.EnqueueSync(ctx, b.q, enq, b.conn.ID, device42))
		require.Len(t, b.queued(t, tasks.QueueCritical), 2)
	})
}

// A chain that gave up leaves its objects; Restart starts one chain for
// them, and none while a chain is live or nothing waits.
func TestSyncQueueRestartsAChainForWaitingObjects(t *testing.T) {
	t.Parallel()
	setupSync(t, func(t *testing.T, b syncBundle) {
		ctx := context.Background()
		gen, err := b.q.Restart(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Zero(t, gen, "nothing waits")
		first, err := b.q.Add(ctx, b.conn.ID, device42)
		require.NoError(t, err)
		require.Positive(t, first)
		gen, err = b.q.Restart(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Zero(t, gen, "a chain is live")
		require.NoError(t, b.q.Abandon(ctx, b.conn.ID))
		gen, err = b.q.Restart(ctx, b.conn.ID)
		require.NoError(t, err)
		require.Greater(t, gen, first)
	})
}
