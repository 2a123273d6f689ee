package models_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
)

// One statement claims a batch's creates, marks them for the template
// call and returns them as they now are: a free row is claimed and
// marked now; a row an earlier attempt marked keeps that mark (the caller
// looks in WUG first); a row another task holds, or one already linked,
// is neither claimed nor returned; a stale claim is taken over.
func TestClaimCreatesMarkedClaimsMarksAndReturnsInOneStatement(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		now := time.Date(2026, 12, 7, 9, 0, 0, 123456789, time.UTC)
		earlier := now.Add(-time.Hour)
		recent, stale := now.Add(-time.Minute), now.Add(-time.Hour)
		rows := []models.NetBoxIPExport{
			{NetBoxDeviceID: 1}, // free
			{NetBoxDeviceID: 2, CreateAttemptedAt: &earlier},                    // an earlier attempt's mark
			{NetBoxDeviceID: 3, CreateClaim: "other", CreateClaimedAt: &recent}, // busy
			{NetBoxDeviceID: 4, WUGDeviceID: "44"},                              // linked
			{NetBoxDeviceID: 5, CreateClaim: "gone", CreateClaimedAt: &stale},   // stale claim
			{NetBoxDeviceID: 6, CreateClaim: "me", CreateClaimedAt: &recent},    // its own claim (a retry)
		}
		for i := range rows {
			r := &rows[i]
			r.ConnectionID, r.ObjectType, r.NetBoxObjectID = conn.ID, models.ObjectDevice, r.NetBoxDeviceID
			r.NetBoxDeviceName, r.IPAddress = "sw", "10.0.0.1"
			r.ExportReason, r.ExportStatus = models.ReasonNewDevice, models.ExportPending
		}
		require.NoError(t, bundle.db.Create(&rows).Error)

		counter := countStatements(t, bundle.db)
		got, err := store.ClaimCreatesMarked(ctx, conn.ID, models.ObjectDevice, []int64{1, 2, 3, 4, 5, 6}, "me", now, now.Add(-10*time.Minute))
		require.NoError(t, err)
		require.EqualValues(t, 1, counter.queries.Load()+counter.updates.Load()+counter.creates.Load()+counter.raws.Load(), "one statement")

		require.ElementsMatch(t, []int64{1, 2, 5, 6}, keys(got))
		for _, id := range []int64{1, 5, 6} {
			require.Equal(t, "me", got[id].CreateClaim)
			require.True(t, got[id].MarkedNow(now), "row %d is marked by this claim", id)
		}
		require.Equal(t, "me", got[2].CreateClaim)
		require.False(t, got[2].MarkedNow(now), "an earlier mark is kept")
		require.WithinDuration(t, earlier, *got[2].CreateAttemptedAt, time.Millisecond)

		for id, claim := range map[int64]string{1: "me", 2: "me", 3: "other", 4: "", 5: "me", 6: "me"} {
			row, err := store.Row(ctx, models.DeviceKey(conn.ID, id))
			require.NoError(t, err)
			require.Equal(t, claim, row.CreateClaim, "claim of row %d as stored", id)
			require.Equal(t, id != 3 && id != 4, row.MarkedNow(now) || id == 2, "mark of row %d as stored", id)
		}
	})
}

