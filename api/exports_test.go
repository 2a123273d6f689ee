package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

func TestTriggerExportQueuesARun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	r := b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", id), map[string]any{
		"device_filters": map[string]any{"sites": []string{"fra1"}}, "dry_run": true})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	runID := uint(got["run_id"].(float64))
	require.Equal(t, "queued", got["status"])
	require.Equal(t, runURL(runID), got["url"])
	require.Equal(t, runURL(runID), r.Header.Get("Location"))

	var run models.WUGSyncLog
	require.NoError(t, b.db.First(&run, runID).Error)
	require.True(t, run.DryRun)
	require.Equal(t, models.FilterValues{"fra1"}, run.Filters.Sites)
	require.Equal(t, models.TriggerManual, run.Trigger)

	queued := b.queuedTasks(t, tasks.QueueDefault)
	require.Len(t, queued, 1)
	require.Equal(t, tasks.TypeExport, queued[0].Type)
	var p tasks.ExportPayload
	require.NoError(t, json.Unmarshal(queued[0].Payload, &p))
	require.Equal(t, runID, p.RunID)

	t.Run("filters take NetBox ids as numbers, and a list may not mix ids and slugs", func(t *testing.T) {
		other := b.createConnection(t, "by-id", map[string]any{"device_filters": map[string]any{"sites": []int{1, 2}, "tags": []any{3, "prod"}}})
		r := b.call(t, http.MethodGet, path("/api/v1/connections/%d", other), nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.Equal(t, map[string]any{"sites": []any{1.0, 2.0}, "tags": []any{3.0, "prod"}}, r.json(t)["device_filters"])

		r = b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", other), map[string]any{
			"device_filters": map[string]any{"roles": []any{3, "core-switch"}}, "dry_run": true})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		require.Contains(t, r.errorOf(t)["fields"], "device_filters.roles")
	})
	t.Run("a second trigger names the active run", func(t *testing.T) {
		r := b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", id), nil)
		require.Equal(t, http.StatusConflict, r.Status)
		e := r.errorOf(t)
		require.Equal(t, CodeConflict, e["code"])
		require.EqualValues(t, runID, e["run_id"])
		require.Len(t, b.queuedTasks(t, tasks.QueueDefault), 1, "nothing more is queued")
	})
}

func TestTriggerExportRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	inactive := b.createConnection(t, "inactive", map[string]any{"is_active": false})
	disabled := b.createConnection(t, "disabled", map[string]any{"enable_netbox_export": false})
	active := b.createConnection(t, "active", nil)
	cases := []struct {
		name   string
		url    string
		body   any
		status int
	}{
		{"unknown connection", "/api/v1/connections/999/export", nil, 404},
		{"inactive connection", path("/api/v1/connections/%d/export", inactive), nil, 409},
		{"export disabled", path("/api/v1/connections/%d/export", disabled), nil, 409},
		{"unknown field", path("/api/v1/connections/%d/export", active), map[string]any{"dry": true}, 400},
		{"wrong type", path("/api/v1/connections/%d/export", active), map[string]any{"dry_run": "yes"}, 400},
		{"empty filter", path("/api/v1/connections/%d/export", active), map[string]any{"device_filters": map[string]any{"tags": []string{""}}}, 422},
	}
	for _, tc := range cases {
		r := b.call(t, http.MethodPost, tc.url, tc.body)
		require.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
	}
	require.Empty(t, b.queuedTasks(t, tasks.QueueDefault))

	r := b.call(t, http.MethodPost, path("/api/v1/connections/%d/export", disabled), map[string]any{"dry_run": true})
	require.Equal(t, http.StatusAccepted, r.Status, "a dry run previews a disabled connection")
}

func TestExportStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createConnection(t, "lab", nil)
	other := b.createConnection(t, "other", nil)
	last := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, b.db.Model(&models.WUGConnection{}).Where("id = ?", id).Update("last_export", last).Error)
	for i, st := range []models.ExportStatus{models.ExportExported, models.ExportExported, models.ExportError, models.ExportSkipped} {
		b.insertExport(t, models.NetBoxIPExport{ConnectionID: id, NetBoxDeviceID: int64(i + 1), ExportStatus: st})
	}
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: other, NetBoxDeviceID: 1, ExportStatus: models.ExportError})
	done := b.insertRun(t, id, models.RunCompleted)
	running := b.insertRun(t, id, models.RunRunning)

	r := b.call(t, http.MethodGet, path("/api/v1/connections/%d/export-status", id), nil)
	require.Equal(t, http.StatusOK, r.Status)
	got := r.json(t)
	require.Equal(t, "lab", got["connection_name"])
	require.EqualValues(t, 4, got["total"])
	counts := got["counts"].(map[string]any)
	require.EqualValues(t, 2, counts["exported"])
	require.EqualValues(t, 1, counts["error"])
	require.EqualValues(t, 1, counts["skipped"])
	require.EqualValues(t, 0, counts["pending"], "every status is present")
	ts, err := time.Parse(time.RFC3339, got["last_export"].(string))
	require.NoError(t, err)
	require.True(t, ts.Equal(last))
	recent := got["recent_runs"].([]any)
	require.Len(t, recent, 2)
	require.EqualValues(t, running.ID, recent[0].(map[string]any)["id"], "newest first")
	require.EqualValues(t, done.ID, recent[1].(map[string]any)["id"])
	require.EqualValues(t, running.ID, got["active_run"].(map[string]any)["id"])

	r = b.call(t, http.MethodGet, "/api/v1/connections/999/export-status", nil)
	require.Equal(t, http.StatusNotFound, r.Status)
}

