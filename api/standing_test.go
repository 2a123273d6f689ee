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

// A device a running export plans to create has no row until its batch
// starts (the batch inserts it, claimed for its template call): it stands
// pending on that run, not "never seen". A plan entry of a run that ended,
// or one its batch already settled, does not count.
func TestNetBoxDeviceStandingWhileItsBatchWaits(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(2, 10)
	b, _ := setupBundle(t, netboxsim.Options{Inventory: &inv}, netboxsim.DefaultToken)
	var waiting, settled *netboxsim.Device
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if d.Status == "active" && waiting == nil {
			waiting = d
		} else if d.Status == "active" && settled == nil {
			settled = d
		}
	}
	require.NotNil(t, settled)
	running := b.createConnection(t, "a-running", nil)
	ended := b.createConnection(t, "b-ended", nil)
	plan := func(run models.WUGSyncLog, d *netboxsim.Device, outcome models.Outcome) {
		require.NoError(t, b.db.Create(&models.PlanEntry{RunID: run.ID, ConnectionID: run.ConnectionID,
			ObjectType: models.ObjectDevice, NetBoxObjectID: int64(d.ID), NetBoxDeviceID: int64(d.ID),
			DeviceName: *d.Name, IPAddress: "10.0.0.1", Action: models.PlanCreate, Outcome: outcome, Batch: 1}).Error)
	}
	run := b.insertRun(t, running, models.RunRunning)
	plan(run, waiting, "")
	plan(run, settled, models.OutcomeFailed)
	plan(b.insertRun(t, ended, models.RunFailed), waiting, "")

	_, on := b.standingOf(t, path("/api/v1/netbox-devices/%d", waiting.ID))
	require.Equal(t, "pending", on["a-running"]["state"])
	require.Equal(t, fmt.Sprintf("run %d is exporting it (its batch has not started yet)", run.ID), on["a-running"]["reason"])
	require.EqualValues(t, run.ID, on["a-running"]["last_run_id"])
	require.Equal(t, "never_seen", on["b-ended"]["state"], "a run that ended exports nothing")

	_, on = b.standingOf(t, path("/api/v1/netbox-devices/%d", settled.ID))
	require.Equal(t, "never_seen", on["a-running"]["state"], "an entry with an outcome is not waiting")
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

// TestNetBoxVMStandingJudgesClustersAndExcludedTags: a VM is judged by
// every filter the export applies to it, not only those it shares with
// devices: outside a clusters filter, carrying an excluded tag, and
// selected by a clusters filter naming its own cluster.
func TestNetBoxVMStandingJudgesClustersAndExcludedTags(t *testing.T) {
	t.Parallel()
	inv := netboxsim.GenerateInventory(3, 40)
	require.GreaterOrEqual(t, len(inv.Clusters), 2)
	vm := &inv.VirtualMachines[0]
	vm.Status, vm.Tags = "active", []string{"monitored"}
	clusters := map[int]string{}
	for _, c := range inv.Clusters {
		clusters[c.ID] = c.Name
	}
	own := clusters[vm.ClusterID]
	require.NotEmpty(t, own)
	other := ""
	for _, c := range inv.Clusters {
		if c.ID != vm.ClusterID {
			other = c.Name
			break
		}
	}
	b, _ := setupBundle(t, netboxsim.Options{Inventory: &inv}, netboxsim.DefaultToken)
	vms := map[string]any{"export_virtual_machines": true}
	with := func(filters map[string]any) map[string]any {
		out := map[string]any{"device_filters": filters}
		for k, v := range vms {
			out[k] = v
		}
		return out
	}
	b.createConnection(t, "a-other-cluster", with(map[string]any{"clusters": []string{other}}))
	b.createConnection(t, "b-excluded", with(map[string]any{"exclude_tags": []string{"monitored"}}))
	b.createConnection(t, "c-own-cluster", with(map[string]any{"clusters": []string{own}}))

	_, on := b.standingOf(t, path("/api/v1/netbox-vms/%d", vm.ID))
	require.Equal(t, "outside_filters", on["a-other-cluster"]["state"])
	require.Equal(t, "clusters", on["a-other-cluster"]["filter"])
	require.Equal(t, fmt.Sprintf("outside the clusters filter: cluster %q not in [%s]", own, other), on["a-other-cluster"]["reason"])
	require.Equal(t, "outside_filters", on["b-excluded"]["state"])
	require.Equal(t, "exclude_tags", on["b-excluded"]["filter"])
	require.Equal(t, "outside the exclude_tags filter: tag [monitored] is excluded (exclude_tags [monitored])", on["b-excluded"]["reason"])
	require.Equal(t, "never_seen", on["c-own-cluster"]["state"], "its own cluster selects it")
	require.Contains(t, on["c-own-cluster"]["reason"], "selected by the filters")
}
