package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

// inflight is a WUG front that counts the calls in flight at once and keeps
// the largest count. It holds every call but token requests until the test
// resumes it, unless more than limit calls arrive together (the cap broke:
// no reason to wait). Token requests pass: the other tasks of a process
// wait for its token, so holding one would hide them.
//
// A call counts from its arrival until its answer is complete but not yet
// sent: the answer is recorded first and written after the count drops, so
// a client can never free its slot while the call still counts here.
type inflight struct {
	next  http.Handler
	limit int
	until context.Context // the test's deadline for holding calls

	mu     sync.Mutex
	now    int
	peak   int
	held   int
	full   chan struct{} // closed when limit calls are held at once
	over   chan struct{} // closed when more than limit are
	resume chan struct{}

	fullOnce, overOnce, resumeOnce sync.Once
}

func newInflight(t *testing.T, next http.Handler, limit int) *inflight {
	ctx, cancel := context.WithTimeout(context.Background(), heldCallLimit)
	f := &inflight{next: next, limit: limit, until: ctx,
		full: make(chan struct{}), over: make(chan struct{}), resume: make(chan struct{})}
	t.Cleanup(func() {
		f.release()
		cancel()
	})
	return f
}

func (f *inflight) release() { f.resumeOnce.Do(func() { close(f.resume) }) }

func (f *inflight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hold := r.URL.Path != "/api/v1/token"
	f.mu.Lock()
	f.now++
	f.peak = max(f.peak, f.now)
	if hold {
		f.held++
		if f.held == f.limit {
			f.fullOnce.Do(func() { close(f.full) })
		}
	}
	if f.now > f.limit {
		f.overOnce.Do(func() { close(f.over) })
	}
	f.mu.Unlock()
	if hold {
		select {
		case <-f.resume:
		case <-f.over:
		case <-f.until.Done():
		}
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	f.mu.Lock()
	f.now--
	if hold {
		f.held--
	}
	f.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (f *inflight) maxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peak
}

// batchLoads tells when n batch tasks have loaded their plan entries (a
// query of sync_plan_entries by batch, which only batch tasks make): each
// of them is about to call WUG, as a batch reads nothing from NetBox.
type batchLoads struct {
	mu      sync.Mutex
	want    int
	seen    int
	reached chan struct{}
}

// watch counts the batch loads of db's queries. A batch reads its
// entries row by row (models.Store.PendingEntries), through gorm's Row
// callback, not its Query callback.
func (bl *batchLoads) watch(t *testing.T, db *gorm.DB) {
	err := db.Callback().Row().After("gorm:row").Register("test:batch_loads", func(tx *gorm.DB) {
		if tx.Statement.Table != "sync_plan_entries" || !strings.Contains(tx.Statement.SQL.String(), "batch = ") {
			return
		}
		bl.mu.Lock()
		defer bl.mu.Unlock()
		if bl.reached != nil {
			bl.seen++
			if bl.seen == bl.want {
				close(bl.reached)
			}
		}
	})
	require.NoError(t, err)
}

func (bl *batchLoads) expect(n int) <-chan struct{} {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	bl.want, bl.seen, bl.reached = n, 0, make(chan struct{})
	return bl.reached
}

// TestConcurrencyCapHoldsAcrossWorkerProcesses runs batches on two worker
// processes against a connection allowing two WUG calls at once: WUG sees
// two at once (the test holds them until every other busy task stands
// before WUG) and never three.
func TestConcurrencyCapHoldsAcrossWorkerProcesses(t *testing.T) {
	t.Parallel()
	const (
		maxConcurrent = 2
		processes     = 2
		perProcess    = 4
	)
	// Once two calls are held, every other busy task has loaded its batch
	// and stands before WUG: processes×perProcess of them in all.
	loads := &batchLoads{}
	var watchOnce sync.Once
	b := setup(t, bundleOptions{devices: 60, concurrency: perProcess,
		// Held calls must not time out: a call the client gave up on
		// frees its slot while WUG still counts it.
		params: func(p *workers.Params) {
			p.WUGTimeout = 2 * heldCallLimit
			// Before any worker runs: callbacks are not registered safely
			// while queries run.
			watchOnce.Do(func() { loads.watch(t, p.DB) })
		}})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)

	// Rename every device: one properties call each, from one batch task
	// each.
	b.renameEveryDevice()
	require.NoError(t, b.db.Model(&b.conn).Updates(map[string]any{"max_concurrent_requests": maxConcurrent, "batch_size": 1}).Error)
	front := newInflight(t, b.wug, maxConcurrent)
	b.routeWUGThrough(front)
	b.startWorker() // a second process
	started := loads.expect(processes * perProcess)

	run, err := tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
	require.NoError(t, err)
	waitFor(t, front.full, "two WUG calls held at once")
	// Every worker of both processes now has a batch; the two held calls
	// keep the cap full, so the others must wait for a slot. Had the cap
	// broken, a third call would have released the held ones already.
	select {
	case <-started:
	case <-front.over:
	case <-time.After(heldCallLimit):
		t.Fatal("the other batch tasks never started")
	}
	front.release()

	ended := b.waitRun(run.ID)
	require.Equal(t, models.RunCompleted, ended.Status, ended.ErrorMessage)
	require.Positive(t, ended.DevicesUpdated)
	require.Equal(t, maxConcurrent, front.maxInFlight(), "WUG saw this many calls at once")
}

