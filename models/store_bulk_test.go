package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/config"
	"github.com/wugsync/wugsync/export"
	"github.com/wugsync/wugsync/models"
)

// statementCounter counts the SQL statements GORM runs on db, by kind.
type statementCounter struct{ creates, queries, updates, raws atomic.Int64 }

func countStatements(t *testing.T, db *gorm.DB) *statementCounter {
	t.Helper()
	c := &statementCounter{}
	cb := db.Callback()
	require.NoError(t, cb.Create().After("gorm:create").Register("test:count", func(*gorm.DB) { c.creates.Add(1) }))
	require.NoError(t, cb.Query().After("gorm:query").Register("test:count", func(*gorm.DB) { c.queries.Add(1) }))
	require.NoError(t, cb.Update().After("gorm:update").Register("test:count", func(*gorm.DB) { c.updates.Add(1) }))
	require.NoError(t, cb.Raw().After("gorm:raw").Register("test:count", func(*gorm.DB) { c.raws.Add(1) }))
	require.NoError(t, cb.Row().After("gorm:row").Register("test:count", func(*gorm.DB) { c.raws.Add(1) }))
	return c
}

func newRun(t *testing.T, store models.Store, connID uint) models.WUGSyncLog {
	t.Helper()
	run := models.WUGSyncLog{ConnectionID: connID, SyncType: models.SyncExport, Trigger: models.TriggerManual, Status: models.RunRunning}
	require.NoError(t, store.CreateRun(context.Background(), &run))
	return run
}

// runFixture is what most tests of this file start from: a connection
// named "lab" on one backend, its store, and a running run of it.
type runFixture struct {
	ctx    context.Context
	bundle testBundle
	conn   models.WUGConnection
	store  models.Store
	run    models.WUGSyncLog
}

// forEachRun runs fn on every backend (forEachBackend) with a fresh
// runFixture.
func forEachRun(t *testing.T, fn func(t *testing.T, f runFixture)) {
	t.Helper()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		fn(t, runFixture{ctx: context.Background(), bundle: bundle, conn: conn, store: store, run: newRun(t, store, conn.ID)})
	})
}

// A batch's successes are one INSERT … ON CONFLICT per kind of change:
// missing rows are created with the change applied, existing rows get only
// the change's columns, and a write-back that only fills the field never
// replaces an owed journaled event.
func TestUpsertRowsCreatesAndChangesRowsInOneStatementPerKind(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		old := models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: 1, NetBoxDeviceName: "old", IPAddress: "10.0.0.9",
			ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending, NetBoxWritebackDue: models.WritebackCreated,
			NetBoxFieldValue: "kept"}
		require.NoError(t, bundle.db.Create(&old).Error)

		at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
		exported := func(wugID, name string, adopted bool) models.RowChange {
			return models.RowWriteback{Due: models.WritebackUpdated, Change: models.RowExported{WUGDeviceID: wugID, WUGGroupID: "7",
				Reason: models.ReasonManual, PayloadHash: "h-" + wugID, Fields: `{}`, Name: name, IP: "10.0.0." + wugID,
				At: at, RunID: run.ID, Adopted: adopted}}
		}
		counter := countStatements(t, bundle.db)
		require.NoError(t, store.UpsertRows(ctx, []models.RowUpsert{
			{Key: models.DeviceKey(conn.ID, 1), Name: "one", IP: "10.0.0.1", Change: exported("1", "one", false)},
			{Key: models.DeviceKey(conn.ID, 2), Name: "two", IP: "10.0.0.2", Change: exported("2", "two", false)},
			{Key: models.RowKey{ConnectionID: conn.ID, ObjectType: models.ObjectVirtualMachine, ObjectID: 3}, Name: "vm",
				IP: "10.0.0.3", Change: exported("3", "vm", true)},
		}))
		require.EqualValues(t, 2, counter.creates.Load(), "one statement per kind of change (the adoption is another)")
		require.Zero(t, counter.updates.Load())

		one, err := store.Row(ctx, models.DeviceKey(conn.ID, 1))
		require.NoError(t, err)
		require.Equal(t, old.ID, one.ID, "the existing row is changed, not replaced")
		require.Equal(t, models.ExportExported, one.ExportStatus)
		require.Equal(t, "1", one.WUGDeviceID)
		require.Equal(t, "one", one.NetBoxDeviceName)
		require.Equal(t, models.WritebackCreated, one.NetBoxWritebackDue, "an owed create is not replaced by a field-only write-back")
		require.Equal(t, "kept", one.NetBoxFieldValue, "columns outside the change stay")
		require.Equal(t, old.CreatedAt.Unix(), one.CreatedAt.Unix())
		require.False(t, one.Adopted)

		two, err := store.Row(ctx, models.DeviceKey(conn.ID, 2))
		require.NoError(t, err)
		require.Equal(t, models.ExportExported, two.ExportStatus)
		require.Equal(t, "2", two.WUGDeviceID)
		require.Equal(t, "7", two.WUGGroupID)
		require.Equal(t, "10.0.0.2", two.IPAddress)
		require.Equal(t, models.WritebackUpdated, two.NetBoxWritebackDue, "a new row takes the write-back")
		require.Equal(t, int64(2), two.NetBoxDeviceID)
		require.NotNil(t, two.LastRunID)
		require.Equal(t, run.ID, *two.LastRunID)
		require.Equal(t, at.Unix(), two.ExportedAt.Unix())

		vm, err := store.Row(ctx, models.RowKey{ConnectionID: conn.ID, ObjectType: models.ObjectVirtualMachine, ObjectID: 3})
		require.NoError(t, err)
		require.True(t, vm.Adopted)
		require.Equal(t, "3", vm.WUGDeviceID)
		require.Zero(t, vm.NetBoxDeviceID, "a VM's row names no device")
	})
}

