package workers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

func ptr[T any](v T) *T { return &v }

// firstExported returns the ids of n exported devices with their rows.
func (b *testBundle) exportedDevices(n int) []models.NetBoxIPExport {
	var rows []models.NetBoxIPExport
	require.NoError(b.t, b.db.Where("connection_id = ? AND export_status = ?", b.conn.ID, models.ExportExported).
		Order("netbox_device_id").Limit(n).Find(&rows).Error)
	require.Len(b.t, rows, n)
	return rows
}

func TestChangedDeviceIsUpdatedInPlace(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 60})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	rows := b.exportedDevices(3)
	renamed, readdressed, moved := rows[0], rows[1], rows[2]

	_, err := b.nb.UpdateDevice(int(renamed.NetBoxDeviceID), func(d *netboxsim.Device) { d.Name = ptr("renamed-core-sw99") })
	require.NoError(t, err)
	_, err = b.nb.SetPrimaryIP(int(readdressed.NetBoxDeviceID), "10.250.1.7/24")
	require.NoError(t, err)
	nbMoved, _ := b.nb.Device(int(moved.NetBoxDeviceID))
	var otherSite netboxsim.Site
	for _, s := range b.nb.Sites() {
		if s.ID != nbMoved.SiteID {
			otherSite = s
			break
		}
	}
	_, err = b.nb.UpdateDevice(int(moved.NetBoxDeviceID), func(d *netboxsim.Device) { d.SiteID, d.LocationID, d.RackID, d.Position = otherSite.ID, 0, 0, nil })
	require.NoError(t, err)

	before := len(b.wug.Devices())
	b.wug.ResetStats()
	second := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, second.Status, second.ErrorMessage)
	require.Equal(t, 3, second.DevicesUpdated)
	require.Zero(t, second.DevicesCreated)
	require.Equal(t, before, len(b.wug.Devices()), "updates never create devices")
	require.Zero(t, b.wug.CountRequests("PATCH /api/v1/devices/-/config/template"))

	after := b.rows()
	for _, r := range []models.NetBoxIPExport{renamed, readdressed, moved} {
		require.Equal(t, r.WUGDeviceID, after[r.NetBoxDeviceID].WUGDeviceID, "device %d keeps its WUG device", r.NetBoxDeviceID)
	}
	d, ok := b.wug.Device(renamed.WUGDeviceID)
	require.True(t, ok)
	require.Equal(t, "renamed-core-sw99", d.Name)

	d, _ = b.wug.Device(readdressed.WUGDeviceID)
	require.Equal(t, "10.250.1.7", d.NetworkAddress)
	require.Equal(t, models.ReasonIPChange, after[readdressed.NetBoxDeviceID].ExportReason)

	d, _ = b.wug.Device(moved.WUGDeviceID)
	require.Equal(t, otherSite.Name, attr(d, "NetBox_Site"))
	var inNewGroup, inOldGroup bool
	for _, g := range d.Groups {
		inNewGroup = inNewGroup || strings.HasSuffix(g, "/"+otherSite.Name)
		inOldGroup = inOldGroup || strings.HasSuffix(g, "/"+siteName(b, nbMoved.SiteID))
	}
	require.True(t, inNewGroup, "moved into the new site's group: %v", d.Groups)
	require.False(t, inOldGroup, "left the old site's group: %v", d.Groups)

	var plan []models.PlanEntry
	require.NoError(t, b.db.Where("sync_log_id = ? AND action = ?", second.ID, models.PlanUpdate).Find(&plan).Error)
	require.Len(t, plan, 3)
	for _, e := range plan {
		require.NotEmpty(t, e.Diff, "an update records its field diffs")
	}
}

func siteName(b *testBundle, id int) string {
	for _, s := range b.nb.Sites() {
		if s.ID == id {
			return s.Name
		}
	}
	return ""
}

