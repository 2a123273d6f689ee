package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/tasks"
)

func TestListIPExportsFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createConnection(t, "a", nil)
	c := b.createConnection(t, "c", nil)
	rows := []models.NetBoxIPExport{
		{ConnectionID: a, NetBoxDeviceID: 1, NetBoxDeviceName: "FRA1-Core-SW", IPAddress: "10.0.0.1"},
		{ConnectionID: a, NetBoxDeviceID: 2, NetBoxDeviceName: "fra1-edge_fw", IPAddress: "10.0.0.2", ExportStatus: models.ExportError},
		{ConnectionID: c, NetBoxDeviceID: 1, NetBoxDeviceName: "FRA1-Core-SW", IPAddress: "10.0.0.1"},
		{ConnectionID: c, NetBoxDeviceID: 3, NetBoxDeviceName: "fra1-edgeXfw", IPAddress: "2001:db8::3"},
	}
	var ids []uint
	for _, r := range rows {
		ids = append(ids, b.insertExport(t, r).ID)
	}
	list := func(query string) []uint {
		r := b.call(t, http.MethodGet, "/api/v1/ip-exports?"+query, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", query, r.Body)
		var out []uint
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, uint(it.(map[string]any)["id"].(float64)))
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	require.Equal(t, ids, list(""))
	require.Equal(t, ids[:2], list(path("connection_id=%d", a)))
	require.Equal(t, []uint{ids[1]}, list("status=error"))
	require.Equal(t, []uint{ids[0], ids[2]}, list("ip=10.0.0.1"))
	require.Equal(t, []uint{ids[0], ids[2]}, list("ip=10.0.0.1/24"), "CIDR form is accepted")
	require.Equal(t, []uint{ids[3]}, list("ip=2001:DB8:0::3"), "IPv6 is normalised")
	require.Equal(t, []uint{ids[0], ids[2]}, list("device_id=1"))
	require.Equal(t, []uint{ids[0], ids[2]}, list("device=core-sw"), "name contains, any case")
	require.Equal(t, []uint{ids[1]}, list("device=edge_fw"), "_ is literal, not a wildcard")
	require.Equal(t, []uint{ids[2]}, list(path("connection_id=%d&device_id=1", c)))

	for q, field := range map[string]string{"status=nope": "status", "ip=10.0.0": "ip", "device_id=-4": "device_id",
		"connection_id=0": "connection_id", "device=" + strings.Repeat("x", 201): "device"} {
		r := b.call(t, http.MethodGet, "/api/v1/ip-exports?"+q, nil)
		require.Equal(t, http.StatusBadRequest, r.Status, q)
		require.Contains(t, r.errorOf(t)["fields"], field)
	}
}

func TestGetIPExportShowsAttemptHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	row := b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 5, IPAddress: "10.0.0.5",
		ExportStatus: models.ExportError, Attempts: 2, ErrorMessage: "wug: server error"})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, msg := range []string{"first: timeout", "second: HTTP 500"} {
		require.NoError(t, b.db.Create(&models.ExportAttempt{ConnectionID: &conn, ExportID: &row.ID, TaskID: "t1",
			TaskType: tasks.TypeDeviceSync, Attempt: i + 1, Error: msg, OccurredAt: base.Add(time.Duration(i) * time.Minute)}).Error)
	}
	r := b.call(t, http.MethodGet, path("/api/v1/ip-exports/%d", row.ID), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := r.json(t)
	require.EqualValues(t, 2, got["attempts"], "the count stays a number")
	history := got["attempt_history"].([]any)
	require.Len(t, history, 2)
	require.Equal(t, "first: timeout", history[0].(map[string]any)["error"], "oldest first")
	require.Equal(t, "second: HTTP 500", history[1].(map[string]any)["error"])

	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/ip-exports/999", nil).Status)
}

func TestRetryIPExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	off := b.createConnection(t, "off", map[string]any{"enable_netbox_export": false})
	row := b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 8, ExportStatus: models.ExportError})
	offRow := b.insertExport(t, models.NetBoxIPExport{ConnectionID: off, NetBoxDeviceID: 9})

	r := b.call(t, http.MethodPost, path("/api/v1/ip-exports/%d/retry", row.ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	queued := b.queuedTasks(t, tasks.QueueCritical)
	require.Len(t, queued, 1)
	var p tasks.DeviceSyncPayload
	require.NoError(t, json.Unmarshal(queued[0].Payload, &p))
	require.Equal(t, tasks.DeviceSyncPayload{NetBoxDeviceID: 8, ConnectionID: conn, Trigger: "manual"}, p)

	r = b.call(t, http.MethodPost, path("/api/v1/ip-exports/%d/retry", row.ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "a repeated retry is harmless")
	require.Len(t, b.queuedTasks(t, tasks.QueueCritical), 1)

	require.Equal(t, http.StatusConflict, b.call(t, http.MethodPost, path("/api/v1/ip-exports/%d/retry", offRow.ID), nil).Status)
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodPost, "/api/v1/ip-exports/999/retry", nil).Status)
}

func TestBulkExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	other := b.createConnection(t, "other", nil)
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 11, IPAddress: "10.1.0.11"})
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: other, NetBoxDeviceID: 12, IPAddress: "10.1.0.12"})

	t.Run("by device ids", func(t *testing.T) {
		r := b.call(t, http.MethodPost, "/api/v1/ip-exports/bulk-export",
			map[string]any{"connection_id": conn, "device_ids": []int{3, 4, 3}})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		got := r.json(t)
		require.Equal(t, []any{3.0, 4.0}, got["queued"])
		require.Equal(t, []any{}, got["not_found"])
	})
	t.Run("by addresses, resolved through this connection's rows", func(t *testing.T) {
		r := b.call(t, http.MethodPost, "/api/v1/ip-exports/bulk-export",
			map[string]any{"connection_id": conn, "ip_addresses": []string{"10.1.0.11/24", "10.1.0.12", "10.9.9.9"}})
		require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
		got := r.json(t)
		require.Equal(t, []any{11.0}, got["queued"])
		require.Equal(t, []any{"10.1.0.12", "10.9.9.9"}, got["not_found"], "another connection's row does not count")
	})
	devices := b.syncedDevices(t, tasks.TypeDeviceSync)
	sort.Slice(devices, func(i, j int) bool { return devices[i] < devices[j] })
	require.Equal(t, []int64{3, 4, 11}, devices)

	cases := []struct {
		body   any
		status int
		field  string
	}{
		{map[string]any{"device_ids": []int{1}}, 422, "connection_id"},
		{map[string]any{"connection_id": conn}, 422, "device_ids"},
		{map[string]any{"connection_id": conn, "device_ids": []int{1}, "ip_addresses": []string{"10.0.0.1"}}, 422, "device_ids"},
		{map[string]any{"connection_id": conn, "device_ids": []int{0}}, 422, "device_ids[0]"},
		{map[string]any{"connection_id": conn, "ip_addresses": []string{"10.0.0.1", "ten"}}, 422, "ip_addresses[1]"},
		{map[string]any{"connection_id": conn, "device_ids": make([]int, 1001)}, 422, "device_ids"},
		{map[string]any{"connection_id": 999, "device_ids": []int{1}}, 422, "connection_id"},
		{map[string]any{"connection_id": -1, "device_ids": []int{1}}, 400, "connection_id"},
		{map[string]any{"connection_id": conn, "devices": []int{1}}, 400, "devices"},
	}
	for _, tc := range cases {
		r := b.call(t, http.MethodPost, "/api/v1/ip-exports/bulk-export", tc.body)
		require.Equal(t, tc.status, r.Status, "%v: %s", tc.body, r.Body)
		require.Contains(t, r.errorOf(t)["fields"], tc.field, "%s", r.Body)
	}
}

