package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

func TestListRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createConnection(t, "a", nil)
	c := b.createConnection(t, "c", nil)
	r1 := b.insertRun(t, a, models.RunCompleted)
	r2 := b.insertRun(t, c, models.RunFailed)
	r3 := b.insertRun(t, a, models.RunRunning)

	r := b.call(t, http.MethodGet, "/api/v1/sync-logs", nil)
	require.Equal(t, http.StatusOK, r.Status)
	got := r.json(t)
	require.EqualValues(t, 3, got["total"])
	items := got["items"].([]any)
	first := items[0].(map[string]any)
	require.EqualValues(t, r3.ID, first["id"], "newest first")
	require.Equal(t, "a", first["connection_name"])
	require.Equal(t, runURL(r3.ID), first["url"])

	ids := func(query string) []uint {
		r := b.call(t, http.MethodGet, "/api/v1/sync-logs?"+query, nil)
		require.Equal(t, http.StatusOK, r.Status, query)
		var out []uint
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, uint(it.(map[string]any)["id"].(float64)))
		}
		return out
	}
	require.Equal(t, []uint{r3.ID, r1.ID}, ids(path("connection_id=%d", a)))
	require.Equal(t, []uint{r2.ID}, ids("status=failed"))
	require.Equal(t, []uint{r3.ID}, ids(path("connection_id=%d&status=running", a)))
	require.Equal(t, []uint{r3.ID}, ids("limit=1"))

	for q, field := range map[string]string{"status=done": "status", "connection_id=x": "connection_id", "sync_type=full": "sync_type"} {
		r := b.call(t, http.MethodGet, "/api/v1/sync-logs?"+q, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, q)
		require.Contains(t, r.errorOf(t)["fields"], field)
	}
}

func TestGetRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, id, models.RunCompleted)
	r := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=5", run.ID), nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "completed", r.json(t)["status"], "an ended run answers at once")
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/sync-logs/999", nil).Status)
	for _, w := range []string{"301", "-1", "soon"} {
		r := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=%s", run.ID, w), nil)
		require.Equal(t, http.StatusBadRequest, r.Status, w)
		require.Contains(t, r.errorOf(t)["fields"], "wait")
	}
}

// waitForSubscriber blocks until a ?wait request is listening for run
// ends, so the test ends the run while the request is really waiting.
func (b *testBundle) waitForSubscriber(t *testing.T) {
	t.Helper()
	channel := tasks.RunEndedChannel(b.redis.Client)
	require.Eventually(t, func() bool {
		n, err := b.redis.Client.PubSubNumSub(t.Context(), channel).Result()
		return err == nil && n[channel] > 0
	}, 10*time.Second, 5*time.Millisecond)
}

// endRun finishes a run as a worker does: row first, then the announcement.
func (b *testBundle) endRun(t *testing.T, id uint, counts map[string]any) {
	t.Helper()
	counts["status"] = models.RunCompleted
	require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("id = ?", id).Updates(counts).Error)
	require.NoError(t, tasks.PublishRunEnded(t.Context(), b.redis.Client, id))
}

func TestGetRunWaitsForTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, id, models.RunRunning)
	other := b.insertRun(t, b.createConnection(t, "other", nil), models.RunRunning)

	req := b.request(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=300", run.ID), nil)
	type result struct {
		r   reply
		err error
	}
	answer := make(chan result, 1)
	go func() {
		r, err := send(req)
		answer <- result{r, err}
	}()
	b.waitForSubscriber(t)
	// Another run's end does not wake this request with a wrong answer.
	b.endRun(t, other.ID, map[string]any{})
	b.endRun(t, run.ID, map[string]any{"devices_created": 7, "devices_total": 9})
	res := <-answer
	require.NoError(t, res.err)
	r := res.r
	validateAgainstDoc(t, b.srv, req, r)
	require.Equal(t, http.StatusOK, r.Status)
	got := r.json(t)
	require.Equal(t, "completed", got["status"])
	require.EqualValues(t, 7, got["devices_created"])
	require.EqualValues(t, 9, got["devices_total"])
}

func TestGetRunWaitEndsWithTheRunStillGoing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	run := b.insertRun(t, b.createConnection(t, "lab", nil), models.RunQueued)
	r := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d?wait=1", run.ID), nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "queued", r.json(t)["status"])
}

func TestGetPlan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	run := b.insertRun(t, conn, models.RunCompleted)
	entries := []models.PlanEntry{
		{RunID: run.ID, ConnectionID: conn, NetBoxDeviceID: 1, DeviceName: "sw1", IPAddress: "10.0.0.1", Action: models.PlanCreate, Batch: 1},
		{RunID: run.ID, ConnectionID: conn, NetBoxDeviceID: 2, DeviceName: "sw2", IPAddress: "10.0.0.2", Action: models.PlanUpdate,
			WUGDeviceID: "77", Diff: []byte(`{"displayName":{"old":"sw-2","new":"sw2"}}`), Batch: 1},
		{RunID: run.ID, ConnectionID: conn, NetBoxDeviceID: 3, DeviceName: "sw3", Action: models.PlanSkip, Reason: "no primary IP"},
	}
	require.NoError(t, b.db.Create(&entries).Error)

	r := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d/plan", run.ID), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := r.json(t)
	require.EqualValues(t, run.ID, got["run"].(map[string]any)["id"])
	require.EqualValues(t, 3, got["total"])
	update := got["items"].([]any)[1].(map[string]any)
	require.Equal(t, "update", update["action"])
	require.Equal(t, map[string]any{"displayName": map[string]any{"old": "sw-2", "new": "sw2"}}, update["diff"])

	r = b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d/plan?action=skip", run.ID), nil)
	require.Equal(t, http.StatusOK, r.Status)
	items := r.json(t)["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, "no primary IP", items[0].(map[string]any)["reason"])

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d/plan?action=explode", run.ID), nil).Status)
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/sync-logs/999/plan", nil).Status)
}
