package netbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/netbox"
	"github.com/wugsync/wugsync/sim/netboxsim"
)

func deviceIDs(devices []netbox.Device) []int64 {
	ids := make([]int64, len(devices))
	for i, d := range devices {
		ids[i] = d.ID
	}
	return ids
}

func requireEachOnce(t *testing.T, want []int64, got []int64) {
	t.Helper()
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "device %d returned %d times", id, n)
	}
	slices.Sort(want)
	got = slices.Clone(got)
	slices.Sort(got)
	require.Equal(t, want, got)
}

func simDeviceIDs(sim *netboxsim.Server, keep func(netboxsim.Device) bool) []int64 {
	var ids []int64
	for _, d := range sim.Devices() {
		if keep == nil || keep(d) {
			ids = append(ids, int64(d.ID))
		}
	}
	return ids
}

func TestDevicesKeysetPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 2500, Seed: 7}, nil)
	got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{}))
	requireEachOnce(t, simDeviceIDs(b.sim, nil), deviceIDs(got))

	reqs := b.sim.Requests()
	require.Len(t, reqs, 3, "2,500 devices are three pages of 1,000")
	for i, r := range reqs {
		require.Equal(t, "id", r.Query.Get("ordering"))
		require.Equal(t, "1000", r.Query.Get("limit"))
		require.Equal(t, "config_context", r.Query.Get("exclude"))
		require.Empty(t, r.Query.Get("offset"))
		if i == 0 {
			require.Empty(t, r.Query.Get("id__gte"))
		} else {
			require.NotEmpty(t, r.Query.Get("id__gte"))
		}
	}
}

func TestDevicesOffsetPagingUsesOnlyNextQuery(t *testing.T) {
	t.Parallel()
	sim, err := netboxsim.New(netboxsim.Options{Devices: 2500, Seed: 7})
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	// A reverse proxy that forwards a host the client cannot reach: next
	// links point there, so following them literally would fail.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Forwarded-Host", "netbox.invalid")
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := netbox.New(netbox.Config{URL: srv.URL, Token: netboxsim.DefaultToken, Paging: netbox.PagingOffset})
	require.NoError(t, err)

	got := collect(t, c.Devices(context.Background(), netbox.DeviceFilter{}))
	requireEachOnce(t, simDeviceIDs(sim, nil), deviceIDs(got))
	offsets := []string{}
	for _, r := range sim.Requests() {
		offsets = append(offsets, r.Query.Get("offset"))
	}
	require.Equal(t, []string{"", "1000", "2000"}, offsets)
}

func TestDevicesKeysetSurvivesConcurrentChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 2500, Seed: 3}, func(c *netbox.Config) { c.PageSize = 500 })
	var got []int64
	mutated := false
	var deleted []int64
	for d, err := range b.client.Devices(context.Background(), netbox.DeviceFilter{}) {
		require.NoError(t, err)
		got = append(got, d.ID)
		if len(got) == 600 && !mutated {
			// Delete devices on pages already read and not yet read; with
			// offset paging this would shift later pages and skip devices.
			for _, id := range []int64{10, 20, 30, 1500, 2400} {
				require.NoError(t, b.sim.DeleteDevice(int(id)))
				deleted = append(deleted, id)
			}
			mutated = true
		}
	}
	want := append(simDeviceIDs(b.sim, nil), 10, 20, 30)
	requireEachOnce(t, want, got)
	require.NotContains(t, got, 1500)
}

func TestDevicesToleratesSmallerServerPageSize(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 250, MaxPageSize: 100}, nil)
	got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{}))
	requireEachOnce(t, simDeviceIDs(b.sim, nil), deviceIDs(got))
	require.Len(t, b.sim.Requests(), 3)
}

func TestDevicesStopsWhenConsumerBreaks(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 2500}, nil)
	n := 0
	for _, err := range b.client.Devices(context.Background(), netbox.DeviceFilter{}) {
		require.NoError(t, err)
		n++
		if n == 5 {
			break
		}
	}
	require.Equal(t, 5, n)
	require.Len(t, b.sim.Requests(), 1)
}

func TestDeviceFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 600, Seed: 11}, nil)
	inv := b.sim.Inventory()
	slugOf := func(tags []string, slug string) bool { return slices.Contains(tags, slug) }
	site := func(id int) string { return inv.Sites[id-1].Slug }
	role := func(id int) string { return inv.Roles[id-1].Slug }
	platform := func(id int) string {
		if id == 0 {
			return ""
		}
		return inv.Platforms[id-1].Slug
	}
	tenant := func(id int) string {
		if id == 0 {
			return ""
		}
		return inv.Tenants[id-1].Slug
	}
	tagID := func(slug string) int64 {
		for _, tag := range inv.Tags {
			if tag.Slug == slug {
				return int64(tag.ID)
			}
		}
		t.Fatalf("no tag %q in the inventory", slug)
		return 0
	}
	first := inv.Devices[0]
	cases := []struct {
		name   string
		filter netbox.DeviceFilter
		keep   func(netboxsim.Device) bool
	}{
		{"status", netbox.DeviceFilter{Statuses: []string{"offline", "planned"}},
			func(d netboxsim.Device) bool { return d.Status == "offline" || d.Status == "planned" }},
		{"sites", netbox.DeviceFilter{Sites: []string{"nyc1", "fra1"}},
			func(d netboxsim.Device) bool { return site(d.SiteID) == "nyc1" || site(d.SiteID) == "fra1" }},
		{"role", netbox.DeviceFilter{Roles: []string{"core-switch"}},
			func(d netboxsim.Device) bool { return role(d.RoleID) == "core-switch" }},
		{"tags are ANDed", netbox.DeviceFilter{Tags: []string{"monitored", "critical"}},
			func(d netboxsim.Device) bool { return slugOf(d.Tags, "monitored") && slugOf(d.Tags, "critical") }},
		{"platform", netbox.DeviceFilter{Platforms: []string{"juniper-junos", "arista-eos"}},
			func(d netboxsim.Device) bool {
				return platform(d.PlatformID) == "juniper-junos" || platform(d.PlatformID) == "arista-eos"
			}},
		{"tenant", netbox.DeviceFilter{Tenants: []string{"acme"}},
			func(d netboxsim.Device) bool { return tenant(d.TenantID) == "acme" }},
		{"site and role ids", netbox.DeviceFilter{SiteIDs: []int64{1, 2}, RoleIDs: []int64{1, 2, 3}},
			func(d netboxsim.Device) bool { return (d.SiteID == 1 || d.SiteID == 2) && d.RoleID <= 3 }},
		{"platform ids", netbox.DeviceFilter{PlatformIDs: []int64{1, 2}},
			func(d netboxsim.Device) bool { return d.PlatformID == 1 || d.PlatformID == 2 }},
		{"tenant id", netbox.DeviceFilter{TenantIDs: []int64{1}}, func(d netboxsim.Device) bool { return d.TenantID == 1 }},
		{"tag ids are ANDed", netbox.DeviceFilter{TagIDs: []int64{tagID("monitored"), tagID("critical")}},
			func(d netboxsim.Device) bool { return slugOf(d.Tags, "monitored") && slugOf(d.Tags, "critical") }},
		{"has primary ip", netbox.DeviceFilter{HasPrimaryIP: ptr(true)},
			func(d netboxsim.Device) bool { return d.PrimaryIP4ID != 0 || d.PrimaryIP6ID != 0 }},
		{"has no primary ip", netbox.DeviceFilter{HasPrimaryIP: ptr(false)},
			func(d netboxsim.Device) bool { return d.PrimaryIP4ID == 0 && d.PrimaryIP6ID == 0 }},
		{"ids", netbox.DeviceFilter{IDs: []int64{5, 17, 400}},
			func(d netboxsim.Device) bool { return d.ID == 5 || d.ID == 17 || d.ID == 400 }},
		{"name is case-insensitive", netbox.DeviceFilter{Names: []string{strings.ToUpper(*first.Name)}},
			func(d netboxsim.Device) bool { return d.Name != nil && strings.EqualFold(*d.Name, *first.Name) }},
		{"query", netbox.DeviceFilter{Query: "core-sw"},
			func(d netboxsim.Device) bool { return d.Name != nil && strings.Contains(*d.Name, "core-sw") }},
		{"combined", netbox.DeviceFilter{Statuses: []string{"active"}, Sites: []string{"nyc1"}, HasPrimaryIP: ptr(true)},
			func(d netboxsim.Device) bool {
				return d.Status == "active" && site(d.SiteID) == "nyc1" && (d.PrimaryIP4ID != 0 || d.PrimaryIP6ID != 0)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := simDeviceIDs(b.sim, tc.keep)
			require.NotEmpty(t, want, "the inventory must exercise the filter")
			require.Less(t, len(want), 600, "the filter must exclude something")
			got := collect(t, b.client.Devices(context.Background(), tc.filter))
			requireEachOnce(t, want, deviceIDs(got))
		})
	}
}

