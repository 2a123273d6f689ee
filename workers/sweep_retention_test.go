package workers

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

// TestSweepPrunesWithTheRetentionSettings: the periodic sweep prunes
// finished runs older than the retention period, with their plans, and
// leaves recent runs alone; a worker without retention settings prunes
// nothing.
func TestSweepPrunesWithTheRetentionSettings(t *testing.T) {
	t.Parallel()
	db := testinfra.DB(t)
	rd := testinfra.NewRedis(t)
	now := time.Now()
	conn := models.NewWUGConnection()
	conn.Name, conn.Host = "old-runs", "192.0.2.3"
	require.NoError(t, db.Create(&conn).Error)
	run := func(age time.Duration) models.WUGSyncLog {
		r := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerScheduled,
			Status: models.RunCompleted, CreatedAt: now.Add(-age), UpdatedAt: now.Add(-age)}
		require.NoError(t, db.Create(&r).Error)
		require.NoError(t, db.Create(&models.PlanEntry{RunID: r.ID, ConnectionID: conn.ID, NetBoxDeviceID: 1,
			Action: models.PlanUnchanged}).Error)
		return r
	}
	old, recent := run(31*24*time.Hour), run(29*24*time.Hour)

	keepAll := NewWorker(Params{DB: db, Redis: rd.Client})
	require.NoError(t, keepAll.prune(context.Background()))
	var n int64
	require.NoError(t, db.Model(&models.WUGSyncLog{}).Count(&n).Error)
	require.EqualValues(t, 2, n, "no retention settings, nothing pruned")

	w := NewWorker(Params{DB: db, Redis: rd.Client,
		Retention: models.Retention{MaxAge: 30 * 24 * time.Hour, AttemptsPerRow: 20}})
	require.NoError(t, w.sweep(context.Background()))
	var left []models.WUGSyncLog
	require.NoError(t, db.Find(&left).Error)
	require.Len(t, left, 1)
	require.Equal(t, recent.ID, left[0].ID)
	require.NoError(t, db.Model(&models.PlanEntry{}).Where("sync_log_id = ?", old.ID).Count(&n).Error)
	require.Zero(t, n)
}
