package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

// seedFields are the keys the seed plugin's scripts read.
var seedFields = []string{"success", "message", "devices_created", "devices_failed", "total_devices", "results", "run_id"}

func requireSeedShape(t *testing.T, got map[string]any) {
	t.Helper()
	for _, k := range seedFields {
		require.Contains(t, got, k)
	}
}

func TestSeedExportQueues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/?wait=0", id),
		map[string]any{"device_filters": map[string]any{"device_roles": []string{"core-switch"}, "sites": []string{"fra1"}},
			"exclude_recent_exports": true})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	requireSeedShape(t, got)
	require.Equal(t, true, got["success"])
	runID := uint(got["run_id"].(float64))
	var run models.WUGSyncLog
	require.NoError(t, b.db.First(&run, runID).Error)
	require.Equal(t, models.TriggerAPI, run.Trigger)
	require.Equal(t, models.FilterValues{"core-switch"}, run.Filters.Roles, "the seed's device_roles means roles")
	require.Equal(t, models.FilterValues{"fra1"}, run.Filters.Sites)

	t.Run("an active run is a seed-shaped 409", func(t *testing.T) {
		r := b.call(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/", id), nil)
		require.Equal(t, http.StatusConflict, r.Status)
		got := r.json(t)
		require.Equal(t, false, got["success"])
		require.EqualValues(t, runID, got["run_id"])
		require.NotEmpty(t, got["message"])
	})
	t.Run("what is neither an id nor a slug is refused with the reason", func(t *testing.T) {
		other := b.createConnection(t, "other", nil)
		for body, field := range map[string]string{
			`{"device_filters": {"sites": [1, 2.5]}}`:      "device_filters.sites[1]",
			`{"device_filters": {"device_roles": [true]}}`: "device_filters.device_roles[0]",
			`{"device_filters": {"sites": [1, "fra1"]}}`:   "device_filters.sites",
			`{"device_filters": {"tenants": [0]}}`:         "device_filters.tenants[0]",
		} {
			r := b.call(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/", other), body)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", body, r.Body)
			got := r.json(t)
			require.Equal(t, false, got["success"])
			require.Contains(t, got["error"].(map[string]any)["fields"], field, body)
		}
		r := b.call(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/", other), `{"device_filters": {"sites": "fra1"}}`)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
		require.Contains(t, r.json(t)["error"].(map[string]any)["fields"], "device_filters.sites")
	})
	t.Run("unknown connection", func(t *testing.T) {
		r := b.call(t, http.MethodPost, SeedPrefix+"/connections/999/export/", nil)
		require.Equal(t, http.StatusNotFound, r.Status)
		require.Equal(t, false, r.json(t)["success"])
	})
}

func TestSeedExportWaitReturnsFinalCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	req := b.request(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/?wait=300", id), nil)
	type result struct {
		r   reply
		err error
	}
	answer := make(chan result, 1)
	go func() {
		r, err := send(req)
		answer <- result{r, err}
	}()
	b.waitForSubscriber(t)
	var run models.WUGSyncLog
	require.NoError(t, b.db.Where("connection_id = ?", id).First(&run).Error)
	entries := []models.PlanEntry{
		{RunID: run.ID, ConnectionID: id, NetBoxDeviceID: 1, DeviceName: "sw1", Action: models.PlanCreate, WUGDeviceID: "18", Outcome: "done"},
		{RunID: run.ID, ConnectionID: id, NetBoxDeviceID: 2, DeviceName: "sw2", Action: models.PlanCreate, Outcome: "failed", Error: "HTTP 500"},
	}
	require.NoError(t, b.db.Create(&entries).Error)
	b.endRun(t, run.ID, map[string]any{"devices_created": 1, "devices_failed": 1, "devices_total": 2})

	res := <-answer
	require.NoError(t, res.err)
	validateAgainstDoc(t, b.srv, req, res.r)
	require.Equal(t, http.StatusOK, res.r.Status, "%s", res.r.Body)
	got := res.r.json(t)
	requireSeedShape(t, got)
	require.Equal(t, true, got["success"])
	require.EqualValues(t, 1, got["devices_created"])
	require.EqualValues(t, 1, got["devices_failed"])
	require.EqualValues(t, 2, got["total_devices"])
	results := got["results"].([]any)
	require.Len(t, results, 2)
	first := results[0].(map[string]any)
	require.Equal(t, "sw1", first["device_name"])
	require.Equal(t, "18", first["device_id"], "device_id is the WUG device, as in the seed")
	require.Equal(t, true, first["success"])
	require.Equal(t, "Device created successfully", first["message"])
	second := results[1].(map[string]any)
	require.Equal(t, false, second["success"])
	require.Contains(t, second["message"], "HTTP 500")
}

func TestSeedDeviceSync(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodPost, SeedPrefix+"/netbox-device/7/sync/", nil)
	require.Equal(t, http.StatusConflict, r.Status)
	require.Equal(t, false, r.json(t)["success"])

	b.createConnection(t, "lab", nil)
	r = b.call(t, http.MethodPost, SeedPrefix+"/netbox-device/7/sync/?wait=0", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	requireSeedShape(t, got)
	require.Equal(t, true, got["success"])
	require.Equal(t, "queued", got["status"])
	require.Equal(t, []int64{7}, b.syncedDevices(t, tasks.TypeDeviceSync))
	var run models.WUGSyncLog
	require.NoError(t, b.db.First(&run, uint(got["run_id"].(float64))).Error)
	require.Equal(t, models.SyncDevice, run.SyncType)
	require.Equal(t, models.RunQueued, run.Status, "the task runs the recorded run, so the answer can wait for it")

	r = b.call(t, http.MethodPost, SeedPrefix+"/netbox-device/7/sync", nil)
	require.Equal(t, http.StatusTemporaryRedirect, r.Status, "the seed's paths end in a slash; POST keeps its method")
	require.Equal(t, SeedPrefix+"/netbox-device/7/sync/", r.Header.Get("Location"))
}

// TestSeedDeviceSyncWaitsForEveryConnection: without ?wait the route waits
// (60 s by default) and answers the seed's shape with one result per
// connection the device went to.
func TestSeedDeviceSyncWaitsForEveryConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lab := b.createConnection(t, "lab", nil)
	dr := b.createConnection(t, "dr", nil)
	req := b.request(t, http.MethodPost, SeedPrefix+"/netbox-device/123/sync/", nil).WithContext(t.Context())
	answer := make(chan reply, 1)
	go func() {
		r, err := send(req)
		if err != nil {
			r = reply{Status: -1, Body: []byte(err.Error())}
		}
		answer <- r
	}()
	var runs []models.WUGSyncLog
	require.Eventually(t, func() bool {
		runs = nil
		return b.db.Where("sync_type = ?", models.SyncDevice).Order("connection_id").Find(&runs).Error == nil && len(runs) == 2
	}, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, []uint{lab, dr}, []uint{runs[0].ConnectionID, runs[1].ConnectionID})
	require.NoError(t, b.db.Create(&[]models.PlanEntry{
		{RunID: runs[0].ID, ConnectionID: lab, NetBoxDeviceID: 123, DeviceName: "auto-sync-test-002", Action: models.PlanCreate, WUGDeviceID: "18", Outcome: "done"},
		{RunID: runs[1].ID, ConnectionID: dr, NetBoxDeviceID: 123, DeviceName: "auto-sync-test-002", Action: models.PlanSkip, Reason: "not selected: site \"fra1\" not in [ber1]"},
	}).Error)
	b.endRun(t, runs[1].ID, map[string]any{"devices_skipped": 1, "devices_total": 1})
	b.endRun(t, runs[0].ID, map[string]any{"devices_created": 1, "devices_total": 1})

	r := <-answer
	validateAgainstDoc(t, b.srv, req, r)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := r.json(t)
	requireSeedShape(t, got)
	require.Equal(t, true, got["success"])
	require.EqualValues(t, 1, got["devices_created"])
	require.EqualValues(t, 0, got["devices_failed"])
	require.EqualValues(t, 2, got["total_devices"])
	results := got["results"].([]any)
	require.Len(t, results, 2)
	created, skipped := results[0].(map[string]any), results[1].(map[string]any)
	require.Equal(t, map[string]any{"device_name": "auto-sync-test-002", "success": true, "device_id": "18",
		"message": "Device created successfully", "netbox_device_id": 123.0, "object_type": "device", "connection_id": float64(lab)}, created)
	require.Equal(t, false, skipped["success"], "a skipped device is not a success, as the design says")
	require.Contains(t, skipped, "device_id")
	require.Nil(t, skipped["device_id"], "no WUG device: null, as the design says")
	require.Contains(t, skipped["message"], "not selected")
}