// Two changes of one object in one call are applied in order, and rows
// past one statement's bind-parameter limit go in further statements.
func TestUpsertRowsAppliesRepeatedKeysInOrderAndManyRows(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		key := models.DeviceKey(conn.ID, 5)
		require.NoError(t, store.UpsertRows(ctx, []models.RowUpsert{
			{Key: key, Name: "five", IP: "10.0.0.5", Change: models.RowLinked{WUGDeviceID: "50"}},
			{Key: key, Name: "five", IP: "10.0.0.5", Change: models.RowLinked{WUGDeviceID: "51"}},
		}))
		row, err := store.Row(ctx, key)
		require.NoError(t, err)
		require.Equal(t, "51", row.WUGDeviceID, "the later change wins")
		// A change of another kind in between: the third change may not
		// join the first one's statement, which would run before the second.
		other := models.DeviceKey(conn.ID, 6)
		require.NoError(t, store.UpsertRows(ctx, []models.RowUpsert{
			{Key: other, Change: models.RowLinked{WUGDeviceID: "60"}},
			{Key: key, Change: models.RowUnlinked{}},
			{Key: key, Change: models.RowLinked{WUGDeviceID: "52"}},
		}))
		row, err = store.Row(ctx, key)
		require.NoError(t, err)
		require.Equal(t, "52", row.WUGDeviceID, "linked again after the unlink")

		const n = 2500 // more rows than one statement's parameters allow
		ups := make([]models.RowUpsert, n)
		for i := range ups {
			ups[i] = models.RowUpsert{Key: models.DeviceKey(conn.ID, int64(100+i)), Name: fmt.Sprint("d", i), IP: "10.1.0.1",
				Change: models.RowFailed{Message: "refused", At: time.Now(), RunID: run.ID}}
		}
		require.NoError(t, store.UpsertRows(ctx, ups))
		var failed int64
		require.NoError(t, bundle.db.Model(&models.NetBoxIPExport{}).Where("connection_id = ? AND export_status = ? AND error_message = ?",
			conn.ID, models.ExportError, "refused").Count(&failed).Error)
		require.EqualValues(t, n, failed)
	})
}

// countParams counts the parameters GORM binds to INSERT statements on db.
func countParams(t *testing.T, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	n := &atomic.Int64{}
	require.NoError(t, db.Callback().Create().After("gorm:create").Register("test:params", func(tx *gorm.DB) {
		n.Add(int64(len(tx.Statement.Vars)))
	}))
	return n
}

