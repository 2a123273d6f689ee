package workers_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/workers"
)

const devicesRoute = "/api/dcim/devices/"

// writeback turns NetBox write-back on, with small batches so a run has
// several.
func writeback(batchSize int, more ...func(*models.WUGConnection)) func(*models.WUGConnection) {
	return func(c *models.WUGConnection) {
		c.NetBoxWriteback, c.BatchSize = true, batchSize
		for _, m := range more {
			m(c)
		}
	}
}

// fieldOf is the wug_device_id custom field of a NetBox device in the
// simulator; nil when unset.
func (b *testBundle) fieldOf(id int64, field string) any {
	b.t.Helper()
	d, ok := b.nb.Device(int(id))
	require.True(b.t, ok, "NetBox device %d", id)
	return d.CustomFields[field]
}

// requireFieldsMatchRows checks that every linked row's NetBox device holds
// its WUG device id, and that nothing is left owed.
func (b *testBundle) requireFieldsMatchRows() int {
	b.t.Helper()
	n := 0
	for id, r := range b.rows() {
		require.Empty(b.t, r.NetBoxWritebackDue, "device %d still owes a write-back", id)
		if r.WUGDeviceID == "" {
			continue
		}
		require.Equal(b.t, r.WUGDeviceID, b.fieldOf(id, "wug_device_id"), "device %d", id)
		n++
	}
	return n
}

// deviceReads counts the device reads NetBox saw, leaving out the trimmed
// listing of every primary address (has_primary_ip=true, fields=id, name,
// status, primary_ip*) that each plan reads for IP conflicts across NetBox.
func (b *testBundle) deviceReads() int {
	n := 0
	for _, r := range b.nb.Requests() {
		if r.Method == http.MethodGet && r.Path == devicesRoute && !r.Query.Has("has_primary_ip") {
			n++
		}
	}
	return n
}

func TestWritebackWritesEachWUGIDWithOnePatchPerBatch(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 40, conn: writeback(10, func(c *models.WUGConnection) {
		c.DecommissionAction = models.DecommissionDelete
	})})
	want := b.expected()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Greater(t, run.BatchesTotal, 1)
	require.Equal(t, len(want), b.requireFieldsMatchRows())
	require.Equal(t, run.BatchesTotal, b.nb.RequestCount(http.MethodPatch, devicesRoute), "one bulk PATCH per batch")
	// The field's values came from what the plan read anyway: one plan
	// listing (besides the listing of primary addresses, the conflict
	// check across NetBox), no read per batch, none for the write-back.
	require.Equal(t, 1, b.deviceReads())

	// Unchanged: nothing to write.
	b.nb.ResetRequests()
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	require.Zero(t, b.nb.RequestCount(http.MethodPatch, devicesRoute))

	// Changed devices whose field already holds their id: updated in WUG,
	// nothing written to NetBox.
	b.renameEveryDevice()
	b.nb.ResetRequests()
	renamed := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, renamed.Status, renamed.ErrorMessage)
	require.Positive(t, renamed.DevicesUpdated)
	require.Zero(t, b.nb.RequestCount(http.MethodPatch, devicesRoute))

	// A decommission that deletes the WUG device clears the field; one
	// that went offline by hand in NetBox keeps its other fields.
	gone := b.exportedDevices(1)[0]
	_, err := b.nb.UpdateDevice(int(gone.NetBoxDeviceID), func(d *netboxsim.Device) { d.Status = "offline" })
	require.NoError(t, err)
	b.nb.ResetRequests()
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	require.Nil(t, b.fieldOf(gone.NetBoxDeviceID, "wug_device_id"), "cleared to null")
	require.Equal(t, 1, b.nb.RequestCount(http.MethodPatch, devicesRoute))
	require.Equal(t, len(want)-1, b.requireFieldsMatchRows())
}

func TestWritebackOffWritesNothingToNetBox(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 20})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	require.Zero(t, b.nb.RequestCount(http.MethodPatch, devicesRoute))
	require.Empty(t, b.nb.JournalEntries())
	for id := range b.rows() {
		require.Nil(t, b.fieldOf(id, "wug_device_id"))
	}
}

