package wugsim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestPerSecondCountsFollowTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	start := b.clock.Now()
	for range 3 {
		b.call(t, http.MethodGet, "/api/v1/product/version", "")
	}
	b.clock.Advance(time.Second)
	b.call(t, http.MethodGet, "/api/v1/product/version", "")
	b.call(t, http.MethodGet, "/api/v1/device-groups/-", "")

	counts := b.sim.PerSecondCounts()
	require.Equal(t, []wugsim.SecondCount{{Second: start, Count: 3}, {Second: start.Add(time.Second), Count: 1}}, counts[versionRoute])
	require.Equal(t, []wugsim.SecondCount{{Second: start, Count: 4}, {Second: start.Add(time.Second), Count: 2}}, counts["*"],
		"all routes, the login included")
	stats := b.sim.Stats()
	require.Equal(t, wugsim.RouteStats{Total: 4, ByStatus: map[int]int{200: 4}, PeakPerSecond: 3}, stats[versionRoute])
	require.Equal(t, 4, b.sim.CountRequests(versionRoute))
	require.Equal(t, 6, b.sim.CountRequests("*"))
}

func TestRequestLogIsBoundedAndOrdered(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{MaxLogEntries: 3})
	for _, p := range []string{"/api/v1/product/version", "/api/v1/product/api", "/api/v1/device-groups/-", "/api/v1/devices/7"} {
		b.call(t, http.MethodGet, p, "")
	}
	log := b.sim.RequestLog()
	require.Len(t, log, 3)
	require.Equal(t, []string{"/api/v1/product/api", "/api/v1/device-groups/-", "/api/v1/devices/7"}, []string{log[0].Path, log[1].Path, log[2].Path})
	require.Equal(t, "GET /api/v1/devices/{deviceId}", log[2].Route)
	require.Equal(t, http.StatusNotFound, log[2].Status)
	require.Equal(t, 5, b.sim.CountRequests("*"), "counters are not bounded by the log")
}

func TestResetRestoresTheInitialState(t *testing.T) {
	t.Parallel()
	seed := wugsim.Device{Name: "seeded", NetworkAddress: "10.0.0.1", Groups: []string{"Sites/A"}}
	b := setup(t, wugsim.Options{Devices: []wugsim.Device{seed}, Faults: map[string]wugsim.Fault{versionRoute: {ErrorRate: 1}}})
	b.addDevice(t, wugsim.Device{Name: "extra", NetworkAddress: "10.0.0.2"})
	require.NoError(t, b.sim.SetFaults("*", wugsim.Fault{RateLimitRate: 1}))
	_, err := b.sim.AddGroup("Extra")
	require.NoError(t, err)

	b.sim.Reset()
	devices := b.sim.Devices()
	require.Len(t, devices, 1)
	require.Equal(t, "seeded", devices[0].Name)
	require.Equal(t, []string{"My Network/Sites/A"}, devices[0].Groups)
	require.Len(t, b.sim.Groups(), 4, "My Network, Discovered Devices, Sites, A")
	require.Equal(t, map[string]wugsim.Fault{versionRoute: {ErrorRate: 1}}, b.sim.Faults())
	require.Empty(t, b.sim.RequestLog())
	require.Empty(t, b.sim.TokenGrants())
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, "/api/v1/devices/1", "").status, "tokens are gone")

	b.call(t, http.MethodPost, "/api/v1/token", "")
	b.sim.ResetStats()
	require.Zero(t, b.sim.CountRequests("*"))
	require.Equal(t, 1, b.sim.DeviceCount(), "ResetStats keeps the devices")
}

func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{})
	admin := func(method, path, body string) response { return b.send(t, method, path, body, nil) }

	put := admin(http.MethodPut, "/_sim/faults", `{"GET /api/v1/product/version":{"rateLimitRate":1,"retryAfter":"3s"},"*":{"latency":0.001}}`)
	require.Equal(t, http.StatusOK, put.status, string(put.body))
	require.Equal(t, map[string]wugsim.Fault{versionRoute: {RateLimitRate: 1, RetryAfter: 3 * time.Second}, "*": {Latency: time.Millisecond}}, b.sim.Faults())
	res := b.call(t, http.MethodGet, "/api/v1/product/version", "")
	require.Equal(t, http.StatusTooManyRequests, res.status)
	require.Equal(t, "3", res.header.Get("Retry-After"))
	var faults map[string]wugsim.Fault
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/faults", "").body, &faults))
	require.Equal(t, b.sim.Faults(), faults, "faults round-trip through JSON")
	require.Equal(t, http.StatusBadRequest, admin(http.MethodPut, "/_sim/faults", `{"*":{"errorRate":2}}`).status)
	require.Equal(t, http.StatusOK, admin(http.MethodDelete, "/_sim/faults", "").status)
	require.Empty(t, b.sim.Faults())

	added := admin(http.MethodPost, "/_sim/devices", `{"name":"by-hand","networkAddress":"10.5.5.5","groups":["Sites/X"]}`)
	require.Equal(t, http.StatusCreated, added.status, string(added.body))
	var devices []wugsim.Device
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/devices", "").body, &devices))
	require.Len(t, devices, 1)
	require.Equal(t, []string{"My Network/Sites/X"}, devices[0].Groups)
	require.Equal(t, http.StatusBadRequest, admin(http.MethodPost, "/_sim/devices", `{"name":"no-ip"}`).status)

	var stats struct {
		Routes      map[string]wugsim.RouteStats    `json:"routes"`
		PerSecond   map[string][]wugsim.SecondCount `json:"perSecond"`
		TokenGrants map[string]int                  `json:"tokenGrants"`
		Total       int                             `json:"total"`
		Devices     int                             `json:"devices"`
	}
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/stats", "").body, &stats))
	require.Equal(t, 1, stats.Routes[versionRoute].ByStatus[429])
	require.Equal(t, map[string]int{"password": 1}, stats.TokenGrants)
	require.Equal(t, 2, stats.Total, "admin calls are not counted")
	require.Equal(t, 1, stats.Devices)
	require.NotEmpty(t, stats.PerSecond["*"])

	var log []wugsim.Request
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/requests?limit=1", "").body, &log))
	require.Len(t, log, 1)
	require.Equal(t, versionRoute, log[0].Route)
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/requests?route="+url.QueryEscape(routeToken), "").body, &log))
	require.Len(t, log, 1)

	require.Equal(t, http.StatusOK, admin(http.MethodPost, "/_sim/tokens/expire", "").status)
	require.Equal(t, http.StatusUnauthorized, b.call(t, http.MethodGet, "/api/v1/product/api", "").status)

	var routes []string
	require.NoError(t, json.Unmarshal(admin(http.MethodGet, "/_sim/routes", "").body, &routes))
	require.Contains(t, routes, "PATCH /api/v1/devices/-/config/template")

	require.Equal(t, http.StatusOK, admin(http.MethodPost, "/_sim/reset", "").status)
	require.Zero(t, b.sim.DeviceCount())
	require.Equal(t, http.StatusNotFound, admin(http.MethodGet, "/_sim/nothing", "").status)
}

const routeToken = "POST /api/v1/token"