// TestSeedRoutesPastTheWaiterCapAnswer202: when the API already has its
// maximum of waiting clients, the seed routes answer 202 with the counts
// so far instead of an error a seed script would not expect.
func TestSeedRoutesPastTheWaiterCapAnswer202(t *testing.T) {
	t.Parallel()
	b := setup(t, func(p *Params) { p.MaxWaiters = 1 })
	id := b.createConnection(t, "lab", nil)
	other := b.insertRun(t, b.createConnection(t, "other", nil), models.RunRunning)
	answers := b.startWaiters(t, other.ID, 1)

	r := b.call(t, http.MethodPost, path(SeedPrefix+"/connections/%d/export/", id), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	requireSeedShape(t, got)
	require.Equal(t, "queued", got["status"])
	require.EqualValues(t, 0, got["devices_created"])

	r = b.call(t, http.MethodPost, SeedPrefix+"/netbox-device/9/sync/", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	requireSeedShape(t, r.json(t))

	b.endRun(t, other.ID, map[string]any{})
	require.Equal(t, http.StatusOK, (<-answers).Status)
}

func TestSeedExportStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	for i, st := range []models.ExportStatus{models.ExportExported, models.ExportScanCompleted, models.ExportError, models.ExportPending, models.ExportScanTriggered} {
		b.insertExport(t, models.NetBoxIPExport{ConnectionID: id, NetBoxDeviceID: int64(i + 1), NetBoxDeviceName: "d", IPAddress: "10.0.0.1", ExportStatus: st})
	}
	run := b.insertRun(t, id, models.RunCompleted)
	r := b.call(t, http.MethodGet, path(SeedPrefix+"/connections/%d/export-status/", id), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := r.json(t)
	require.Equal(t, true, got["success"])
	require.EqualValues(t, run.ID, got["run_id"])
	require.Equal(t, "lab", got["connection_name"])
	stats := got["statistics"].(map[string]any)
	require.EqualValues(t, 5, stats["total_exports"])
	require.EqualValues(t, 2, stats["completed_exports"], "exported and scan_completed")
	require.EqualValues(t, 1, stats["error_exports"])
	require.EqualValues(t, 1, stats["pending_exports"])
	require.EqualValues(t, 1, stats["scan_triggered"])
	require.Len(t, got["recent_exports"], 5)
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, SeedPrefix+"/connections/999/export-status/", nil).Status)
}

func TestSeedIPExportsAndBulkExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: id, NetBoxDeviceID: 4, IPAddress: "10.0.0.4"})

	r := b.call(t, http.MethodGet, SeedPrefix+"/ip-exports/?ip=10.0.0.4", nil)
	require.Equal(t, http.StatusOK, r.Status)
	got := r.json(t)
	require.Equal(t, true, got["success"])
	require.EqualValues(t, 1, got["count"])
	require.Len(t, got["results"], 1)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, SeedPrefix+"/ip-exports/?status=gone", nil).Status)

	r = b.call(t, http.MethodPost, SeedPrefix+"/ip-exports/bulk-export/",
		map[string]any{"connection_id": id, "ip_addresses": []string{"10.0.0.4", "10.0.0.5"}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got = r.json(t)
	requireSeedShape(t, got)
	require.EqualValues(t, 2, got["total_devices"])
	require.EqualValues(t, 1, got["devices_failed"], "the unknown address")
	require.Len(t, got["results"], 2)
	require.Equal(t, []int64{4}, b.syncedDevices(t, tasks.TypeDeviceSync))

	off := b.createConnection(t, "off", map[string]any{"enable_netbox_export": false})
	r = b.call(t, http.MethodPost, SeedPrefix+"/ip-exports/bulk-export/", map[string]any{"connection_id": off, "device_ids": []int{1}})
	require.Equal(t, http.StatusConflict, r.Status)
	require.Equal(t, false, r.json(t)["success"])
}
