package netboxsim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

// TestReferencedKindsFilterOnLastUpdated: an incremental export asks each
// kind a device shows nested (sites, roles, …) for rows changed since a
// time (reference §2.2); a site rename shows there, generated rows carry
// the generation time.
func TestReferencedKindsFilterOnLastUpdated(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := setup(t, netboxsim.Options{Devices: 40, Seed: 3, Now: func() time.Time { return now }})
	since := "?last_updated__gte=2026-12-01T09:00:00Z"
	for _, path := range []string{"/api/dcim/sites/", "/api/dcim/regions/", "/api/dcim/device-roles/", "/api/dcim/platforms/",
		"/api/tenancy/tenants/", "/api/extras/tags/", "/api/dcim/device-types/", "/api/dcim/manufacturers/",
		"/api/dcim/locations/", "/api/dcim/racks/", "/api/virtualization/clusters/"} {
		a := b.get(t, path+since)
		require.Equal(t, http.StatusOK, a.status, path)
		require.Zero(t, a.count(), "%s: nothing changed since", path)
		require.Positive(t, b.get(t, path+"?last_updated__gte=2025-01-01").count(), "%s: generated rows are older", path)
	}
	site := b.sim.Sites()[0]
	_, err := b.sim.RenameSite(site.ID, "Renamed")
	require.NoError(t, err)
	a := b.get(t, "/api/dcim/sites/"+since+"&fields=id")
	require.Equal(t, []int{site.ID}, a.ids(t))
}

// TestAnswersAreDatedOnTheSimulatorsClock: NetBox's web server dates its
// answers with NetBox's clock; an incremental export takes its starting
// time from there.
func TestAnswersAreDatedOnTheSimulatorsClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := setup(t, netboxsim.Options{Devices: 5, Now: func() time.Time { return now }})
	a := b.get(t, "/api/dcim/devices/?limit=1")
	require.Equal(t, now.Format(http.TimeFormat), a.header.Get("Date"))
}