func TestSyncNetBoxDevice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodPost, "/api/v1/netbox-devices/42/sync", nil)
	require.Equal(t, http.StatusConflict, r.Status, "no connection would receive it")
	require.Empty(t, b.syncedDevices(t, tasks.TypeDeviceSync))

	b.createConnection(t, "a", nil)
	b.createConnection(t, "b", nil)
	b.createConnection(t, "off", map[string]any{"is_active": false})
	r = b.call(t, http.MethodPost, "/api/v1/netbox-devices/42/sync", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	require.EqualValues(t, 42, got["netbox_device_id"])
	require.EqualValues(t, 2, got["connections"])
	require.Equal(t, []int64{42}, b.syncedDevices(t, tasks.TypeDeviceSync))
	info := b.queuedTasks(t, tasks.QueueCritical)[0]
	var p tasks.DeviceSyncPayload
	require.NoError(t, json.Unmarshal(info.Payload, &p))
	require.Equal(t, tasks.DeviceSyncPayload{NetBoxDeviceID: 42, Trigger: "api"}, p, "every connection, trigger api")

	for _, bad := range []string{"0", "-1", "abc"} {
		r := b.call(t, http.MethodPost, "/api/v1/netbox-devices/"+bad+"/sync", nil)
		require.Equal(t, http.StatusNotFound, r.Status, bad)
	}
}

// POST /api/v1/netbox-vms/{id}/sync works like the device route and queues
// the VM's sync, not the sync of the device with the same id.
func TestSyncNetBoxVM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(t, http.MethodPost, "/api/v1/netbox-vms/42/sync", nil)
	require.Equal(t, http.StatusConflict, r.Status, "no connection would receive it")
	require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "virtual machine 42")

	b.createConnection(t, "devices-only", nil)
	r = b.call(t, http.MethodPost, "/api/v1/netbox-vms/42/sync", nil)
	require.Equal(t, http.StatusConflict, r.Status, "a connection that exports no VM would not receive it")
	require.Contains(t, r.json(t)["error"].(map[string]any)["message"], "export_virtual_machines")
	require.Empty(t, b.syncedVMs(t, tasks.TypeDeviceSync))

	b.createConnection(t, "a", map[string]any{"export_virtual_machines": true})
	r = b.call(t, http.MethodPost, "/api/v1/netbox-vms/42/sync", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	got := r.json(t)
	require.EqualValues(t, 42, got["netbox_vm_id"])
	require.EqualValues(t, 1, got["connections"], "the connection that exports VMs")
	require.Equal(t, "virtualmachine", got["object_type"])
	require.NotContains(t, got, "netbox_device_id")
	require.Empty(t, b.syncedDevices(t, tasks.TypeDeviceSync))
	require.Equal(t, []int64{42}, b.syncedVMs(t, tasks.TypeDeviceSync))
	info := b.queuedTasks(t, tasks.QueueCritical)[0]
	var p tasks.DeviceSyncPayload
	require.NoError(t, json.Unmarshal(info.Payload, &p))
	require.Equal(t, tasks.DeviceSyncPayload{NetBoxVMID: 42, Trigger: "api"}, p)

	r = b.call(t, http.MethodPost, "/api/v1/netbox-devices/42/sync", nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	require.Equal(t, "device", r.json(t)["object_type"])
	require.Equal(t, []int64{42}, b.syncedDevices(t, tasks.TypeDeviceSync), "the device's task is its own")

	for _, bad := range []string{"0", "-1", "abc", "2147483648"} {
		r := b.call(t, http.MethodPost, "/api/v1/netbox-vms/"+bad+"/sync", nil)
		require.Equal(t, http.StatusNotFound, r.Status, bad)
	}
}