func TestDeviceAlreadyInWUGIsAdopted(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40, noWorker: true})
	want := b.expected()
	var target string
	for id := range want {
		target = id
		break
	}
	addr := want[target].Address.String()
	handAdded, err := b.wug.AddDevice(wugsim.Device{Name: "added-by-hand", NetworkAddress: addr, Groups: []string{"Manual"}})
	require.NoError(t, err)
	b.startWorker()

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Len(t, b.wug.Devices(), len(want), "the hand-added device was adopted, not duplicated")
	got := b.wugByNetBoxID()
	require.Equal(t, handAdded.ID, got[target].ID)
	require.Equal(t, want[target].Name, got[target].Name, "adoption renames to the NetBox name")
	n, _ := strconv.ParseInt(target, 10, 64)
	row := b.rows()[n]
	require.True(t, row.Adopted)
	require.Equal(t, handAdded.ID, row.WUGDeviceID)
	require.Contains(t, got[target].Groups, "My Network/Manual", "a person's group is kept")
}

func TestDryRunWritesNothingAndItsPlanIsExact(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 150})
	dry := b.export(tasks.ExportRequest{DryRun: true})
	require.Equal(t, models.RunCompleted, dry.Status, dry.ErrorMessage)
	for _, r := range b.wug.RequestLog() {
		require.True(t, r.Method == http.MethodGet || r.Path == "/api/v1/token", "dry run wrote: %s %s", r.Method, r.Path)
	}
	require.Empty(t, b.wug.Devices())
	require.Empty(t, b.rows(), "a dry run stores only its plan")
	require.Contains(t, dry.Summary, "dry run")

	planned := map[int64]models.PlanAction{}
	var entries []models.PlanEntry
	require.NoError(t, b.db.Where("sync_log_id = ?", dry.ID).Find(&entries).Error)
	for _, e := range entries {
		planned[e.NetBoxDeviceID] = e.Action
	}
	real := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, real.Status)
	require.Equal(t, dry.DevicesCreated, real.DevicesCreated)
	require.Equal(t, dry.DevicesSkipped, real.DevicesSkipped)
	for id, row := range b.rows() {
		switch row.ExportStatus {
		case models.ExportExported:
			require.Equal(t, models.PlanCreate, planned[id], "device %d", id)
		case models.ExportSkipped:
			require.Equal(t, models.PlanSkip, planned[id], "device %d", id)
		default:
			t.Fatalf("device %d ended %s", id, row.ExportStatus)
		}
	}
}

// heldCallLimit bounds how long any test holds a WUG call or waits for a
// held one: a test whose expectation breaks fails after it instead of
// hanging until the package timeout.
const heldCallLimit = time.Minute