func TestRetriedBatchWritesBackOnceAfterAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 30, noWorker: true, conn: writeback(100),
		params: func(p *workers.Params) {
			// No client-side retry: the first PATCH's failure fails the
			// batch's attempt, after WUG created every device.
			nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken, MaxRetries: -1})
			require.NoError(t, err)
			p.NetBox = nb
		}})
	require.NoError(t, b.nb.SetFaults(netboxsim.FaultRule{PathPrefix: devicesRoute, Methods: []string{http.MethodPatch}, FirstN: 1, Status: http.StatusServiceUnavailable}))
	b.startWorker()
	want := b.expected()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, b.nb.FaultsFired())
	require.Equal(t, 2, b.nb.RequestCount(http.MethodPatch, devicesRoute), "the failed PATCH and the retry's, no more")
	require.Equal(t, len(want), b.requireFieldsMatchRows())
	b.requireWUGMatches(want) // and no WUG device twice
	require.Equal(t, len(want), run.DevicesCreated)
}

func TestUnknownCustomFieldFailsTheRunNamingTheSetupRoute(t *testing.T) {
	t.Parallel()
	for _, version := range []string{netboxsim.Version44, netboxsim.Version45} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			b := setup(t, bundleOptions{devices: 20, netbox: netboxsim.Options{Version: version, Devices: 20, Seed: 7},
				conn: writeback(100, func(c *models.WUGConnection) { c.NetBoxCustomField = "monitoring_id" })})
			run := b.export(tasks.ExportRequest{})
			require.Equal(t, models.RunFailed, run.Status)
			require.Contains(t, run.ErrorMessage, `"monitoring_id"`)
			require.Contains(t, run.ErrorMessage, fmt.Sprintf("POST /api/v1/connections/%d/netbox-setup", b.conn.ID))

			// Not retried: asynq archives the batch task after its one
			// attempt.
			insp := asynq.NewInspectorFromRedisClient(b.redis.Client)
			require.Eventually(t, func() bool {
				archived, err := insp.ListArchivedTasks("default")
				return err == nil && len(archived) == 1 && archived[0].Type == tasks.TypeExportBatch
			}, time.Minute, 10*time.Millisecond)
			require.Equal(t, 1, b.nb.RequestCount(http.MethodPatch, devicesRoute))
			owed := 0
			for _, r := range b.rows() {
				if r.WUGDeviceID != "" {
					require.Equal(t, models.WritebackCreated, r.NetBoxWritebackDue, "still owed once the field exists")
					owed++
				}
			}
			require.Equal(t, len(b.expected()), owed)
		})
	}
}

func TestJournalEntryPerCreateAdoptionScanLinkAndDecommission(t *testing.T) {
	t.Parallel()
	found, _, opts := scanFixture(t)
	opts.wug.RejectTemplates = []string{found}
	opts.wug.ScanPolls = 1
	opts.noWorker = true
	opts.conn = writeback(10, func(c *models.WUGConnection) {
		c.NetBoxJournal, c.DecommissionAction = true, models.DecommissionMaintenance
	})
	b := setup(t, opts)
	want := b.expected()
	var adopted string
	for id, d := range want {
		if d.Address.String() != found {
			adopted = id
			break
		}
	}
	handAdded, err := b.wug.AddDevice(wugsim.Device{Name: "added-by-hand", NetworkAddress: want[adopted].Address.String()})
	require.NoError(t, err)
	b.startWorker()

	run := b.exportAndWaitForScan()
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Eventually(t, func() bool {
		var owed int64
		err := b.db.Model(&models.NetBoxIPExport{}).Where("netbox_writeback_due <> ''").Count(&owed).Error
		return err == nil && owed == 0
	}, time.Minute, 10*time.Millisecond, "the scan link's write-back follows the scan")
	require.Len(t, b.nb.JournalEntries(), len(want))
	b.requireFieldsMatchRows()
	byDevice := map[string]netboxsim.JournalEntry{}
	for _, e := range b.nb.JournalEntries() {
		id := strconv.Itoa(e.ObjectID)
		_, dup := byDevice[id]
		require.False(t, dup, "two entries on device %s", id)
		require.Equal(t, netbox.ObjectTypeDevice, e.ObjectType)
		require.Equal(t, netbox.JournalInfo, e.Kind)
		byDevice[id] = e
	}
	require.Contains(t, byDevice[adopted].Comments, "adopted WUG device "+handAdded.ID)
	for id, r := range b.rows() {
		e := byDevice[strconv.FormatInt(id, 10)]
		switch {
		case r.WUGDeviceID == "":
			require.Empty(t, e.Comments, "device %d is not in WUG", id)
		case r.IPAddress == found:
			require.Contains(t, e.Comments, "linked WUG device "+r.WUGDeviceID)
		case strconv.FormatInt(id, 10) != adopted:
			require.Contains(t, e.Comments, "created WUG device "+r.WUGDeviceID)
		}
	}

	// Nothing new happened: no entry.
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	require.Len(t, b.nb.JournalEntries(), len(want))

	gone := b.exportedDevices(1)[0]
	_, err = b.nb.UpdateDevice(int(gone.NetBoxDeviceID), func(d *netboxsim.Device) { d.Status = "offline" })
	require.NoError(t, err)
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	entries := b.nb.JournalEntries()
	require.Len(t, entries, len(want)+1)
	last := entries[len(entries)-1]
	require.Equal(t, int(gone.NetBoxDeviceID), last.ObjectID)
	require.Equal(t, netbox.JournalWarning, last.Kind)
	require.Contains(t, last.Comments, "put WUG device "+gone.WUGDeviceID+" in maintenance")
	require.Equal(t, gone.WUGDeviceID, b.fieldOf(gone.NetBoxDeviceID, "wug_device_id"), "maintenance keeps the device, and the id")
}

