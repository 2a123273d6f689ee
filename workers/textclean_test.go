package workers

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
)

// TestOutsideTextIsCleanedBeforeStoring: texts from NetBox and WUG carrying
// a NUL or an escape sequence are stored cleaned, through creates (one row
// and several), map updates and struct saves, on both databases
// (PostgreSQL refuses a NUL outright).
func TestOutsideTextIsCleanedBeforeStoring(t *testing.T) {
	t.Parallel()
	for _, database := range testinfra.DatabaseBackends(t) {
		t.Run(database.Backend, func(t *testing.T) {
			t.Parallel()
			db := testinfra.OpenMigrated(t, database)
			NewWorker(Params{DB: db})
			conn := models.NewWUGConnection()
			conn.Name, conn.Host = "clean", "192.0.2.1"
			require.NoError(t, db.Create(&conn).Error)
			run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
			require.NoError(t, db.Create(&run).Error)

			attempt := models.ExportAttempt{TaskType: "netbox:export", Attempt: 1, Error: "WUG said \x00\x1b[2J"}
			require.NoError(t, db.Create(&attempt).Error)
			entries := []models.PlanEntry{
				{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: 1, NetBoxDeviceID: 1, DeviceName: "sw\x001", Action: models.PlanAction("create"), Batch: 1},
				{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: 2, NetBoxDeviceID: 2, DeviceName: "sw2", Reason: "bad\x07", Action: models.PlanAction("skip"), Batch: 1},
			}
			require.NoError(t, db.Create(&entries).Error)
			row := models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: 1, NetBoxDeviceID: 1, NetBoxDeviceName: "sw\x001", IPAddress: "192.0.2.10",
				ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending}
			require.NoError(t, db.Create(&row).Error)
			row.SkipReason = "conflict with \x1b[31mred"
			require.NoError(t, db.Save(&row).Error)
			require.NoError(t, db.Model(&models.NetBoxIPExport{}).Where("id = ?", row.ID).
				Updates(map[string]any{"error_message": "template refused: \x00"}).Error)

			require.NoError(t, db.First(&attempt, attempt.ID).Error)
			require.Equal(t, `WUG said \x00\x1b[2J`, attempt.Error)
			var stored []models.PlanEntry
			require.NoError(t, db.Where("sync_log_id = ?", run.ID).Order("netbox_device_id").Find(&stored).Error)
			require.Equal(t, `sw\x001`, stored[0].DeviceName)
			require.Equal(t, `bad\x07`, stored[1].Reason)
			require.NoError(t, db.First(&row, row.ID).Error)
			require.Equal(t, `sw\x001`, row.NetBoxDeviceName)
			require.Equal(t, `template refused: \x00`, row.ErrorMessage)
			require.Equal(t, `conflict with \x1b[31mred`, row.SkipReason)
		})
	}
}