// holdTemplateCalls routes WUG through a gate that lets the first `pass`
// template calls through and holds the next one, to stop a worker in the
// middle of a run.
//
// The held call is released by open, by the end of the test (its cleanup
// is registered after the server's, so it runs first and the server's
// Close never waits on it), or after heldCallLimit at the latest.
func (b *testBundle) holdTemplateCalls(pass int) *gate {
	ctx, cancel := context.WithTimeout(context.Background(), heldCallLimit)
	g := &gate{next: b.wug, pass: pass, limit: ctx, held: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	b.routeWUGThrough(g)
	b.t.Cleanup(func() {
		g.open()
		cancel()
	})
	return g
}

// open releases the held call; it may be called more than once.
func (g *gate) open() { g.releaseOnce.Do(func() { close(g.release) }) }

// gate holds WUG template calls after the first `pass` ones.
type gate struct {
	next    http.Handler
	pass    int
	limit   context.Context // the test's deadline for holding a call
	mu      sync.Mutex
	seen    int
	held    chan struct{} // closed when a call is held
	release chan struct{}
	done    chan struct{} // closed when the held call reached WUG
	once    sync.Once

	releaseOnce sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch && r.URL.Path == "/api/v1/devices/-/config/template" {
		g.mu.Lock()
		g.seen++
		hold := g.seen == g.pass+1
		g.mu.Unlock()
		if hold {
			g.once.Do(func() { close(g.held) })
			// The worker may drop the request meanwhile: the call is
			// still held, as a request already sent stays in flight.
			select {
			case <-g.release:
			case <-g.limit.Done():
			}
			// The worker is gone; WUG still creates the devices, and
			// nobody reads the answer.
			g.next.ServeHTTP(w, r)
			close(g.done)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// waitFor waits for ch to close, failing the test after heldCallLimit.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(heldCallLimit):
		t.Fatalf("gave up after %s waiting for %s", heldCallLimit, what)
	}
}

func TestWorkerStoppedHalfwayLeavesNoDuplicatesAndNoMisses(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 400, noWorker: true, concurrency: 1,
		conn: func(c *models.WUGConnection) { c.BatchSize = 50 }})
	want := b.expected()
	g := b.holdTemplateCalls(2)

	stopFirst := b.startWorker()
	run, err := tasks.StartExport(context.Background(), models.NewStore(b.db), b.enq, tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
	require.NoError(t, err)
	waitFor(t, g.held, "the third template call")
	stopFirst() // the batch in flight goes back to the queue
	g.open()
	waitFor(t, g.done, "the held call to reach WUG") // WUG created the batch's devices after the worker left

	b.startWorker()
	ended := b.waitRun(run.ID)
	require.Equal(t, models.RunCompleted, ended.Status, ended.ErrorMessage)
	b.requireWUGMatches(want)
	require.Equal(t, len(want), ended.DevicesCreated)
}

func TestInjectedWUGFaultsStillGiveTheExactEndState(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 250, conn: func(c *models.WUGConnection) { c.BatchSize = 25 }})
	want := b.expected()
	require.NoError(t, b.wug.SetFaults("*", wugsim.Fault{
		ErrorRate: 0.10, RateLimitRate: 0.05, RetryAfter: time.Second, TimeoutRate: 0.05,
	}))
	// An attempt sends its template call up to createRounds times (after a
	// look-up each), and a resend may ride another batch's request, so a
	// share of failures may leave every attempt a round that passes. The
	// first 4 x 8 template requests (eight batches run at once) all fail
	// instead: the first batch to start spends its rounds among them, so at
	// least one attempt fails and is retried, whatever the order.
	require.NoError(t, b.wug.SetFaults("PATCH /api/v1/devices/-/config/template", wugsim.Fault{ErrorRate: 1, Count: 4 * 8}))
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	b.wug.ClearFaults()
	b.requireWUGMatches(want)
	require.Equal(t, len(want), run.DevicesCreated)

	var faults int
	for _, r := range b.wug.RequestLog() {
		if r.Fault != "" {
			faults++
		}
	}
	require.Positive(t, faults, "faults were injected")
	var attempts int64
	require.NoError(t, b.db.Model(&models.ExportAttempt{}).Where("sync_log_id = ?", run.ID).Count(&attempts).Error)
	// A failed batch attempt is recorded before its retry runs, and the
	// run closes only after that retry: the rows exist by now.
	require.Positive(t, attempts, "every failed attempt is kept")
}

func TestDecommissionActions(t *testing.T) {
	t.Parallel()
	for _, action := range models.DecommissionActions() {
		t.Run(string(action), func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 30, conn: func(c *models.WUGConnection) { c.DecommissionAction = action }})
			require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
			rows := b.exportedDevices(2)
			deleted, offline := rows[0], rows[1]
			require.NoError(t, b.nb.DeleteDevice(int(deleted.NetBoxDeviceID)))
			_, err := b.nb.UpdateDevice(int(offline.NetBoxDeviceID), func(d *netboxsim.Device) { d.Status = "offline" })
			require.NoError(t, err)
			before := len(b.wug.Devices())

			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
			after := b.rows()
			for _, r := range []models.NetBoxIPExport{deleted, offline} {
				require.Equal(t, models.ExportDecommissioned, after[r.NetBoxDeviceID].ExportStatus)
				require.NotNil(t, after[r.NetBoxDeviceID].DecommissionedAt)
				d, exists := b.wug.Device(r.WUGDeviceID)
				note := after[r.NetBoxDeviceID].SkipReason
				switch action {
				case models.DecommissionNone:
					require.True(t, exists)
					require.False(t, d.Maintenance)
					require.Equal(t, "left in WUG (decommission action: none)", note, "the row says nothing happened in WUG")
				case models.DecommissionMaintenance:
					require.True(t, exists)
					require.True(t, d.Maintenance)
					require.Contains(t, d.MaintenanceReason, "NetBox")
					require.Equal(t, "decommissioned: WUG device "+r.WUGDeviceID+" put in maintenance (decommission action: maintenance)", note)
				case models.DecommissionDelete:
					require.False(t, exists)
					require.Equal(t, "decommissioned: deleted WUG device "+r.WUGDeviceID, note)
				}
			}
			if action == models.DecommissionDelete {
				require.Len(t, b.wug.Devices(), before-2)
			} else {
				require.Len(t, b.wug.Devices(), before)
			}
		})
	}
}

