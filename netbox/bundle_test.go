package netbox_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

// testBundle is a simulated NetBox behind real HTTP and a client for it.
type testBundle struct {
	sim    *netboxsim.Server
	srv    *httptest.Server
	client *netbox.Client
}

// setup starts a simulator with simOpts and a client configured by
// tweak (which may be nil). Retries back off by a millisecond so fault
// tests stay fast.
func setup(t *testing.T, simOpts netboxsim.Options, tweak func(*netbox.Config)) *testBundle {
	t.Helper()
	sim, err := netboxsim.New(simOpts)
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := netbox.Config{
		URL:          srv.URL,
		Token:        netboxsim.DefaultToken,
		RetryBackoff: time.Millisecond,
		Timeout:      10 * time.Second,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	client, err := netbox.New(cfg)
	require.NoError(t, err)
	return &testBundle{sim: sim, srv: srv, client: client}
}

// collect drains a device iterator.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for item, err := range seq {
		require.NoError(t, err)
		out = append(out, item)
	}
	return out
}

// ptr returns a pointer to v, for optional fields such as
// DeviceFilter.HasPrimaryIP.
func ptr[T any](v T) *T { return &v }
