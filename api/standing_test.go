package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/models"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// standingOf calls a standing route and returns its connections by name.
func (b *testBundle) standingOf(t *testing.T, route string) (map[string]any, map[string]map[string]any) {
	t.Helper()
	r := b.call(t, http.MethodGet, route, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	body := r.json(t)
	out := map[string]map[string]any{}
	for _, c := range body["connections"].([]any) {
		m := c.(map[string]any)
		out[m["connection_name"].(string)] = m
	}
	return body, out
}

// TestNetBoxDeviceStanding reads a device's standing on three connections:
// exported (with the WUG device and its console URL), outside a sites
// filter judged on the device NetBox returns, and never seen; a device of
// another status stands outside the statuses filter, or skipped where a
// run said so; an unknown id is never seen anywhere.
func TestNetBoxDeviceStanding(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(3, 40)
	b, _ := setupBundle(t, netboxsim.Options{Inventory: &inv}, netboxsim.DefaultToken)
	sites := map[int]string{}
	for _, s := range inv.Sites {
		sites[s.ID] = s.Slug
	}
	var active, other *netboxsim.Device
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.Status == "active" && active == nil {
			active = d
		}
		if d.Status != "active" && other == nil {
			other = d
		}
	}
	require.NotNil(t, active)
	require.NotNil(t, other)
	elsewhere := ""
	for _, s := range inv.Sites {
		if s.ID != active.SiteID {
			elsewhere = s.Slug
			break
		}
	}

	exported := b.createConnection(t, "a-exported", map[string]any{"wug_console_url": "https://wug.example/NmConsole/#device/{id}"})
	outside := b.createConnection(t, "b-outside", map[string]any{"device_filters": map[string]any{"sites": []string{elsewhere}}})
	b.createConnection(t, "c-never", nil)
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: exported, NetBoxDeviceID: int64(active.ID),
		NetBoxDeviceName: "old name", IPAddress: "10.9.9.9", WUGDeviceID: "812"})
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: outside, NetBoxDeviceID: int64(other.ID),
		ExportStatus: models.ExportSkipped, SkipReason: fmt.Sprintf("not selected: status %q not in [active]", other.Status)})

	body, on := b.standingOf(t, path("/api/v1/netbox-devices/%d", active.ID))
	require.Equal(t, "device", body["object_type"])
	require.Equal(t, "found", body["netbox"])
	require.Equal(t, *active.Name, body["name"], "NetBox's name, not the row's")
	require.Equal(t, "active", body["status"])
	require.Len(t, on, 3)
	require.Equal(t, "exported", on["a-exported"]["state"])
	require.Equal(t, "exported as WUG device 812", on["a-exported"]["reason"])
	require.Equal(t, "812", on["a-exported"]["wug_device_id"])
	require.Equal(t, "https://wug.example/NmConsole/#device/812", on["a-exported"]["wug_console_url"])
	require.Equal(t, "outside_filters", on["b-outside"]["state"])
	require.Equal(t, "sites", on["b-outside"]["filter"])
	require.Contains(t, on["b-outside"]["reason"], fmt.Sprintf("outside the sites filter: site %q not in", sites[active.SiteID]))
	require.Equal(t, "never_seen", on["c-never"]["state"])
	require.Contains(t, on["c-never"]["reason"], "selected by the filters")

	_, on = b.standingOf(t, path("/api/v1/netbox-devices/%d", other.ID))
	require.Equal(t, "skipped", on["b-outside"]["state"])
	require.Contains(t, on["b-outside"]["reason"], fmt.Sprintf("status %q", other.Status))
	require.Equal(t, "outside_filters", on["c-never"]["state"])
	require.Equal(t, "statuses", on["c-never"]["filter"])
	require.Contains(t, on["c-never"]["reason"], fmt.Sprintf("status %q not in [active]", other.Status))

	body, on = b.standingOf(t, "/api/v1/netbox-devices/99999")
	require.Equal(t, "not_found", body["netbox"])
	for name, c := range on {
		require.Equal(t, "never_seen", c["state"], name)
	}
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/netbox-devices/0", nil).Status)
}

// TestNetBoxVMStanding reads a virtual machine by the same rules: its own
// object type, read from NetBox's VM endpoint, never confused with the
// device of the same id.
func TestNetBoxVMStanding(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(3, 40)
	require.NotEmpty(t, inv.VirtualMachines)
	vm := inv.VirtualMachines[0]
	b, _ := setupBundle(t, netboxsim.Options{Inventory: &inv}, netboxsim.DefaultToken)
	conn := b.createConnection(t, "lab", nil)
	// The device with the VM's id is exported; the VM is not.
	b.insertExport(t, models.NetBoxIPExport{ConnectionID: conn, NetBoxDeviceID: int64(vm.ID), IPAddress: "10.9.9.9", WUGDeviceID: "5"})

	body, on := b.standingOf(t, path("/api/v1/netbox-vms/%d", vm.ID))
	require.Equal(t, "virtualmachine", body["object_type"])
	require.Equal(t, "found", body["netbox"])
	require.Equal(t, vm.Name, body["name"])
	want := "never_seen"
	if vm.Status != "active" {
		want = "outside_filters"
	}
	require.Equal(t, want, on["lab"]["state"], "the device row of the same id is not the VM's")
	require.Nil(t, on["lab"]["wug_device_id"])
}
