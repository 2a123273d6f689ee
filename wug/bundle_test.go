package wug

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/internal/testclock"
	"github.com/wugsync/wugsync/sim/wugsim"
)

const (
	testUser     = "svc-wugsync"
	testPassword = "s3cret-p@ss"
)

// testBundle is a client talking over real HTTP to a fresh simulator.
type testBundle struct {
	sim    *wugsim.Server
	srv    *httptest.Server
	client *Client
	clock  *testclock.Clock
}

// setup starts a simulator with opts (users default to testUser/testPassword) and a client
// for it; tweak adjusts the client config.
func setup(t *testing.T, opts wugsim.Options, tweak ...func(*Config)) *testBundle {
	t.Helper()
	if opts.Users == nil {
		opts.Users = map[string]string{testUser: testPassword}
	}
	sim := wugsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases requests held by timeout faults
	cfg := Config{Name: "lab-wug", BaseURL: srv.URL, Username: testUser, Password: testPassword, Timeout: 5 * time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	client, err := New(cfg)
	require.NoError(t, err)
	// The client's clock, so that token expiry needs no waiting.
	clock := testclock.New(time.Now())
	client.now = clock.Now
	return &testBundle{sim: sim, srv: srv, client: client, clock: clock}
}

// ctx returns a context that ends with the test.
func (b *testBundle) ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// seed adds a device by hand and returns its id.
func (b *testBundle) seed(t *testing.T, name, ip string, groups ...string) string {
	t.Helper()
	d, err := b.sim.AddDevice(wugsim.Device{Name: name, NetworkAddress: ip, Groups: groups})
	require.NoError(t, err)
	return d.ID
}

// template builds a minimal valid template.
func template(id, name, ip string) DeviceTemplate {
	return DeviceTemplate{
		TemplateID:     id,
		DisplayName:    name,
		Interfaces:     []TemplateInterface{{Default: true, NetworkAddress: ip, NetworkName: name}},
		ActiveMonitors: []TemplateMonitor{{Name: "Ping"}},
	}
}

// routeLog returns the statuses the simulator answered on a route, in order.
func routeLog(sim *wugsim.Server, route string) []int {
	var statuses []int
	for _, e := range sim.RequestLog() {
		if e.Route == route {
			statuses = append(statuses, e.Status)
		}
	}
	return statuses
}

const (
	routeToken   = "POST /api/v1/token"
	routeVersion = "GET /api/v1/product/version"
)
