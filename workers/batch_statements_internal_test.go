package workers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/internal/testinfra"
	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/tasks"
)

// statementLog records every SQL statement GORM runs on a database while
// it is on.
type statementLog struct {
	mu  sync.Mutex
	on  bool
	sql []string
}

func watchStatements(t *testing.T, db *gorm.DB) *statementLog {
	t.Helper()
	l := &statementLog{}
	record := func(tx *gorm.DB) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.on {
			l.sql = append(l.sql, strings.Join(strings.Fields(tx.Statement.SQL.String()), " "))
		}
	}
	cb := db.Callback()
	require.NoError(t, cb.Create().After("gorm:create").Register("test:count", record))
	require.NoError(t, cb.Query().After("gorm:query").Register("test:count", record))
	require.NoError(t, cb.Update().After("gorm:update").Register("test:count", record))
	require.NoError(t, cb.Delete().After("gorm:delete").Register("test:count", record))
	require.NoError(t, cb.Row().After("gorm:row").Register("test:count", record))
	require.NoError(t, cb.Raw().After("gorm:raw").Register("test:count", record))
	return l
}

// during returns the statements fn ran.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	l.on, l.sql = true, nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.sql
}

// batchStatements plans a run over a simulated NetBox, grows the run to
// planned entries (the extra ones in later batches, each with an export
// row of its device, so that the table of rows grows with the run too),
// applies batch 1 (batchSize new devices) and returns the SQL statements
// the batch ran.
func batchStatements(t *testing.T, planned, batchSize int) []string {
	t.Helper()
	ctx := context.Background()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: 150, Seed: 7}})
	nb, err := netbox.New(netbox.Config{URL: stack.NetBoxURL, Token: netboxsim.DefaultToken})
	require.NoError(t, err)
	conn := stack.NewConnection(t, "lab-wug", stack.WUGURL, func(c *models.WUGConnection) {
		c.RateLimitPerSecond, c.MaxConcurrentRequests, c.BatchSize = 500, 20, batchSize
	})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	w := NewWorker(Params{DB: stack.DB, Redis: stack.Redis.Client, Enqueuer: stack.Enqueuer(), Sealer: stack.Sealer,
		NetBox: nb, Log: logrus.NewEntry(log)})
	run, err := tasks.StartExport(ctx, w.store, stack.Enqueuer(), tasks.ExportRequest{ConnectionID: conn.ID, Trigger: models.TriggerManual})
	require.NoError(t, err)
	require.NoError(t, w.runExport(ctx, run.ID))
	run, err = w.store.Run(ctx, run.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, run.BatchesTotal, 2, "batch 1 is full")

	var have int64
	require.NoError(t, stack.DB.Model(&models.PlanEntry{}).Where("sync_log_id = ?", run.ID).Count(&have).Error)
	extra := planned - int(have)
	require.Positive(t, extra)
	entries := make([]*models.PlanEntry, extra)
	rows := make([]models.NetBoxIPExport, extra)
	for i := range extra {
		id := int64(1_000_000 + i)
		addr := fmt.Sprintf("10.%d.%d.%d", 100+i/65536, i/256%256, i%256)
		entries[i] = &models.PlanEntry{RunID: run.ID, ConnectionID: conn.ID, NetBoxDeviceID: id, DeviceName: fmt.Sprint("pad-", i),
			IPAddress: addr, Action: models.PlanCreate, Batch: run.BatchesTotal + 1 + i/batchSize}
		rows[i] = models.NetBoxIPExport{ConnectionID: conn.ID, NetBoxDeviceID: id, NetBoxDeviceName: fmt.Sprint("pad-", i),
			IPAddress: addr, ExportReason: models.ReasonManual, ExportStatus: models.ExportPending}
	}
	require.NoError(t, w.store.CreatePlanEntries(ctx, entries))
	require.NoError(t, stack.DB.CreateInBatches(rows, 500).Error)
	batches := run.BatchesTotal + (extra+batchSize-1)/batchSize
	require.NoError(t, stack.DB.Exec(`INSERT INTO sync_run_batches (sync_log_id, batch, pending, updated_at)
		SELECT sync_log_id, batch, COUNT(*), CURRENT_TIMESTAMP FROM sync_plan_entries
		WHERE sync_log_id = ? AND batch > ? GROUP BY sync_log_id, batch`, run.ID, run.BatchesTotal).Error)
	require.NoError(t, stack.DB.Model(&run).Update("batches_total", batches).Error)
	run.BatchesTotal = batches

	statements := watchStatements(t, stack.DB)
	sql := statements.during(func() { require.NoError(t, w.applyBatch(ctx, &run, 1)) })

	// The batch did its work: every device of it is created and stored.
	var done int64
	require.NoError(t, stack.DB.Model(&models.PlanEntry{}).Where("sync_log_id = ? AND batch = 1 AND outcome = ?", run.ID, models.OutcomeDone).
		Count(&done).Error)
	require.EqualValues(t, batchSize, done)
	var exported int64
	require.NoError(t, stack.DB.Model(&models.NetBoxIPExport{}).Where("connection_id = ? AND export_status = ? AND wug_device_id <> ''",
		conn.ID, models.ExportExported).Count(&exported).Error)
	require.EqualValues(t, batchSize, exported)
	progress, err := w.store.Run(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, 1, progress.BatchesDone)
	require.Equal(t, batchSize, progress.DevicesCreated)
	require.Equal(t, models.RunRunning, progress.Status)
	return sql
}