// New export rows are inserted with the columns they write, not all 32 of
// the model: on SQLite a statement's binding costs its parameters squared,
// and a batch's upsert of 100 rows was its largest CPU cost. The columns
// left out keep the defaults, which are the model's zero values.
func TestNewExportRowsBindOnlyTheColumnsTheyWrite(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		params := countParams(t, bundle.db)
		counter := countStatements(t, bundle.db)

		at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
		fresh := make([]models.NetBoxIPExport, 100)
		for i := range fresh {
			id := int64(i + 1)
			fresh[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, NetBoxDeviceName: fmt.Sprint("d", id), IPAddress: "10.0.0.1",
				ExportReason: models.ReasonManual, ExportStatus: models.ExportPending, LastRunID: &run.ID,
				PayloadHash: "not a column a new row writes", Attempts: 3}
		}
		inserted, err := store.InsertClaimedCreates(ctx, fresh, "task-1", at)
		require.NoError(t, err)
		require.Len(t, inserted, 100)
		require.EqualValues(t, 1, counter.creates.Load(), "a batch's 100 new rows are one statement")
		// connection, type, object, device, name, address, reason, status,
		// created_at, updated_at, last_run_id and the claim (claimer, claimed
		// at, attempted at).
		require.EqualValues(t, 100*14, params.Load(), "14 parameters a new row claimed for its create")

		ups := make([]models.RowUpsert, 100)
		for i := range ups {
			id := int64(101 + i) // new rows: the INSERT, not the update, binds
			ups[i] = models.RowUpsert{Key: models.DeviceKey(conn.ID, id), Name: fmt.Sprint("d", id), IP: "10.0.1.1",
				Change: models.RowExported{WUGDeviceID: fmt.Sprint(id), WUGGroupID: "7", Reason: models.ReasonManual,
					PayloadHash: "h", Fields: `{}`, Name: fmt.Sprint("d", id), IP: "10.0.1.1", At: at, RunID: run.ID}}
		}
		params.Store(0)
		before := counter.creates.Load()
		require.NoError(t, store.UpsertRows(ctx, ups))
		require.EqualValues(t, 1, counter.creates.Load()-before, "a batch of 100 is one statement")
		// The ten columns of every new row and the eight more of the
		// export (WUG device and group, hash, fields, exported_at, error,
		// skip reason, last run).
		require.EqualValues(t, 100*18, params.Load(), "18 parameters an exported row, not 32")

		row, err := store.Row(ctx, models.DeviceKey(conn.ID, 101))
		require.NoError(t, err)
		require.Equal(t, models.ExportExported, row.ExportStatus)
		require.Equal(t, "101", row.WUGDeviceID)
		require.Equal(t, run.ID, *row.LastRunID)
		require.Zero(t, row.Attempts)
		require.Empty(t, row.CreateClaim)
		require.Nil(t, row.CreateAttemptedAt)
		require.Nil(t, row.SkippedAt)
		require.False(t, row.Adopted)
		require.False(t, row.CreatedAt.IsZero())
		pend, err := store.Row(ctx, models.DeviceKey(conn.ID, 1))
		require.NoError(t, err)
		require.Equal(t, models.ExportPending, pend.ExportStatus)
		require.Equal(t, models.ReasonManual, pend.ExportReason)
		require.Equal(t, run.ID, *pend.LastRunID)
		require.Equal(t, "d1", pend.NetBoxDeviceName)
		require.Equal(t, "task-1", pend.CreateClaim)
		require.True(t, pend.MarkedNow(at))
		require.Empty(t, pend.PayloadHash, "a column the insert leaves out keeps its default")
		require.Zero(t, pend.Attempts)
		require.Empty(t, pend.WUGDeviceID)
		require.Nil(t, pend.ExportedAt)
	})
}

