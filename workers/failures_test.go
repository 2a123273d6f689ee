package workers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
	"github.com/wugsync/wugsync/sim/wugsim"
	"github.com/wugsync/wugsync/tasks"
	"github.com/wugsync/wugsync/wug"
)

// attemptsOf returns the failed attempts kept for one run.
func (b *testBundle) attemptsOf(runID uint) []models.ExportAttempt {
	b.t.Helper()
	var out []models.ExportAttempt
	require.NoError(b.t, b.db.Where("sync_log_id = ?", runID).Order("id").Find(&out).Error)
	return out
}

// planEntry returns the plan entry of one device in a run.
func (b *testBundle) planEntry(runID uint, deviceID int64) models.PlanEntry {
	b.t.Helper()
	var e models.PlanEntry
	require.NoError(b.t, b.db.Where("sync_log_id = ? AND netbox_device_id = ?", runID, deviceID).First(&e).Error)
	return e
}

func TestWUGRefusingOneDeviceFailsOnlyThatDevice(t *testing.T) {
	t.Parallel()
	probe := setup(t, bundleOptions{devices: 10, noWorker: true})
	want := probe.expected()
	refused := sortedIDs(want)[0]
	b := setup(t, bundleOptions{devices: 10,
		wug:  wugsim.Options{RejectTemplates: []string{want[key(refused)].Address.String()}},
		conn: func(c *models.WUGConnection) { c.AutoScanExportedIPs = false }})

	for attempt := 1; attempt <= 2; attempt++ {
		run := b.export(tasks.ExportRequest{})
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		require.Equal(t, 1, run.DevicesFailed)
		require.Contains(t, run.Summary, "1 failed")
		if attempt == 1 {
			require.Equal(t, len(want)-1, run.DevicesCreated, "the other devices of the batch are created")
		} else {
			require.Equal(t, len(want)-1, run.DevicesUnchanged, "the others are left alone")
		}

		row := b.rows()[refused]
		require.Equal(t, models.ExportError, row.ExportStatus)
		require.Contains(t, row.ErrorMessage, "WUG refused the template")
		require.Contains(t, row.ErrorMessage, "license device limit", "WUG's own words are kept")
		require.Empty(t, row.WUGDeviceID)
		require.NotNil(t, row.ErrorAt)
		require.Equal(t, attempt, row.Attempts, "each run's attempt is counted")

		entry := b.planEntry(run.ID, refused)
		require.Equal(t, models.OutcomeFailed, entry.Outcome)
		require.Contains(t, entry.Error, "WUG refused the template")
		attempts := b.attemptsOf(run.ID)
		require.Len(t, attempts, 1, "the device's failure is kept in the history")
		require.Equal(t, row.ID, *attempts[0].ExportID)
		require.Equal(t, b.conn.ID, *attempts[0].ConnectionID)
		require.Equal(t, attempt, attempts[0].Attempt)
	}
	delete(want, key(refused))
	b.requireWUGMatches(want)
}

func TestBatchOutOfRetriesFailsItsDevicesAndTheRunEnds(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 10})
	want := b.expected()
	require.NoError(t, b.wug.SetFaults("PATCH /api/v1/devices/-/config/template", wugsim.Fault{ErrorRate: 1}))

	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, "a batch that gives up still lets its run end")
	require.Equal(t, len(want), run.DevicesFailed)
	require.Zero(t, run.DevicesCreated)
	require.Empty(t, b.wug.Devices())

	budget := tasks.Specs[tasks.TypeExportBatch].MaxRetry + 1
	// Each attempt sends the template four times: a 500 is followed by a
	// look-up and one more call in the same attempt, up to four rounds.
	require.Equal(t, 4*budget, b.wug.CountRequests("PATCH /api/v1/devices/-/config/template"), "every attempt tried")
	// The last attempt's error is stored once its handler returned, after
	// the run ended; stopping the worker waits for that.
	b.firstWorker()
	attempts := b.attemptsOf(run.ID)
	require.Len(t, attempts, budget, "every attempt's error is kept")
	for i, a := range attempts {
		require.Equal(t, tasks.TypeExportBatch, a.TaskType)
		require.Equal(t, i+1, a.Attempt)
		require.Contains(t, a.Error, "HTTP 500")
	}
	for id := range want {
		n, _ := strconv.ParseInt(id, 10, 64)
		row := b.rows()[n]
		require.Equal(t, models.ExportError, row.ExportStatus, "device %s", id)
		require.Contains(t, row.ErrorMessage, "gave up after retries")
		require.Contains(t, row.ErrorMessage, "HTTP 500")
		require.Empty(t, row.CreateClaim, "device %s is free for the next run to create", id)
		require.Equal(t, models.OutcomeFailed, b.planEntry(run.ID, n).Outcome)
	}

	// WUG recovers: the next run creates them all, once.
	b.wug.ClearFaults()
	b.startWorker()
	next := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, next.Status, next.ErrorMessage)
	require.Equal(t, len(want), next.DevicesCreated)
	b.requireWUGMatches(want)
}

