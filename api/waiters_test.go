package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// startWaiters sends n ?wait requests for run and returns their answers'
// channel once all n are waiting in the server.
func (b *testBundle) startWaiters(t *testing.T, runID uint, n int) <-chan reply {
	t.Helper()
	answers := make(chan reply, n)
	for range n {
		// A failing test hangs up at its end instead of waiting the 300 s.
		req := b.request(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=300", runID), nil).WithContext(t.Context())
		go func() {
			r, err := send(req)
			if err != nil {
				r = reply{Status: -1, Body: []byte(err.Error())}
			}
			answers <- r
		}()
	}
	require.Eventually(t, func() bool { return b.srv.waiter.Waiting() == n }, 10*time.Second, 5*time.Millisecond)
	b.waitForSubscriber(t)
	return answers
}

func (b *testBundle) subscribers(t *testing.T) int64 {
	t.Helper()
	channel := tasks.RunEndedChannel(b.redis.Client)
	n, err := b.redis.Client.PubSubNumSub(t.Context(), channel).Result()
	require.NoError(t, err)
	return n[channel]
}

// TestWaitersShareOneSubscription: many clients waiting for runs hold one
// Redis Pub/Sub connection per API process, not one each.
func TestWaitersShareOneSubscription(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, id, models.RunRunning)
	other := b.insertRun(t, b.createConnection(t, "other", nil), models.RunRunning)
	const n = 25
	answers := b.startWaiters(t, run.ID, n)
	require.EqualValues(t, 1, b.subscribers(t), "one subscription for %d waiters", n)

	b.endRun(t, other.ID, map[string]any{})
	b.endRun(t, run.ID, map[string]any{"devices_created": 3})
	for range n {
		r := <-answers
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, "completed", r.json(t)["status"])
	}
	require.Zero(t, b.srv.waiter.Waiting())
	require.EqualValues(t, 1, b.subscribers(t), "the subscription stays for the next waiters")
}

// TestWaiterCapAnswers503: past the cap a waiting request is refused at
// once with 503, distinguishable as tasks.ErrTooManyWaiters; the waiters
// within the cap still get the end.
func TestWaiterCapAnswers503(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.MaxWaiters = 2 })
	id := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, id, models.RunRunning)
	answers := b.startWaiters(t, run.ID, 2)

	r := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=300", run.ID), nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s", r.Body)
	require.Equal(t, CodeUnavailable, r.errorOf(t)["code"])
	require.Contains(t, r.errorOf(t)["message"], "too many clients are waiting")
	require.EqualValues(t, run.ID, r.errorOf(t)["run_id"])

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := b.srv.waitRun(ctx, run.ID, time.Minute)
	require.ErrorIs(t, err, tasks.ErrTooManyWaiters, "callers can tell the cap from other failures")

	r = b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d", run.ID), nil)
	require.Equal(t, http.StatusOK, r.Status, "without ?wait nothing is capped")

	b.endRun(t, run.ID, map[string]any{})
	for range 2 {
		r := <-answers
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, "completed", r.json(t)["status"])
	}
}
