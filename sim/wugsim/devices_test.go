package wugsim_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestSearchF9IsACaseInsensitiveSubstringMatch(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	one := b.addDevice(t, wugsim.Device{Name: "192.168.37.1", NetworkAddress: "192.168.37.1"})
	hundred := b.addDevice(t, wugsim.Device{Name: "192.168.37.100", NetworkAddress: "192.168.37.100", Maintenance: true})
	named := b.addDevice(t, wugsim.Device{Name: "Core-192.168.37.1-RTR", NetworkAddress: "10.0.0.1"})
	hosted := b.addDevice(t, wugsim.Device{Name: "fw", NetworkAddress: "10.0.0.2", HostName: "FW.Example.NET"})
	b.addDevice(t, wugsim.Device{Name: "other", NetworkAddress: "192.168.38.1"})

	for _, path := range []string{"/api/v1/device-groups/0/devices/-", "/api/v1/device-groups/-1/devices/-", "/api/v1/device-groups/0/devices"} {
		res := b.call(t, http.MethodGet, path+q("search", "192.168.37.1", "view", "overview"), "")
		require.Equal(t, http.StatusOK, res.status, path)
		devices := devicesOf(t, res)
		require.Equal(t, []any{one, hundred, named}, field(devices, "id"), path)
		require.Equal(t, []any{"Up", "Maintenance", "Up"}, field(devices, "bestState"), path)
		require.EqualValues(t, 3, res.json(t)["paging"].(map[string]any)["size"])
	}
	res := b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("search", "example.net"), "")
	require.Equal(t, []any{hosted}, field(devicesOf(t, res), "id"), "host names are searched, in any case")

	short := b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("search", "fw"), "")
	require.Equal(t, []any{hosted}, field(devicesOf(t, short), "id"), "queries shorter than the index grams still work")

	basic := devicesOf(t, b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("view", "basic"), ""))[0]
	require.NotContains(t, basic, "bestState", "view=basic leaves out the state")
	require.Contains(t, basic, "networkAddress")
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("view", "everything"), "").status)
}

func TestPagingCapsLimitAndHidesNextPageIDOnTheLastPage(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{PageLimit: 2})
	var ids []any
	for i := range 5 {
		ids = append(ids, b.addDevice(t, wugsim.Device{Name: fmt.Sprintf("d%d", i), NetworkAddress: fmt.Sprintf("10.0.0.%d", i+1)}))
	}
	var seen []any
	var pages int
	query := q("limit", "1000", "view", "id")
	for pageID := ""; ; pages++ {
		path := "/api/v1/device-groups/0/devices/-" + query
		if pageID != "" {
			path += "&pageId=" + pageID
		}
		res := b.call(t, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		devices := devicesOf(t, res)
		require.LessOrEqual(t, len(devices), 2, "limit is capped at the server's page size")
		seen = append(seen, field(devices, "id")...)
		paging := res.json(t)["paging"].(map[string]any)
		require.EqualValues(t, len(devices), paging["size"])
		next, more := paging["nextPageId"].(string)
		if !more {
			break
		}
		require.NotEmpty(t, next)
		pageID = next
		if pages == 0 {
			other := b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("search", "d", "pageId", next), "")
			require.Equal(t, http.StatusBadRequest, other.status, "a pageId belongs to its query")
		}
	}
	require.Equal(t, ids, seen)
	require.Equal(t, 2, pages, "three pages: 2, 2, 1")

	small := b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("limit", "1"), "")
	require.Len(t, devicesOf(t, small), 1, "a smaller limit is honoured")
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("limit", "many"), "").status)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("pageId", "garbage"), "").status)
}

func TestSearchWithinAGroupAndItsDescendants(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Groups: []string{"EU/CH", "EU/DE", "US"}})
	ch := b.addDevice(t, wugsim.Device{Name: "ch", NetworkAddress: "10.1.0.1", Groups: []string{"EU/CH"}})
	de := b.addDevice(t, wugsim.Device{Name: "de", NetworkAddress: "10.2.0.1", Groups: []string{"EU/DE"}})
	b.addDevice(t, wugsim.Device{Name: "us", NetworkAddress: "10.3.0.1", Groups: []string{"US"}})
	eu := b.sim.Groups()[2]
	require.Equal(t, "My Network/EU", eu.Path)

	all := devicesOf(t, b.call(t, http.MethodGet, "/api/v1/device-groups/"+eu.ID+"/devices/-", ""))
	require.Equal(t, []any{ch, de}, field(all, "id"))
	direct := devicesOf(t, b.call(t, http.MethodGet, "/api/v1/device-groups/"+eu.ID+"/devices/-"+q("returnHierarchy", "false"), ""))
	require.Empty(t, direct, "returnHierarchy=false keeps only direct members")
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/device-groups/999/devices/-", "").status)
}

