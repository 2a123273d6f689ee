package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// insertDryRun records a completed export dry run planned at plannedAt.
func (b *testBundle) insertDryRun(t *testing.T, connectionID uint, plannedAt time.Time) models.WUGSyncLog {
	t.Helper()
	run := b.insertRun(t, connectionID, models.RunCompleted)
	require.NoError(t, b.db.Model(&run).Updates(map[string]any{"dry_run": true, "planned_at": plannedAt,
		"filters": `{"sites":["dc1"]}`}).Error)
	require.NoError(t, b.db.First(&run, run.ID).Error)
	return run
}

// TestApplyPlanQueuesARunFromTheDryRun applies a fresh dry run on a
// connection whose periodic export is off: 202 with a new queued run that
// names the dry run and carries its filters; a second apply is refused
// while the first stands.
func TestApplyPlanQueuesARunFromTheDryRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", map[string]any{"enable_netbox_export": false})
	dry := b.insertDryRun(t, conn, time.Now().Add(-5*time.Minute))

	for _, body := range []any{nil, map[string]any{}} {
		r := b.call(t, http.MethodPost, path("/api/v1/sync-logs/%d/apply", dry.ID), body)
		if body != nil {
			require.Equal(t, http.StatusConflict, r.Status, "the second apply of one dry run")
			require.Contains(t, r.errorOf(t)["message"], "already applied by run")
			continue
		}
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		id := uint(r.json(t)["run_id"].(float64))
		var run models.WUGSyncLog
		require.NoError(t, b.db.First(&run, id).Error)
		require.Equal(t, models.RunQueued, run.Status)
		require.False(t, run.DryRun)
		require.Equal(t, &dry.ID, run.AppliedFrom)
		require.Equal(t, dry.Filters, run.Filters)
		require.Len(t, b.queuedTasks(t, "default"), 1, "the run's planning task is queued")

		got := b.call(t, http.MethodGet, path("/api/v1/sync-logs/%d", id), nil).json(t)
		require.EqualValues(t, dry.ID, got["applied_from"])
		require.Equal(t, []any{}, got["replanned"])
		require.EqualValues(t, 0, got["devices_excluded"])
	}
}

// TestApplyPlanRefusals: 404 for an unknown run, 409 with the reason for
// anything but a completed dry run at most an hour old, 400 for a body
// with fields.
func TestApplyPlanRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodPost, "/api/v1/sync-logs/999/apply", nil)
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Contains(t, r.errorOf(t)["message"], "no sync log with id 999")

	real := b.insertRun(t, conn, models.RunCompleted)
	stale := b.insertDryRun(t, conn, time.Now().Add(-61*time.Minute))
	running := b.insertDryRun(t, conn, time.Now())
	require.NoError(t, b.db.Model(&running).Updates(map[string]any{"status": models.RunRunning, "ended_at": nil}).Error)
	failed := b.insertDryRun(t, conn, time.Now())
	require.NoError(t, b.db.Model(&failed).Update("status", models.RunFailed).Error)
	single := b.insertDryRun(t, conn, time.Now())
	require.NoError(t, b.db.Model(&single).Update("sync_type", models.SyncDevice).Error)
	for run, want := range map[uint]string{
		single.ID:  "is a device_sync dry run: only the plan of an export dry run",
		real.ID:    "is not a dry run",
		stale.ID:   "more than 1h0m0s",
		running.ID: "is running: only the plan of a completed dry run",
		failed.ID:  "is failed: only the plan of a completed dry run",
	} {
		r := b.call(t, http.MethodPost, path("/api/v1/sync-logs/%d/apply", run), nil)
		require.Equal(t, http.StatusConflict, r.Status, want)
		require.Contains(t, r.errorOf(t)["message"], want)
	}
	require.Empty(t, b.queuedTasks(t, "default"), "no refused apply queues anything")

	fresh := b.insertDryRun(t, conn, time.Now())
	r = b.call(t, http.MethodPost, path("/api/v1/sync-logs/%d/apply", fresh.ID), map[string]any{"dry_run": true})
	require.Equal(t, http.StatusBadRequest, r.Status)
}