// Exporting a claimed row settles its create: the claim and the mark go,
// through the batch's upsert and through a single row's update alike, so
// the claims' partial index keeps only creates in flight and a later
// create of the object is not looked up first.
func TestExportClearsTheCreateClaimAndMark(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run
		at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
		claimed := make([]models.NetBoxIPExport, 3)
		for i := range claimed {
			id := int64(i + 1)
			claimed[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, NetBoxDeviceName: fmt.Sprint("d", id), IPAddress: fmt.Sprint("10.0.0.", id),
				ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending, LastRunID: &run.ID}
		}
		_, err := store.InsertClaimedCreates(ctx, claimed, "task-1", at)
		require.NoError(t, err)
		exported := func(id int64) models.RowExported {
			return models.RowExported{WUGDeviceID: fmt.Sprint(100 + id), WUGGroupID: "7", Reason: models.ReasonNewDevice,
				PayloadHash: "h", Fields: `{}`, Name: fmt.Sprint("d", id), IP: fmt.Sprint("10.0.0.", id), At: at, RunID: run.ID}
		}
		require.NoError(t, store.UpsertRows(ctx, []models.RowUpsert{
			{Key: models.DeviceKey(conn.ID, 1), Name: "d1", IP: "10.0.0.1", Change: exported(1)},
			{Key: models.DeviceKey(conn.ID, 2), Name: "d2", IP: "10.0.0.2", Change: exported(2)},
		}))
		_, err = store.UpdateRow(ctx, models.DeviceKey(conn.ID, 3), exported(3))
		require.NoError(t, err)
		for id := int64(1); id <= 3; id++ {
			row, err := store.Row(ctx, models.DeviceKey(conn.ID, id))
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(100+id), row.WUGDeviceID, "object %d", id)
			require.Empty(t, row.CreateClaim, "object %d", id)
			require.Nil(t, row.CreateClaimedAt, "object %d", id)
			require.Nil(t, row.CreateAttemptedAt, "object %d", id)
		}
	})
}

// A plan reads the linked rows of a connection a thousand at a time in
// object order, with the columns a decommission needs, and skips unlinked
// and decommissioned rows and the rows of other types. Their object ids
// come first, five thousand a query (not a sort of every row a page), and
// the rows of the objects the caller skips are never loaded.
func TestEachLinkedRowPagesInObjectOrder(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		const n = 2300
		marked := time.Now()
		var ups []models.RowUpsert
		for i := n; i >= 1; i-- { // row ids in the reverse of object order
			id := int64(i)
			ups = append(ups, models.RowUpsert{Key: models.DeviceKey(conn.ID, id), Name: fmt.Sprint("d", id), IP: "10.0.0.1",
				Change: models.RowExported{WUGDeviceID: fmt.Sprint("w", id), Reason: models.ReasonManual, Fields: `{}`, Name: fmt.Sprint("d", id), IP: "10.0.0.1",
					At: time.Now(), RunID: run.ID}})
		}
		ups = append(ups,
			// A new device's row, pending and marked for its create: not linked.
			models.RowUpsert{Key: models.DeviceKey(conn.ID, 5000), Change: models.RowCreateAttempt{At: &marked}},
			models.RowUpsert{Key: models.DeviceKey(conn.ID, 17), Change: models.RowDecommissioned{At: time.Now(), RunID: run.ID}},
			models.RowUpsert{Key: models.RowKey{ConnectionID: conn.ID, ObjectType: models.ObjectVirtualMachine, ObjectID: 1},
				Change: models.RowLinked{WUGDeviceID: "vm"}})
		require.NoError(t, store.UpsertRows(ctx, ups))

		counter := countStatements(t, bundle.db)
		var pages []int
		var got []int64
		err := store.EachLinkedRow(ctx, conn.ID, models.ObjectDevice, nil, nil, func(rows []models.NetBoxIPExport) error {
			pages = append(pages, len(rows))
			for _, r := range rows {
				got = append(got, r.NetBoxObjectID)
				require.Equal(t, fmt.Sprint("w", r.NetBoxObjectID), r.WUGDeviceID)
				require.Equal(t, fmt.Sprint("d", r.NetBoxObjectID), r.NetBoxDeviceName)
				require.Equal(t, "10.0.0.1", r.IPAddress)
				require.Equal(t, r.NetBoxObjectID, r.NetBoxDeviceID)
				require.Empty(t, r.ExportedFields, "only the columns a decommission needs")
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []int{1000, 1000, 299}, pages)
		require.EqualValues(t, 4, counter.queries.Load(), "one query of ids, then one a page")
		require.True(t, slices.IsSorted(got), "object order")
		require.NotContains(t, got, int64(17), "decommissioned")
		require.NotContains(t, got, int64(5000), "not linked")

		var some []int64
		require.NoError(t, store.EachLinkedRow(ctx, conn.ID, models.ObjectDevice, []int64{3, 17, 5000, 2000}, nil, func(rows []models.NetBoxIPExport) error {
			for _, r := range rows {
				some = append(some, r.NetBoxObjectID)
			}
			return nil
		}))
		require.Equal(t, []int64{3, 2000}, some)

		// A plan skips the objects it listed: their rows are not loaded.
		counter = countStatements(t, bundle.db)
		var asked []int64
		listed := func(id int64) bool {
			asked = append(asked, id)
			return id <= 1500 || id == 2000
		}
		var unlisted []int64
		require.NoError(t, store.EachLinkedRow(ctx, conn.ID, models.ObjectDevice, nil, listed, func(rows []models.NetBoxIPExport) error {
			for _, r := range rows {
				unlisted = append(unlisted, r.NetBoxObjectID)
				require.Equal(t, fmt.Sprint("w", r.NetBoxObjectID), r.WUGDeviceID)
			}
			return nil
		}))
		var want []int64
		for id := int64(1501); id <= n; id++ {
			if id != 2000 {
				want = append(want, id)
			}
		}
		require.Equal(t, want, unlisted)
		require.Len(t, asked, n-1, "every linked object is asked about once")
		require.EqualValues(t, 2, counter.queries.Load(), "the ids, then the 799 rows left")

		// Nothing left: the ids only.
		counter = countStatements(t, bundle.db)
		require.NoError(t, store.EachLinkedRow(ctx, conn.ID, models.ObjectDevice, nil, func(int64) bool { return true },
			func(rows []models.NetBoxIPExport) error {
				t.Fatalf("rows of skipped objects loaded: %d", len(rows))
				return nil
			}))
		require.EqualValues(t, 1, counter.queries.Load())
	})
}