func TestDecommissionNeverTouchesDevicesItDidNotCreateOrAdopt(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 20, conn: func(c *models.WUGConnection) { c.DecommissionAction = models.DecommissionDelete }})
	stranger, err := b.wug.AddDevice(wugsim.Device{Name: "nyc1-core-sw01", NetworkAddress: "192.168.77.1"})
	require.NoError(t, err)
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	for _, d := range b.nb.Devices() {
		require.NoError(t, b.nb.DeleteDevice(d.ID))
	}
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	devices := b.wug.Devices()
	require.Len(t, devices, 1, "only the device wugsync never linked remains")
	require.Equal(t, stranger.ID, devices[0].ID)
}

func TestDeviceSyncUsesTheSamePath(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 10})
	var target netbox.Device
	want := b.expected()
	for d, err := range b.nbClient.Devices(context.Background(), netbox.DeviceFilter{}) {
		require.NoError(t, err)
		if _, ok := want[strconv.FormatInt(d.ID, 10)]; ok {
			target = d
			break
		}
	}
	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: target.ID, Trigger: "api"})
	require.Equal(t, models.SyncDevice, run.SyncType)
	require.Equal(t, 1, run.DevicesCreated)
	require.Len(t, b.wug.Devices(), 1)

	again := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: target.ID, Trigger: "api"})
	require.Equal(t, 1, again.DevicesUnchanged, "a replayed sync is harmless")
	require.Len(t, b.wug.Devices(), 1)

	require.NoError(t, b.nb.DeleteDevice(int(target.ID)))
	gone := b.waitNextRun(func() {
		require.NoError(t, b.enq.Enqueue(context.Background(), tasks.DecommissionPayload{NetBoxDeviceID: target.ID, Trigger: "webhook"}))
	})
	require.Equal(t, models.SyncDecommission, gone.SyncType)
	require.Equal(t, models.ExportDecommissioned, b.rows()[target.ID].ExportStatus)
}

func TestDeviceSyncOfADeviceNetBoxLacksSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 5})
	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: 999999, Trigger: "api"})
	require.Equal(t, models.RunFailed, run.Status, run.Summary)
	require.Contains(t, run.ErrorMessage, "NetBox has no such device")
	require.Contains(t, run.ErrorMessage, "999999")
	require.Contains(t, run.Summary, "999999")
	require.Empty(t, b.rows(), "no row for a device that does not exist")

	// A device exported before and now gone from NetBox still goes down
	// the decommission path, through the same sync.
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	var target models.NetBoxIPExport
	for _, r := range b.rows() {
		if r.WUGDeviceID != "" {
			target = r
			break
		}
	}
	require.NotEmpty(t, target.WUGDeviceID, "the export linked a device")
	require.NoError(t, b.nb.DeleteDevice(int(target.NetBoxDeviceID)))
	gone := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: target.NetBoxDeviceID, Trigger: "api"})
	require.Equal(t, models.RunCompleted, gone.Status, gone.ErrorMessage)
	require.Equal(t, models.ExportDecommissioned, b.rows()[target.NetBoxDeviceID].ExportStatus)
}

func (b *testBundle) syncDevice(p tasks.DeviceSyncPayload) models.WUGSyncLog {
	return b.waitNextRun(func() {
		require.NoError(b.t, b.enq.Enqueue(context.Background(), p))
	})
}

// waitNextRun subscribes to run ends, triggers work and returns the first
// run that ends after it.
func (b *testBundle) waitNextRun(trigger func()) models.WUGSyncLog {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.RunEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(b.t, err)
	trigger()
	select {
	case msg := <-sub.Channel():
		id, err := strconv.ParseUint(msg.Payload, 10, 64)
		require.NoError(b.t, err)
		var run models.WUGSyncLog
		require.NoError(b.t, b.db.First(&run, id).Error)
		return run
	case <-ctx.Done():
		b.t.Fatal("no run ended")
		return models.WUGSyncLog{}
	}
}