// A new device's row is inserted by its batch already claimed and marked,
// in one statement that returns it; a row that exists (another run's, or
// one another task has just inserted) is neither changed nor returned, for
// the caller to claim as it is.
func TestInsertClaimedCreatesInsertsOnlyAbsentRowsClaimedAndMarked(t *testing.T) {
	t.Parallel()
	forEachRun(t, func(t *testing.T, f runFixture) {
		ctx, conn, store, run := f.ctx, f.conn, f.store, f.run.ID
		now := time.Date(2026, 12, 7, 9, 0, 0, 123456789, time.UTC)
		recent := now.Add(-time.Minute)
		require.NoError(t, f.bundle.db.Create(&models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice,
			NetBoxObjectID: 2, NetBoxDeviceID: 2, NetBoxDeviceName: "theirs", IPAddress: "10.0.0.2",
			ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending,
			CreateClaim: "other", CreateClaimedAt: &recent}).Error)
		var rows []models.NetBoxIPExport
		for id := int64(1); id <= 3; id++ {
			rows = append(rows, models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice,
				NetBoxObjectID: id, NetBoxDeviceID: id, NetBoxDeviceName: fmt.Sprint("sw", id), IPAddress: fmt.Sprint("10.0.0.", id),
				ExportReason: models.ReasonManual, ExportStatus: models.ExportPending, LastRunID: &run,
				PayloadHash: "not a column the insert writes"})
		}

		// A statement Store runs as built (Prepared) is counted when built.
		counter := countStatements(t, f.bundle.db)
		got, err := store.InsertClaimedCreates(ctx, rows, "me", now)
		require.NoError(t, err)
		require.EqualValues(t, 1, counter.creates.Load(), "one statement")
		require.Zero(t, counter.queries.Load()+counter.updates.Load()+counter.raws.Load(), "and no other")
		require.ElementsMatch(t, []int64{1, 3}, keys(got))

		for _, id := range []int64{1, 3} {
			row, err := store.Row(ctx, models.DeviceKey(conn.ID, id))
			require.NoError(t, err)
			require.Equal(t, "me", row.CreateClaim)
			require.True(t, row.MarkedNow(now), "row %d is marked for its template call", id)
			require.True(t, got[id].MarkedNow(now), "and returned so")
			require.Equal(t, models.ExportPending, row.ExportStatus)
			require.Equal(t, fmt.Sprint("sw", id), row.NetBoxDeviceName)
			require.Equal(t, fmt.Sprint("10.0.0.", id), row.IPAddress)
			require.Equal(t, models.ReasonManual, row.ExportReason)
			require.Equal(t, &run, row.LastRunID)
			// The returned row is built from what was sent and the new id,
			// not read back: it must be the stored row, column for column.
			require.Equal(t, comparableRow(row), comparableRow(*got[id]), "row %d as returned and as stored", id)
		}
		theirs, err := store.Row(ctx, models.DeviceKey(conn.ID, 2))
		require.NoError(t, err)
		require.Equal(t, "other", theirs.CreateClaim, "an existing row is left to ClaimCreatesMarked")
		require.Nil(t, theirs.CreateAttemptedAt)
		require.Equal(t, "theirs", theirs.NetBoxDeviceName)
	})
}

// comparableRow is r with its times in UTC, as both databases give them
// back in their own location.
func comparableRow(r models.NetBoxIPExport) models.NetBoxIPExport {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.CreateClaimedAt, r.CreateAttemptedAt = utc(r.CreateClaimedAt), utc(r.CreateAttemptedAt)
	return r
}

func keys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A run's first opening of several batches brings PostgreSQL's statistics
// up to date, so the planner knows a batch's row look-up finds its 100
// rows; with none (the connection's first export) it takes them for one
// and walks every row of the connection for each batch. A run of one or two batches (a webhook's)
// pays no refresh. SQLite needs none: only the tallies are checked there.
func TestOpeningARunsFirstBatchesRefreshesStatistics(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		const n = 3000
		rows := make([]models.NetBoxIPExport, n)
		for i := range rows {
			id := int64(i + 1)
			rows[i] = models.NetBoxIPExport{ConnectionID: conn.ID, ObjectType: models.ObjectDevice, NetBoxObjectID: id,
				NetBoxDeviceID: id, NetBoxDeviceName: "sw", IPAddress: "10.0.0.1",
				ExportReason: models.ReasonNewDevice, ExportStatus: models.ExportPending}
		}
		require.NoError(t, bundle.db.CreateInBatches(rows, 500).Error)
		plan := func(runID uint, batches int) {
			entries := make([]*models.PlanEntry, 0, batches*100)
			for i := range batches * 100 {
				id := int64(i + 1)
				entries = append(entries, &models.PlanEntry{RunID: runID, ConnectionID: conn.ID, NetBoxDeviceID: id,
					DeviceName: "sw", IPAddress: "10.0.0.1", Action: models.PlanCreate, Batch: 1 + i/100})
			}
			require.NoError(t, store.CreatePlanEntries(ctx, entries))
		}
		lookUp := func() string {
			ids := make([]int64, 100)
			for i := range ids {
				ids[i] = int64(1001 + i)
			}
			var lines []string
			require.NoError(t, bundle.db.Raw(`EXPLAIN SELECT * FROM netbox_ip_exports
				WHERE connection_id = ? AND object_type = ? AND netbox_object_id IN ?`, conn.ID, models.ObjectDevice, ids).
				Scan(&lines).Error)
			return strings.Join(lines, "\n")
		}
		// PostgreSQL's estimate of the batch's rows: 100 with statistics of
		// the connection, 1 without (and then it walks the connection).
		estimate := func(plan string) int {
			m := regexp.MustCompile(`rows=(\d+)`).FindStringSubmatch(plan)
			require.NotNil(t, m, plan)
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			return n
		}
		postgres := models.Dialect(bundle.db) == "postgres"

		small := newRun(t, store, newConnection(t, bundle, "other").ID) // one active run a connection
		plan(small.ID, 2)
		require.NoError(t, store.OpenBatches(ctx, small.ID, 1, 2, time.Now()))
		if postgres {
			require.Less(t, estimate(lookUp()), 10, "two batches pay no refresh (the statistics still lack the connection):\n%s", lookUp())
		}
		large := newRun(t, store, conn.ID)
		plan(large.ID, 4)
		require.NoError(t, store.OpenBatches(ctx, large.ID, 1, 4, time.Now()))
		if postgres {
			require.Equal(t, 100, estimate(lookUp()), "the statistics know the batch's rows:\n%s", lookUp())
		}
		var tallies []models.RunBatch
		require.NoError(t, bundle.db.Where("sync_log_id IN ?", []uint{small.ID, large.ID}).Order("sync_log_id, batch").
			Find(&tallies).Error)
		require.Len(t, tallies, 6)
		for _, tally := range tallies {
			require.Equal(t, 100, tally.Pending)
		}
	})
}