// A batch's outcomes are one UPDATE per 500 entries, each entry with its
// own outcome and WUG device.
func TestSetOutcomesStoresEachEntrysOutcomeInOneStatement(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		entries := make([]*models.PlanEntry, 600)
		for i := range entries {
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: int64(i + 1), Action: models.PlanCreate,
				Error: "an earlier attempt failed"}
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		// As a batch does: the entries with their ids, from the database
		// (CreatePlanEntries reads no ids back).
		entries, err := store.PendingEntries(ctx, run.ID, 0)
		require.NoError(t, err)
		require.Len(t, entries, 600)
		outs := make([]models.EntryOutcome, 0, 100)
		for i, e := range entries[:100] {
			e.WUGDeviceID = fmt.Sprint("w", i)
			outcome := models.OutcomeDone
			if i%2 == 1 {
				outcome = models.OutcomeLinked
			}
			outs = append(outs, models.EntryOutcome{Entry: e, Outcome: outcome})
		}
		counter := countStatements(t, bundle.db)
		require.NoError(t, store.SetOutcomes(ctx, outs))
		// On PostgreSQL the statement is a raw UPDATE … FROM unnest.
		require.EqualValues(t, 1, counter.updates.Load()+counter.raws.Load(), "100 outcomes, one statement")
		require.Equal(t, models.OutcomeLinked, entries[1].Outcome, "the entries in memory follow")

		var stored []models.PlanEntry
		require.NoError(t, bundle.db.Where("sync_log_id = ?", run.ID).Order("netbox_device_id").Find(&stored).Error)
		for i, e := range stored {
			if i >= 100 {
				require.Empty(t, e.Outcome, "entry %d is not in the call", e.NetBoxDeviceID)
				require.Equal(t, "an earlier attempt failed", e.Error)
				continue
			}
			want := models.OutcomeDone
			if i%2 == 1 {
				want = models.OutcomeLinked
			}
			require.Equal(t, want, e.Outcome, "entry %d", e.NetBoxDeviceID)
			require.Equal(t, fmt.Sprint("w", i), e.WUGDeviceID)
			require.Empty(t, e.Error)
		}

		outs = outs[:0]
		for _, e := range entries {
			outs = append(outs, models.EntryOutcome{Entry: e, Outcome: models.OutcomeDone})
		}
		before := counter.updates.Load() + counter.raws.Load()
		require.NoError(t, store.SetOutcomes(ctx, outs))
		require.EqualValues(t, 2, counter.updates.Load()+counter.raws.Load()-before, "600 outcomes in statements of 500")
		var done int64
		require.NoError(t, bundle.db.Model(&models.PlanEntry{}).Where("sync_log_id = ? AND outcome = ?", run.ID, models.OutcomeDone).Count(&done).Error)
		require.EqualValues(t, 600, done)
	})
}