// searchTexts lists, in order, the texts of the WUG searches a simulator
// has answered or refused.
func searchTexts(w *wugsim.Server) []string {
	var texts []string
	for _, r := range w.RequestLog() {
		q, err := url.ParseQuery(r.Query)
		if err == nil && q.Has("search") {
			texts = append(texts, q.Get("search"))
		}
	}
	return texts
}

// wugConsole is a WUG API client of the test's own, standing for a person
// working in WUG.
func (b *testBundle) wugConsole() *wug.Client {
	b.t.Helper()
	c, err := wug.New(wug.Config{Name: "console", BaseURL: b.wugURL, Username: wugsim.DefaultUsername, Password: wugsim.DefaultPassword})
	require.NoError(b.t, err)
	return c
}

func TestDeviceDeletedInWUGByHandIsCreatedAgainOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOptions{devices: 10})
	want := b.expected()
	require.Equal(t, models.RunCompleted, b.export(tasks.ExportRequest{}).Status)
	for id, row := range b.rows() {
		if row.WUGDeviceID == "" {
			continue
		}
		// Settled: no claim left in the claims' index, and no mark that
		// would send a later create to look in WUG first.
		require.Empty(t, row.CreateClaim, "object %d", id)
		require.Nil(t, row.CreateClaimedAt, "object %d", id)
		require.Nil(t, row.CreateAttemptedAt, "object %d", id)
	}
	victim := b.exportedDevices(1)[0]
	require.NoError(t, b.wugConsole().DeleteDevice(context.Background(), victim.WUGDeviceID))
	_, err := b.nb.UpdateDevice(int(victim.NetBoxDeviceID), func(d *netboxsim.Device) { d.Name = ptr("rebuilt-sw01") })
	require.NoError(t, err)
	w := want[key(victim.NetBoxDeviceID)]
	w.Name = "rebuilt-sw01"
	want[key(victim.NetBoxDeviceID)] = w

	// The update finds the WUG device gone: the link is dropped.
	run := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.DevicesFailed)
	require.Zero(t, run.DevicesCreated)
	row := b.rows()[victim.NetBoxDeviceID]
	require.Equal(t, models.ExportError, row.ExportStatus)
	require.Empty(t, row.WUGDeviceID, "the link to the deleted device is dropped")
	require.Contains(t, row.ErrorMessage, "WUG device "+victim.WUGDeviceID+" no longer exists")
	require.Len(t, b.wug.Devices(), len(want)-1)

	// The next run creates it again, once, as a plain new device: the
	// first create's answer came back, so the only search is the check
	// for a device already at its address, with no look-up for earlier
	// creates (a search of its subnet) before the template call.
	searchesBefore := len(searchTexts(b.wug))
	run = b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.DevicesCreated)
	require.Equal(t, len(want)-1, run.DevicesUnchanged)
	require.Equal(t, []string{victim.IPAddress}, searchTexts(b.wug)[searchesBefore:])
	require.Equal(t, "new device", b.entries(run.ID)[deviceRef(int(victim.NetBoxDeviceID))].Reason)
	row = b.rows()[victim.NetBoxDeviceID]
	require.Equal(t, models.ExportExported, row.ExportStatus)
	require.NotEmpty(t, row.WUGDeviceID)
	require.NotEqual(t, victim.WUGDeviceID, row.WUGDeviceID)
	b.requireWUGMatches(want)

	// And leaves it alone afterwards.
	run = b.export(tasks.ExportRequest{})
	require.Equal(t, len(want), run.DevicesUnchanged)
	require.Len(t, b.wug.Devices(), len(want))
}

