package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
)

// TestObjectIdentityMigrationKeepsRowsAndHistory: rows, plan entries and
// attempts written before 00003 come through it as devices, keyed by
// (connection, object type, object id), and a virtual machine may then
// share a device's id.
func TestObjectIdentityMigrationKeepsRowsAndHistory(t *testing.T) {
	t.Parallel()
	forEachBackendAt(t, 2, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()

		// Written as the schema of version 2 knows them.
		require.NoError(t, db.Exec(`INSERT INTO wug_connections (id, name, host, username) VALUES (1, 'lab', 'wug.example.net', 'admin')`).Error)
		require.NoError(t, db.Exec(`INSERT INTO wug_sync_logs (id, connection_id, sync_type, "trigger") VALUES (5, 1, 'export', 'manual')`).Error)
		require.NoError(t, db.Exec(`INSERT INTO netbox_ip_exports (id, connection_id, netbox_device_id, netbox_device_name, ip_address, export_status, wug_device_id)
			VALUES (10, 1, 42, 'sw42', '10.0.0.42', 'exported', '7')`).Error)
		require.NoError(t, db.Exec(`INSERT INTO export_attempts (connection_id, export_id, sync_log_id, attempt, error) VALUES (1, 10, 5, 1, 'HTTP 500')`).Error)
		require.NoError(t, db.Exec(`INSERT INTO sync_plan_entries (sync_log_id, connection_id, netbox_device_id, action) VALUES (5, 1, 42, 'update')`).Error)

		_, err := models.Migrate(ctx, db)
		require.NoError(t, err)

		store := models.NewStore(db)
		row, err := store.Row(ctx, models.DeviceKey(1, 42))
		require.NoError(t, err)
		require.Equal(t, uint(10), row.ID, "the same row, not a copy")
		require.Equal(t, models.ObjectDevice, row.ObjectType)
		require.Equal(t, int64(42), row.NetBoxObjectID)
		require.Equal(t, int64(42), row.NetBoxDeviceID)
		require.Equal(t, "7", row.WUGDeviceID)
		var attempts int64
		require.NoError(t, db.Model(&models.ExportAttempt{}).Where("export_id = ?", row.ID).Count(&attempts).Error)
		require.Equal(t, int64(1), attempts, "the row's history survives")
		var entry models.PlanEntry
		require.NoError(t, db.Where("sync_log_id = ?", 5).First(&entry).Error)
		require.Equal(t, models.RowKey{ConnectionID: 1, ObjectType: models.ObjectDevice, ObjectID: 42}, entry.Key())

		// A virtual machine with the device's id is another object.
		vm := models.NetBoxIPExport{ConnectionID: 1, ObjectType: models.ObjectVirtualMachine, NetBoxObjectID: 42,
			ExportStatus: models.ExportPending, ExportReason: models.ReasonNewDevice}
		require.NoError(t, db.Create(&vm).Error)
		dup := models.NetBoxIPExport{ConnectionID: 1, NetBoxDeviceID: 42,
			ExportStatus: models.ExportPending, ExportReason: models.ReasonNewDevice}
		require.Error(t, db.Create(&dup).Error, "the device's row is still unique")
		require.True(t, models.IsUniqueViolation(db.Create(&models.NetBoxIPExport{ConnectionID: 1, NetBoxDeviceID: 42,
			ExportStatus: models.ExportPending, ExportReason: models.ReasonNewDevice}).Error))
		require.Error(t, db.Exec(`UPDATE netbox_ip_exports SET object_type = 'cable' WHERE id = 10`).Error,
			"the database knows the object types")
	})
}
