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
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// On PostgreSQL the long lists of a run (plan entries, new rows inserted
// claimed, a batch's upsert) go to the server as one array a column, not
// one parameter a value: each statement binds as many parameters as it
// writes columns, few enough for pgx's statement cache, and its text is
// the same for every chunk, so the server parses it once a connection
// instead of a new 30,000-parameter statement a chunk. SQLite keeps its
// multi-row VALUES. Either way every value arrives as it was.
func TestLongListsGoAsArraysOnPostgres(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		pg := models.Dialect(f.bundle.db) == config.DatabasePostgres
		requireArrays := func(what string, p models.Prepared, statements int) {
			t.Helper()
			sent, err := store.ServerStatements(ctx, p)
			require.NoError(t, err)
			require.Len(t, sent, statements, what)
			for _, st := range sent {
				if !pg {
					require.True(t, strings.Contains(st.SQL, " VALUES (") && !strings.Contains(st.SQL, "unnest"), "%s: %.200s", what, st.SQL)
					continue
				}
				require.True(t, strings.Contains(st.SQL, "unnest(") && !strings.Contains(st.SQL, " VALUES "), "%s: %.200s", what, st.SQL)
				require.LessOrEqual(t, st.Params, models.ListParams, "%s binds an array a column: %.200s", what, st.SQL)
				require.Equal(t, sent[0].SQL, st.SQL, "%s: every chunk is the same statement", what)
			}
		}

		const n = 2500
		entries := make([]*models.PlanEntry, n)
		for i := range entries {
			id := int64(i + 1)
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, DeviceName: fmt.Sprintf("sw-%d, \"quoted\" {braces}", i), IPAddress: fmt.Sprintf("10.0.%d.%d", i/256, i%256),
				Action: models.PlanCreate, Batch: 1 + i/100, Excluded: i%7 == 0, PayloadHash: fmt.Sprint("h", i),
				Mapped: &models.PlannedWrite{Fields: export.Fields{DisplayName: fmt.Sprint("sw-", i)}}}
			if i%2 == 0 {
				entries[i].Diff = json.RawMessage(`{"a":1}`)
			}
		}
		p, err := store.PreparePlanEntries(ctx, entries)
		require.NoError(t, err)
		chunks := p.Len()
		require.Greater(t, chunks, 1, "a long plan is several statements")
		requireArrays("plan entries", p, chunks)
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		got, err := store.PendingEntries(ctx, run.ID, 3)
		require.NoError(t, err)
		require.Len(t, got, 100)
		for _, e := range got {
			want := entries[e.NetBoxObjectID-1]
			require.Equal(t, want.DeviceName, e.DeviceName)
			require.Equal(t, want.IPAddress, e.IPAddress)
			require.Equal(t, want.Excluded, e.Excluded)
			require.Equal(t, want.PayloadHash, e.PayloadHash)
			require.Equal(t, want.Mapped.Fields.DisplayName, e.Mapped.Fields.DisplayName)
			require.Equal(t, 3, e.Batch)
		}

		rows := make([]models.NetBoxIPExport, n)
		for i := range rows {
			id := int64(i + 1)
			rows[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, NetBoxDeviceName: entries[i].DeviceName, IPAddress: entries[i].IPAddress,
				ExportReason: models.ReasonManual, ExportStatus: models.ExportPending}
			if i%2 == 0 {
				rows[i].LastRunID = &run.ID
			}
		}
		at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
		p, err = store.PrepareClaimedCreates(ctx, rows, "task-1", at)
		require.NoError(t, err)
		require.Greater(t, p.Len(), 1, "a long list of new rows is several statements")
		requireArrays("new rows inserted claimed", p, p.Len())
		inserted, err := store.InsertClaimedCreates(ctx, rows, "task-1", at)
		require.NoError(t, err)
		require.Len(t, inserted, n, "every chunk inserts and returns its rows")
		for _, id := range []int64{1, 2, n} {
			row, err := store.Row(ctx, models.DeviceKey(conn.ID, id))
			require.NoError(t, err)
			require.Equal(t, rows[id-1].NetBoxDeviceName, row.NetBoxDeviceName)
			require.Equal(t, rows[id-1].IPAddress, row.IPAddress)
			require.Equal(t, models.ExportPending, row.ExportStatus)
			require.Equal(t, rows[id-1].LastRunID == nil, row.LastRunID == nil, "row %d", id)
			require.Equal(t, "task-1", row.CreateClaim)
			require.True(t, row.MarkedNow(at), "row %d is marked", id)
		}

		ups := make([]models.RowUpsert, 100)
		for i := range ups {
			id := int64(n - 50 + i) // 51 exist, 49 are new
			ups[i] = models.RowUpsert{Key: models.DeviceKey(conn.ID, id), Name: fmt.Sprint("d", id), IP: "10.9.0.1",
				Change: models.RowExported{WUGDeviceID: fmt.Sprint("w", id), WUGGroupID: "7", Reason: models.ReasonNewDevice,
					PayloadHash: "h", Fields: `{}`, Name: fmt.Sprint("d", id), IP: "10.9.0.1", At: at, RunID: run.ID}}
		}
		p, err = store.PrepareUpsertRows(ctx, ups)
		require.NoError(t, err)
		requireArrays("a batch's upsert", p, 1)
		require.NoError(t, store.Exec(ctx, p))
		for _, id := range []int64{n - 50, n, n + 49} {
			row, err := store.Row(ctx, models.DeviceKey(conn.ID, id))
			require.NoError(t, err)
			require.Equal(t, models.ExportExported, row.ExportStatus)
			require.Equal(t, fmt.Sprint("w", id), row.WUGDeviceID)
			require.Equal(t, fmt.Sprint("d", id), row.NetBoxDeviceName)
			require.NotNil(t, row.ExportedAt)
			require.True(t, at.Equal(*row.ExportedAt), "exported at %v", row.ExportedAt)
			require.Equal(t, run.ID, *row.LastRunID)
		}
		var total int64
		require.NoError(t, f.bundle.db.Model(&models.NetBoxIPExport{}).Where("connection_id = ?", conn.ID).Count(&total).Error)
		require.EqualValues(t, n+49, total)
	})
}