// TestWUGSlowDownPausesEveryWorkerProcess has WUG answer one call with 429
// (or 503) and Retry-After. From then on no process, the one that got the
// answer or one started later with a Worker of its own, sends WUG anything
// until the cool-down ends; the task that met the answer is snoozed for
// Retry-After without using a retry.
func TestWUGSlowDownPausesEveryWorkerProcess(t *testing.T) {
	t.Parallel()
	// Longer than a task waits in-process (two minutes): every task that
	// meets the cool-down goes back to the queue at once, which the test
	// can see without waiting for anything.
	const retryAfter = 10 * time.Minute
	for _, c := range []struct {
		name   string
		status string
		fault  wugsim.Fault
	}{
		{"429", "HTTP 429", wugsim.Fault{RateLimitRate: 1, Count: 1, RetryAfter: retryAfter}},
		{"503", "HTTP 503", wugsim.Fault{UnavailableRate: 1, Count: 1, RetryAfter: retryAfter}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// One task at a time per process: a task starts only once the
			// one before it, middleware included, is done.
			b := setup(t, bundleOptions{devices: 10, concurrency: 1})
			stopFirst := b.firstWorker
			require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
			rows := b.exportedDevices(3)
			for _, r := range rows {
				_, err := b.nb.UpdateDevice(int(r.NetBoxDeviceID), func(d *netboxsim.Device) { d.Name = ptr(*d.Name + "-renamed") })
				require.NoError(t, err)
			}
			hit, paused, pausedElsewhere := rows[0], rows[1], rows[2]
			require.NoError(t, b.wug.SetFaults("PUT /api/v1/devices/{deviceId}/properties", c.fault))

			// The first process meets the slow-down.
			first := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: hit.NetBoxDeviceID, Trigger: "webhook"})
			require.Contains(t, first.ErrorMessage, c.status)
			// From the first slow-down on, the sync waits: its run is
			// cancelled (the snoozed task records a new one), not failed,
			// and the device is not in error.
			require.Equal(t, models.RunCancelled, first.Status, first.ErrorMessage)
			require.NotEqual(t, models.ExportError, b.rows()[hit.NetBoxDeviceID].ExportStatus)
			sent := b.wug.CountRequests("*")

			// The same process: its next task sends nothing.
			second := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: paused.NetBoxDeviceID, Trigger: "webhook"})
			require.Equal(t, models.RunCancelled, second.Status, second.ErrorMessage)
			require.Contains(t, second.ErrorMessage, "cool-down")
			require.Equal(t, sent, b.wug.CountRequests("*"), "no request reached WUG during the cool-down")

			// The task that met it was snoozed for Retry-After, not failed.
			snoozed := b.retryTask(tasks.QueueCritical, hit.NetBoxDeviceID)
			require.Zero(t, snoozed.Retried, "a slow-down burns no retry")
			require.Contains(t, snoozed.LastErr, "snoozed")
			require.True(t, snoozed.NextProcessAt.After(time.Now().Add(retryAfter/2)), "it comes back after Retry-After: %s", snoozed.NextProcessAt)
			var attempts int64
			require.NoError(t, b.db.Model(&models.ExportAttempt{}).Count(&attempts).Error)
			require.Zero(t, attempts, "a slow-down is not a failed attempt")

			// A process started afterwards, with its own Worker, pauses too:
			// the cool-down lives in Redis.
			b.startWorker()
			stopFirst()
			third := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: pausedElsewhere.NetBoxDeviceID, Trigger: "webhook"})
			require.Equal(t, models.RunCancelled, third.Status, third.ErrorMessage)
			require.Contains(t, third.ErrorMessage, "cool-down")
			require.Equal(t, sent, b.wug.CountRequests("*"), "no request reached WUG during the cool-down")

			// Once it is over, work resumes.
			b.endCooldown()
			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			require.Equal(t, 3, run.DevicesUpdated)
			for _, r := range rows {
				d, ok := b.wug.Device(r.WUGDeviceID)
				require.True(t, ok)
				require.True(t, strings.HasSuffix(d.Name, "-renamed"), d.Name)
			}
		})
	}
}

