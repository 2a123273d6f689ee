package netboxsim_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wugsync/wugsync/sim/netboxsim"
)

func TestInvalidFilterValuesAre400(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 40})
	cases := map[string]string{
		"?tag=nosuch":                  `{"tag":["Select a valid choice. nosuch is not one of the available choices."]}`,
		"?site=atlantis":               `{"site":["Select a valid choice. atlantis is not one of the available choices."]}`,
		"?site_id=abc":                 `{"site_id":["“abc” is not a valid value."]}`,
		"?site_id=999":                 `{"site_id":["Select a valid choice. 999 is not one of the available choices."]}`,
		"?id=abc":                      `{"id":["Enter a whole number."]}`,
		"?status=bogus":                `{"status":["Select a valid choice. bogus is not one of the available choices."]}`,
		"?role=nope&platform=nope":     `{"role":["Select a valid choice. nope is not one of the available choices."],"platform":["Select a valid choice. nope is not one of the available choices."]}`,
		"?last_updated__gte=yesterday": `{"last_updated__gte":["Enter a valid date/time."]}`,
		"?last_updated__gte=2025-06-01T00:00:00+00:00": `{"last_updated__gte":["Enter a valid date/time."]}`,
	}
	for query, want := range cases {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			a := b.get(t, "/api/dcim/devices/"+query)
			require.Equal(t, 400, a.status)
			require.JSONEq(t, want, string(a.raw))
		})
	}
}

func TestFilterSemantics(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 400, Seed: 12})
	inv := b.sim.Inventory()
	all := len(inv.Devices)
	countWhere := func(keep func(netboxsim.Device) bool) int {
		n := 0
		for _, d := range inv.Devices {
			if keep(d) {
				n++
			}
		}
		return n
	}
	named := inv.Devices[0]
	ip := inv.IPAddresses[inv.Devices[1].PrimaryIP4ID-1]
	cases := []struct {
		query string
		want  int
	}{
		{"?tag=monitored&tag=critical", countWhere(func(d netboxsim.Device) bool {
			return slices.Contains(d.Tags, "monitored") && slices.Contains(d.Tags, "critical")
		})},
		{"?tag__n=monitored", countWhere(func(d netboxsim.Device) bool { return !slices.Contains(d.Tags, "monitored") })},
		{"?status=active&status=planned", countWhere(func(d netboxsim.Device) bool { return d.Status == "active" || d.Status == "planned" })},
		{"?has_primary_ip=maybe", all},
		{"?has_primary_ip=False", countWhere(func(d netboxsim.Device) bool { return d.PrimaryIP4ID == 0 && d.PrimaryIP6ID == 0 })},
		{"?no_such_filter=1", all},
		{"?name=" + url.QueryEscape(strings.ToUpper(*named.Name)), 1},
		{"?name__empty=true", countWhere(func(d netboxsim.Device) bool { return d.Name == nil })},
		{"?name__ic=CORE-SW", countWhere(func(d netboxsim.Device) bool { return d.Name != nil && strings.Contains(*d.Name, "core-sw") })},
		{"?id__gte=390", 11},
		{"?id=1&id=2&id=3&id__n=2", 2},
		{"?q=" + url.QueryEscape(strings.Split(ip.Address, "/")[0]), countWhere(func(d netboxsim.Device) bool {
			return d.PrimaryIP4ID != 0 && strings.HasPrefix(inv.IPAddresses[d.PrimaryIP4ID-1].Address, strings.Split(ip.Address, "/")[0])
		})},
		{"?region=europe", countWhere(func(d netboxsim.Device) bool { return inv.Sites[d.SiteID-1].RegionID == 2 })},
		{"?cf_monitoring_profile=core", countWhere(func(d netboxsim.Device) bool { return d.CustomFields["monitoring_profile"] == "core" })},
		{"?last_updated__gte=2100-01-01", 0},
		{"?site=null", 0},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			a := b.get(t, "/api/dcim/devices/"+tc.query)
			require.Equal(t, 200, a.status, string(a.raw))
			require.Equal(t, tc.want, a.count())
		})
	}
}

func TestIPAddressFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 200, Seed: 12})
	inv := b.sim.Inventory()
	d := inv.Devices[5]
	a := b.get(t, "/api/ipam/ip-addresses/?device_id="+itoa(d.ID))
	require.Equal(t, 200, a.status)
	require.Contains(t, a.ids(t), d.PrimaryIP4ID)

	require.Zero(t, b.get(t, "/api/ipam/ip-addresses/?device_id=99999").count(), "unknown device: empty, not 400")
	require.Zero(t, b.get(t, "/api/ipam/ip-addresses/?address=not-an-ip").count(), "invalid address: empty, not 400")

	addr := inv.IPAddresses[d.PrimaryIP4ID-1].Address
	host := strings.Split(addr, "/")[0]
	require.Contains(t, b.get(t, "/api/ipam/ip-addresses/?address="+host).ids(t), d.PrimaryIP4ID)
	require.Equal(t, 400, b.get(t, "/api/ipam/ip-addresses/?family=5").status)
	v6 := b.get(t, "/api/ipam/ip-addresses/?family=6&limit=0")
	for _, r := range v6.body["results"].([]any) {
		require.Contains(t, r.(map[string]any)["address"], ":")
	}
}

func TestResponseShaping(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 5})
	keys := func(a answer) []string {
		r := a.body["results"].([]any)[0].(map[string]any)
		var out []string
		for k := range r {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, []string{"description", "display", "id", "name", "url"}, keys(b.get(t, "/api/dcim/devices/?brief=false")),
		"any non-empty brief turns brief on")
	require.Equal(t, []string{"id", "name"}, keys(b.get(t, "/api/dcim/devices/?fields=id,name,nonsense&brief=1")),
		"fields beats brief and ignores unknown names")
	require.Contains(t, keys(b.get(t, "/api/dcim/devices/")), "config_context")
	require.NotContains(t, keys(b.get(t, "/api/dcim/devices/?exclude=config_context")), "config_context")
	require.Contains(t, keys(b.get(t, "/api/dcim/devices/?omit=serial")), "serial", "omit is ignored before 4.5.2")

	b45 := setup(t, netboxsim.Options{Devices: 5, Version: netboxsim.Version45})
	require.NotContains(t, keys(b45.get(t, "/api/dcim/devices/?omit=serial")), "serial")
	require.Contains(t, keys(b45.get(t, "/api/dcim/devices/")), "owner")
}

func TestVersionProfilesShapeNestedObjects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		version      string
		roleKeys     []string
		platformKeys []string
	}{
		{netboxsim.Version42, []string{"description", "display", "id", "name", "slug", "url"}, []string{"description", "display", "id", "name", "slug", "url"}},
		{netboxsim.Version44, []string{"_depth", "description", "device_count", "display", "id", "name", "slug", "url", "virtualmachine_count"},
			[]string{"_depth", "description", "device_count", "display", "id", "name", "slug", "url", "virtualmachine_count"}},
	}
	for _, tc := range cases {
		b := setup(t, netboxsim.Options{Devices: 5, Version: tc.version})
		a := b.get(t, "/api/dcim/devices/1/")
		require.Equal(t, 200, a.status)
		require.Equal(t, tc.roleKeys, sortedKeys(a.body["role"]), tc.version)
		if p, ok := a.body["platform"].(map[string]any); ok {
			require.Equal(t, tc.platformKeys, sortedKeys(p), tc.version)
		}
		require.NotContains(t, a.body, "owner")
	}
}

func sortedKeys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestTrimmedListingsCarryTheFullValues holds the trimmed rendering of
// fields= (renderMode.pick) to the full one: every field asked for alone,
// and all of them at once, has the value the whole object has, for
// devices and virtual machines.
func TestTrimmedListingsCarryTheFullValues(t *testing.T) {
	t.Parallel()
	b := setup(t, netboxsim.Options{Devices: 40})
	for _, path := range []string{"/api/dcim/devices/", "/api/virtualization/virtual-machines/"} {
		full := b.get(t, path+"?exclude=config_context&limit=1000")
		require.Equal(t, http.StatusOK, full.status, string(full.raw))
		objects := full.body["results"].([]any)
		require.NotEmpty(t, objects, path)
		var keys []string
		for k := range objects[0].(map[string]any) {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		trimmed := func(fields string) []any {
			a := b.get(t, path+"?limit=1000&fields="+fields)
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
			return a.body["results"].([]any)
		}
		require.Equal(t, objects, trimmed(strings.Join(keys, ",")), "%s with every field listed", path)
		for _, k := range keys {
			got := trimmed(k)
			require.Len(t, got, len(objects), "%s?fields=%s", path, k)
			for i, o := range objects {
				want := map[string]any{k: o.(map[string]any)[k]}
				require.Equal(t, want, got[i], "%s?fields=%s, object %d", path, k, i)
			}
		}
	}
}
