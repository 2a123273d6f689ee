package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// retentionFixture is a database with old and recent runs, their plans,
// tallies and attempts, and rows with long histories.
type retentionFixture struct {
	now                        time.Time
	oldDone, oldFailed         models.WUGSyncLog
	oldRunning, recent         models.WUGSyncLog
	busyRow, linkedRow         models.NetBoxIPExport
	strayOld, strayRecent      models.ExportAttempt
	recentEntries, rowAttempts int
}

func newRetentionFixture(t *testing.T, db *gorm.DB, conn models.WUGConnection) retentionFixture {
	t.Helper()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	old := now.Add(-40 * 24 * time.Hour)
	f := retentionFixture{now: now}
	run := func(status models.RunStatus, at time.Time, entries int) models.WUGSyncLog {
		r := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual,
			Status: status, CreatedAt: at, UpdatedAt: at}
		require.NoError(t, db.Create(&r).Error)
		plan := make([]models.PlanEntry, entries)
		for i := range plan {
			plan[i] = models.PlanEntry{RunID: r.ID, ConnectionID: conn.ID, NetBoxDeviceID: int64(i + 1),
				Action: models.PlanCreate, Batch: i/100 + 1, CreatedAt: at}
		}
		if entries > 0 {
			require.NoError(t, db.CreateInBatches(plan, 100).Error)
		}
		for b := 1; b <= (entries+99)/100; b++ {
			require.NoError(t, db.Create(&models.RunBatch{RunID: r.ID, Batch: b}).Error)
		}
		for i := 0; i < 3; i++ {
			require.NoError(t, db.Create(&models.ExportAttempt{ConnectionID: &conn.ID, RunID: &r.ID,
				TaskType: "netbox:export:batch", Attempt: i + 1, Error: "boom", OccurredAt: at}).Error)
		}
		return r
	}
	f.oldDone = run(models.RunCompleted, old, 1234)
	f.oldFailed = run(models.RunFailed, old.Add(time.Hour), 7)
	f.oldRunning = run(models.RunRunning, old, 5)
	f.recentEntries = 150
	f.recent = run(models.RunCompleted, now.Add(-24*time.Hour), f.recentEntries)

	// A row last touched by the old run, and a row with 45 attempts, all
	// recent (a row keeps its latest 20 however recent the others are).
	f.linkedRow = models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 1, LastRunID: &f.oldDone.ID,
		ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportExported, IPAddress: "10.0.0.1"}
	require.NoError(t, db.Create(&f.linkedRow).Error)
	f.rowAttempts = 45
	f.busyRow = models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 2, LastRunID: &f.recent.ID,
		ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportError, IPAddress: "10.0.0.2", Attempts: f.rowAttempts}
	require.NoError(t, db.Create(&f.busyRow).Error)
	for i := 0; i < f.rowAttempts; i++ {
		require.NoError(t, db.Create(&models.ExportAttempt{ConnectionID: &conn.ID, ExportID: &f.busyRow.ID,
			RunID: &f.recent.ID, TaskType: "netbox:device:sync", Attempt: i + 1, Error: fmt.Sprintf("attempt %d", i+1),
			OccurredAt: now.Add(-time.Duration(f.rowAttempts-i) * time.Minute)}).Error)
	}
	// Attempts of tasks with neither run nor row: one old, one recent.
	f.strayOld = models.ExportAttempt{ConnectionID: &conn.ID, TaskType: "netbox:device:sync", Error: "old", OccurredAt: old}
	f.strayRecent = models.ExportAttempt{ConnectionID: &conn.ID, TaskType: "netbox:device:sync", Error: "recent", OccurredAt: now.Add(-time.Hour)}
	require.NoError(t, db.Create(&f.strayOld).Error)
	require.NoError(t, db.Create(&f.strayRecent).Error)
	return f
}