func TestDeviceDetailStatusAndProperties(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "sw1", NetworkAddress: "10.0.0.1", Note: "n"})
	card := b.call(t, http.MethodGet, "/api/v1/devices/"+id, "").dataMap(t)
	require.Equal(t, id, card["id"])
	require.Equal(t, []any{}, card["downActiveMonitors"], "card is the default view")
	require.Equal(t, "Up", b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/status", "").dataMap(t)["bestState"])

	res := b.call(t, http.MethodPut, "/api/v1/devices/"+id+"/properties", `{"displayname":"sw1-renamed","note":"moved","keepdetailscurrent":"false"}`)
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, map[string]any{"success": true}, res.dataMap(t))
	props := b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/properties", "").dataMap(t)
	require.Equal(t, "sw1-renamed", props["displayName"], "keys are matched in any case, as WhatsUpGoldPS sends them")
	require.Equal(t, "moved", props["note"])
	require.Equal(t, false, props["keepDetailsCurrent"])
	found := devicesOf(t, b.call(t, http.MethodGet, "/api/v1/device-groups/0/devices/-"+q("search", "renamed"), ""))
	require.Equal(t, []any{id}, field(found, "id"), "a renamed device is found by its new name")

	batch := b.call(t, http.MethodPatch, "/api/v1/devices/-/properties", fmt.Sprintf(`{"devices":[%s, 999],"note":"bulk","displayName":"ignored"}`, id)).dataMap(t)
	require.EqualValues(t, 1, batch["successfulOperations"])
	require.Equal(t, []any{"999"}, batch["resourcesWithErros"], "the spec's spelling")
	d, _ := b.sim.Device(id)
	require.Equal(t, "bulk", d.Note)
	require.Equal(t, "sw1-renamed", d.Name, "display names cannot change in a batch")

	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/devices/424242", "").status)
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/devices/abc", "").status)
}

func TestDeleteF11OneAndMany(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	a := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.1"})
	res := b.call(t, http.MethodDelete, "/api/v1/devices/"+a, "")
	require.Equal(t, http.StatusOK, res.status)
	require.JSONEq(t, fixture(t, "f11_delete_response.json"), string(res.body))
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodDelete, "/api/v1/devices/"+a, "").status)

	for range 6432 - 1 { // make ids 6433 and 6434 exist, as in the fixture
		_, _ = b.sim.AddDevice(wugsim.Device{Name: "filler", NetworkAddress: "192.0.2.1"})
	}
	b.addDevice(t, wugsim.Device{Name: "x", NetworkAddress: "10.0.0.33"})
	b.addDevice(t, wugsim.Device{Name: "y", NetworkAddress: "10.0.0.34"})
	_, ok := b.sim.Device("6434")
	require.True(t, ok)
	bulk := b.call(t, http.MethodPatch, "/api/v1/devices/-", fixture(t, "f11_bulk_delete_request.json"))
	require.Equal(t, http.StatusOK, bulk.status, string(bulk.body))
	data := bulk.dataMap(t)
	require.EqualValues(t, 2, data["successfulOperations"], "ids sent as JSON numbers")
	require.Equal(t, true, data["success"])
	_, ok = b.sim.Device("6433")
	require.False(t, ok)

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPatch, "/api/v1/devices/-", `{"operation":"explode","devices":[1]}`).status)
}

func TestMaintenanceF11ChangesStateUntilItEnds(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	for range 6432 {
		_, _ = b.sim.AddDevice(wugsim.Device{Name: "filler", NetworkAddress: "192.0.2.1"})
	}
	a := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.33"})
	c := b.addDevice(t, wugsim.Device{Name: "c", NetworkAddress: "10.0.0.34"})
	require.Equal(t, []string{"6433", "6434"}, []string{a, c})
	state := func(id string) any {
		return b.call(t, http.MethodGet, "/api/v1/devices/"+id+q("view", "overview"), "").dataMap(t)["worstState"]
	}

	// The clock reads 2026-03-08T12:00:00Z; F11 asks for maintenance until 13:57:40.
	res := b.call(t, http.MethodPut, "/api/v1/devices/6433/config/maintenance", fixture(t, "f11_maintenance_on_request.json"))
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	require.Equal(t, map[string]any{"success": true}, res.dataMap(t))
	require.Equal(t, "Maintenance", state(a))
	polling := b.call(t, http.MethodGet, "/api/v1/devices/6433/config/polling", "").dataMap(t)
	require.Equal(t, "Test maintenance", polling["maintenance"].(map[string]any)["manual"].(map[string]any)["reason"])
	b.clock.Advance(2 * time.Hour)
	require.Equal(t, "Up", state(a), "endUtc has passed")

	batch := b.call(t, http.MethodPatch, "/api/v1/devices/-/config/maintenance", fixture(t, "f11_maintenance_batch_request.json")).dataMap(t)
	require.EqualValues(t, 2, batch["successfulOperations"])
	require.Equal(t, "Maintenance", state(a))
	require.Equal(t, "Maintenance", state(c))

	require.Equal(t, http.StatusOK, b.call(t, http.MethodPut, "/api/v1/devices/6434/config/maintenance", fixture(t, "f11_maintenance_off_request.json")).status)
	require.Equal(t, "Up", state(c))
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPut, "/api/v1/devices/6434/config/maintenance", `{"reason":"no enabled flag"}`).status)
}