// A settle moves a running run's counters and reads the run back in one
// statement (a dry run's delta moves batches only); a run that is not
// running is neither moved nor returned. LockTally finds the tally a
// batch replaces, or none.
func TestMoveRunProgressMovesARunningRunInOneStatement(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, bundle testBundle) {
		ctx := context.Background()
		conn := newConnection(t, bundle, "lab")
		store := models.NewStore(bundle.db)
		run := newRun(t, store, conn.ID)
		require.NoError(t, bundle.db.Model(&run).Updates(map[string]any{"batches_done": 4, "devices_created": 9,
			"devices_updated": 2, "devices_failed": 1}).Error)

		_, existed, err := store.LockTally(ctx, run.ID, 1)
		require.NoError(t, err)
		require.False(t, existed)
		require.NoError(t, store.PutTally(ctx, models.RunBatch{RunID: run.ID, Batch: 1, Created: 2, Pending: 1, UpdatedAt: time.Now()}))
		prev, existed, err := store.LockTally(ctx, run.ID, 1)
		require.NoError(t, err)
		require.True(t, existed)
		require.Equal(t, 2, prev.Created)
		require.Equal(t, 1, prev.Pending)

		counter := countStatements(t, bundle.db)
		got, running, err := store.MoveRunProgress(ctx, run.ID, models.RunDelta{BatchesDone: 1, Created: 2, Updated: -1, Failed: 3})
		require.NoError(t, err)
		require.EqualValues(t, 1, counter.queries.Load()+counter.updates.Load()+counter.creates.Load()+counter.raws.Load(), "one statement")
		require.True(t, running)
		require.Equal(t, run.ID, got.ID)
		require.Equal(t, models.RunRunning, got.Status)
		require.Equal(t, []int{5, 11, 1, 4}, []int{got.BatchesDone, got.DevicesCreated, got.DevicesUpdated, got.DevicesFailed})
		stored, err := store.Run(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, []int{5, 11, 1, 4}, []int{stored.BatchesDone, stored.DevicesCreated, stored.DevicesUpdated, stored.DevicesFailed})

		require.NoError(t, bundle.db.Model(&run).Update("dry_run", true).Error)
		got, running, err = store.MoveRunProgress(ctx, run.ID, models.RunDelta{BatchesDone: 1, Created: 5})
		require.NoError(t, err)
		require.True(t, running)
		require.Equal(t, []int{6, 11}, []int{got.BatchesDone, got.DevicesCreated}, "a dry run's delta moves batches only")

		require.NoError(t, bundle.db.Model(&run).Update("status", models.RunCompleted).Error)
		_, running, err = store.MoveRunProgress(ctx, run.ID, models.RunDelta{BatchesDone: 1, Created: 5})
		require.NoError(t, err)
		require.False(t, running)
		stored, err = store.Run(ctx, run.ID)
		require.NoError(t, err)
		require.Equal(t, []int{6, 11}, []int{stored.BatchesDone, stored.DevicesCreated}, "an ended run's counters stay")
	})
}