// ignoreTagFilter is a NetBox front that, once on, answers device lists
// as if NetBox did not know the tag filter: the devices come back without
// that filter applied, so wugsync's own check is all that stands between
// them and WUG.
type ignoreTagFilter struct {
	next http.Handler
	on   atomic.Bool
}

func (f *ignoreTagFilter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.on.Load() && r.URL.Path == "/api/dcim/devices/" {
		q := r.URL.Query()
		q.Del("tag")
		r.URL.RawQuery = q.Encode()
	}
	f.next.ServeHTTP(w, r)
}

func TestWebhookSyncOfADeviceThatLeftTheFilters(t *testing.T) {
	t.Parallel()
	const tag = "monitored"
	front := &ignoreTagFilter{}
	b := setup(t, bundleOptions{devices: 30,
		netboxVia: func(h http.Handler) http.Handler { front.next = h; return front },
		conn: func(c *models.WUGConnection) {
			c.DeviceFilters.Tags = []string{tag}
			c.DecommissionAction = models.DecommissionMaintenance
		}})
	first := b.export(tasks.ExportRequest{})
	require.Equal(t, models.RunCompleted, first.Status, first.ErrorMessage)
	exported := b.exportedDevices(2)
	var untagged int64 // eligible but for the tag, never exported
	for _, id := range sortedIDs(b.expected()) {
		d, _ := b.nb.Device(int(id))
		if !slices.Contains(d.Tags, tag) {
			untagged = id
			break
		}
	}
	require.NotZero(t, untagged)
	for _, r := range exported {
		_, err := b.nb.UpdateDevice(int(r.NetBoxDeviceID), func(d *netboxsim.Device) {
			d.Tags = slices.DeleteFunc(d.Tags, func(s string) bool { return s == tag })
		})
		require.NoError(t, err)
	}

	requireDecommissioned := func(r models.NetBoxIPExport, run models.WUGSyncLog) {
		t.Helper()
		require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
		require.Equal(t, models.ExportDecommissioned, b.rows()[r.NetBoxDeviceID].ExportStatus)
		d, ok := b.wug.Device(r.WUGDeviceID)
		require.True(t, ok)
		require.True(t, d.Maintenance, "the connection's decommission action was applied")
		require.Equal(t, models.PlanDecommission, b.planEntry(run.ID, r.NetBoxDeviceID).Action)
	}

	// NetBox applies the filter: the device is simply not returned.
	run := b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: exported[0].NetBoxDeviceID, Trigger: "webhook"})
	requireDecommissioned(exported[0], run)

	// NetBox ignores the filter: wugsync's own check finds the device out
	// of the selection, and decides alike.
	front.on.Store(true)
	run = b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: exported[1].NetBoxDeviceID, Trigger: "webhook"})
	requireDecommissioned(exported[1], run)
	require.Contains(t, b.planEntry(run.ID, exported[1].NetBoxDeviceID).Reason, "tags [monitored] missing")

	// A device never exported is not exported now either.
	before := len(b.wug.Devices())
	run = b.syncDevice(tasks.DeviceSyncPayload{NetBoxDeviceID: untagged, Trigger: "webhook"})
	require.Equal(t, models.RunCompleted, run.Status, run.ErrorMessage)
	require.Equal(t, 1, run.DevicesSkipped)
	require.Zero(t, run.DevicesCreated)
	require.Len(t, b.wug.Devices(), before)
	entry := b.planEntry(run.ID, untagged)
	require.Equal(t, models.PlanSkip, entry.Action)
	require.Contains(t, entry.Reason, "not selected: tags [monitored] missing")
	row := b.rows()[untagged]
	require.Equal(t, models.ExportSkipped, row.ExportStatus)
	require.Empty(t, row.WUGDeviceID)
}
