package netboxsim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func statuses(t *testing.T, b *simBundle, path string, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = b.get(t, path).status
	}
	return out
}

func TestFaultRules(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5, Faults: []netboxsim.FaultRule{
		{PathPrefix: "/api/dcim/devices/", Status: 503, FirstN: 2},
		{PathPrefix: "/api/ipam/", Status: 429, Every: 3, RetryAfter: "7"},
	}})
	require.Equal(t, []int{503, 503, 200, 200}, statuses(t, b, "/api/dcim/devices/", 4))
	require.Equal(t, []int{200, 200, 429, 200, 200, 429}, statuses(t, b, "/api/ipam/ip-addresses/", 6))
	require.Equal(t, []int{200, 200}, statuses(t, b, "/api/ipam/ip-addresses/", 2))
	ninth := b.get(t, "/api/ipam/ip-addresses/")
	require.Equal(t, 429, ninth.status)
	require.Equal(t, "7", ninth.header.Get("Retry-After"))
	require.Equal(t, 200, b.get(t, "/api/dcim/sites/").status, "other routes are untouched")
	require.Equal(t, 5, b.sim.FaultsFired())

	require.NoError(t, b.sim.SetFaults())
	require.Equal(t, []int{200, 200}, statuses(t, b, "/api/ipam/ip-addresses/", 2))
	require.Error(t, b.sim.SetFaults(netboxsim.FaultRule{Status: 700}))
}

func TestFaultProbabilityIsRepeatable(t *testing.T) {
	t.Parallel()
	rule := []netboxsim.FaultRule{{PathPrefix: "/api/", Status: 500, Probability: 0.5}}
	a := setup(t, netboxsim.Options{Faults: rule, FaultSeed: 3})
	b := setup(t, netboxsim.Options{Faults: rule, FaultSeed: 3})
	sa, sb := statuses(t, a, "/api/status/", 20), statuses(t, b, "/api/status/", 20)
	require.Equal(t, sa, sb)
	require.Contains(t, sa, 500)
	require.Contains(t, sa, 200)
}

func TestFaultHangReleasedByClient(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Faults: []netboxsim.FaultRule{{PathPrefix: "/api/status/", Hang: true}}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/api/status/", nil)
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
