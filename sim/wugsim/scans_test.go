package wugsim_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestNewDeviceF8ScanProgressesOverPolls(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{ScanPolls: 3})
	res := b.call(t, http.MethodPatch, "/api/v1/device-groups/0/newDevice", fixture(t, "f08_new_device_request.json"))
	require.Equal(t, http.StatusOK, res.status, string(res.body))
	data := res.dataMap(t) // the shape of the F8 response
	require.Regexp(t, guid, data["id"])
	require.Equal(t, true, data["success"])
	require.Contains(t, data, "name")
	require.Contains(t, data, "description")
	scanID := data["id"].(string)
	require.Zero(t, b.sim.DeviceCount(), "a scan adds nothing at once")

	devices := b.call(t, http.MethodGet, "/api/v1/device-scan/"+scanID+"/devices", "").dataMap(t)
	require.Equal(t, scanID, devices["id"])
	require.Empty(t, devices["devices"])

	var progress []any
	for range 3 {
		status := b.call(t, http.MethodGet, "/api/v1/device-scan/"+scanID+"/status", "").dataMap(t)
		progress = append(progress, status["progress"])
		require.Equal(t, "newDevice", status["model"])
	}
	require.Equal(t, []any{100.0 / 3, 200.0 / 3, 100.0}, progress)

	devices = b.call(t, http.MethodGet, "/api/v1/device-scan/"+scanID+"/devices", "").dataMap(t)
	found := toMaps(devices["devices"])
	require.Len(t, found, 1)
	require.Equal(t, "127.0.0.2", found[0]["networkAddress"])
	d, _ := b.sim.Device(found[0]["id"].(string))
	require.Equal(t, wugsim.SourceScan, d.Source)
	require.Equal(t, []string{"My Network"}, d.Groups, "added to the scan's group")

	active := b.call(t, http.MethodGet, "/api/v1/device-scan/-/status", "").data(t)
	require.Empty(t, active, "activeOnly defaults to true; the finished scan is gone")
	all := b.call(t, http.MethodGet, "/api/v1/device-scan/-/status"+q("activeOnly", "false", "model", "newDevice"), "").data(t)
	require.Len(t, all, 1)
}

func TestNewDeviceVerbsAndParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{Unreachable: []string{"10.0.0.99"}})
	post := b.call(t, http.MethodPost, "/api/v1/device-groups/0/newDevice", fixture(t, "f08_new_device_request.json"))
	require.Equal(t, http.StatusMethodNotAllowed, post.status, "there is no POST")
	require.Equal(t, "PATCH, PUT", post.header.Get("Allow"))

	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPut, "/api/v1/device-groups/0/newDevice", `{}`).status, "PUT needs ?ipOrName=")
	require.Equal(t, http.StatusBadRequest, b.call(t, http.MethodPatch, "/api/v1/device-groups/0/newDevice", `{"ipOrNames":[]}`).status)

	existing := b.addDevice(t, wugsim.Device{Name: "known", NetworkAddress: "10.0.0.7"})
	put := b.call(t, http.MethodPut, "/api/v1/device-groups/0/newDevice"+q("ipOrName", "10.0.0.7"), `{"forceAdd":false}`)
	require.Equal(t, http.StatusOK, put.status)
	b.call(t, http.MethodPatch, "/api/v1/device-groups/0/newDevice", `{"ipOrNames":["10.0.0.99"]}`)
	forced := b.call(t, http.MethodPatch, "/api/v1/device-groups/0/newDevice", `{"ipOrNames":["10.0.0.7"],"forceAdd":"true","forceCreate":"true"}`)
	require.Equal(t, http.StatusOK, forced.status)

	b.sim.CompleteScans()
	scans := b.sim.Scans()
	require.Len(t, scans, 3)
	require.Equal(t, []string{existing}, scans[0].DeviceIDs, "a known address matches the existing device")
	require.Empty(t, scans[1].DeviceIDs, "nothing answers at an unreachable address")
	require.Len(t, scans[2].DeviceIDs, 1)
	require.NotEqual(t, existing, scans[2].DeviceIDs[0], "forceAdd with forceCreate makes a new device")
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/device-scan/nope/status", "").status)

	cancelled := b.call(t, http.MethodPatch, "/api/v1/device-groups/0/newDevice", `{"ipOrNames":["10.0.0.50"]}`).dataMap(t)["id"].(string)
	require.Equal(t, http.StatusOK, b.call(t, http.MethodPut, "/api/v1/device-scan/"+cancelled+"/cancel", "").status)
	require.Equal(t, "Cancelled", b.call(t, http.MethodGet, "/api/v1/device-scan/"+cancelled+"/status", "").dataMap(t)["phase"])
	require.Equal(t, 2, b.sim.DeviceCount(), "the known device and the forced one; a cancelled scan adds nothing")
}