func count(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

// TestPruneKeepsWhatRetentionSays: on both databases, pruning removes the
// finished runs older than the retention period with their plan entries,
// tallies and attempts, unlinks the rows that named them, drops stray old
// attempts and trims each row's history to its latest 20 while its
// attempts count stays the total; open and recent runs keep everything.
// No statement touches more rows than a batch, and a backlog larger than
// one call's budget drains over several calls.
func TestPruneKeepsWhatRetentionSays(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		db := bundle.db
		ctx := context.Background()
		conn := newConnection(t, bundle, "retention")
		f := newRetentionFixture(t, db, conn)

		// The largest number of rows one pruning statement touched.
		var largest int64
		require.NoError(t, db.Callback().Raw().After("gorm:raw").Register("test:largest", func(tx *gorm.DB) {
			largest = max(largest, tx.RowsAffected)
		}))

		policy := models.Retention{MaxAge: 30 * 24 * time.Hour, AttemptsPerRow: 20, Batch: 100, Statements: 5}
		store := models.NewStore(db)
		var total models.Pruned
		calls := 0
		for {
			out, err := store.Prune(ctx, f.now, policy)
			require.NoError(t, err)
			calls++
			require.LessOrEqual(t, out.Statements, policy.Statements, "one call stays within its budget")
			total.Runs += out.Runs
			total.PlanEntries += out.PlanEntries
			total.Attempts += out.Attempts
			total.RunBatches += out.RunBatches
			if !out.More {
				break
			}
			require.Less(t, calls, 100, "pruning never finishes")
		}
		require.Greater(t, calls, 1, "the backlog needed several calls")
		require.LessOrEqual(t, largest, int64(policy.Batch), "a statement touched more rows than a batch")

		require.EqualValues(t, 2, total.Runs)
		require.EqualValues(t, 1234+7, total.PlanEntries)
		require.EqualValues(t, 13+1, total.RunBatches)
		require.EqualValues(t, 3+3+1+(f.rowAttempts-20), total.Attempts)

		for _, gone := range []models.WUGSyncLog{f.oldDone, f.oldFailed} {
			require.Zero(t, count(t, db, &models.WUGSyncLog{}, "id = ?", gone.ID))
			require.Zero(t, count(t, db, &models.PlanEntry{}, "sync_log_id = ?", gone.ID))
			require.Zero(t, count(t, db, &models.RunBatch{}, "sync_log_id = ?", gone.ID))
			require.Zero(t, count(t, db, &models.ExportAttempt{}, "sync_log_id = ?", gone.ID))
		}
		require.EqualValues(t, 1, count(t, db, &models.WUGSyncLog{}, "id = ?", f.oldRunning.ID), "a running run is kept, however old")
		require.EqualValues(t, 5, count(t, db, &models.PlanEntry{}, "sync_log_id = ?", f.oldRunning.ID))
		require.EqualValues(t, f.recentEntries, count(t, db, &models.PlanEntry{}, "sync_log_id = ?", f.recent.ID))
		require.EqualValues(t, 2, count(t, db, &models.RunBatch{}, "sync_log_id = ?", f.recent.ID))

		var linked models.NetBoxIPExport
		require.NoError(t, db.First(&linked, f.linkedRow.ID).Error)
		require.Nil(t, linked.LastRunID, "the row no longer names the pruned run")
		require.Equal(t, models.ExportExported, linked.ExportStatus, "the row itself stays")

		var kept []models.ExportAttempt
		require.NoError(t, db.Where("export_id = ?", f.busyRow.ID).Order("occurred_at").Find(&kept).Error)
		require.Len(t, kept, 20)
		require.Equal(t, fmt.Sprintf("attempt %d", f.rowAttempts-19), kept[0].Error, "the latest 20 are kept")
		require.Equal(t, fmt.Sprintf("attempt %d", f.rowAttempts), kept[19].Error)
		var busy models.NetBoxIPExport
		require.NoError(t, db.First(&busy, f.busyRow.ID).Error)
		require.Equal(t, f.rowAttempts, busy.Attempts, "the row still counts every attempt")

		require.Zero(t, count(t, db, &models.ExportAttempt{}, "id = ?", f.strayOld.ID))
		require.EqualValues(t, 1, count(t, db, &models.ExportAttempt{}, "id = ?", f.strayRecent.ID))

		// Nothing more is due: another call removes nothing.
		out, err := store.Prune(ctx, f.now, policy)
		require.NoError(t, err)
		require.False(t, out.More)
		require.Zero(t, out.Runs+out.PlanEntries+out.RunBatches+out.Attempts)
	})
}

// TestPruneWithZeroRetentionKeepsEverything: 0 days and 0 attempts per row
// (the settings' "keep forever") prune nothing.
func TestPruneWithZeroRetentionKeepsEverything(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "keep")
		f := newRetentionFixture(t, bundle.db, conn)
		out, err := models.NewStore(bundle.db).Prune(context.Background(), f.now, models.Retention{})
		require.NoError(t, err)
		require.Zero(t, out.Runs+out.PlanEntries+out.RunBatches+out.Attempts)
		require.EqualValues(t, 1234, count(t, bundle.db, &models.PlanEntry{}, "sync_log_id = ?", f.oldDone.ID))
		require.EqualValues(t, f.rowAttempts, count(t, bundle.db, &models.ExportAttempt{}, "export_id = ?", f.busyRow.ID))
	})
}