func TestTwoSchedulersStartOneRunPerInterval(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 5, conn: func(c *models.WUGConnection) { c.ExportIntervalMinutes = 60 }})
	// Rows' created_at is the wall clock; the fake clock moves from there.
	now := time.Now().UTC()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setClock := func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
	schedulers := []*workers.Scheduler{
		workers.NewScheduler(workers.SchedulerParams{DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq, Now: clock}),
		workers.NewScheduler(workers.SchedulerParams{DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq, Now: clock}),
	}
	tickAll := func() {
		var wg sync.WaitGroup
		for _, s := range schedulers {
			wg.Add(1)
			go func() { defer wg.Done(); require.NoError(t, s.Tick(context.Background())) }()
		}
		wg.Wait()
	}
	scheduledRuns := func() []models.WUGSyncLog {
		var runs []models.WUGSyncLog
		require.NoError(t, b.db.Where("trigger = ?", models.TriggerScheduled).Order("id").Find(&runs).Error)
		return runs
	}
	tickAll()
	setClock(b.conn.CreatedAt.Add(59 * time.Minute))
	tickAll()
	require.Empty(t, scheduledRuns(), "a new connection writes nothing to WUG within its first interval")

	setClock(b.conn.CreatedAt.Add(61 * time.Minute))
	tickAll()
	tickAll()
	runs := scheduledRuns()
	require.Len(t, runs, 1, "one run for the first interval")
	b.waitRun(runs[0].ID)

	setClock(b.conn.CreatedAt.Add(122 * time.Minute))
	tickAll()
	tickAll()
	require.Len(t, scheduledRuns(), 2, "one more run for the next interval")
}

// TestFirstScheduledRunFollowsTheFirstManualExport: a person's export
// starts the interval again, so the scheduler does not repeat it at once.
func TestFirstScheduledRunFollowsTheFirstManualExport(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 3, conn: func(c *models.WUGConnection) { c.ExportIntervalMinutes = 60 }})
	manual := b.export(tasks.ExportRequest{Trigger: models.TriggerManual})
	require.Equal(t, models.RunCompleted, manual.Status, manual.ErrorMessage)
	var now time.Time
	s := workers.NewScheduler(workers.SchedulerParams{DB: b.db, Redis: b.redis.Client, Enqueuer: b.enq,
		Now: func() time.Time { return now }})
	scheduled := func() int64 {
		var n int64
		require.NoError(t, b.db.Model(&models.WUGSyncLog{}).Where("trigger = ?", models.TriggerScheduled).Count(&n).Error)
		return n
	}
	next := b.conn.NextExportAt(&manual.CreatedAt)
	require.NotNil(t, next)
	require.Equal(t, manual.CreatedAt.Add(time.Hour).UTC(), *next, "one interval after the manual export, which came after the creation")

	now = next.Add(-time.Second)
	require.NoError(t, s.Tick(context.Background()))
	require.Zero(t, scheduled())
	now = *next
	require.NoError(t, s.Tick(context.Background()))
	require.EqualValues(t, 1, scheduled())
}

func TestRateLimitHoldsAcrossTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	const perSecond = 10
	b := setup(t, bundleOptions{devices: 50, noWorker: true})
	b.startWorker()
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)

	// Rename every device: one properties call each, far more than the
	// limit allows in a second.
	b.renameEveryDevice()
	require.NoError(t, b.db.Model(&b.conn).Updates(map[string]any{"rate_limit_per_second": perSecond, "batch_size": 5}).Error)
	b.startWorker() // a second process
	b.wug.ResetStats()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Positive(t, run.DevicesUpdated)

	perSecondTotal := map[time.Time]int{}
	for _, c := range b.wug.PerSecondCounts()["*"] { // every route together
		perSecondTotal[c.Second] += c.Count
	}
	var busiest int
	for _, n := range perSecondTotal {
		busiest = max(busiest, n)
	}
	if busiest > perSecond {
		for route, counts := range b.wug.PerSecondCounts() {
			t.Logf("%s: %v", route, counts)
		}
	}
	require.LessOrEqual(t, busiest, perSecond, "WUG saw %d requests in one second", busiest)
	require.GreaterOrEqual(t, len(perSecondTotal), run.DevicesUpdated/perSecond, "the run was spread over time")
}