// A batch's other statements with one value an entry (reading its rows,
// claiming them, storing its outcomes) bind one array a list on
// PostgreSQL: the same short statement every batch, whatever its size.
func TestBatchListsBindArraysOnPostgres(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		pg := models.Dialect(f.bundle.db) == config.DatabasePostgres
		const n = 100
		entries := make([]*models.PlanEntry, n)
		rows := make([]models.NetBoxIPExport, n)
		ids := make([]int64, n)
		for i := range entries {
			id := int64(i + 1)
			ids[i] = id
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, Action: models.PlanCreate, Batch: 1}
			rows[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, ExportReason: models.ReasonManual, ExportStatus: models.ExportPending}
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		require.NoError(t, f.bundle.db.Create(&rows).Error)

		var mu sync.Mutex
		var params []int
		record := func(tx *gorm.DB) {
			mu.Lock()
			defer mu.Unlock()
			params = append(params, len(tx.Statement.Vars))
		}
		require.NoError(t, f.bundle.db.Callback().Query().After("gorm:query").Register("test:vars", record))
		require.NoError(t, f.bundle.db.Callback().Row().After("gorm:row").Register("test:vars", record))
		requireShort := func(what string) {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, params, 1, what)
			if pg {
				require.LessOrEqual(t, params[0], 10, "%s binds an array", what)
			} else {
				require.Greater(t, params[0], 60, "%s binds a parameter an id on SQLite", what)
			}
			params = nil
		}

		got, err := store.RowsByObject(ctx, conn.ID, models.ObjectDevice, ids)
		require.NoError(t, err)
		require.Len(t, got, n)
		requireShort("reading a batch's rows")

		now := time.Now()
		fresh := make([]models.NetBoxIPExport, n)
		for i := range fresh {
			id := int64(n + i + 1)
			fresh[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, ExportReason: models.ReasonManual, ExportStatus: models.ExportPending}
		}
		built, err := store.PrepareClaimedCreates(ctx, fresh, "task-0", now)
		require.NoError(t, err)
		insert, err := store.ServerStatements(ctx, built)
		require.NoError(t, err)
		require.Len(t, insert, 1, "inserting a batch's new rows claimed")
		if pg {
			require.LessOrEqual(t, insert[0].Params, 16, "inserting a batch's new rows claimed binds an array a column: %.200s", insert[0].SQL)
		}
		inserted, err := store.InsertClaimedCreates(ctx, fresh, "task-0", now)
		require.NoError(t, err)
		require.Len(t, inserted, n)

		claimed, err := store.ClaimCreatesMarked(ctx, conn.ID, models.ObjectDevice, ids[:60], "task-1", now, now.Add(-time.Hour))
		require.NoError(t, err)
		require.Len(t, claimed, 60)
		requireShort("claiming a batch's creates")
		again, err := store.ClaimCreatesMarked(ctx, conn.ID, models.ObjectDevice, ids, "task-2", now, now.Add(-time.Hour))
		require.NoError(t, err)
		require.Len(t, again, n-60, "another task's fresh claims are left alone")
		requireShort("claiming a batch's creates")

		pending, err := store.PendingEntries(ctx, run.ID, 1)
		require.NoError(t, err)
		outs := make([]models.EntryOutcome, len(pending))
		for i, e := range pending {
			e.WUGDeviceID = fmt.Sprint("w", e.NetBoxObjectID)
			outs[i] = models.EntryOutcome{Entry: e, Outcome: models.OutcomeDone}
		}
		p, err := store.PrepareOutcomes(ctx, outs)
		require.NoError(t, err)
		sent, err := store.ServerStatements(ctx, p)
		require.NoError(t, err)
		require.Len(t, sent, 1)
		if pg {
			require.LessOrEqual(t, sent[0].Params, 10, "the outcomes bind arrays: %.200s", sent[0].SQL)
		}
		require.NoError(t, store.Exec(ctx, p))
		var stored []models.PlanEntry
		require.NoError(t, f.bundle.db.Where("sync_log_id = ?", run.ID).Find(&stored).Error)
		require.Len(t, stored, n)
		for _, e := range stored {
			require.Equal(t, models.OutcomeDone, e.Outcome)
			require.Equal(t, fmt.Sprint("w", e.NetBoxObjectID), e.WUGDeviceID)
		}
	})
}

