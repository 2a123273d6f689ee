package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// TestWritebackColumnsMigrate: migration 00005 adds the write-back fields
// (off, wug_device_id by default) and keeps two write-back connections off
// one custom field, on both databases.
func TestWritebackColumnsMigrate(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		for _, col := range []string{"netbox_writeback", "netbox_custom_field", "netbox_journal"} {
			require.True(t, bundle.db.Migrator().HasColumn(&models.WUGConnection{}, col), col)
		}
		for _, col := range []string{"netbox_field_value", "netbox_writeback_due"} {
			require.True(t, bundle.db.Migrator().HasColumn(&models.NetBoxIPExport{}, col), col)
		}
		// A row written without the new columns gets the defaults.
		require.NoError(t, bundle.db.Exec(`INSERT INTO wug_connections (name, host, port, username, password_encrypted,
			device_filters, role_rules, group_template, decommission_action, rate_limit_per_second, max_concurrent_requests,
			batch_size, export_interval_minutes) VALUES ('old', 'wug.example.net', 9644, 'admin', '', '{}', '[]', '{site}', 'none', 10, 4, 100, 180)`).Error)
		var old models.WUGConnection
		require.NoError(t, bundle.db.Where("name = ?", "old").First(&old).Error)
		require.False(t, old.NetBoxWriteback)
		require.False(t, old.NetBoxJournal)
		require.Equal(t, "wug_device_id", old.NetBoxCustomField)

		a := newConnection(t, bundle, "a")
		require.NoError(t, bundle.db.Model(&a).Update("netbox_writeback", true).Error)
		b := newConnection(t, bundle, "b") // same field, write-back off: allowed
		err := bundle.db.Model(&b).Update("netbox_writeback", true).Error
		require.True(t, models.IsUniqueViolationOf(err, "uq_wug_connections_writeback_field", "netbox_custom_field"), "%v", err)
		require.False(t, models.IsUniqueViolationOf(err, "uq_wug_connections_name", "wug_connections.name"))
		require.NoError(t, bundle.db.Model(&b).Updates(map[string]any{"netbox_writeback": true, "netbox_custom_field": "wug_id_b"}).Error)
	})
}

// TestFinishWritebacksKeepsANewerEvent: clearing an owed write-back leaves
// one set meanwhile.
func TestFinishWritebacksKeepsANewerEvent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		for _, id := range []int64{1, 2} {
			require.NoError(t, store.UpsertRow(ctx, models.DeviceKey(conn.ID, id), "d", "10.0.0.1",
				models.RowWriteback{Change: models.RowLinked{WUGDeviceID: "7"}, Due: models.WritebackCreated}))
		}
		// A field-only write never replaces an owed create.
		require.NoError(t, store.UpsertRow(ctx, models.DeviceKey(conn.ID, 1), "d", "10.0.0.1", models.RowWriteback{Due: models.WritebackUpdated}))
		due, err := store.DueWritebacks(ctx, conn.ID, models.ObjectDevice, []int64{1, 2, 3})
		require.NoError(t, err)
		require.Len(t, due, 2)
		require.Equal(t, models.WritebackCreated, due[0].NetBoxWritebackDue)

		// Device 2 was decommissioned after its create was read for sending.
		require.NoError(t, store.UpsertRow(ctx, models.DeviceKey(conn.ID, 2), "d", "10.0.0.1", models.RowWriteback{Due: models.WritebackDecommissioned}))
		require.NoError(t, store.FinishWritebacks(ctx, conn.ID, models.ObjectDevice, []models.WritebackDone{
			{ObjectID: 1, Due: models.WritebackCreated, Value: "7"}, {ObjectID: 2, Due: models.WritebackCreated, Value: "7"}}))
		due, err = store.DueWritebacks(ctx, conn.ID, models.ObjectDevice, []int64{1, 2})
		require.NoError(t, err)
		require.Len(t, due, 1)
		require.EqualValues(t, 2, due[0].NetBoxObjectID)
		require.Equal(t, models.WritebackDecommissioned, due[0].NetBoxWritebackDue)
		row, err := store.Row(ctx, models.DeviceKey(conn.ID, 1))
		require.NoError(t, err)
		require.Equal(t, "7", row.NetBoxFieldValue)
	})
}

// TestOwedWritebacksOutsideLeavesARunsBatchesAlone: after a plan, the
// export writes back what is owed on objects outside its batches only;
// the batches write back their own rows, and a second writer beside them
// would post their journal entries twice.
func TestOwedWritebacksOutsideLeavesARunsBatchesAlone(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		for _, id := range []int64{1, 2, 3} {
			require.NoError(t, store.UpsertRow(ctx, models.DeviceKey(conn.ID, id), "d", "10.0.0.1",
				models.RowWriteback{Change: models.RowLinked{WUGDeviceID: "7"}, Due: models.WritebackCreated}))
		}
		run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
		require.NoError(t, store.CreateRun(ctx, &run))
		require.NoError(t, store.CreatePlanEntries(ctx, []*models.PlanEntry{
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 1, Action: models.PlanUpdate},
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 2, Action: models.PlanUnchanged},
		}))
		_, err := store.NumberBatches(ctx, run.ID, 10, []models.PlanAction{models.PlanUpdate}, time.Now())
		require.NoError(t, err)

		ids := func(rows []models.NetBoxIPExport) []int64 {
			var out []int64
			for _, r := range rows {
				out = append(out, r.NetBoxObjectID)
			}
			return out
		}
		outside, err := store.OwedWritebacksOutside(ctx, conn.ID, models.ObjectDevice, run.ID, 100)
		require.NoError(t, err)
		require.Equal(t, []int64{2, 3}, ids(outside), "device 1 is its batch's to write back")
		all, err := store.OwedWritebacks(ctx, conn.ID, models.ObjectDevice, 100)
		require.NoError(t, err)
		require.Equal(t, []int64{1, 2, 3}, ids(all))
	})
}
