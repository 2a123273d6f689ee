package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// startDemo runs `wugsync demo` (serving, not --once) until the test ends
// and returns what it exposes once its own export is done.
func startDemo(t *testing.T, args ...string) startedInfo {
	t.Helper()
	env := testEnvironment(map[string]string{})
	started := make(chan startedInfo, 1)
	env.started = func(info startedInfo) { started <- info }
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newDemoCommand(env)
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"--addr", "127.0.0.1:0"}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case info := <-started:
		return info
	case err := <-done:
		t.Fatalf("demo stopped early: %v\n%s", err, out.String())
	}
	return startedInfo{}
}

// seedAnswer is the seed document's "Response Format", field by field.
type seedAnswer struct {
	Success        bool   `json:"success"`
	Message        string `json:"message"`
	DevicesCreated int    `json:"devices_created"`
	DevicesFailed  int    `json:"devices_failed"`
	TotalDevices   int    `json:"total_devices"`
	Results        []struct {
		DeviceName string  `json:"device_name"`
		Success    bool    `json:"success"`
		DeviceID   *string `json:"device_id"`
		Message    string  `json:"message"`
		// Not in the seed's example; wugsync adds it.
		NetBoxDeviceID int `json:"netbox_device_id"`
		// A virtual machine's result names it here instead.
		NetBoxVMID int `json:"netbox_vm_id"`
	} `json:"results"`
}

// seedCurl sends what one of the seed document's curl lines sends: its
// method, its two headers, its body (none when the line has no -d).
func seedCurl(t *testing.T, info startedInfo, method, path, body string) (int, seedAnswer, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, info.APIURL+path, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+info.APIToken)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var answer seedAnswer
	var raw map[string]any
	require.NoError(t, json.Unmarshal(data, &raw), "%s", data)
	require.NoError(t, json.Unmarshal(data, &answer), "%s", data)
	return resp.StatusCode, answer, raw
}

// requireSeedResponseFormat checks an answer against the seed document's
// "Response Format": a finished export with its counts and one result per
// device considered, each with the four fields the document shows.
func requireSeedResponseFormat(t *testing.T, status int, a seedAnswer, raw map[string]any) {
	t.Helper()
	require.Equal(t, http.StatusOK, status, "%v", raw)
	for _, k := range []string{"success", "message", "devices_created", "devices_failed", "total_devices", "results"} {
		require.Contains(t, raw, k)
	}
	require.True(t, a.Success, a.Message)
	require.NotEmpty(t, a.Message)
	require.Len(t, a.Results, a.TotalDevices, "one result per device considered")
	for i, r := range raw["results"].([]any) {
		entry := r.(map[string]any)
		for _, k := range []string{"device_name", "success", "device_id", "message"} {
			require.Contains(t, entry, k, "result %d", i)
		}
		if a.Results[i].Success {
			require.NotNil(t, a.Results[i].DeviceID, "an exported device names its WUG device: %v", entry)
		}
		require.NotEmpty(t, a.Results[i].Message)
	}
}

// TestSeedDocumentExamples sends each example of the seed plugin's own
// document (NETBOX_EXPORT_FEATURE.md) as written, against a running demo,
// and checks the answer has the shape the document shows. The document's
// connection 1 and device 123 exist in a fresh demo.
func TestSeedDocumentExamples(t *testing.T) {
	t.Parallel()
	info := startDemo(t, "--devices", "150", "--seed", "3")
	inv := info.Demo.NetBox.Inventory()
	byID := map[int]netboxsim.Device{}
	for _, d := range info.Demo.NetBox.Devices() {
		byID[d.ID] = d
	}
	conn := info.Demo.Connection.ID
	require.EqualValues(t, 1, conn, "the document's examples name connection 1")

	// "Export all NetBox devices to specific WUG connection"
	status, a, raw := seedCurl(t, info, http.MethodPost, "/api/plugins/wug-sync/connections/1/export/", "")
	requireSeedResponseFormat(t, status, a, raw)
	require.Equal(t, "NetBox export completed successfully", a.Message)
	require.Equal(t, info.Demo.Export.DevicesTotal, a.TotalDevices, "the same devices as the demo's export")

	// "Sync specific NetBox device to all active WUG connections"
	status, a, raw = seedCurl(t, info, http.MethodPost, "/api/plugins/wug-sync/netbox-device/123/sync/", "")
	requireSeedResponseFormat(t, status, a, raw)
	require.Len(t, a.Results, 1)
	require.Equal(t, *byID[123].Name, a.Results[0].DeviceName)

	// "Trigger NetBox export for connection" with site ids.
	status, a, raw = seedCurl(t, info, http.MethodPost, "/api/plugins/wug-sync/connections/1/export/",
		`{"device_filters": {"sites": [1, 2]}}`)
	requireSeedResponseFormat(t, status, a, raw)
	require.NotEmpty(t, a.Results)
	for _, r := range a.Results {
		site := byID[r.NetBoxDeviceID].SiteID
		if r.NetBoxVMID != 0 { // the demo exports VMs too
			vm, ok := info.Demo.NetBox.VirtualMachine(r.NetBoxVMID)
			require.True(t, ok)
			site = vm.SiteID
		}
		require.True(t, site == 1 || site == 2, "%s is in site %d", r.DeviceName, site)
	}

	// "Check export status"
	req, err := http.NewRequest(http.MethodGet, info.APIURL+"/api/plugins/wug-sync/connections/1/export-status/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Token "+info.APIToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, true, st["success"])

	// "Manual Export Trigger": the Python job's arguments as the export
	// route's body, sites and device_roles by id, exclude_recent_exports.
	role := inv.Roles[0]
	status, a, raw = seedCurl(t, info, http.MethodPost, "/api/plugins/wug-sync/connections/1/export/", fmt.Sprintf(
		`{"export_type": "manual", "device_filters": {"sites": [1, 2], "device_roles": [%d], "exclude_recent_exports": true}}`, role.ID))
	requireSeedResponseFormat(t, status, a, raw)
	require.NotEmpty(t, a.Results, "role %s has devices in sites 1 and 2", role.Slug)
	for _, r := range a.Results {
		d := byID[r.NetBoxDeviceID]
		if r.NetBoxVMID != 0 {
			vm, ok := info.Demo.NetBox.VirtualMachine(r.NetBoxVMID)
			require.True(t, ok)
			d = netboxsim.Device{SiteID: vm.SiteID, RoleID: vm.RoleID}
		}
		require.True(t, d.SiteID == 1 || d.SiteID == 2, "%s is in site %d", r.DeviceName, d.SiteID)
		require.Equal(t, role.ID, d.RoleID, "%s has role %d", r.DeviceName, d.RoleID)
	}
}