// A batch's SQL does not grow with its run: the same statements for a
// batch of 100 in a run of 1,000 planned entries and in one of 10,000
// (their cost is each database's plan: see migration 00010). And it does
// not grow with the batch: 10 new devices are stored with as many
// statements as 100 (one multi-row upsert and one outcome update).
func TestBatchStatementsDoNotGrowWithTheRunOrTheBatch(t *testing.T) {
	t.Parallel()
	small := batchStatements(t, 1_000, 100)
	large := batchStatements(t, 10_000, 100)
	narrow := batchStatements(t, 1_000, 10)
	require.Equal(t, len(small), len(large), "statements of a batch in a run of 1,000 and of 10,000:\n%s\n---\n%s",
		brief(small), brief(large))
	require.Equal(t, len(small), len(narrow), "statements of a batch of 100 and of 10:\n%s\n---\n%s",
		brief(small), brief(narrow))
	t.Logf("a batch runs %d statements:\n%s", len(small), brief(small))
}

// brief lists statements one a line, each cut to its start.
func brief(sql []string) string {
	lines := make([]string, len(sql))
	for i, s := range sql {
		if len(s) > 110 {
			s = s[:110] + "…"
		}
		lines[i] = s
	}
	return strings.Join(lines, "\n")
}

// A batch of new devices touches its export rows in three statements: it
// reads them once (they have none: the planner no longer inserts them
// pending), inserts them claimed and marked for the template call in one
// INSERT that returns them (no re-read, no separate mark: on PostgreSQL
// each is a new version of every row in every index), and stores the
// created devices in one upsert. It touches its run's row once, in its
// last statement (the counters' move, which also reads the run for the
// close check), so concurrent batches wait for each other only there. Its
// whole SQL is 10 statements.
func TestBatchOfNewDevicesTouchesItsRowsThreeTimes(t *testing.T) {
	t.Parallel()
	sql := batchStatements(t, 1_000, 100)
	var rows []string
	for _, s := range sql {
		if strings.Contains(s, "netbox_ip_exports") {
			rows = append(rows, s)
		}
	}
	require.Len(t, rows, 3, "statements on export rows:\n%s", brief(rows))
	require.True(t, strings.HasPrefix(rows[0], "SELECT"), "the batch reads its rows first:\n%s", brief(rows))
	require.True(t, strings.HasPrefix(rows[1], "INSERT") && strings.Contains(rows[1], "create_claim") &&
		strings.Contains(rows[1], "create_attempted_at") && strings.Contains(rows[1], "RETURNING"),
		"one statement inserts the rows claimed and marked, and returns them:\n%s", brief(rows))
	require.True(t, strings.HasPrefix(rows[2], "INSERT"), "one upsert stores the created devices:\n%s", brief(rows))
	var run []int
	for i, s := range sql {
		if strings.Contains(s, "wug_sync_logs") {
			run = append(run, i)
		}
	}
	require.Equal(t, []int{len(sql) - 1}, run, "statements on the run's row:\n%s", brief(sql))
	require.True(t, strings.HasPrefix(sql[len(sql)-1], "UPDATE"), "the run's row is moved, not locked by a read:\n%s", brief(sql))
	require.LessOrEqual(t, len(sql), 10, "statements of a batch:\n%s", brief(sql))
}

// The claim marks a batch's rows for its template call in the statement
// that claims them, yet a row that already carries an earlier attempt's
// mark (its process died before it stored the answer) is still looked up
// in WUG before anything is created, and nothing is created twice; rows
// without one are created with no search.
func TestEarlierAttemptsMarkIsLookedUpBeforeTheClaimsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, earlier := range []bool{false, true} {
		r := setupRecovery(t, 125, models.MaxBatchSize, nil)
		run := r.plan()
		require.Equal(t, 1, run.BatchesTotal)
		planned := creates(r.entries(run.ID))
		if earlier {
			// An earlier attempt inserted the rows claimed and marked, then
			// died; its claims were released, its marks stay.
			var rows []models.NetBoxIPExport
			for _, e := range planned {
				rows = append(rows, pendingRow(&run, &e))
			}
			inserted, err := r.w.store.InsertClaimedCreates(ctx, rows, "dead-task", time.Now().Add(-time.Minute))
			require.NoError(t, err)
			require.Len(t, inserted, len(planned))
			require.NoError(t, r.w.store.ReleaseCreateClaims(ctx, "dead-task"))
		}
		before := len(r.stack.WUG.RequestLog())
		require.NoError(t, r.w.runBatch(ctx, run.ID, 1))
		search, template := -1, -1
		for i, req := range r.stack.WUG.RequestLog()[before:] {
			if req.Route == searchRoute && strings.Contains(req.Query, "search=") && search < 0 {
				search = i
			}
			if req.Route == templateRoute && template < 0 {
				template = i
			}
		}
		require.GreaterOrEqual(t, template, 0, "the devices are created")
		if earlier {
			require.True(t, search >= 0 && search < template, "an earlier mark is looked up first (search %d, template %d)", search, template)
		} else {
			require.Less(t, search, 0, "the claim's own mark costs no search")
		}
		require.Equal(t, 1, r.stack.WUG.CountRequests(templateRoute), "one template call")
		r.requireExactEndState(planned)
	}
}
