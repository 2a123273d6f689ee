package wugsim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

// TestSeedInventedEndpointsFail checks that every endpoint the seed plugin guessed fails the
// way it would on a real server (reference §4.7, §4.8, §5).
func TestSeedInventedEndpointsFail(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.1"})
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/api/v1/scan/ip", 404},
		{http.MethodPost, "/api/v1/scan/network", 404},
		{http.MethodGet, "/api/v1/scan/1/status", 404},
		{http.MethodGet, "/api/v1/scan/1/results", 404},
		{http.MethodPost, "/api/v1/devices", 404},
		{http.MethodPost, "/api/v1/devices/bulk-add", 405},
		{http.MethodGet, "/api/v1/devices/updated", 404},
		{http.MethodPut, "/api/v1/devices/" + id, 405},
		{http.MethodPut, "/api/v1/devices/" + id + "/metadata", 404},
		{http.MethodPatch, "/api/v1/devices/" + id + "/group-membership", 404},
		{http.MethodPost, "/api/v1/device-groups/-", 405},
		{http.MethodPut, "/api/v1/device-groups/0/devices/" + id, 405},
		{http.MethodPost, "/api/v1/device-groups/0/devices", 405},
		{http.MethodPut, "/api/v1/device-groups/0/devices", 405},
		{http.MethodPost, "/api/v1/device-groups/0/newDevice", 405},
		{http.MethodPost, "/api/v1/monitors/-", 404},
	}
	for _, tc := range cases {
		res := b.call(t, tc.method, tc.path, `{"deviceIds":[1]}`)
		require.Equal(t, tc.status, res.status, "%s %s", tc.method, tc.path)
		require.Contains(t, res.json(t), "error", "%s %s", tc.method, tc.path)
	}
	require.Equal(t, 1, b.sim.DeviceCount(), "none of them changed anything")
	// GET /devices/updated is GET /devices/{deviceId} with a device that does not exist.
	require.Equal(t, len(cases)-1, b.sim.CountRequests(wugsim.RouteUnmatched))
}

func TestUnknownRoutesNeedNoToken(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	res := b.send(t, http.MethodGet, "/api/v1/nothing-here", "", nil)
	require.Equal(t, http.StatusNotFound, res.status, "routing comes before authorisation")
	res = b.send(t, http.MethodGet, "/api/v1/devices/-/config/template", "", nil)
	require.Equal(t, http.StatusUnauthorized, res.status, "an existing route needs the token")
}

func TestLiteralRouteSegmentsBeatWildcards(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	id := b.addDevice(t, wugsim.Device{Name: "a", NetworkAddress: "10.0.0.1"})
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/api/v1/device-groups/-", "").status, "the list, not group \"-\"")
	require.Equal(t, http.StatusNotFound, b.call(t, http.MethodGet, "/api/v1/devices/-/config/template", "").status,
		`GET falls to /devices/{id}/config/template with id "-"`)
	require.Equal(t, http.StatusOK, b.call(t, http.MethodGet, "/API/V1/Devices/"+id, "").status, "paths match in any case")
	require.Contains(t, b.sim.Routes(), "PATCH /api/v1/devices/-/config/template")
}