// renameEveryDevice appends "-x" to the name of every named NetBox device,
// so the next run updates each with one properties call.
func (b *testBundle) renameEveryDevice() {
	b.t.Helper()
	for _, d := range b.nb.Devices() {
		_, err := b.nb.UpdateDevice(d.ID, func(d *netboxsim.Device) {
			if d.Name != nil {
				d.Name = ptr(*d.Name + "-x")
			}
		})
		require.NoError(b.t, err)
	}
}

// TestWebhookSyncRacingARunCreatesTheDeviceOnce: a device sync that plans
// a create while a run is creating the device waits for the run's create;
// one that planned before the run stored its link and claims after finds
// the run's device, links it, and counts it unchanged, not created. The
// interleaving is forced: the run's template call is held while a sync
// plans, and that sync is held between its decision and its claim (at the
// answer of its adoption search, computed before the run's create reached
// WUG) until the run has stored its link. A batch reads nothing from
// NetBox, so no NetBox read lies between a plan and its claim.
func TestWebhookSyncRacingARunCreatesTheDeviceOnce(t *testing.T) {
	t.Parallel()
	search := &searchGate{held: make(chan struct{}), release: make(chan struct{})}
	// The held create must outlast the sync's debounce, so the client
	// waits longer than usual.
	b := setup(t, bundleOptions{devices: 10, noWorker: true,
		params: func(p *workers.Params) { p.WUGTimeout = time.Minute }})
	t.Cleanup(search.open)
	want := b.expected()
	var target int64
	for id := range want {
		n, _ := strconv.ParseInt(id, 10, 64)
		target = n
		break
	}
	g := b.holdTemplateCalls(0)
	search.next, g.next = g.next, search
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.RunEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	ended := func() models.WUGSyncLog {
		select {
		case msg := <-sub.Channel():
			id, _ := strconv.ParseUint(msg.Payload, 10, 64)
			var run models.WUGSyncLog
			require.NoError(t, b.db.First(&run, id).Error)
			return run
		case <-ctx.Done():
			t.Fatal("no run ended")
			return models.WUGSyncLog{}
		}
	}

	b.startWorker()
	run, err := tasks.StartExport(ctx, models.NewStore(b.db), b.enq, tasks.ExportRequest{ConnectionID: b.conn.ID, Trigger: models.TriggerManual})
	require.NoError(t, err)
	waitFor(t, g.held, "the run's template call") // the run is creating every device, the target included

	require.NoError(t, b.enq.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: target, Trigger: "webhook"}))
	deferred := ended()
	require.Equal(t, models.SyncDevice, deferred.SyncType)
	require.Equal(t, models.RunCancelled, deferred.Status, "the sync waits for the run's create")
	require.Contains(t, deferred.ErrorMessage, "another task is creating")

	// The sync tries again while the run's create is still held: it plans
	// a create, and is held before it claims.
	search.arm()
	waitFor(t, search.held, "the sync between its decision and its claim")
	g.open()
	var export models.WUGSyncLog
	for export.ID == 0 {
		if r := ended(); r.ID == run.ID {
			export = r
		}
	}
	require.Equal(t, models.RunCompleted, export.Status, export.ErrorMessage)
	require.Equal(t, len(want), export.DevicesCreated)
	search.open() // the run's link is stored: the sync claims now

	var sync models.WUGSyncLog
	for sync.ID == 0 {
		if r := ended(); r.SyncType == models.SyncDevice && r.Status != models.RunCancelled {
			sync = r
		}
	}
	require.Equal(t, models.RunCompleted, sync.Status, sync.ErrorMessage)
	require.Zero(t, sync.DevicesCreated, "the sync found the run's device: the run created it")
	require.Equal(t, 1, sync.DevicesUnchanged, "the sync linked the run's device")
	require.Equal(t, sync.DevicesTotal, sync.DevicesCreated+sync.DevicesUpdated+sync.DevicesUnchanged+sync.DevicesSkipped+sync.DevicesFailed)
	var entry models.PlanEntry
	require.NoError(t, b.db.Where("sync_log_id = ?", sync.ID).First(&entry).Error)
	require.Equal(t, models.PlanCreate, entry.Action, "the sync had planned a create")
	require.Equal(t, models.OutcomeLinked, entry.Outcome)
	b.requireWUGMatches(want)
}