// A write-back another sender holds (a scan's task linking the device
// while its batch writes back, a run's sweep) is left to it: NetBox's
// journal gets one entry per event, never one per sender. The row stays
// owed meanwhile, and once the claim is gone the next run's sweep sends
// it. Counted in journal entries.
func TestAWriteBackAnotherSenderHoldsIsSentOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 6, conn: writeback(10, func(c *models.WUGConnection) { c.NetBoxJournal = true })})
	want := b.expected()
	held := int64(0)
	for id := range want {
		n, err := strconv.ParseInt(id, 10, 64)
		require.NoError(t, err)
		held = max(held, n)
	}
	// The key workers.claimWritebacks takes for the device.
	key := fmt.Sprintf("wugsync:writeback:%d:device:%d", b.conn.ID, held)
	ctx := context.Background()
	require.NoError(t, b.redis.Client.Set(ctx, key, "another-sender", time.Minute).Err())

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	journaled := map[int]int{}
	for _, e := range b.nb.JournalEntries() {
		journaled[e.ObjectID]++
	}
	require.Len(t, journaled, len(want)-1, "every device but the held one")
	require.Zero(t, journaled[int(held)])
	require.Equal(t, models.WritebackCreated, b.rows()[held].NetBoxWritebackDue, "still owed")

	require.NoError(t, b.redis.Client.Del(ctx, key).Err())
	run = b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	journaled = map[int]int{}
	for _, e := range b.nb.JournalEntries() {
		journaled[e.ObjectID]++
	}
	require.Len(t, journaled, len(want))
	for id, n := range journaled {
		require.Equal(t, 1, n, "device %d", id)
	}
	require.Equal(t, models.WritebackNone, b.rows()[held].NetBoxWritebackDue)
}

// perSecond counts the requests that reach NetBox in each wall-clock
// second.
type perSecond struct {
	next http.Handler
	mu   sync.Mutex
	seen map[int64]int
}

func (p *perSecond) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen[time.Now().Unix()]++
	p.mu.Unlock()
	p.next.ServeHTTP(w, r)
}

func (p *perSecond) counts() map[int64]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]int, len(p.seen))
	for k, v := range p.seen {
		out[k] = v
	}
	return out
}

func TestNetBoxRateLimitHoldsAcrossTwoWorkers(t *testing.T) {
	t.Parallel()
	const limit = 10
	var watch *perSecond
	var b *testBundle
	// Batches read nothing from NetBox: their write-backs (one bulk PATCH
	// each) are most of the calls, so enough devices to exceed the limit
	// a few times over.
	b = setup(t, bundleOptions{devices: 80, noWorker: true, conn: writeback(2),
		netboxVia: func(next http.Handler) http.Handler {
			watch = &perSecond{next: next, seen: map[int64]int{}}
			return watch
		},
		params: func(p *workers.Params) {
			// Each process its own client, as `wugsync worker` builds it.
			nb, err := netbox.New(netbox.Config{URL: p.NetBox.Server(), Token: netboxsim.DefaultToken,
				Limiter: workers.NewNetBoxLimiter(b.redis.Client, p.NetBox.Server(), limit)})
			require.NoError(t, err)
			p.NetBox = nb
		}})
	b.startWorker()
	b.startWorker()
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, len(b.expected()), b.requireFieldsMatchRows())

	total, busiest := 0, 0
	counts := watch.counts()
	for _, n := range counts {
		total += n
		busiest = max(busiest, n)
	}
	require.Greater(t, total, 3*limit, "enough calls to test the limit")
	require.LessOrEqual(t, busiest, limit, "NetBox saw %d requests in one second: %v", busiest, counts)
	require.GreaterOrEqual(t, len(counts), total/limit, "the calls were spread over time")
}

