package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm/schema"

	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// A batch's row upsert and outcome update are built without the database:
// on SQLite the one connection is what a cold run's planner and batches
// queue for, so the work of building a statement (gorm's callbacks,
// reflection over each row, the JSON of serialized columns) is done before
// a connection is taken. A store whose pool is closed still builds them,
// and fails only when they run. They read no generated ids back
// (no RETURNING: a row and a scan for each row written).
func TestBatchStatementsAreBuiltWithoutAConnection(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		entries := make([]*models.PlanEntry, 120)
		for i := range entries {
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: int64(i + 1), Action: models.PlanCreate,
				DeviceName: fmt.Sprint("sw-", i), IPAddress: fmt.Sprintf("10.0.0.%d", i+1), Batch: 1,
				Mapped: &models.PlannedWrite{Fields: export.Fields{DisplayName: fmt.Sprint("sw-", i)}}}
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		entries, err := store.PendingEntries(ctx, run.ID, 1)
		require.NoError(t, err)
		require.Len(t, entries, 120)
		ups := make([]models.RowUpsert, len(entries))
		outs := make([]models.EntryOutcome, len(entries))
		for i, e := range entries {
			e.WUGDeviceID = fmt.Sprint("w", i)
			ups[i] = models.RowUpsert{Key: e.Key(), Name: e.DeviceName, IP: e.IPAddress, Change: models.RowExported{
				WUGDeviceID: e.WUGDeviceID, Reason: models.ReasonNewDevice, Name: e.DeviceName, IP: e.IPAddress, Fields: `{}`,
				At: time.Now(), RunID: run.ID}}
			outs[i] = models.EntryOutcome{Entry: e, Outcome: models.OutcomeDone}
		}

		closed := closedStore(t, f)
		rows, err := closed.PrepareUpsertRows(ctx, ups)
		require.NoError(t, err, "building the upsert needs no connection")
		outcomes, err := closed.PrepareOutcomes(ctx, outs)
		require.NoError(t, err, "building the outcome update needs no connection")
		require.Equal(t, 1, rows.Len(), "one upsert for the batch's rows")
		require.Equal(t, 1, outcomes.Len(), "one update for the batch's outcomes")
		for _, sql := range append(rows.SQL(), outcomes.SQL()...) {
			require.NotContains(t, strings.ToUpper(sql), "RETURNING", "nothing is read back: %.100s", sql)
		}
		require.Error(t, closed.Exec(ctx, rows, outcomes), "running them does")
		require.Empty(t, entries[0].Outcome, "the entries in memory move only when the statements ran")

		require.NoError(t, store.Transaction(ctx, func(tx models.Store) error { return tx.Exec(ctx, rows, outcomes) }))
		require.Equal(t, models.OutcomeDone, entries[0].Outcome)
		var exported int64
		require.NoError(t, f.bundle.db.Model(&models.NetBoxIPExport{}).Where("connection_id = ? AND export_status = ? AND wug_device_id <> ''",
			conn.ID, models.ExportExported).Count(&exported).Error)
		require.EqualValues(t, 120, exported)
		var done int64
		require.NoError(t, f.bundle.db.Model(&models.PlanEntry{}).Where("sync_log_id = ? AND outcome = ?", run.ID, models.OutcomeDone).
			Count(&done).Error)
		require.EqualValues(t, 120, done)
	})
}

// closedStore is a Store on f's database whose connection pool is closed:
// any statement that reaches the database fails.
func closedStore(t *testing.T, f runFixture) models.Store {
	t.Helper()
	other, err := models.Open(context.Background(), f.bundle.url)
	require.NoError(t, err)
	require.NoError(t, models.Close(other))
	return models.NewStore(other)
}

// A batch's entries come back with their planned writes as stored (read
// as text and decoded after the rows, not while the connection is held),
// and an entry stored without one has none.
func TestPendingEntriesCarryTheirPlannedWrites(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		seen := "1234"
		written := &models.PlannedWrite{Fields: export.Fields{DisplayName: "sw-1", GroupPath: []string{"site", "rack"},
			Attributes: map[string]string{"NetBox_ID": "1"}}, CustomField: &seen}
		require.NoError(t, store.CreatePlanEntries(ctx, []*models.PlanEntry{
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 1, Action: models.PlanCreate, Batch: 1, Mapped: written},
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 2, Action: models.PlanDecommission, Batch: 1, WUGDeviceID: "9"},
		}))
		entries, err := store.PendingEntries(ctx, run.ID, 1)
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, written, entries[0].Mapped)
		require.EqualValues(t, 1, entries[0].NetBoxObjectID)
		require.NotZero(t, entries[0].ID)
		require.Nil(t, entries[1].Mapped)
		require.Equal(t, "9", entries[1].WUGDeviceID)
	})
}

// PendingEntries scans its columns by hand: it must read every column of
// the model, and each as gorm reads it.
func TestPendingEntriesReadWhatGormReads(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		seen := "77"
		written := &models.PlannedWrite{Fields: export.Fields{DisplayName: "vm-3", GroupPath: []string{"site"}}, CustomField: &seen}
		require.NoError(t, store.CreatePlanEntries(ctx, []*models.PlanEntry{
			{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectVirtualMachine, NetBoxObjectID: 3, Action: models.PlanUpdate,
				DeviceName: "vm-3", IPAddress: "10.0.0.3", Reason: "changed", WUGDeviceID: "12",
				Diff: json.RawMessage(`{"name":{"old":"a","new":"vm-3"}}`), PayloadHash: "abc", Mapped: written, Batch: 4, Excluded: true},
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 1, Action: models.PlanCreate, Batch: 4},
			{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: 2, Action: models.PlanSkip, Batch: 4, Outcome: models.OutcomeDone},
		}))
		got, err := store.PendingEntries(ctx, run.ID, 4)
		require.NoError(t, err)

		var want []*models.PlanEntry
		require.NoError(t, f.bundle.db.Where("sync_log_id = ? AND batch = ? AND outcome = ''", run.ID, 4).
			Order("netbox_object_id").Find(&want).Error)
		require.Len(t, want, 2, "the finished entry is left out")
		for _, e := range append(got, want...) {
			e.CreatedAt = e.CreatedAt.UTC()
		}
		require.Equal(t, want, got)
		require.Equal(t, written, got[1].Mapped)
		require.JSONEq(t, `{"name":{"old":"a","new":"vm-3"}}`, string(got[1].Diff))

		sch, err := schema.Parse(&models.PlanEntry{}, &sync.Map{}, f.bundle.db.NamingStrategy)
		require.NoError(t, err)
		require.ElementsMatch(t, sch.DBNames, strings.Split(models.PendingEntryColumns, ", "),
			"PendingEntries reads every column of the model")
	})
}
