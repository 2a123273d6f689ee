package workers

import (
	"context"
	"net/http"
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

// planHold holds NetBox's first later page of the device listing (not the
// listing of primary addresses) until released, so a planner stops in the
// middle of its plan with its first page's batches opened.
type planHold struct {
	next    http.Handler
	mu      sync.Mutex
	held    int // later pages asked for while holding
	release chan struct{}
	once    sync.Once
}

func (h *planHold) open() { h.once.Do(func() { close(h.release) }) }

func (h *planHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodGet && r.URL.Path == "/api/dcim/devices/" && q.Has("id__gte") && !q.Has("has_primary_ip") {
		h.mu.Lock()
		h.held++
		first := h.held == 1
		h.mu.Unlock()
		if first {
			select {
			case <-h.release:
			case <-time.After(planHoldLimit):
			}
		}
	}
	h.next.ServeHTTP(w, r)
}

// planHoldLimit bounds how long a test holds a NetBox page: a test that
// fails to release it fails, it does not hang.
const planHoldLimit = 30 * time.Second

// setupHeldPlan is a recovery worker over 700 NetBox devices read 500 at a
// time, in batches of 10, whose planner stops at NetBox's second page.
// opened is closed once the first page's batches are opened.
func setupHeldPlan(t *testing.T) (r *recovery, hold *planHold, opened chan struct{}) {
	t.Helper()
	hold = &planHold{release: make(chan struct{})}
	stack := testinfra.NewStack(t, testinfra.StackOptions{NetBox: netboxsim.Options{Devices: 700, Seed: 7},
		NetBoxVia: func(h http.Handler) http.Handler { hold.next = h; return hold }})
	t.Cleanup(hold.open) // before the simulators stop
	nb, err := netbox.New(netbox.Config{URL: stack.NetBoxURL, Token: netboxsim.DefaultToken, PageSize: 500})
	require.NoError(t, err)
	conn := stack.NewConnection(t, "lab-wug", stack.WUGURL, func(c *models.WUGConnection) {
		c.RateLimitPerSecond, c.MaxConcurrentRequests, c.BatchSize = 500, 20, 10
	})
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	w := NewWorker(Params{DB: stack.DB, Redis: stack.Redis.Client, Enqueuer: stack.Enqueuer(), Sealer: stack.Sealer,
		NetBox: nb, Log: logrus.NewEntry(log), WUGTimeout: 2 * time.Second, ClaimRetry: 50 * time.Millisecond})
	opened = make(chan struct{})
	var once sync.Once
	err = stack.DB.Callback().Raw().After("gorm:raw").Register("test:opened", func(tx *gorm.DB) {
		if tx.Error == nil && strings.Contains(tx.Statement.SQL.String(), "INSERT INTO sync_run_batches") {
			once.Do(func() { close(opened) })
		}
	})
	require.NoError(t, err)
	return &recovery{t: t, stack: stack, w: w, conn: conn}, hold, opened
}

// startHeldPlan starts a run and its first export attempt, which stops in
// the middle of its plan; its result arrives on the returned channel.
func (r *recovery) startHeldPlan(opened chan struct{}) (models.WUGSyncLog, chan error) {
	r.t.Helper()
	ctx := context.Background()
	run, err := tasks.StartExport(ctx, r.w.store, r.stack.Enqueuer(), tasks.ExportRequest{ConnectionID: r.conn.ID, Trigger: models.TriggerManual})
	require.NoError(r.t, err)
	first := make(chan error, 1)
	go func() { first <- r.w.runExport(ctx, run.ID) }()
	select {
	case <-opened:
	case err := <-first:
		require.FailNow(r.t, "the first attempt ended before its first page's batches", "%v", err)
	case <-time.After(planHoldLimit):
		require.FailNow(r.t, "the first attempt opened no batch")
	}
	return run, first
}

// finishRun lets the held plan go on, waits for its attempt, runs every
// batch of the stored plan and checks the run completed with the full
// plan and exactly one WUG device per planned create.
func (r *recovery) finishRun(runID uint, hold *planHold, first chan error) {
	r.t.Helper()
	ctx := context.Background()
	hold.open()
	require.NoError(r.t, <-first)
	run, err := r.w.loadRun(ctx, runID)
	require.NoError(r.t, err)
	require.NotNil(r.t, run.PlannedAt)
	for n := 1; n <= run.BatchesTotal; n++ {
		require.NoError(r.t, r.w.runBatch(ctx, run.ID, n))
	}
	run, err = r.w.loadRun(ctx, runID)
	require.NoError(r.t, err)
	require.Equal(r.t, models.RunCompleted, run.Status, run.ErrorMessage)
	entries := r.entries(run.ID)
	planned := creates(entries)
	require.Len(r.t, entries, len(r.stack.NetBox.Devices()), "the plan covers every NetBox device")
	require.Greater(r.t, len(planned), 500, "creates beyond the held page")
	for _, e := range planned {
		require.Equal(r.t, models.OutcomeDone, e.Outcome, "device %d", e.NetBoxObjectID)
	}
	require.Equal(r.t, len(planned), run.DevicesCreated)
	r.requireExactEndState(planned)
}

// TestSecondExportAttemptSnoozesWhileTheRunIsPlanned: two attempts of one
// export task run at once (an expired asynq lease, an orphan sweep). The
// second finds the run being planned: it snoozes (not a failure), touches
// no plan entry and reads nothing from NetBox; the first plan completes
// the run, each device created once. Once the plan is stored, an attempt
// plans nothing again.
func TestSecondExportAttemptSnoozesWhileTheRunIsPlanned(t *testing.T) {
	t.Parallel()
	r, hold, opened := setupHeldPlan(t)
	ctx := context.Background()
	run, first := r.startHeldPlan(opened)

	before := r.entries(run.ID)
	require.NotEmpty(t, before)
	reads := len(r.stack.NetBox.Requests())
	err := r.w.runExport(ctx, run.ID)
	retryIn, snoozed := IsSnooze(err)
	require.True(t, snoozed, "the second attempt snoozes: %v", err)
	require.Equal(t, planLeaseSnooze, retryIn)
	require.False(t, countsAsFailure(err), "a snooze is not a failed attempt")
	require.Equal(t, before, r.entries(run.ID), "the second attempt wrote no plan entry")
	require.Len(t, r.stack.NetBox.Requests(), reads, "the second attempt read nothing from NetBox")

	r.finishRun(run.ID, hold, first)

	// A late attempt finds the plan stored: it plans nothing again.
	planned := r.entries(run.ID)
	reads = len(r.stack.NetBox.Requests())
	require.NoError(t, r.w.runExport(ctx, run.ID))
	require.Equal(t, planned, r.entries(run.ID))
	require.Len(t, r.stack.NetBox.Requests(), reads)
}

// TestRunIsNotClosedWhileItsPlanIsUnfinished: every batch the plan has
// enqueued so far is done, and the run is refreshed, while the plan still
// waits for NetBox's next page; the run stays running, and completes with
// its whole plan once the plan is stored.
func TestRunIsNotClosedWhileItsPlanIsUnfinished(t *testing.T) {
	t.Parallel()
	r, hold, opened := setupHeldPlan(t)
	ctx := context.Background()
	run, first := r.startHeldPlan(opened)

	last, err := r.w.store.LastBatch(ctx, run.ID)
	require.NoError(t, err)
	require.Positive(t, last)
	for n := 1; n <= last; n++ {
		require.NoError(t, r.w.runBatch(ctx, run.ID, n))
	}
	require.NoError(t, r.w.refreshRun(ctx, run.ID))
	mid, err := r.w.loadRun(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, last, mid.BatchesDone, "every opened batch is done")
	require.Equal(t, models.RunRunning, mid.Status, "the plan is still being built")
	require.Nil(t, mid.PlannedAt)
	require.Nil(t, mid.EndedAt)

	r.finishRun(run.ID, hold, first)
}

// TestLostPlanLeaseStopsThePlanner: while one attempt holds a run's plan
// lease, another is snoozed; when the lease passes to another holder (it
// expired), the renewal finds it gone and cancels the planner's context,
// whose error becomes a snooze, and releasing leaves the new holder's
// lease alone. A released lease is free for the next attempt.
func TestLostPlanLeaseStopsThePlanner(t *testing.T) {
	t.Parallel()
	stack := testinfra.NewStack(t, testinfra.StackOptions{NoSimulators: true})
	w := NewWorker(Params{DB: stack.DB, Redis: stack.Redis.Client, Log: logrus.NewEntry(logrus.New())})
	ctx := context.Background()
	rdb := stack.Redis.Client

	held, release, err := w.takePlanLease(ctx, 7)
	require.NoError(t, err)
	_, _, err = w.takePlanLease(ctx, 7)
	_, snoozed := IsSnooze(err)
	require.True(t, snoozed, "a second planner of the run snoozes: %v", err)
	_, other, err := w.takePlanLease(ctx, 8)
	require.NoError(t, err, "another run's plan has its own lease")
	other()
	release()
	require.NotErrorIs(t, context.Cause(held), errPlanLeaseLost, "released, not lost")
	require.Zero(t, rdb.Exists(ctx, planLeaseKey(7)).Val(), "the lease is free again")

	lctx, release, err := w.leasePlan(ctx, 7, time.Millisecond)
	require.NoError(t, err)
	require.NoError(t, rdb.Set(ctx, planLeaseKey(7), "another-attempt", planLeaseTTL).Err())
	select {
	case <-lctx.Done():
	case <-time.After(planHoldLimit):
		require.FailNow(t, "the planner kept going without its lease")
	}
	require.ErrorIs(t, context.Cause(lctx), errPlanLeaseLost)
	_, snoozed = IsSnooze(planLeaseErr(lctx, lctx.Err()))
	require.True(t, snoozed, "a planner stopped by a lost lease snoozes")
	release()
	require.Equal(t, "another-attempt", rdb.Get(ctx, planLeaseKey(7)).Val(), "the new holder keeps its lease")
}