// TestGetIPExportPagesItsHistory: the row's history comes a page at a
// time (limit, offset; oldest first), with how many attempts are kept,
// while the row's attempts still counts every attempt ever made; a bad
// page is a 400 naming the parameter.
func TestGetIPExportPagesItsHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", nil)
	row := b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 6, IPAddress: "10.0.0.6",
		ExportStatus: models.ExportError, Attempts: 57})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 20; i++ {
		require.NoError(t, b.db.Create(&models.ExportAttempt{ConnectionID: &conn, ExportID: &row.ID, TaskID: "t1",
			TaskType: tasks.TypeDeviceSync, Attempt: 38 + i, Error: fmt.Sprintf("attempt %d", 38+i),
			OccurredAt: base.Add(time.Duration(i) * time.Minute)}).Error)
	}
	r := b.call(t, http.MethodGet, path("/api/v1/ip-exports/%d?limit=5&offset=10", row.ID), nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got := r.json(t)
	require.EqualValues(t, 57, got["attempts"], "the row counts every attempt")
	require.EqualValues(t, 20, got["attempt_history_total"], "the kept history")
	require.EqualValues(t, 5, got["limit"])
	require.EqualValues(t, 10, got["offset"])
	history := got["attempt_history"].([]any)
	require.Len(t, history, 5)
	require.Equal(t, "attempt 48", history[0].(map[string]any)["error"])
	require.Equal(t, "attempt 52", history[4].(map[string]any)["error"])

	r = b.call(t, http.MethodGet, path("/api/v1/ip-exports/%d?limit=0", row.ID), nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.errorOf(t)["fields"], "limit")
}

// A VM's row and the row of the device with the same id are told apart:
// each says its object_type, the filters pick either, the retry of the
// VM's row syncs the VM, and a bulk export by IP reaches the VM.
func TestVMRowsAreToldApartFromDeviceRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	conn := b.createConnection(t, "lab", map[string]any{"export_virtual_machines": true})
	dev := b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: 7, IPAddress: "10.0.0.7"})
	vm := b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, ObjectType: models.ObjectVirtualMachine,
		NetBoxObjectID: 7, IPAddress: "10.0.1.7"})

	ids := func(query string) []string {
		r := b.call(t, http.MethodGet, "/api/v1/ip-exports?"+query, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var out []string
		for _, row := range r.json(t)["items"].([]any) {
			m := row.(map[string]any)
			out = append(out, fmt.Sprintf("%s %v", m["object_type"], m["netbox_object_id"]))
		}
		return out
	}
	require.ElementsMatch(t, []string{"device 7", "virtualmachine 7"}, ids(""))
	require.Equal(t, []string{"virtualmachine 7"}, ids("object_type=virtualmachine"))
	require.Equal(t, []string{"virtualmachine 7"}, ids("vm_id=7"))
	require.Equal(t, []string{"device 7"}, ids("device_id=7"))
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, "/api/v1/ip-exports?object_type=vm", nil).Status)
	got := b.call(t, http.MethodGet, path("/api/v1/ip-exports/%d", vm.ID), nil).json(t)
	require.Equal(t, "virtualmachine", got["object_type"], "%v", got)

	r := b.call(t, http.MethodPost, path("/api/v1/ip-exports/%d/retry", vm.ID), nil)
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	require.Equal(t, "virtualmachine", r.json(t)["object_type"])
	require.Equal(t, []int64{7}, b.syncedVMs(t, tasks.TypeDeviceSync))
	require.Empty(t, b.syncedDevices(t, tasks.TypeDeviceSync), "device %d's row was not retried", dev.NetBoxDeviceID)

	r = b.call(t, http.MethodPost, "/api/v1/ip-exports/bulk-export", map[string]any{"connection_id": conn, "ip_addresses": []string{"10.0.1.7", "10.0.0.7"}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	require.Equal(t, []any{float64(7)}, r.json(t)["queued"])
	require.Equal(t, []any{float64(7)}, r.json(t)["queued_vms"])
	require.Equal(t, []any{}, r.json(t)["not_found"])
}