// searchGate holds, once armed, the answer of the next WUG device search
// (an adoption look-up by IP): WUG answers at once, the answer is held, so
// the searcher decides on what WUG held before the release.
type searchGate struct {
	next    http.Handler
	mu      sync.Mutex
	armed   bool
	held    chan struct{}
	release chan struct{}
	once    sync.Once
	opened  sync.Once
}

func (g *searchGate) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

// open lets the held answer (and every later one) through.
func (g *searchGate) open() { g.opened.Do(func() { close(g.release) }) }

func (g *searchGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	hold := g.armed && r.Method == http.MethodGet && r.URL.Query().Has("search")
	if hold {
		g.armed = false // hold one answer only
	}
	g.mu.Unlock()
	if !hold {
		g.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	g.once.Do(func() { close(g.held) })
	select {
	case <-g.release:
	case <-time.After(heldCallLimit):
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func TestUnknownNetBoxFilterFailsTheRunAtOnce(t *testing.T) {
	t.Parallel()
	// Retries an hour apart: only a run failed without retrying ends
	// while the test waits.
	b := setup(t, bundleOptions{devices: 5, retryBase: time.Hour, conn: func(c *models.WUGConnection) {
		c.DeviceFilters.Tags = []string{"no-such-tag"}
	}})
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunFailed, run.Status)
	require.Contains(t, run.ErrorMessage, `tag="no-such-tag"`, "the error names the filter and value")
	require.Empty(t, b.wug.Devices())
}

// TestSkippedRowsOfAManualExportSayManual: a device first seen skipped by a
// person's export is not labelled "scheduled".
func TestSkippedRowsOfAManualExportSayManual(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 60})
	run := b.export(tasks.ExportRequest{Trigger: models.TriggerManual})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	skipped := 0
	for _, r := range b.rows() {
		if r.ExportStatus == models.ExportSkipped {
			skipped++
			require.Equal(t, models.ReasonManual, r.ExportReason, "device %d: %s", r.NetBoxDeviceID, r.SkipReason)
		}
	}
	require.Positive(t, skipped, "the generated inventory has devices that cannot be exported")
}

// TestDeviceSyncRunsTheRunsTheAPIRecorded: a sync someone waits for runs
// the queued runs recorded for it, and ends, as cancelled, the one whose
// connection stopped exporting since, so nobody waits for it in vain.
func TestDeviceSyncRunsTheRunsTheAPIRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 10})
	other := b.addWUG("other", wugsim.Options{}, nil)
	var runs []models.WUGSyncLog
	for _, conn := range []models.WUGConnection{b.conn, other.conn} {
		runs = append(runs, models.WUGSyncLog{ConnectionID: conn.ID, SyncType: models.SyncDevice,
			Trigger: models.TriggerAPI, Status: models.RunQueued})
	}
	require.NoError(t, b.db.Create(&runs).Error)
	require.NoError(t, b.db.Model(&other.conn).Update("enable_netbox_export", false).Error)
	device := b.nb.Devices()[0].ID

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub := b.redis.Client.Subscribe(ctx, tasks.RunEndedChannel(b.redis.Client))
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	require.NoError(t, b.enq.Enqueue(ctx, tasks.DeviceSyncPayload{NetBoxDeviceID: int64(device), Trigger: "api",
		RunIDs: []uint{runs[0].ID, runs[1].ID}}))
	ended := map[string]bool{}
	for len(ended) < 2 {
		select {
		case msg := <-sub.Channel():
			ended[msg.Payload] = true
		case <-ctx.Done():
			t.Fatalf("runs ended: %v", ended)
		}
	}
	var got []models.WUGSyncLog
	require.NoError(t, b.db.Where("sync_type = ?", models.SyncDevice).Order("id").Find(&got).Error)
	require.Len(t, got, 2, "no run besides the recorded ones")
	require.Equal(t, runs[0].ID, got[0].ID)
	require.Equal(t, models.RunCompleted, got[0].Status, got[0].ErrorMessage)
	require.Equal(t, 1, got[0].DevicesTotal)
	require.Equal(t, models.RunCancelled, got[1].Status)
	require.Contains(t, got[1].ErrorMessage, "no longer exports")
}
