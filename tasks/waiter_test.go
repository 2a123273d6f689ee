package tasks_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

var connections atomic.Int64

// runningExport records a running export on a connection of its own (one
// active export per connection).
func runningExport(t *testing.T, db *gorm.DB) models.WUGSyncLog {
	t.Helper()
	conn := models.NewWUGConnection()
	conn.Name, conn.Host, conn.Username = fmt.Sprintf("c%d", connections.Add(1)), "wug", "admin"
	require.NoError(t, db.Create(&conn).Error)
	run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
	require.NoError(t, db.Create(&run).Error)
	return run
}

func (b testBundle) activeRun(t *testing.T) models.WUGSyncLog { return runningExport(t, b.db) }

type waited struct {
	run models.WUGSyncLog
	err error
}

// goWait starts a Wait and returns once it is registered.
func goWait(t *testing.T, w *tasks.RunWaiter, runID uint, ctx context.Context) <-chan waited {
	t.Helper()
	before := w.Waiting()
	out := make(chan waited, 1)
	go func() {
		run, err := w.Wait(ctx, runID)
		out <- waited{run, err}
	}()
	require.Eventually(t, func() bool { return w.Waiting() > before }, 10*time.Second, 2*time.Millisecond)
	return out
}

func waitSubscribed(t *testing.T, rdb *redis.Client) {
	t.Helper()
	channel := tasks.RunEndedChannel(rdb)
	require.Eventually(t, func() bool {
		n, err := rdb.PubSubNumSub(t.Context(), channel).Result()
		return err == nil && n[channel] > 0
	}, 10*time.Second, 2*time.Millisecond)
}

func TestRunWaiterWakesTheRightWaiters(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		w := tasks.NewRunWaiter(b.redis.Client, b.db, 0)
		t.Cleanup(func() { _ = w.Close() })
		require.Equal(t, tasks.DefaultMaxWaiters, w.Max())
		run, other := b.activeRun(t), b.activeRun(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		first, second := goWait(t, w, run.ID, ctx), goWait(t, w, run.ID, ctx)
		third := goWait(t, w, other.ID, ctx)
		waitSubscribed(t, b.redis.Client)

		require.NoError(t, b.db.Model(&run).Update("status", models.RunCompleted).Error)
		require.NoError(t, tasks.PublishRunEnded(ctx, b.redis.Client, run.ID))
		for _, ch := range []<-chan waited{first, second} {
			got := <-ch
			require.NoError(t, got.err)
			require.Equal(t, models.RunCompleted, got.run.Status)
		}
		require.Equal(t, 1, w.Waiting(), "the other run's waiter still waits")
		require.NoError(t, w.Close())
		got := <-third
		require.ErrorIs(t, got.err, tasks.ErrWaiterClosed)
		require.Equal(t, models.RunRunning, got.run.Status, "with the run as it stands")
	})
}

func TestRunWaiterCap(t *testing.T) {
	t.Parallel()
	setup(t, func(t *testing.T, b testBundle) {
		w := tasks.NewRunWaiter(b.redis.Client, b.db, 1)
		t.Cleanup(func() { _ = w.Close() })
		run := b.activeRun(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		first := goWait(t, w, run.ID, ctx)
		got, err := w.Wait(ctx, run.ID)
		require.ErrorIs(t, err, tasks.ErrTooManyWaiters)
		require.Equal(t, run.ID, got.ID, "the refusal carries the run as it stands")
		cancel()
		require.ErrorIs(t, (<-first).err, context.Canceled)
		require.Zero(t, w.Waiting())
	})
}

// TestRunWaiterFailsFastWithoutRedis: a wait that cannot listen says so
// at once, rather than waiting out its time for an end it cannot hear.
func TestRunWaiterFailsFastWithoutRedis(t *testing.T) {
	t.Parallel()
	db := testinfra.DB(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	run := runningExport(t, db)

	w := tasks.NewRunWaiter(rdb, db, 0)
	t.Cleanup(func() { _ = w.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	got, err := w.Wait(ctx, run.ID)
	require.ErrorIs(t, err, tasks.ErrWaitUnavailable)
	require.NoError(t, ctx.Err(), "it did not wait out its time")
	require.Equal(t, models.RunRunning, got.Status)
}

// TestRunWaiterRereadsRunsAfterReconnecting: an end announced while the
// subscription was down is not heard, so every waiter reads its run again
// once the subscription is back.
func TestRunWaiterRereadsRunsAfterReconnecting(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	db := testinfra.DB(t)
	run := runningExport(t, db)

	w := tasks.NewRunWaiter(rdb, db, 0)
	t.Cleanup(func() { _ = w.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := goWait(t, w, run.ID, ctx)
	waitSubscribed(t, rdb)

	mr.Close()
	require.NoError(t, db.Model(&run).Update("status", models.RunCompleted).Error) // announced to nobody
	require.NoError(t, mr.Restart())
	got := <-done
	require.NoError(t, got.err)
	require.Equal(t, models.RunCompleted, got.run.Status)
}