// retryTask returns the device sync task of a device waiting in asynq's
// retry set.
func (b *testBundle) retryTask(queue string, deviceID int64) *asynq.TaskInfo {
	b.t.Helper()
	insp := asynq.NewInspectorFromRedisClient(b.redis.Client)
	list, err := insp.ListRetryTasks(queue)
	require.NoError(b.t, err)
	for _, info := range list {
		var p tasks.DeviceSyncPayload
		if info.Type == tasks.TypeDeviceSync && json.Unmarshal(info.Payload, &p) == nil && p.NetBoxDeviceID == deviceID {
			return info
		}
	}
	b.t.Fatalf("no %s task of device %d waits in the retry set of %s", tasks.TypeDeviceSync, deviceID, queue)
	return nil
}

// endCooldown ends the WUG cool-downs at once, as if their Retry-After had
// passed. It fails when there is none: the slow-down must have been
// stored where every process sees it.
func (b *testBundle) endCooldown() {
	b.t.Helper()
	ctx := context.Background()
	keys, err := b.redis.Client.Keys(ctx, "wugsync:wug:*:cooldown").Result()
	require.NoError(b.t, err)
	require.NotEmpty(b.t, keys, "no cool-down is stored in Redis")
	require.NoError(b.t, b.redis.Client.Del(ctx, keys...).Err())
}

// TestEveryWUGSlowDownSetsTheCooldown has WUG answer one read with 429 and a
// short Retry-After, which the worker waits out in process before reading
// again: the run completes, and the slow-down still paused every process,
// since the cool-down was stored in Redis for its Retry-After.
func TestEveryWUGSlowDownSetsTheCooldown(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 3, noWorker: true})
	watch := &cooldownWatch{}
	b.redis.Client.AddHook(watch)
	b.startWorker()
	const route = "GET /api/v1/device-groups/-"
	require.NoError(t, b.wug.SetFaults(route, wugsim.Fault{RateLimitRate: 1, Count: 1, RetryAfter: time.Second}))

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 3, run.DevicesCreated)
	require.GreaterOrEqual(t, b.wug.CountRequests(route), 2, "the read was answered 429, then read again")
	require.Equal(t, []string{fmt.Sprintf("wugsync:wug:%d:cooldown for 1s", b.conn.ID)}, watch.cooldowns())
	var attempts int64
	require.NoError(t, b.db.Model(&models.ExportAttempt{}).Count(&attempts).Error)
	require.Zero(t, attempts, "a slow-down is not a failed attempt")
}

// cooldownWatch sees the commands a Redis client sends and keeps the
// cool-downs stored, with their expiry.
type cooldownWatch struct {
	mu  sync.Mutex
	set []string
}

func (c *cooldownWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *cooldownWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (c *cooldownWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		if cmd.Name() == "set" && len(args) == 5 && strings.HasSuffix(fmt.Sprint(args[1]), ":cooldown") {
			unit := map[string]time.Duration{"ex": time.Second, "px": time.Millisecond}[fmt.Sprint(args[3])]
			n, _ := strconv.Atoi(fmt.Sprint(args[4]))
			c.mu.Lock()
			c.set = append(c.set, fmt.Sprintf("%v for %s", args[1], time.Duration(n)*unit))
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (c *cooldownWatch) cooldowns() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.set)
}