func TestAttributesF11ByQueryParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.1"})
	base := "/api/v1/devices/" + id + "/attributes/"

	added := b.call(t, http.MethodPost, base+"-"+q("name", "WUGPSTest", "value", "TestValue1"), "")
	require.Equal(t, http.StatusOK, added.status, string(added.body))
	attr := added.dataMap(t)
	require.Equal(t, "WUGPSTest", attr["name"])
	attrID := attr["attributeId"].(string)

	updated := b.call(t, http.MethodPut, base+attrID+q("name", "WUGPSTest", "value", "TestValue2"), "")
	require.Equal(t, map[string]any{"success": true}, updated.dataMap(t))
	require.Equal(t, "TestValue2", b.call(t, http.MethodGet, base+attrID, "").dataMap(t)["value"])

	b.call(t, http.MethodPost, base+"-"+q("name", "Other", "value", "v"), "")
	list := b.call(t, http.MethodGet, base+"-"+q("names", "wugpstest"), "")
	require.Len(t, list.data(t), 1, "GET /attributes/- has a bare list as data; names match in any case")

	patch := b.call(t, http.MethodPatch, base+"-", fmt.Sprintf(`{"attributeNamesToDelete":["other"],"attributeToModify":[{"attributeId":%s,"name":"WUGPSTest","value":"v3"}],"attributesToAdd":[{"name":"NetBox_ID","value":"42"}]}`, attrID))
	require.EqualValues(t, 3, patch.dataMap(t)["successfulOperations"])
	d, _ := b.sim.Device(id)
	require.Equal(t, []wugsim.Attribute{{ID: attrID, Name: "WUGPSTest", Value: "v3"}, {ID: d.Attributes[1].ID, Name: "NetBox_ID", Value: "42"}}, d.Attributes)

	cleared := b.call(t, http.MethodDelete, base+"-", "")
	require.EqualValues(t, 2, cleared.dataMap(t)["successfulOperations"])
	d, _ = b.sim.Device(id)
	require.Empty(t, d.Attributes)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPost, base+"-", "").status, "name is required")
}

func TestInterfacesListAndUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.1"})
	list := b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/interfaces/-", "")
	ifaces := list.data(t).([]any)
	require.Len(t, ifaces, 1)
	iface := ifaces[0].(map[string]any)
	require.Equal(t, true, iface["defaultInterface"])
	path := "/api/v1/devices/" + id + "/interfaces/" + iface["interfaceId"].(string)

	res := b.call(t, http.MethodPut, path, `{"address":"10.9.0.1","hostName":"a.example.net"}`)
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	d, _ := b.sim.Device(id)
	require.Equal(t, "10.9.0.1", d.NetworkAddress)
	require.Equal(t, "a.example.net", d.HostName)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPut, path, `{"address":"nope"}`).status)
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPut, path, `{"defaultInterface":false}`).status, "a device keeps a default interface")
	require.Equal(t, "10.9.0.1", b.call(t, http.MethodGet, "/api/v1/devices/"+id+"/interfaces/default", "").dataMap(t)["address"])
}

func TestProductRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Version: "2024.0.2"})
	values := b.call(t, http.MethodGet, "/api/v1/product/version", "").dataMap(t)["values"].([]any)
	require.Contains(t, values, map[string]any{"name": "Version", "value": "2024.0.2"})
	require.Equal(t, "admin", b.call(t, http.MethodGet, "/api/v1/product/whoAmI", "").data(t))
	res := b.call(t, http.MethodGet, "/api/v1/errors/503", "")
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.EqualValues(t, 503, res.json(t)["error"].(map[string]any)["status"])
}
