package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// A batch holds objects of one type: devices are numbered first, then VMs
// in batches of their own, so a batch reads its objects from NetBox in one
// call and a VM never shares a batch key with the device of its id.
func TestNumberBatchesNeverMixesObjectTypes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		run := models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
		require.NoError(t, store.CreateRun(ctx, &run))
		var entries []*models.PlanEntry
		for _, id := range []int64{3, 1, 2} {
			entries = append(entries, &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: id, Action: models.PlanCreate})
		}
		for _, id := range []int64{2, 1} {
			entries = append(entries, &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectVirtualMachine,
				NetBoxObjectID: id, Action: models.PlanUpdate})
		}
		entries = append(entries, &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 9, Action: models.PlanSkip})
		require.NoError(t, store.CreatePlanEntries(ctx, entries))

		n, err := store.NumberBatches(ctx, run.ID, 2, export.WriteActions(), time.Now())
		require.NoError(t, err)
		require.Equal(t, 3, n)
		var stored []models.PlanEntry
		require.NoError(t, bundle.db.Where("sync_log_id = ?", run.ID).Find(&stored).Error)
		got := map[string]int{}
		for _, e := range stored {
			got[fmt.Sprintf("%s %d", e.ObjectType, e.NetBoxObjectID)] = e.Batch
		}
		require.Equal(t, map[string]int{"device 1": 1, "device 2": 1, "device 3": 2,
			"virtualmachine 1": 3, "virtualmachine 2": 3, "device 9": 0}, got)
		pending, err := store.PendingEntries(ctx, run.ID, 3)
		require.NoError(t, err)
		require.Len(t, pending, 2)
		require.Equal(t, int64(1), pending[0].NetBoxObjectID, "in object order")
	})
}