// A run's counters follow its batch tallies by differences: numbering the
// batches starts them from nothing, StoreTally returns the tally it
// replaced, and AddRunProgress moves the counters in one statement.
func TestRunCountersMoveByTallyDifferences(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		require.NoError(t, bundle.db.Model(&run).Updates(map[string]any{"batches_done": 4, "devices_created": 9,
			"devices_updated": 2, "devices_failed": 1}).Error)
		var entries []*models.PlanEntry
		for id := int64(1); id <= 3; id++ {
			entries = append(entries, &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: id, Action: models.PlanCreate})
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		n, err := store.NumberBatches(ctx, run.ID, 2, export.WriteActions(), time.Now())
		require.NoError(t, err)
		require.Equal(t, 2, n)
		got, err := store.Run(ctx, run.ID)
		require.NoError(t, err)
		require.Zero(t, got.BatchesDone+got.DevicesCreated+got.DevicesUpdated+got.DevicesFailed, "a re-plan starts the counters again")

		prev, existed, err := store.StoreTally(ctx, models.RunBatch{RunID: run.ID, Batch: 1, Created: 2, UpdatedAt: time.Now()})
		require.NoError(t, err)
		require.True(t, existed)
		require.Equal(t, 2, prev.Pending, "the tally NumberBatches wrote")
		prev, existed, err = store.StoreTally(ctx, models.RunBatch{RunID: run.ID, Batch: 1, Created: 1, Failed: 1, UpdatedAt: time.Now()})
		require.NoError(t, err)
		require.True(t, existed)
		require.Equal(t, 2, prev.Created)
		_, existed, err = store.StoreTally(ctx, models.RunBatch{RunID: run.ID, Batch: 7, UpdatedAt: time.Now()})
		require.NoError(t, err)
		require.False(t, existed)

		counter := countStatements(t, bundle.db)
		require.NoError(t, store.AddRunProgress(ctx, run.ID, models.RunDelta{BatchesDone: 1, Created: 2, Updated: 1}, true))
		require.NoError(t, store.AddRunProgress(ctx, run.ID, models.RunDelta{Created: -1, Failed: 1}, true))
		require.NoError(t, store.AddRunProgress(ctx, run.ID, models.RunDelta{BatchesDone: 1, Created: 5}, false))
		require.EqualValues(t, 3, counter.updates.Load())
		got, err = store.Run(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, 2, got.BatchesDone)
		require.Equal(t, 1, got.DevicesCreated, "a dry run's delta moves batches only")
		require.Equal(t, 1, got.DevicesUpdated)
		require.Equal(t, 1, got.DevicesFailed)
	})
}