func TestDeviceFilterLastUpdated(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 300}, nil)
	updated, err := b.sim.UpdateDevice(42, func(d *netboxsim.Device) { d.Description = "moved" })
	require.NoError(t, err)
	got := collect(t, b.client.Devices(context.Background(), netbox.DeviceFilter{LastUpdatedGTE: updated.LastUpdated}))
	require.Equal(t, []int64{42}, deviceIDs(got))
	require.Equal(t, "moved", got[0].Description)
}

func TestUnknownFilterValueIsConfigError(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 50}, nil)
	cases := []struct {
		name          string
		filter        netbox.DeviceFilter
		param, value  string
		fromNetBox    bool
		requestsAfter int
	}{
		{"unknown tag", netbox.DeviceFilter{Tags: []string{"monitored", "nosuch"}}, "tag", "nosuch", true, 1},
		{"unknown site", netbox.DeviceFilter{Sites: []string{"nyc1", "atlantis"}}, "site", "atlantis", true, 1},
		{"unknown status", netbox.DeviceFilter{Statuses: []string{"bogus"}}, "status", "bogus", true, 1},
		{"empty role", netbox.DeviceFilter{Roles: []string{" "}}, "role", " ", false, 0},
		{"non-positive id", netbox.DeviceFilter{IDs: []int64{0}}, "id", "0", false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(b.sim.Requests())
			var err error
			for _, e := range b.client.Devices(context.Background(), tc.filter) {
				err = e
			}
			require.ErrorIs(t, err, netbox.ErrConfig)
			var fe *netbox.FilterError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.param, fe.Filter)
			require.Equal(t, tc.value, fe.Value)
			require.Contains(t, err.Error(), tc.param)
			if tc.fromNetBox {
				require.Equal(t, b.srv.URL, fe.Server)
				require.Contains(t, fe.Message, "not one of the available choices")
			}
			require.Equal(t, tc.requestsAfter, len(b.sim.Requests())-before, "400s are not retried")
		})
	}
}

func TestGetDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 30}, nil)
	want, ok := b.sim.Device(12)
	require.True(t, ok)
	d, err := b.client.GetDevice(context.Background(), 12)
	require.NoError(t, err)
	require.Equal(t, int64(12), d.ID)
	require.Equal(t, want.Name, d.Name)
	require.Equal(t, "config_context", b.sim.Requests()[0].Query.Get("exclude"))

	require.NoError(t, b.sim.DeleteDevice(12))
	_, err = b.client.GetDevice(context.Background(), 12)
	require.ErrorIs(t, err, netbox.ErrNotFound)

	_, err = b.client.GetDevice(context.Background(), -1)
	require.ErrorIs(t, err, netbox.ErrConfig)
}
