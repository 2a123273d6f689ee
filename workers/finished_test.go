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
	"github.com/wugsync/wugsync/tasks"
)

// TestSweeperTakesBackATaskWhoseOutcomeWasLost: a batch this process saw
// end while Redis was away is still active in Redis afterwards (asynq's
// write of its outcome was lost), with a lease no heartbeat extends. The
// sweeper takes it back at once, without waiting for the lease to age;
// it leaves alone a task that ended a moment ago (asynq is writing its
// outcome), one whose lease a later attempt extended, and one this process
// never ran (that one waits for the stale path).
func TestSweeperTakesBackATaskWhoseOutcomeWasLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := testinfra.NewRedis(t)
	db := testinfra.DB(t)
	redisOpt, err := asynq.ParseRedisURI(rd.URL)
	require.NoError(t, err)
	client := asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = client.Close() })
	enq := tasks.NewEnqueuer(client)
	now := time.Now()
	// The marker of a Redis that kept its data (the persistent case).
	require.NoError(t, rd.Client.Set(ctx, redisMarkerKey, "x", 0).Err())

	// Four batches of run 7, active with leases last extended 5 s ago
	// (fresh: the stale path would wait 10 s more).
	leaseEnd := now.Add(asynqLease - 5*time.Second)
	for batch := 1; batch <= 4; batch++ {
		p := tasks.BatchPayload{RunID: 7, Batch: batch}
		require.NoError(t, enq.Enqueue(ctx, p))
		id := p.InsertOpts(now).TaskID
		prefix := "asynq:{" + tasks.QueueDefault + "}:"
		require.NoError(t, rd.Client.LRem(ctx, prefix+"pending", 1, id).Err())
		require.NoError(t, rd.Client.LPush(ctx, prefix+"active", id).Err())
		require.NoError(t, rd.Client.HSet(ctx, prefix+"t:"+id, "state", "active").Err())
		score := leaseEnd
		if batch == 3 {
			// Extended after the handler ended: a later attempt runs.
			score = now.Add(asynqLease)
		}
		require.NoError(t, rd.Client.ZAdd(ctx, leaseKey(tasks.QueueDefault), redis.Z{Score: float64(score.Unix()), Member: id}).Err())
	}
	finished := NewFinishedTasks()
	batchID := func(n int) string { return tasks.BatchPayload{RunID: 7, Batch: n}.InsertOpts(now).TaskID }
	finished.record(tasks.QueueDefault, batchID(1), now.Add(-4*time.Second)) // ended while Redis was away
	finished.record(tasks.QueueDefault, batchID(2), now.Add(-time.Second))   // asynq is writing its outcome
	finished.record(tasks.QueueDefault, batchID(3), now.Add(-4*time.Second)) // a later attempt runs it now
	// batch 4: this process never ran it.

	sweeper := NewOrphanSweeper(OrphanParams{DB: db, Redis: rd.Client, Enqueuer: enq, Finished: finished,
		Now: func() time.Time { return now }})
	n, err := sweeper.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the batch whose outcome was lost comes back")
	inspector := asynq.NewInspectorFromRedisClient(rd.Client)
	info, err := inspector.GetTaskInfo(tasks.QueueDefault, batchID(1)+":recovered:"+strconv.FormatInt(leaseEnd.Unix(), 10))
	require.NoError(t, err)
	require.Equal(t, asynq.TaskStatePending, info.State)

	// Without the ledger, the same leases are too fresh for the sweeper.
	plain := NewOrphanSweeper(OrphanParams{DB: db, Redis: rd.Client, Enqueuer: enq, Now: func() time.Time { return now }})
	require.NoError(t, inspector.DeleteTask(tasks.QueueDefault, info.ID))
	n, err = plain.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

// TestFinishedLedgerForgetsInRecordingOrder: an entry leaves the ledger
// once finishedKeep has passed since it was recorded, or when the ledger
// is full, oldest first; a task that ended again since keeps its newer
// entry.
func TestFinishedLedgerForgetsInRecordingOrder(t *testing.T) {
	t.Parallel()
	f := NewFinishedTasks()
	start := time.Now()
	f.record("q", "old", start)
	f.record("q", "again", start)
	f.record("q", "again", start.Add(finishedKeep))
	f.record("q", "new", start.Add(finishedKeep+time.Second))
	require.Len(t, f.at, 2, "old is forgotten; again and new are kept")
	require.Contains(t, f.at, finishedKey("q", "again"))
	require.Contains(t, f.at, finishedKey("q", "new"))

	full := NewFinishedTasks()
	for i := range maxFinished + 10 {
		full.record("q", strconv.Itoa(i), start)
	}
	require.Len(t, full.at, maxFinished)
	require.NotContains(t, full.at, finishedKey("q", "9"), "the oldest leave first")
	require.Contains(t, full.at, finishedKey("q", "10"))
	require.LessOrEqual(t, len(full.order)-full.head, maxFinished)
}
