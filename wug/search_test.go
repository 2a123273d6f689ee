package wug

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/wugsim"
)

func TestSearchDevicesReturnsEverySubstringMatchAcrossPages(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{PageLimit: 2})
	for _, ip := range []string{"10.1.0.5", "10.1.0.6", "10.1.0.250", "110.1.0.7"} {
		b.seed(t, "dev-"+ip, ip)
	}
	b.seed(t, "elsewhere", "10.2.0.5")

	found, err := b.client.SearchDevices(b.ctx(t), "10.1.0.")
	require.NoError(t, err)
	var addrs []string
	for _, d := range found {
		addrs = append(addrs, d.NetworkAddress)
		require.Equal(t, "dev-"+d.NetworkAddress, d.Name, "the basic view carries the name")
	}
	require.ElementsMatch(t, []string{"10.1.0.5", "10.1.0.6", "10.1.0.250", "110.1.0.7"}, addrs,
		"WUG's substring matches, the caller keeps the exact ones")
	require.Equal(t, 2, b.sim.CountRequests("GET /api/v1/device-groups/{groupId}/devices/-"), "4 matches, pages of 2")

	_, err = b.client.SearchDevices(b.ctx(t), "  ")
	require.ErrorIs(t, err, ErrInvalidInput, "an empty search would list every device")
	require.Equal(t, 2, b.sim.CountRequests("GET /api/v1/device-groups/{groupId}/devices/-"), "and is never sent")
}

// TestAFailedLaterPageIsAskedForAgainAlone: the second page of a search
// answers 500 once. The client asks for that page again, with the same
// page id, and does not start the search over: three calls for two pages.
func TestAFailedLaterPageIsAskedForAgainAlone(t *testing.T) {
	t.Parallel()
	b := setup(t, wugsim.Options{PageLimit: 2})
	for _, ip := range []string{"10.1.0.5", "10.1.0.6", "10.1.0.7"} {
		b.seed(t, "dev-"+ip, ip)
	}
	const route = "GET /api/v1/device-groups/{groupId}/devices/-"
	require.NoError(t, b.sim.SetFaults(route, wugsim.Fault{ErrorRate: 0.5, Count: 1}))

	found, err := b.client.SearchDevices(b.ctx(t), "10.1.0.")
	require.NoError(t, err)
	require.Len(t, found, 3)
	var log []wugsim.Request
	for _, req := range b.sim.RequestLog() {
		if req.Route == route {
			log = append(log, req)
		}
	}
	require.Len(t, log, 3, "page 1, page 2 failing, page 2 again")
	require.NotContains(t, log[0].Query, "pageId")
	require.Equal(t, wugsim.FaultError, log[1].Fault)
	require.Contains(t, log[1].Query, "pageId=")
	require.Equal(t, log[1].Query, log[2].Query, "the same page asked for again")
}