func TestWritebackCatchesUpAfterNetBoxSetupAndWhenTurnedOn(t *testing.T) {
	t.Parallel()
	t.Run("field created after a refused write", func(t *testing.T) {
		t.Parallel()
		b := setup(t, bundleOptions{devices: 30, conn: writeback(100, func(c *models.WUGConnection) { c.NetBoxCustomField = "monitoring_id" })})
		require.Equal(t, models.RunFailed, b.export(tasks.ExportRequest{}).Status)
		_, _, err := b.nbClient.EnsureCustomField(context.Background(), netbox.CustomField{Name: "monitoring_id", Type: "text",
			ObjectTypes: []string{netbox.ObjectTypeDevice, netbox.ObjectTypeVirtualMachine}})
		require.NoError(t, err)
		b.nb.ResetRequests()
		run := b.export(tasks.ExportRequest{})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		written := 0
		for id, r := range b.rows() {
			require.Empty(t, r.NetBoxWritebackDue)
			if r.WUGDeviceID != "" {
				require.Equal(t, r.WUGDeviceID, b.fieldOf(id, "monitoring_id"), "device %d", id)
				written++
			}
		}
		require.Equal(t, len(b.expected()), written)
		require.Equal(t, 1, b.nb.RequestCount(http.MethodPatch, devicesRoute), "what the failed run owed, in one PATCH")
	})
	t.Run("write-back turned on for exported devices", func(t *testing.T) {
		t.Parallel()
		b := setup(t, bundleOptions{devices: 30})
		require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
		require.NoError(t, b.db.Model(&b.conn).Update("netbox_writeback", true).Error)
		b.nb.ResetRequests()
		run := b.export(tasks.ExportRequest{})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		require.Zero(t, run.DevicesUpdated, "nothing changed for WUG")
		require.Equal(t, len(b.expected()), b.requireFieldsMatchRows())
		require.Equal(t, 1, b.nb.RequestCount(http.MethodPatch, devicesRoute))
		// The plan's listing (the primaries listing every plan reads for
		// IP conflicts across NetBox aside): no read for the write-back.
		reads := b.deviceReads()
		require.Equal(t, 1, reads, "the values came from the plan's own listing")

		// A field emptied by hand is written again by the next run.
		target := b.exportedDevices(1)[0]
		_, err := b.nb.UpdateDevice(int(target.NetBoxDeviceID), func(d *netboxsim.Device) { d.CustomFields["wug_device_id"] = nil })
		require.NoError(t, err)
		require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
		require.Equal(t, target.WUGDeviceID, b.fieldOf(target.NetBoxDeviceID, "wug_device_id"))
	})
}

func TestDeviceSyncWritesBackANewDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 10, conn: writeback(100, func(c *models.WUGConnection) { c.NetBoxJournal = true })})
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	like := b.exportedDevices(1)[0]
	d := b.newNetBoxDevice(int(like.NetBoxDeviceID), "webhook-new-01", "10.99.0.10")
	b.nb.ResetRequests()
	journal := len(b.nb.JournalEntries())

	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: int64(d.ID), Trigger: string(models.TriggerWebhook)})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.DevicesCreated)
	row := b.rows()[int64(d.ID)]
	require.NotEmpty(t, row.WUGDeviceID)
	require.Equal(t, row.WUGDeviceID, b.fieldOf(int64(d.ID), "wug_device_id"))
	require.Equal(t, 1, b.nb.RequestCount(http.MethodPatch, devicesRoute))
	entries := b.nb.JournalEntries()
	require.Len(t, entries, journal+1)
	require.Equal(t, d.ID, entries[len(entries)-1].ObjectID)
}