// The statements a batch runs look rows up by index, whatever the run's
// size: SQLite's planner, without statistics, took the run's action index
// for a batch's count and read every entry of the run. A plan's reads of
// linked rows (EachLinkedRow), their ids and then the rows, follow the
// unique index on the object id. (PostgreSQL's plans depend on
// statistics, which NumberBatches refreshes after a large plan; here only
// the index is checked.)
func TestBatchQueriesUseTheBatchIndex(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		queries := map[string]string{
			"count":   "SELECT action, outcome, excluded, COUNT(*) AS n FROM sync_plan_entries WHERE sync_log_id = 1 AND batch = 2 GROUP BY action, outcome, excluded",
			"pending": "SELECT * FROM sync_plan_entries WHERE sync_log_id = 1 AND batch = 2 AND outcome = '' ORDER BY netbox_object_id",
			"claims":  "SELECT id FROM netbox_ip_exports WHERE create_claim = 'task' AND create_claim <> ''",
			"scans":   "SELECT DISTINCT connection_id, wug_scan_id FROM netbox_ip_exports WHERE export_status = 'scan_triggered' AND wug_scan_id <> ''",
			"linked": "SELECT netbox_object_id FROM netbox_ip_exports WHERE connection_id = 1 AND object_type = 'device' " +
				"AND wug_device_id <> '' AND export_status <> 'decommissioned' AND netbox_object_id > 5 ORDER BY netbox_object_id LIMIT 5000",
			"linked rows": "SELECT id, netbox_object_id, wug_device_id FROM netbox_ip_exports WHERE connection_id = 1 AND object_type = 'device' " +
				"AND wug_device_id <> '' AND export_status <> 'decommissioned' AND netbox_object_id IN (6, 9, 12) ORDER BY netbox_object_id",
		}
		want := map[string]string{"count": "idx_sync_plan_entries_run_batch_action", "pending": "idx_sync_plan_entries_run_batch_action",
			"claims": "idx_netbox_ip_exports_create_claim", "scans": "idx_netbox_ip_exports_open_scans",
			"linked": "uq_netbox_ip_exports_connection_object", "linked rows": "uq_netbox_ip_exports_connection_object"}
		if models.Dialect(bundle.db) != config.DatabasePostgres {
			// SQLite names a table constraint's index itself.
			want["linked"] = "(connection_id=? AND object_type=? AND netbox_object_id>?)"
			want["linked rows"] = "(connection_id=? AND object_type=? AND netbox_object_id=?)"
		}
		for name, q := range queries {
			var plan []string
			err := bundle.db.Transaction(func(tx *gorm.DB) error {
				explain := "EXPLAIN QUERY PLAN "
				if models.Dialect(bundle.db) == config.DatabasePostgres {
					// An empty table is read whole whatever its indexes;
					// forbidding that shows which index the query can use.
					if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
						return err
					}
					explain = "EXPLAIN "
				}
				rows, err := tx.Raw(explain + q).Rows()
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						return err
					}
					for _, v := range vals {
						if b, ok := v.([]byte); ok {
							v = string(b)
						}
						plan = append(plan, fmt.Sprint(v))
					}
				}
				return rows.Err()
			})
			require.NoError(t, err)
			require.Contains(t, strings.Join(plan, "\n"), want[name], "%s: %s", name, strings.Join(plan, "\n"))
		}
	})
}

// Numbering a large plan refreshes PostgreSQL's statistics, so a batch's
// lookups by object id use the index from the first batch on, not after
// autovacuum's next visit.
func TestNumberingALargePlanRefreshesStatistics(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		bundle, ctx, conn, store, run := f.bundle, f.ctx, f.conn, f.store, f.run
		entries := make([]*models.PlanEntry, 1500)
		for i := range entries {
			entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: int64(i + 1), Action: models.PlanCreate}
		}
		require.NoError(t, store.CreatePlanEntries(ctx, entries))
		n, err := store.NumberBatches(ctx, run.ID, 100, export.WriteActions(), time.Now())
		require.NoError(t, err)
		require.Equal(t, 15, n)
		if models.Dialect(bundle.db) != config.DatabasePostgres {
			return // SQLite keeps no statistics unless asked; its planner's rules pick the index
		}
		// reltuples is -1 until a table is first analyzed (or vacuumed).
		var tuples float64
		require.NoError(t, bundle.db.Raw("SELECT reltuples FROM pg_class WHERE oid = to_regclass('sync_plan_entries')").Scan(&tuples).Error)
		require.InDelta(t, 1500, tuples, 1, "the plan's entries are in the statistics")
	})
}