// On PostgreSQL the pages of plan entries keep room for their outcome
// updates (migration 00012): storing a batch's outcomes writes no index
// entry, each new row version staying in its page (a heap-only update).
func TestOutcomeUpdatesAreHeapOnlyOnPostgres(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		if models.Dialect(f.bundle.db) != config.DatabasePostgres {
			return // SQLite updates rows in place
		}
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		const n = 300
		entries := make([]*models.PlanEntry, n)
		for i := range entries {
			id := int64(i + 1)
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, DeviceName: fmt.Sprint("sw-", i), IPAddress: fmt.Sprintf("10.1.%d.%d", i/256, i%256),
				Action: models.PlanCreate, Batch: 1, PayloadHash: strings.Repeat("h", 64),
				Mapped: &models.PlannedWrite{Fields: export.Fields{DisplayName: strings.Repeat("x", 600)}}}
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		pending, err := store.PendingEntries(ctx, run.ID, 1)
		require.NoError(t, err)
		require.Len(t, pending, n)
		outs := make([]models.EntryOutcome, n)
		for i, e := range pending {
			e.WUGDeviceID = fmt.Sprint(100000 + i)
			outs[i] = models.EntryOutcome{Entry: e, Outcome: models.OutcomeDone}
		}
		require.NoError(t, store.Transaction(ctx, func(tx models.Store) error {
			if err := tx.SetOutcomes(ctx, outs); err != nil {
				return err
			}
			// The transaction's own counts, before the server reports them.
			var upd, hot int64
			if err := tx.DB().Raw(`SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables
				WHERE relid = 'sync_plan_entries'::regclass`).Row().Scan(&upd, &hot); err != nil {
				return err
			}
			require.EqualValues(t, n, upd)
			require.Greater(t, hot, int64(n*9/10), "%d of %d outcome updates heap-only", hot, upd)
			return nil
		}))
	})
}

// The column types the array statements need are read from the catalog
// once per database, not once per transaction: gorm gives each
// transaction its own copy of the session, and a cache keyed by that
// missed on every batch (a catalog read each). A transaction after the
// first read finds them without a query: its context is cancelled, so
// a query would fail.
func TestColumnTypesAreReadOncePerDatabase(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		if models.Dialect(bundle.db) != config.DatabasePostgres {
			return // SQLite binds no arrays
		}
		ctx := context.Background()
		store := models.NewStore(bundle.db)
		var first map[string]string
		require.NoError(t, store.Transaction(ctx, func(tx models.Store) error {
			var err error
			first, err = tx.ColumnTypes(ctx, "sync_plan_entries")
			return err
		}))
		require.Equal(t, "bigint", first["netbox_device_id"])

		require.NoError(t, store.Transaction(ctx, func(tx models.Store) error {
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			again, err := tx.ColumnTypes(cancelled, "sync_plan_entries")
			require.NoError(t, err, "read again instead of taken from the cache")
			require.Equal(t, first, again)
			return nil
		}))
	})
}
